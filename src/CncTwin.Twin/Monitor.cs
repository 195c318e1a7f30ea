using CncTwin.Core;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Wear;

namespace CncTwin.Twin;

/// <summary>One planned move of the simulated program with what the twin predicts along it.</summary>
public sealed class PredictedMove
{
    public required int Index { get; init; }
    public required int Line { get; init; }
    public required PathGeometry Path { get; init; }
    public required double StartS { get; init; }
    public required double DurationS { get; init; }
    public required bool Rapid { get; init; }
    public required double ProgrammedFeedMmPerMin { get; init; }
    public required double Rpm { get; init; }
    public required int Flutes { get; init; }
    public MoveLoads? Loads { get; init; }
    public double WearStartUm { get; init; }
    public double WearEndUm { get; init; }

    /// <summary>Closest point of the move to p: (distance, arc length s), by sampling then refining.</summary>
    public (double DistanceMm, double S) Closest(Vec3 p)
    {
        double len = Path.LengthMm;
        if (len < 1e-9) return ((p - Path.Start).Length, 0);
        if (Path is LinePath)
        {
            var d = Path.End - Path.Start;
            double t = Math.Clamp(((p - Path.Start).X * d.X + (p - Path.Start).Y * d.Y + (p - Path.Start).Z * d.Z) / (len * len), 0, 1);
            return ((p - Path.PointAt(t * len)).Length, t * len);
        }
        if (Path is CirclePath c && c.Rise.Dot(c.Rise) < 1e-18 && c.SweepRad <= 2 * Math.PI + 1e-12)
        {
            // A planar arc: the angle of p about the centre, clamped to the sweep (or the nearer end outside it).
            var q = p - c.Center;
            double a = Math.Atan2(q.Dot(c.V), q.Dot(c.U));
            if (a < 0) a += 2 * Math.PI;
            double phi = a <= c.SweepRad ? a
                : (p - c.Start).Length <= (p - c.End).Length ? 0 : c.SweepRad;
            double sArc = phi / c.SweepRad * len;
            return ((p - Path.PointAt(sArc)).Length, sArc);
        }
        int n = Math.Clamp((int)(len / 0.5), 8, 400);
        double best = double.MaxValue, bs = 0;
        for (int i = 0; i <= n; i++)
        {
            double s = len * i / n, dist = (p - Path.PointAt(s)).Length;
            if (dist < best) { best = dist; bs = s; }
        }
        // Golden-section refinement around the best sample.
        double lo = Math.Max(0, bs - len / n), hi = Math.Min(len, bs + len / n);
        for (int k = 0; k < 30; k++)
        {
            double m1 = lo + (hi - lo) * 0.382, m2 = lo + (hi - lo) * 0.618;
            if ((p - Path.PointAt(m1)).Length < (p - Path.PointAt(m2)).Length) hi = m2; else lo = m1;
        }
        double sr = 0.5 * (lo + hi), dr = (p - Path.PointAt(sr)).Length;
        return dr < best ? (dr, sr) : (best, bs);
    }

    /// <summary>Predicted cutting power (W) at arc length s when the machine feeds at feedMmPerMin and turns at rpm.</summary>
    public double CuttingPowerW(double s, double feedMmPerMin, double rpm)
    {
        if (Loads == null || !Loads.Cutting || Rapid) return 0;
        if (!(rpm > 0)) rpm = Rpm;
        if (!(rpm > 0)) return 0;
        var sig = Loads.ProbeAt(s);
        if (!sig.Engaged) return 0;
        double fz = Math.Max(0, feedMmPerMin) / (Flutes * rpm);
        return sig.Evaluate(fz, rpm).PowerMeanW;
    }
}

/// <summary>The simulated program, as the twin compares against it.</summary>
public sealed class Prediction(IReadOnlyList<PredictedMove> moves, SpindleModel spindle, string program)
{
    /// <summary>Flank-wear end of life, µm, and the tool's wear rate over this program (µm per minute of the program's cutting time; 0 if unknown).</summary>
    public double VbLimitUm { get; init; } = 300;
    public double WearRateUmPerMin { get; init; }

    /// <summary>Minutes of cutting left at a wear (µm), at this program's rate (∞ when it does not wear).</summary>
    public double RemainingLifeMin(double wearUm) => WearRateUmPerMin > 0 && double.IsFinite(wearUm) ? Math.Max(0, VbLimitUm - wearUm) / WearRateUmPerMin : double.PositiveInfinity;

    public IReadOnlyList<PredictedMove> Moves { get; } = moves;
    public SpindleModel Spindle { get; } = spindle;
    public string Program { get; } = program;
    private readonly Dictionary<int, List<int>> _byLine = moves.GroupBy(m => m.Line).ToDictionary(g => g.Key, g => g.Select(m => m.Index).ToList());
    public IReadOnlyList<int> MovesOfLine(int line) => _byLine.TryGetValue(line, out var l) ? l : [];
}

/// <summary>What a twin alarm says: the spindle works harder than predicted, hardly at all where it should cut (broken or missing tool), or the tool is off the planned path.</summary>
public enum AlarmKind { Overload, Underload, Position }

