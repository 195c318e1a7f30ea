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
    /// <summary>The tool in the spindle on this move (0: none).</summary>
    public int Tool { get; init; }
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
        // Standing still (feed hold, a stop mid-cut): no chip is formed, so no cutting load either (the model's edge
        // forces apply per chip, not to a cutter dwelling in its own cut).
        if (feedMmPerMin < 0.02 * ProgrammedFeedMmPerMin) return 0;
        var sig = Loads.ProbeAt(s);
        if (!sig.Engaged) return 0;
        double fz = Math.Max(0, feedMmPerMin) / (Flutes * rpm);
        return sig.Evaluate(fz, rpm).PowerMeanW;
    }
}

/// <summary>The simulated program, as the twin compares against it.</summary>
public sealed class Prediction
{
    /// <summary>Flank-wear end of life, µm, and the tool's wear rate over this program (µm per minute of the program's cutting time; 0 if unknown).</summary>
    public double VbLimitUm { get; init; } = 300;
    public double WearRateUmPerMin { get; init; }
    /// <summary>Lines in the program file (0: unknown): a streamed line number above it is not a line of this program.</summary>
    public int LineCount { get; init; }
    /// <summary>Identifies the program's text (a content hash): the teach-in envelope belongs to it, not to its file name.</summary>
    public string ProgramKey { get; init; } = "";
    /// <summary>The tool in the spindle at program start.</summary>
    public int InitialTool { get; init; }
    /// <summary>Predicted energy of the program, kWh (spindle cutting + spindle idle + axes + base), NaN when not computed.</summary>
    public double PredictedEnergyKwh { get; init; } = double.NaN;
    /// <summary>Of it, the spindle's (cutting through the drive + turning in air): what a controller's spindle power measures.</summary>
    public double PredictedSpindleEnergyKwh { get; init; } = double.NaN;

    /// <summary>Minutes of cutting left at a wear (µm), at this program's rate (∞ when it does not wear).</summary>
    public double RemainingLifeMin(double wearUm) => WearRateUmPerMin > 0 && double.IsFinite(wearUm) ? Math.Max(0, VbLimitUm - wearUm) / WearRateUmPerMin : double.PositiveInfinity;

    public IReadOnlyList<PredictedMove> Moves { get; }
    public SpindleModel Spindle { get; }
    public string Program { get; }
    private readonly Dictionary<int, List<int>> _byLine;
    private readonly double[] _lineOffsetMm;
    private readonly Dictionary<int, double> _lineLengthMm = new();

    public Prediction(IReadOnlyList<PredictedMove> moves, SpindleModel spindle, string program)
    {
        Moves = moves; Spindle = spindle; Program = program;
        _byLine = moves.GroupBy(m => m.Line).ToDictionary(g => g.Key, g => g.Select(m => m.Index).ToList());
        // Where each move starts along its line's path: a line (a monitoring section) may have several moves (canned cycles).
        _lineOffsetMm = new double[moves.Count];
        foreach (var m in moves)
        {
            double at = _lineLengthMm.GetValueOrDefault(m.Line);
            _lineOffsetMm[m.Index] = at;
            _lineLengthMm[m.Line] = at + m.Path.LengthMm;
        }
    }

    public IReadOnlyList<int> MovesOfLine(int line) => _byLine.TryGetValue(line, out var l) ? l : [];
    /// <summary>Distance along the line's path where move k starts, mm.</summary>
    public double LineOffsetMm(int move) => _lineOffsetMm[move];
    /// <summary>The line's whole path length, mm.</summary>
    public double LineLengthMm(int line) => _lineLengthMm.GetValueOrDefault(line);
}

/// <summary>
/// What a twin alarm says: the spindle works harder than predicted or learned, hardly at all where it should cut
/// (broken or missing tool), a section's cutting work has crept above what good parts took (a worn tool), or the tool
/// is off the planned path.
/// </summary>
public enum AlarmKind { Overload, Underload, Position, Wear }

