using System.Globalization;
using CncTwin.Core;

namespace CncTwin.Motion;

/// <summary>An S word above what the machine's spindle can run: the line and the two speeds (rpm).</summary>
public readonly record struct SpindleSpeedWarning(SourceLocation Source, double ProgrammedRpm, double MachineMaxRpm)
{
    /// <summary>What happened, without the location.</summary>
    public string Reason => string.Create(CultureInfo.InvariantCulture,
        $"S{ProgrammedRpm:0.###} is above the machine's spindle limit: it runs at its maximum, {MachineMaxRpm:0.###} rpm");

    /// <summary>FILE:LINE: ... as the command line prints warnings.</summary>
    public string Message => $"{Source.File}:{Source.Line}: {Reason}";
}

/// <summary>
/// What a controller does with an S word above its spindle's top speed: it runs the spindle at the top speed.
/// A canonical-stream transform, to be applied before the planner (and so before removal, loads and wear):
/// every speed above <see cref="SpindleModel.MaxRpm"/> becomes the maximum (S words, spindle starts and the
/// speed each move carries), feed-per-revolution (G95) feeds follow the speed actually run, and each program
/// line whose S word was clamped is reported once through the callback.
/// </summary>
public static class SpindleSpeedLimit
{
    public static IEnumerable<CanonicalCommand> Apply(IEnumerable<CanonicalCommand> commands, MachineProfile machine, Action<SpindleSpeedWarning>? onWarning)
    {
        double max = machine.Spindle.MaxRpm;
        if (!(max > 0)) throw new ArgumentException("the machine's spindle.max_rpm must be > 0", nameof(machine));
        return Iterate(commands, max, onWarning);
    }

    private static IEnumerable<CanonicalCommand> Iterate(IEnumerable<CanonicalCommand> commands, double max, Action<SpindleSpeedWarning>? onWarning)
    {
        // Lines already reported: a loop running the same S word again is one warning. Bounded by the program's lines.
        var warned = new HashSet<(string File, int Line)>();
        var feedMode = FeedRateMode.UnitsPerMinute;
        void Warn(SourceLocation at, double rpm)
        {
            if (onWarning != null && warned.Add((at.File, at.Line))) onWarning(new SpindleSpeedWarning(at, rpm, max));
        }
        foreach (var c in commands)
        {
            switch (c)
            {
                case SetFeedRate f:
                    // Every feed-per-revolution feed follows an F given in G95 (G93/G94/G95 reset the feed), so the mode
                    // of the last F is the mode of the feeds after it.
                    feedMode = f.Mode;
                    yield return c;
                    break;
                case SetSpindleSpeed s when s.Rpm > max:
                    Warn(s.Source, s.Rpm);
                    yield return s with { Rpm = max };
                    break;
                case SpindleStart s when s.Rpm > max:
                    Warn(s.Source, s.Rpm);
                    yield return s with { Rpm = max };
                    break;
                case Move m when m.SpindleRpm > max:
                    // The interpreter worked a G95 feed out at the programmed speed; the tool advances per revolution run.
                    double feed = feedMode == FeedRateMode.UnitsPerRevolution && m is not RapidMove ? m.FeedMmPerMin * max / m.SpindleRpm : m.FeedMmPerMin;
                    yield return m with { SpindleRpm = max, FeedMmPerMin = feed };
                    break;
                default:
                    yield return c;
                    break;
            }
        }
    }
}
