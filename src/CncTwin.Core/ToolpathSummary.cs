namespace CncTwin.Core;

/// <summary>
/// Running totals over a move stream, gathered as it passes through (no buffering): moves by kind,
/// path lengths, the box swept by the tool tip while cutting, and the tools used.
/// </summary>
public sealed class ToolpathSummary
{
    private readonly long[] _countByKind = new long[5];
    private readonly double[] _lengthByKind = new double[5];
    private readonly SortedSet<int> _tools = new();

    public long Moves { get; private set; }
    public Vec3 CutMin { get; private set; } = new(double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity);
    public Vec3 CutMax { get; private set; } = new(double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity);
    public bool HasCuts => Count(MotionKind.Feed) + Count(MotionKind.ArcClockwise) + Count(MotionKind.ArcCounterClockwise) > 0;
    public IReadOnlyCollection<int> Tools => _tools;
    public long Count(MotionKind kind) => _countByKind[(int)kind];
    public double LengthMm(MotionKind kind) => _lengthByKind[(int)kind];
    /// <summary>Time at the programmed feed, ignoring acceleration (the motion planner gives the real figure).</summary>
    public double FeedMinutesAtProgrammedFeed { get; private set; }

    public IEnumerable<CanonicalCommand> Observe(IEnumerable<CanonicalCommand> commands)
    {
        foreach (var c in commands)
        {
            if (c is Move m) Add(m);
            yield return c;
        }
    }

    public void Add(Move m)
    {
        Moves++;
        int k = (int)m.Kind;
        _countByKind[k]++;
        double len = m.LengthMm;
        _lengthByKind[k] += len;
        if (m.Tool != 0) _tools.Add(m.Tool);
        if (m.Kind is MotionKind.Rapid) return;
        if (m.FeedMmPerMin > 0) FeedMinutesAtProgrammedFeed += len / m.FeedMmPerMin;
        // Arcs can bulge past their end points; their full circle bounds them conservatively.
        if (m is ArcFeed arc)
        {
            var (c1, c2, _) = arc.Plane.Split(arc.Center);
            var (s1, s2, _) = arc.Plane.Split(arc.Start);
            double r = Math.Sqrt((s1 - c1) * (s1 - c1) + (s2 - c2) * (s2 - c2));
            Extend(arc.Plane.Join(c1 - r, c2 - r, arc.Plane.Split(arc.Start).Normal));
            Extend(arc.Plane.Join(c1 + r, c2 + r, arc.Plane.Split(arc.End).Normal));
        }
        Extend(m.Start);
        Extend(m.End);
    }

    private void Extend(Vec3 p)
    {
        CutMin = new Vec3(Math.Min(CutMin.X, p.X), Math.Min(CutMin.Y, p.Y), Math.Min(CutMin.Z, p.Z));
        CutMax = new Vec3(Math.Max(CutMax.X, p.X), Math.Max(CutMax.Y, p.Y), Math.Max(CutMax.Z, p.Z));
    }
}