public static class AlarmKinds
{
    /// <summary>The name in alarms.json, telemetry.csv, the history and on the wire: overload, underload, position or wear.</summary>
    public static string WireName(this AlarmKind k) => k switch { AlarmKind.Overload => "overload", AlarmKind.Underload => "underload", AlarmKind.Wear => "wear", _ => "position" };
}

/// <summary>An alarm of the twin: program line, kind, time span, and a sentence for the machinist.</summary>
public sealed record TwinAlarm(int Line, AlarmKind Kind, DateTimeOffset Start, DateTimeOffset End, double StartS, double EndS, string Message, double Peak);

/// <summary>Where a sample is on the program, and the measured and predicted values there.</summary>
/// <param name="ExpectedCutPct">Cutting load above idle the limits compare against (physics or learned), points of %.</param>
/// <param name="NoiseFloorPct">The smallest cutting share the stream can tell from spinning in air, points of %.</param>
/// <param name="Monitorable">False where the twin expects cutting too light to tell from idle (or the spindle is not at speed).</param>
/// <param name="LimitSource">"physics" or "learned" (the teach-in envelope); empty where nothing was compared.</param>
public sealed record AlignedSample(TelemetrySample Sample, int Move, int Line, double S, double DeviationMm, double FeedMmPerMin,
    double MeasuredLoadPct, double PredictedLoadPct, double MeasuredPowerW, double PredictedPowerW, double IdleLoadPct, double WearUm, AlarmKind? Alarm,
    double ExpectedCutPct = double.NaN, double NoiseFloorPct = double.NaN, bool Monitorable = false, string LimitSource = "");

public sealed record MonitorOptions
{
    /// <summary>
    /// Physics limits: overload when the measured cutting load exceeds the predicted by more than this share of it
    /// (the cutting-force model's own uncertainty, ±20-30 % on coefficients from handbooks, must not alarm).
    /// </summary>
    public double OverloadRelative { get; init; } = 0.5;
    /// <summary>The smallest overload margin, points of load % (on top of the relative one): air moves and light cuts.</summary>
    public double OverloadMarginPct { get; init; } = 3;
    /// <summary>How long a condition must last to raise an alarm, s.</summary>
    public double HoldS { get; init; } = 0.5;
    /// <summary>An extra lower bound on the cutting share that is monitored for underload, points of % (0: the noise floor alone).</summary>
    public double UnderloadMinPredictedPct { get; init; }
    /// <summary>Physics limits: measured cutting load below this share of the predicted one counts as a broken or missing tool.</summary>
    public double UnderloadShare { get; init; } = 0.5;
    /// <summary>Distance from the planned path that counts as departing from it, mm.</summary>
    public double PositionToleranceMm { get; init; } = 1.0;
    /// <summary>Moves searched ahead of the last aligned one when the sample carries no line.</summary>
    public int LookAheadMoves { get; init; } = 60;
    /// <summary>Time constant of the filter both measured and expected load pass through before the limits, s.</summary>
    public double SmoothingS { get; init; } = 0.15;
    /// <summary>Noise floor = this many spreads (σ) of the filtered load while the spindle turns in air.</summary>
    public double NoiseSigmas { get; init; } = 4;
    /// <summary>The noise floor never goes below this, points of % (a perfectly steady or coarsely quantised signal).</summary>
    public double MinNoiseFloorPct { get; init; } = 0.3;
    /// <summary>Noise floor until the stream has shown enough spinning in air to measure it, points of %.</summary>
    public double UnknownNoiseFloorPct { get; init; } = 3;