public static class AlarmKinds
{
    /// <summary>The name in alarms.json, telemetry.csv, the history and on the wire: overload, underload or position.</summary>
    public static string WireName(this AlarmKind k) => k switch { AlarmKind.Overload => "overload", AlarmKind.Underload => "underload", _ => "position" };
}

/// <summary>An alarm of the twin: program line, kind, time span, and a sentence for the machinist.</summary>
public sealed record TwinAlarm(int Line, AlarmKind Kind, DateTimeOffset Start, DateTimeOffset End, double StartS, double EndS, string Message, double Peak);

/// <summary>Where a sample is on the program, and the measured and predicted values there.</summary>
public sealed record AlignedSample(TelemetrySample Sample, int Move, int Line, double S, double DeviationMm, double FeedMmPerMin,
    double MeasuredLoadPct, double PredictedLoadPct, double MeasuredPowerW, double PredictedPowerW, double IdleLoadPct, double WearUm, AlarmKind? Alarm);

public sealed record MonitorOptions
{
    /// <summary>Measured load above the prediction by more than this many points of load % → overload.</summary>
    public double OverloadMarginPct { get; init; } = 25;
    /// <summary>How long a condition must last to raise an alarm, s.</summary>
    public double HoldS { get; init; } = 0.5;
    /// <summary>Predicted cutting load (points of %) above which a measured load near idle means a broken or missing tool.</summary>
    public double UnderloadMinPredictedPct { get; init; } = 3;
    /// <summary>Measured cutting load below this share of the predicted one counts as "near idle".</summary>
    public double UnderloadShare { get; init; } = 0.25;
    /// <summary>Distance from the planned path that counts as departing from it, mm.</summary>
    public double PositionToleranceMm { get; init; } = 1.0;
    /// <summary>Moves searched ahead of the last aligned one when the sample carries no line.</summary>
    public int LookAheadMoves { get; init; } = 60;
}

/// <summary>
/// The live comparison: aligns each telemetry sample to the simulated program by program line and position
/// (never by wall clock, so feed override, pauses and restarts do not throw it off), predicts the spindle
/// load there at the feed the machine actually moves at (from successive positions), and raises overload,
/// underload (broken or missing tool) and position alarms that persist longer than the hold time. The idle
/// (no-cut) spindle load is learned from the samples aligned to air moves (20th percentile of the last 2 000), so the
/// prediction compares like with like.
/// </summary>
public sealed class TwinMonitor
{
    private readonly Prediction _p;
    private readonly MonitorOptions _o;
    private int _cursor;
    private TelemetrySample? _prev;
    private double _feed = double.NaN;
    private readonly List<double> _idle = new();          // sorted
    private readonly Queue<double> _idleWindow = new();
    private double _idleLoad = double.NaN;
    private readonly Dictionary<AlarmKind, (DateTimeOffset Start, double StartS, int Line, double Peak)> _open = new();
    private readonly List<TwinAlarm> _alarms = new();
    private DateTimeOffset? _t0;
    public IReadOnlyList<TwinAlarm> Alarms => _alarms;
    /// <summary>A sample this close to a move lies on it (controllers report positions to a few µm).</summary>
    private const double OnPathMm = 0.01;
    public long Samples { get; private set; }

    public TwinMonitor(Prediction prediction, MonitorOptions? options = null)
    {
        _p = prediction; _o = options ?? new MonitorOptions();
    }

    /// <summary>Samples that carried an impossible value: recorded, never aligned, averaged or alarmed on.</summary>
    public long InvalidSamples { get; private set; }

