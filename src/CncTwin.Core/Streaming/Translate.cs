namespace CncTwin.Core.Streaming;

public static class CanonicalTransforms
{
    /// <summary>
    /// Moves every position in the stream by a fixed vector (start, end, arc centre): used to report machine
    /// coordinates in the work frame when the machine's zero is not the work zero.
    /// </summary>
    public static IEnumerable<CanonicalCommand> Translate(IEnumerable<CanonicalCommand> commands, Vec3 shift)
    {
        if (shift == Vec3.Zero) { foreach (var c in commands) yield return c; yield break; }
        foreach (var c in commands)
        {
            yield return c switch
            {
                ArcFeed a => a with { Start = a.Start + shift, End = a.End + shift, Center = a.Center + shift },
                Move m => m with { Start = m.Start + shift, End = m.End + shift },
                _ => c,
            };
        }
    }
}