    /// <summary>Teach-in: parts of the same program and tool learned before their envelope is used (Heidenhain's default: ten).</summary>
    public int LearnParts { get; init; } = 10;
    /// <summary>Learned limits: the tunnel is the learned mean ± this many part-to-part σ …</summary>
    public double TunnelSigmas { get; init; } = 3;
    /// <summary>… but at least this share of the learned load on either side.</summary>
    public double TunnelMinRelative { get; init; } = 0.2;
    /// <summary>Learned limits, undercut: below this share of the learned cutting load (broken or missing tool).</summary>
    public double UndercutShare { get; init; } = 0.5;
    /// <summary>Learned limits, extreme (TMAC): above (1 + this) × learned, held only <see cref="ExtremeHoldS"/> (a crash, a chipped edge).</summary>
    public double ExtremeRelative { get; init; } = 1.0;
    public double ExtremeHoldS { get; init; } = 0.05;
    /// <summary>Learned limits, wear (TMAC): a section's measured/predicted ratio above the learned by this share (or 3 σ) → wear alarm.</summary>
    public double WearLimitRelative { get; init; } = 0.12;
    /// <summary>
    /// Relative rise of cutting power per mm of flank wear VB, used to read wear from the stream. 2.3/mm: median of
    /// per-case least-squares slopes of spindle motor current (above its air-cutting level) against measured VB in the
    /// NASA Ames/UC Berkeley milling data set (Agogino &amp; Goebel 2007; 12 cases with a fresh-tool run, saturated
    /// records left out; per-case slopes 1.0-4.6/mm).
    /// </summary>
    public double PowerRisePerMmVb { get; init; } = 2.3;
}

/// <summary>
/// Spread of the spindle load while it turns in air at one speed: the raw samples (median = the idle level) and the
/// filtered signal (its spread sets the noise floor). Windows of the last 2 000 samples each, kept sorted.
/// </summary>
internal sealed class IdleStats
{
    private const int Window = 2000;
    private readonly List<double> _raw = new(), _smooth = new();
    private readonly Queue<double> _rawQ = new(), _smoothQ = new();

    private static void Add(List<double> sorted, Queue<double> q, double v)
    {
        q.Enqueue(v);
        int at = sorted.BinarySearch(v);
        sorted.Insert(at < 0 ? ~at : at, v);
        if (q.Count > Window)
        {
            int k = sorted.BinarySearch(q.Dequeue());
            if (k >= 0) sorted.RemoveAt(k);
        }
    }

    public void AddRaw(double v) => Add(_raw, _rawQ, v);
    public void AddSmoothed(double v) => Add(_smooth, _smoothQ, v);
    public int RawCount => _raw.Count;
    public int SmoothedCount => _smooth.Count;
    /// <summary>
    /// 20th percentile of the raw idle load: air moves are most of the no-cut samples, and an overload where the twin
    /// expects air (a rub, a crash, a stock bigger than drawn) must not be learned as idle. It sits 0.84 σ under the
    /// mean, which only makes a broken tool look a little less idle than it is.
    /// </summary>
    public double Idle => _raw.Count == 0 ? double.NaN : _raw[_raw.Count / 5];
    /// <summary>σ from the lower half (median − 16th percentile): what lies above idle (a rub, a cut's tail) does not widen it.</summary>
    public double SmoothedIdle => _smooth.Count == 0 ? double.NaN : _smooth[_smooth.Count / 2];
    public double SmoothedSigma => _smooth.Count == 0 ? double.NaN : _smooth[_smooth.Count / 2] - _smooth[(int)(_smooth.Count * 0.1587)];
    public double RawSigma => _raw.Count == 0 ? double.NaN : _raw[_raw.Count / 2] - _raw[(int)(_raw.Count * 0.1587)];
}