    public AlignedSample Process(TelemetrySample s)
    {
        Samples++;
        if (s.IsInvalid)
        {
            InvalidSamples++;
            return new AlignedSample(s, -1, s.Line ?? 0, 0, double.NaN, double.NaN, s.SpindleLoadPct, double.NaN, s.SpindlePowerW, double.NaN, double.NaN, double.NaN, null);
        }
        _t0 ??= s.Time;
        double t = (s.Time - _t0.Value).TotalSeconds;
        int move = -1; double sAlong = 0, dev = double.NaN;
        if (s.HasPosition && _p.Moves.Count > 0)
        {
            var pos = new Vec3(s.X, s.Y, s.Z);
            double best = double.MaxValue;
            void Consider(int k)
            {
                var (d, sa) = _p.Moves[k].Closest(pos);
                // Prefer moves at or after the cursor when equally close (a program runs forward).
                double score = d + (k < _cursor ? 1e-3 : 0);
                if (score < best) { best = score; move = k; sAlong = sa; dev = d; }
            }
            if (s.Line is int line && _p.MovesOfLine(line).Count > 0)
                foreach (int k in _p.MovesOfLine(line)) Consider(k);
            else
            {
                // Forward from the cursor, stopping at the first move the sample lies on; then the two behind it.
                int end = Math.Min(_p.Moves.Count, _cursor + _o.LookAheadMoves);
                for (int k = _cursor; k < end; k++)
                {
                    Consider(k);
                    if (dev <= OnPathMm) break;
                }
                if (dev > OnPathMm) for (int k = Math.Max(0, _cursor - 2); k < _cursor; k++) Consider(k);
            }
            // Nothing near the cursor window: the machine may have restarted or skipped; search the whole program.
            if (s.Line == null && dev > _o.PositionToleranceMm)
            {
                for (int k = 0; k < _p.Moves.Count; k++)
                {
                    var (d, sa) = _p.Moves[k].Closest(pos);
                    if (d < dev - 1e-9) { dev = d; move = k; sAlong = sa; }
                }
            }
            if (move >= 0) _cursor = move;
            // Feed actually moved at, from successive positions (ignores override and pauses).
            if (_prev is { HasPosition: true } prev && s.Time > prev.Time)
            {
                double dt = (s.Time - prev.Time).TotalSeconds;
                double v = (pos - new Vec3(prev.X, prev.Y, prev.Z)).Length / dt * 60;
                _feed = double.IsNaN(_feed) ? v : 0.5 * _feed + 0.5 * v;
            }
        }
        _prev = s;
        var m = move >= 0 ? _p.Moves[move] : null;
        double rpm = double.IsFinite(s.SpindleRpm) && s.SpindleRpm > 0 ? s.SpindleRpm : m?.Rpm ?? 0;
        double cutPower = m == null ? 0 : m.CuttingPowerW(sAlong, double.IsFinite(_feed) ? _feed : m.ProgrammedFeedMmPerMin, rpm);
        double cutLoad = rpm > 0 ? SpindleCapacity.LoadPct(_p.Spindle, rpm, cutPower) : 0;
        if (!double.IsFinite(cutLoad)) cutLoad = 0;
        // Idle load: measured while the twin expects no cutting with the spindle turning.
        // A low percentile (20th) of a long window: air moves are the majority of no-cut samples, and an
        // overload where the twin expects air (rubbing, a crash) must not be learned as idle.
        if (cutPower <= 0 && rpm > 0 && double.IsFinite(s.SpindleLoadPct))
        {
            _idleWindow.Enqueue(s.SpindleLoadPct);
            int at = _idle.BinarySearch(s.SpindleLoadPct);
            _idle.Insert(at < 0 ? ~at : at, s.SpindleLoadPct);
            if (_idleWindow.Count > 2000)
            {
                double old = _idleWindow.Dequeue();
                int k = _idle.BinarySearch(old);
                if (k >= 0) _idle.RemoveAt(k);
            }
            _idleLoad = _idle[_idle.Count / 5];
        }
        double idle = double.IsFinite(_idleLoad) ? _idleLoad : 0;
        double predicted = cutLoad + (rpm > 0 ? idle : 0);
        double wear = m == null ? double.NaN : m.WearStartUm + (m.Path.LengthMm > 0 ? sAlong / m.Path.LengthMm : 1) * (m.WearEndUm - m.WearStartUm);
        int alignedLine = m?.Line ?? s.Line ?? 0;
        AlarmKind? alarm = null;
        if (double.IsFinite(s.SpindleLoadPct))
        {
            double over = s.SpindleLoadPct - predicted;
            alarm ??= Track(AlarmKind.Overload, over > _o.OverloadMarginPct, s.Time, t, alignedLine, s.SpindleLoadPct,
                $"spindle load {s.SpindleLoadPct:0.#} % against {predicted:0.#} % predicted");
            bool under = cutLoad >= _o.UnderloadMinPredictedPct && s.SpindleLoadPct - idle < _o.UnderloadShare * cutLoad;
            alarm ??= Track(AlarmKind.Underload, under, s.Time, t, alignedLine, cutLoad,
                $"spindle load near idle ({s.SpindleLoadPct:0.#} %) where the twin expects {predicted:0.#} %: broken or missing tool?");
        }
        if (!double.IsNaN(dev))
            alarm ??= Track(AlarmKind.Position, dev > _o.PositionToleranceMm, s.Time, t, alignedLine, dev,
                $"tool {dev:0.###} mm off the planned path");
        return new AlignedSample(s, move, alignedLine, sAlong, dev, _feed, s.SpindleLoadPct, predicted, s.SpindlePowerW, cutPower, idle, wear, alarm);
    }

    /// <summary>Opens an alarm when a condition holds longer than the hold time, closes it when it clears; returns its kind while active.</summary>
    private AlarmKind? Track(AlarmKind kind, bool active, DateTimeOffset time, double t, int line, double value, string message)
    {
        if (active)
        {
            if (!_open.TryGetValue(kind, out var o)) { _open[kind] = (time, t, line, value); return null; }
            _open[kind] = o with { Peak = Math.Max(o.Peak, value) };
            if (t - o.StartS >= _o.HoldS)
            {
                // Raise (or extend) the alarm for this episode.
                var existing = _alarms.Count > 0 ? _alarms.FindLastIndex(a => a.Kind == kind && a.Start == o.Start) : -1;
                var a = new TwinAlarm(o.Line, kind, o.Start, time, o.StartS, t, message, Math.Max(o.Peak, value));
                if (existing >= 0) _alarms[existing] = a; else _alarms.Add(a);
                return kind;
            }
            return null;
        }
        _open.Remove(kind);
        return null;
    }
}
