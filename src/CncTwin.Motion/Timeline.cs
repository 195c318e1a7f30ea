using CncTwin.Core;

namespace CncTwin.Motion;

/// <summary>What the machine is doing at an instant: moving (rapid, feed, arcs, probing) or standing still (dwell, waiting for the spindle, changing tools).</summary>
public enum MachineActivity { Rapid, Feed, ArcCw, ArcCcw, Probe, Dwell, SpindleWait, ToolChange }

public static class MachineActivities
{
    /// <summary>The name in timeline.csv's motion column: rapid, feed, arc_cw, arc_ccw, probe, dwell, spindle_wait or tool_change.</summary>
    public static string WireName(this MachineActivity a) => a switch
    {
        MachineActivity.Rapid => "rapid", MachineActivity.Feed => "feed", MachineActivity.ArcCw => "arc_cw", MachineActivity.ArcCcw => "arc_ccw",
        MachineActivity.Probe => "probe", MachineActivity.Dwell => "dwell", MachineActivity.SpindleWait => "spindle_wait", _ => "tool_change",
    };

    public static MachineActivity Of(MotionKind kind) => kind switch
    {
        MotionKind.Rapid => MachineActivity.Rapid, MotionKind.Feed => MachineActivity.Feed, MotionKind.ArcClockwise => MachineActivity.ArcCw,
        MotionKind.ArcCounterClockwise => MachineActivity.ArcCcw, _ => MachineActivity.Probe,
    };

    /// <summary>A pause of the plan by its reason (dwell, tool change, spindle at speed).</summary>
    public static MachineActivity OfPause(string reason) => reason switch
    {
        "dwell" => MachineActivity.Dwell,
        "tool change" => MachineActivity.ToolChange,
        _ => MachineActivity.SpindleWait,
    };
}

/// <summary>
/// What the machine is doing at one instant: program line, activity, tool-tip position (mm, machine frame),
/// path speed and the programmed feed.
/// </summary>
public readonly record struct TimelineSample(double TimeS, SourceLocation Source, MachineActivity Activity, Vec3 Position, double SpeedMmPerS, double ProgrammedFeedMmPerMin)
{
    public int Line => Source.Line;
    public double FeedMmPerMin => SpeedMmPerS * 60;
    /// <summary>The activity as written in timeline.csv.</summary>
    public string Motion => Activity.WireName();
}

/// <summary>Samples a plan at a fixed time step: the time-stamped position stream later stages run on.</summary>
public static class Timeline
{
    public const double DefaultStepS = 0.001;
    /// <summary>
    /// The step simulate writes timeline.csv at unless told otherwise: 10 ms keeps a 30-minute program to ~180k
    /// rows (25 MB) where 1 ms wrote 1.7 M (240 MB) of which no plot shows the difference; spindle telemetry from
    /// controllers comes at 10-100 ms anyway. Short moves still get every figure in moves.csv.
    /// </summary>
    public const double DefaultOutputStepS = 0.01;

    /// <summary>
    /// Samples at t = 0, dt, 2dt, ... while the plan lasts, plus one last sample at the exact end (where the
    /// last multiple of dt falls short of it). Streams: one plan item is held at a time.
    /// </summary>
    public static IEnumerable<TimelineSample> Sample(IEnumerable<PlanItem> plan, double stepS = DefaultStepS) => Sample(plan, stepS, long.MaxValue, null);

    /// <summary>
    /// As <see cref="Sample(IEnumerable{PlanItem}, double)"/>, with at most maxSamples samples: after that the plan is
    /// still read to its end (the stages that pull it see every item) but sampled no more, and onCap is told the
    /// time of the first sample left out. A program's time is its own (G4 P1000000000 dwells for 31 years), but a
    /// timeline of it cannot be written.
    /// </summary>
    public static IEnumerable<TimelineSample> Sample(IEnumerable<PlanItem> plan, double stepS, long maxSamples, Action<double>? onCap) =>
        Sample(plan, stepS, maxSamples, onCap, compressPauses: false);

    /// <summary>
    /// As above; with compressPauses, a pause (dwell, spindle wait, tool change: nothing moves, nothing changes)
    /// gets only its first and last sample of the grid instead of one per step (a G4 P60 at 1 ms is 60,000 equal rows).
    /// </summary>
    public static IEnumerable<TimelineSample> Sample(IEnumerable<PlanItem> plan, double stepS, long maxSamples, Action<double>? onCap, bool compressPauses)
    {
        if (!(stepS > 0) || !double.IsFinite(stepS)) throw new ArgumentOutOfRangeException(nameof(stepS), "time step must be a positive number of seconds");
        if (maxSamples < 1) throw new ArgumentOutOfRangeException(nameof(maxSamples), "at least one sample");
        long k = 0, rows = 0;   // grid index and rows written (they differ once pauses are compressed)
        Vec3 position = default;
        bool positioned = false, capped = false;
        PlanItem? last = null;
        foreach (var item in plan)
        {
            last = item;
            if (capped) continue;
            if (!positioned && item is PlannedMove first) { position = first.Path.Start; positioned = true; }
            // Samples that fall in this item; an item of zero duration gets none.
            for (double t = k * stepS; t < item.EndS; t = ++k * stepS)
            {
                if (rows >= maxSamples) { capped = true; onCap?.Invoke(t); break; }
                rows++;
                yield return At(item, t, ref position);
                if (compressPauses && item is PlannedPause)
                {
                    // Jump to the last grid point inside the pause (the loop's ++k lands on it).
                    long lastK = (long)Math.Ceiling(item.EndS / stepS) - 1;
                    while (lastK > k && lastK * stepS >= item.EndS) lastK--;
                    if (lastK > k + 1) k = lastK - 1;
                }
            }
        }
        if (!capped && last != null && (k - 1) * stepS < last.EndS - 1e-12)
            yield return At(last, last.EndS, ref position);
    }

    private static TimelineSample At(PlanItem item, double t, ref Vec3 position)
    {
        switch (item)
        {
            case PlannedMove m:
                {
                    var (s, v) = m.Profile.At(t - m.StartS);
                    position = m.Path.PointAt(s);
                    double feed = m.Move.Kind == MotionKind.Rapid ? 0 : m.Move.FeedMmPerMin;
                    return new TimelineSample(t, m.Source, MachineActivities.Of(m.Move.Kind), position, v, feed);
                }
            case PlannedPause p:
                return new TimelineSample(t, p.Source, MachineActivities.OfPause(p.Reason), position, 0, 0);
            default:
                throw new InvalidOperationException($"unknown plan item {item.GetType().Name}");
        }
    }

    public static string PauseName(string reason) => MachineActivities.OfPause(reason).WireName();
}