/// <summary>
/// The live comparison: aligns each telemetry sample to the simulated program by program line and position
/// (never by wall clock, so feed override, pauses and restarts do not throw it off), predicts the spindle
/// load there at the feed the machine actually moves at (from successive positions), and raises alarms that
/// persist longer than the hold time.
/// Limits scale with the cut and the signal: the idle load and its noise are measured from the stream itself
/// (spindle turning in air, per speed); the cutting share above idle is compared with the physics prediction
/// (relative margins) or, once good parts have been learned, with their envelope (tunnel, extreme, undercut and
/// wear limits). A cut whose expected share is under the noise floor is counted as not monitorable.
/// </summary>
public sealed class TwinMonitor
{
    private readonly Prediction _p;
    private readonly MonitorOptions _o;
    private readonly ToolEnvelope? _envelope;
    private int _cursor;
    private TelemetrySample? _prev;
    private double _feed = double.NaN;
    /// <summary>Samples of the spindle in air before any cut is judged (0.2 s at 100 Hz).</summary>
    public const int MinIdleSamples = 20;
    private readonly Dictionary<int, IdleStats> _idleBySpeed = new();
    private readonly IdleStats _idleAll = new();
    private double _smLoad = double.NaN, _smExpected, _airForS, _prevRpm = double.NaN;
    private double _lastIdle = double.NaN;
    private readonly Dictionary<string, (DateTimeOffset Start, double StartS, int Line, double Peak)> _open = new();
    private readonly List<TwinAlarm> _alarms = new();
    private readonly Dictionary<string, double> _held = new(), _lastT = new();
    private DateTimeOffset? _t0;
    private double _prevT;
    private int _sectionLine;
    private DateTimeOffset _sectionStart;
    private double _sectionStartS;
    private readonly HashSet<int> _overloadLines = new(), _wearChecked = new();
    private readonly Dictionary<int, (double CuttingS, double NotMonitorableS)> _cutting = new();
    public IReadOnlyList<TwinAlarm> Alarms => _alarms;
    /// <summary>A sample this close to a move lies on it (controllers report positions to a few µm).</summary>
    private const double OnPathMm = 0.01;
    /// <summary>Successive positions further apart in time than this do not give a feed, s.</summary>
    private const double MaxFeedGapS = 0.25;
    public long Samples { get; private set; }
    /// <summary>This part's measurements per section (what the teach-in learns and wear from the stream reads).</summary>
    public PartProfile Part { get; } = new();
    /// <summary>The envelope the limits come from, when one was learned (null: physics limits).</summary>
    public ToolEnvelope? Envelope => _envelope;
    /// <summary>Wear read from the stream before this part (previous parts), µm above the model's.</summary>
    public double StreamWearStartUm { get; init; }
    /// <summary>Wear the stream shows above the model's, µm (previous parts, then this part's measured/learned ratio as it is cut).</summary>
    public double StreamWearUm { get; private set; }
    /// <summary>Measured spindle energy of this part, J: streamed power integrated over time, or load % × available power where only load is streamed.</summary>
    public double MeasuredEnergyJ { get; private set; }
    /// <summary>"power" (streamed), "load" (load % × available power), or "" (neither streamed).</summary>
    public string EnergySource { get; private set; } = "";

    public TwinMonitor(Prediction prediction, MonitorOptions? options = null, ToolEnvelope? envelope = null)
    {
        _p = prediction; _o = options ?? new MonitorOptions();
        // An envelope counts once it holds the parts the teach-in asks for.
        _envelope = envelope is { } e && e.Parts >= Math.Max(1, _o.LearnParts) ? e : null;
    }

    /// <summary>Samples that carried an impossible value: recorded, never aligned, averaged or alarmed on.</summary>
    public long InvalidSamples { get; private set; }
    /// <summary>Of those, samples naming a line the program does not have.</summary>
    public long UnknownLineSamples { get; private set; }
    /// <summary>The noise floor now, points of %: the smallest cutting share told apart from spinning in air.</summary>
    public double NoiseFloorPct { get; private set; } = double.NaN;
    /// <summary>σ of the raw idle load at the last speed (points of %), NaN before any idle.</summary>
    public double IdleNoisePct { get; private set; } = double.NaN;
    /// <summary>Per line: cutting time and the part of it not monitorable (expected share under the noise floor), s.</summary>
    public IReadOnlyDictionary<int, (double CuttingS, double NotMonitorableS)> CuttingTime => _cutting;

    private static int SpeedBucket(double rpm) => (int)Math.Round(Math.Log(Math.Max(1, rpm)) / Math.Log(1.05));

    public AlignedSample Process(TelemetrySample s)
    {
        Samples++;
        if (!s.IsInvalid && s.Line is int ln && _p.LineCount > 0 && ln > _p.LineCount)
        {
            UnknownLineSamples++;
            s = s with { Invalid = $"line {ln} is not a line of the program ({_p.LineCount} lines)" };
        }
        if (s.IsInvalid)
        {
            InvalidSamples++;
            return new AlignedSample(s, -1, s.Line ?? 0, 0, double.NaN, double.NaN, s.SpindleLoadPct, double.NaN, s.SpindlePowerW, double.NaN, double.NaN, double.NaN, null);
        }
        _t0 ??= s.Time;
        double t = (s.Time - _t0.Value).TotalSeconds;
        double dt = Samples > 1 ? Math.Clamp(t - _prevT, 0, 5) : 0;
        _prevT = t;
        int move = -1; double sAlong = 0, dev = double.NaN, dsMm = 0;
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
                double pdt = (s.Time - prev.Time).TotalSeconds;
                dsMm = (pos - new Vec3(prev.X, prev.Y, prev.Z)).Length;
                double v = dsMm / pdt * 60;
                // Across a gap in the stream the machine may have stopped and gone on: that distance says nothing of the feed.
                if (pdt > MaxFeedGapS) { _feed = double.NaN; dsMm = 0; }
                else _feed = double.IsNaN(_feed) ? v : 0.5 * _feed + 0.5 * v;
            }
        }
        _prev = s;
        var m = move >= 0 ? _p.Moves[move] : null;
        double rpm = double.IsFinite(s.SpindleRpm) && s.SpindleRpm > 0 ? s.SpindleRpm : m?.Rpm ?? 0;
        double cutPower = m == null ? 0 : m.CuttingPowerW(sAlong, double.IsFinite(_feed) ? _feed : m.ProgrammedFeedMmPerMin, rpm);
        double cutLoad = rpm > 0 ? SpindleCapacity.LoadPct(_p.Spindle, rpm, cutPower) : 0;
        if (!double.IsFinite(cutLoad)) cutLoad = 0;
        MeasureEnergy(s, rpm, dt);

        // The spindle is at speed when it turns within 10 % of what the move commands and is not ramping: a spindle
        // accelerating draws its full rating, which is neither idle nor cutting.
        bool ramping = double.IsFinite(_prevRpm) && _prevRpm > 0 && Math.Abs(rpm - _prevRpm) > 0.02 * _prevRpm;
        // Comparable also needs the feed actually moved at (not known right after a gap in the stream).
        bool atSpeed = rpm > 0 && !ramping && (m == null || !(m.Rpm > 0) || Math.Abs(rpm - m.Rpm) <= 0.1 * m.Rpm) && (m == null || m.Rapid || double.IsFinite(_feed));
        _prevRpm = rpm;

        // Feed normalisation: the physics' cutting power at the programmed feed over that at the feed moved at. The
        // envelope stores measured shares times this, so parts run at different overrides learn one tunnel.
        double feedNorm = 1;
        if (m is { Rapid: false } && cutPower > 0)
        {
            double atProgrammed = m.CuttingPowerW(sAlong, m.ProgrammedFeedMmPerMin, rpm);
            if (atProgrammed > 0) feedNorm = Math.Clamp(atProgrammed / cutPower, 0.25, 4);
        }

        // Learned expectation at this place, if the envelope knows the section.
        int alignedLine = m?.Line ?? s.Line ?? 0;
        double along = m == null ? 0 : _p.LineOffsetMm(move) + sAlong;
        double learnedPct = double.NaN, learnedSd = 0;
        if (_envelope != null && m is { Rapid: false } && _envelope.Lines.TryGetValue(m.Line, out var le) && le.Bins.Length > 0)
        {
            int b = le.LengthMm > 0 ? Math.Clamp((int)(along / le.LengthMm * le.Bins.Length), 0, le.Bins.Length - 1) : 0;
            var bin = le.Bins[b];
            if (bin.MeasuredPct.N > 0)
            {
                // What the good parts measured at this place (learned as at the programmed feed: feedNorm above), back at
                // today's feed (override): the physics gives only the feed dependence, not the cut's shape.
                double scale = 1 / feedNorm;
                learnedPct = Math.Max(0, bin.MeasuredPct.Mean) * scale;
                learnedSd = bin.MeasuredPct.Sd * scale;
            }
        }
        bool learned = double.IsFinite(learnedPct);
        double expected = learned ? learnedPct : cutLoad;

        // Filter: the same first-order low pass on measured and expected load, so the limits compare like with like.
        double alpha = _o.SmoothingS > 0 ? 1 - Math.Exp(-dt / _o.SmoothingS) : 1;
        bool haveLoad = double.IsFinite(s.SpindleLoadPct);
        if (haveLoad) _smLoad = double.IsNaN(_smLoad) ? s.SpindleLoadPct : _smLoad + alpha * (s.SpindleLoadPct - _smLoad);
        _smExpected += alpha * (expected - _smExpected);

        // Idle and its noise: from samples where neither the physics nor the envelope expects cutting, spindle at speed.
        bool air = cutPower <= 0 && !(learnedPct > 0);
        _airForS = air && atSpeed ? _airForS + dt : 0;
        IdleStats? stats = null;
        if (rpm > 0)
        {
            int bucket = SpeedBucket(rpm);
            if (!_idleBySpeed.TryGetValue(bucket, out stats)) _idleBySpeed[bucket] = stats = new IdleStats();
        }
        if (air && atSpeed && haveLoad && stats != null)
        {
            stats.AddRaw(s.SpindleLoadPct); _idleAll.AddRaw(s.SpindleLoadPct);
            // The filtered signal counts once it has settled in air (3 time constants after a cut or a speed change).
            if (_airForS >= 3 * _o.SmoothingS) { stats.AddSmoothed(_smLoad); _idleAll.AddSmoothed(_smLoad); }
        }
        var use = stats is { RawCount: >= 20 } ? stats : _idleAll;
        // The idle level the filtered load is compared with: where the filtered signal sits in air (its median), once
        // measured; before that the raw 20th percentile.
        if (use.SmoothedCount >= 50) _lastIdle = use.SmoothedIdle;
        else if (use.RawCount > 0) _lastIdle = use.Idle;
        double idle = double.IsFinite(_lastIdle) ? _lastIdle : 0;
        IdleNoisePct = use.RawCount >= 20 ? use.RawSigma : IdleNoisePct;
        double floor = use.SmoothedCount >= 50 ? Math.Max(_o.MinNoiseFloorPct, _o.NoiseSigmas * use.SmoothedSigma) : _o.UnknownNoiseFloorPct;
        NoiseFloorPct = floor;

        double measuredShare = haveLoad ? s.SpindleLoadPct - idle : double.NaN;
        double smMeasured = _smLoad - idle;
        double predicted = cutLoad + (rpm > 0 ? idle : 0);
        double modelWear = m == null ? double.NaN : m.WearStartUm + (m.Path.LengthMm > 0 ? sAlong / m.Path.LengthMm : 1) * (m.WearEndUm - m.WearStartUm);

        // Sections: a section that has been left is checked against its learned wear limit.
        if (m != null && m.Line != _sectionLine)
        {
            CheckWear(_sectionLine, s.Time, t);
            _sectionLine = m.Line; _sectionStart = s.Time; _sectionStartS = t;
        }

        bool cutting = expected > 0 || cutLoad > 0;
        // Monitorable: the cut expected now and over the filter's memory both stand above the noise floor (a feed hold
        // mid-cut drops the expectation at once, not at the filter's pace).
        double monitorFloor = Math.Max(floor, _o.UnderloadMinPredictedPct);
        // The cut is the load above idle: until the spindle has been seen in air (a twin that joins mid-cut, a fleet
        // twin resumed on another computer), the share cannot be told and nothing is judged.
        bool idleKnown = use.RawCount >= MinIdleSamples;
        bool monitorable = atSpeed && haveLoad && idleKnown && _smExpected >= monitorFloor && expected >= monitorFloor;
        if (cutting && atSpeed && m != null)
        {
            var c = _cutting.GetValueOrDefault(m.Line);
            _cutting[m.Line] = (c.CuttingS + dt, c.NotMonitorableS + (monitorable ? 0 : dt));
        }
        if (m is { Rapid: false } && atSpeed && haveLoad)
            Part.Add(Part.Of(m.Line, m.Tool, _p.LineLengthMm(m.Line)), along, measuredShare, cutLoad, smMeasured, dsMm, monitorable, feedNorm);

        AlarmKind? alarm = null;
        if (haveLoad && atSpeed && idleKnown)
        {
            string msg = learned ? "learned from good parts" : "predicted";
            if (learned)
            {
                double width = Math.Max(_o.TunnelSigmas * learnedSd, _o.TunnelMinRelative * _smExpected);
                alarm ??= Track("extreme", AlarmKind.Overload, smMeasured > _smExpected * (1 + _o.ExtremeRelative) + Math.Max(floor, _o.OverloadMarginPct), _o.ExtremeHoldS, s.Time, t, alignedLine, s.SpindleLoadPct,
                    $"extreme limit: spindle load {s.SpindleLoadPct:0.#} % against {idle + _smExpected:0.#} % {msg}");
                alarm ??= Track("tunnel", AlarmKind.Overload, smMeasured > _smExpected + Math.Max(width, floor), _o.HoldS, s.Time, t, alignedLine, s.SpindleLoadPct,
                    $"spindle load {s.SpindleLoadPct:0.#} % above the tunnel of good parts ({idle + _smExpected:0.#} % ± {width:0.#})");
                alarm ??= Track("under", AlarmKind.Underload, monitorable ? smMeasured < _o.UndercutShare * _smExpected : null, _o.HoldS, s.Time, t, alignedLine, _smExpected,
                    $"spindle load near idle ({s.SpindleLoadPct:0.#} %) where good parts took {idle + _smExpected:0.#} %: broken or missing tool?");
            }
            else
            {
                double margin = Math.Max(Math.Max(_o.OverloadRelative * _smExpected, floor), _o.OverloadMarginPct);
                alarm ??= Track("over", AlarmKind.Overload, smMeasured - _smExpected > margin, _o.HoldS, s.Time, t, alignedLine, s.SpindleLoadPct,
                    $"spindle load {s.SpindleLoadPct:0.#} % against {idle + _smExpected:0.#} % {msg}");
                alarm ??= Track("under", AlarmKind.Underload, monitorable ? smMeasured < _o.UnderloadShare * _smExpected : null, _o.HoldS, s.Time, t, alignedLine, _smExpected,
                    $"spindle load near idle ({s.SpindleLoadPct:0.#} %) where the twin expects {idle + _smExpected:0.#} %: broken or missing tool?");
            }
            if (alarm == AlarmKind.Overload) _overloadLines.Add(alignedLine);
        }
        else
        {
            // Not comparable (spindle ramping or stopped): no load condition is running.
            foreach (var k in new[] { "extreme", "tunnel", "over" }) { _open.Remove(k); _lastT.Remove(k); }
            if (_open.ContainsKey("under")) _lastT["under"] = t;
        }
        if (!double.IsNaN(dev))
            alarm ??= Track("position", AlarmKind.Position, dev > _o.PositionToleranceMm, _o.HoldS, s.Time, t, alignedLine, dev,
                $"tool {dev:0.###} mm off the planned path");

        UpdateStreamWear();
        double wear = double.IsFinite(modelWear) ? modelWear + StreamWearUm : double.NaN;
        return new AlignedSample(s, move, alignedLine, sAlong, dev, _feed, s.SpindleLoadPct, predicted, s.SpindlePowerW, cutPower, idle, wear, alarm,
            haveLoad && atSpeed ? expected : double.NaN, floor, monitorable, !haveLoad || !atSpeed ? "" : learned ? "learned" : "physics");
    }

    /// <summary>The stream has ended: the section being cut gets its wear check too.</summary>
    public void Finish()
    {
        if (_prev is { } last && _t0 is { } t0) CheckWear(_sectionLine, last.Time, (last.Time - t0).TotalSeconds);
        _sectionLine = 0;
    }

    private void MeasureEnergy(TelemetrySample s, double rpm, double dt)
    {
        if (dt <= 0) return;
        if (double.IsFinite(s.SpindlePowerW) && s.SpindlePowerW >= 0) { MeasuredEnergyJ += s.SpindlePowerW * dt; EnergySource = "power"; }
        else if (double.IsFinite(s.SpindleLoadPct) && rpm > 0 && EnergySource != "power")
        {
            MeasuredEnergyJ += s.SpindleLoadPct / 100 * SpindleCapacity.PowerW(_p.Spindle, rpm) * dt;
            EnergySource = "load";
        }
    }

    /// <summary>TMAC's wear limit: the section's measured/predicted ratio against the good parts', once per section and part.</summary>
    private void CheckWear(int line, DateTimeOffset time, double t)
    {
        if (_envelope == null || line == 0 || !_wearChecked.Add(line)) return;
        if (!_envelope.Lines.TryGetValue(line, out var le) || le.Ratio.N == 0 || !(le.Ratio.Mean > 0)) return;
        if (!Part.Lines.TryGetValue(line, out var sec) || !(sec.PredictedSum > 0) || sec.Samples < 10) return;
        double ratio = sec.MeasuredSum / sec.PredictedSum / le.Ratio.Mean;
        double limit = 1 + Math.Max(_o.WearLimitRelative, 3 * le.Ratio.Sd / le.Ratio.Mean);
        if (ratio > limit && !_overloadLines.Contains(line))
            _alarms.Add(new TwinAlarm(line, AlarmKind.Wear, _sectionStart, time, _sectionStartS, t,
                $"cutting work {(ratio - 1) * 100:0} % above the good parts' on this section (wear limit +{(limit - 1) * 100:0} %): worn tool?", ratio));
    }

    /// <summary>Wear from the stream: the part's measured/predicted ratio against the learned parts' (power rises with flank wear).</summary>
    private void UpdateStreamWear()
    {
        // Until this part has cut enough to say, the gauge shows what the previous part showed.
        double w = StreamWearStartUm;
        if (_envelope is { PartRatio: { N: > 0, Mean: > 0 } pr } && Part.Ratio is double r && Part.PredictedSum > 50 * Math.Max(1, NoiseFloorPct))
            w = (r / pr.Mean - 1) / _o.PowerRisePerMmVb * 1000;
        StreamWearUm = Math.Max(0, w);
    }

    /// <summary>
    /// Opens an alarm when a condition holds longer than its hold time, closes it when it clears; returns its kind
    /// while active. A null condition (nothing to compare: the underload between cuts) pauses the episode: the hold
    /// counts only the time the condition could be seen, so a broken tool on short engagements is still caught.
    /// </summary>
    private AlarmKind? Track(string key, AlarmKind kind, bool? active, double holdS, DateTimeOffset time, double t, int line, double value, string message)
    {
        if (active == null)
        {
            // Paused: the time until the next comparable sample does not count.
            if (_open.ContainsKey(key)) _lastT[key] = t;
            return null;
        }
        if (active == true)
        {
            double dt = _lastT.TryGetValue(key, out var lt) ? Math.Max(0, t - lt) : 0;
            _lastT[key] = t;
            if (!_open.TryGetValue(key, out var o)) { _open[key] = (time, t, line, value); _held[key] = 0; return null; }
            _open[key] = o with { Peak = Math.Max(o.Peak, value) };
            double held = _held[key] += dt;
            if (held >= holdS - 1e-9)
            {
                // Raise (or extend) the alarm for this episode.
                var existing = _alarms.Count > 0 ? _alarms.FindLastIndex(a => a.Kind == kind && a.Start == o.Start && a.Line == o.Line) : -1;
                var a = new TwinAlarm(o.Line, kind, o.Start, time, o.StartS, t, message, Math.Max(o.Peak, value));
                // The message says the worst moment of the episode, not its last sample.
                if (existing >= 0 && value < _alarms[existing].Peak) a = a with { Message = _alarms[existing].Message };
                if (existing >= 0) _alarms[existing] = a; else _alarms.Add(a);
                return kind;
            }
            return null;
        }
        _open.Remove(key);
        _lastT.Remove(key);
        return null;
    }
}
