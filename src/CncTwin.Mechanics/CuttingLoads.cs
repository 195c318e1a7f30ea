using System.Globalization;
using System.Text.Json;
using CncTwin.Core;
using CncTwin.Mechanics.Stability;
using CncTwin.Motion;
using CncTwin.Removal;

namespace CncTwin.Mechanics;

/// <summary>What the cutting-mechanics stage needs besides the moves: work material, spindle drive, optional tool-tip dynamics.</summary>
public sealed record CuttingLoadOptions
{
    public required CuttingCoefficients Coefficients { get; init; }
    public string MaterialName { get; init; } = "custom";
    public required SpindleModel Spindle { get; init; }
    /// <summary>Tool-tip modal parameters (machine X/Y); null: no chatter check.</summary>
    public ToolDynamics? Dynamics { get; init; }
    /// <summary>zoa or sdm.</summary>
    public ChatterMethod ChatterMethod { get; init; } = ChatterMethod.Sdm;
    public int StepsPerPitch { get; init; } = ForceSignature.DefaultStepsPerPitch;
}

/// <summary>
/// The loads of one planned move: a force signature per engagement probe (the same probes as the removal
/// stage), and the move's worst figures at its cruise feed. Forces in the feed frame inside signatures; the
/// timeline rotates them into machine X/Y.
/// </summary>
public sealed class MoveLoads
{
    public required MoveRemoval Removal { get; init; }
    public required ICutter Cutter { get; init; }
    public required ForceSignature[] Probes { get; init; }
    public required double[] ComplianceMmPerN { get; init; }
    public double Rpm { get; init; }
    /// <summary>Feed per tooth at the highest speed the planner reaches on this move, mm.</summary>
    public double FeedPerToothMm { get; init; }
    public double MaxForceN { get; init; }
    public double MaxTorqueNm { get; init; }
    public double MaxPowerW { get; init; }
    public double MaxLoadPct { get; init; }
    public double MaxDeflectionMm { get; init; }
    /// <summary>Surface-location error of largest magnitude, signed (+ leaves material), mm.</summary>
    public double SleMm { get; init; }
    public double MaxChipMm { get; init; }
    /// <summary>Limiting stable axial depth at this move's speed and immersion, mm (NaN: no dynamics or not cutting).</summary>
    public double AlimMm { get; init; } = double.NaN;
    public bool Chatter { get; init; }
    public bool Cutting => MaxForceN > 0;

    public ForceSignature ProbeAt(double s) => Probes.Length == 0 ? ForceSignature.None
        : Probes[Math.Clamp((int)Math.Round(s / Removal.ProbeStepMm), 0, Probes.Length - 1)];
}

/// <summary>
/// The cutting-mechanics stage of the pipeline: consumes each move's removal result (engagement from the voxel
/// stock) and gives forces, torque, spindle power and load, tool deflection, surface-location error and the
/// chatter check. Signatures are cached by engagement, so steady cutting costs one integration per distinct
/// engagement; stability limits are cached per tool, speed, immersion (in 11.25° steps, widened so the check
/// errs on the safe side) and feed axis.
/// </summary>
public sealed class CuttingLoadSimulator : CncTwin.Core.IO.ISummaryContributor
{
    private readonly CuttingLoadOptions _opt;
    private readonly Dictionary<SignatureKey, ForceSignature> _signatures = new();
    private readonly Dictionary<(int Tool, double Rpm, int Entry, int Exit, bool Swap), double> _alim = new();
    private readonly HashSet<int> _spindleOffLines = new();
    private readonly List<(int Line, double Rpm, double AxialDepthMm, double AlimMm)> _chatter = new();
    private readonly HashSet<int> _chatterLines = new();
    private readonly List<(int Line, double LoadPct)> _overloads = new();
    private readonly HashSet<int> _overloadLines = new();
    public Action<string>? Warn { get; set; }

    public double MaxForceN { get; private set; }
    public double MaxTorqueNm { get; private set; }
    public double MaxPowerW { get; private set; }
    public double MaxLoadPct { get; private set; }
    public double MaxDeflectionMm { get; private set; }
    public double MaxSleMm { get; private set; }
    public double MaxChipMm { get; private set; }
    public int MaxForceLine { get; private set; }
    public int MaxLoadLine { get; private set; }
    public long SignaturesComputed { get; private set; }
    /// <summary>Engaged milling probes seen (each needs a signature, computed or from the cache).</summary>
    public long ProbesEngaged { get; private set; }
    public CuttingLoadOptions Options => _opt;

    public CuttingLoadSimulator(CuttingLoadOptions options)
    {
        _opt = options;
        if (!(options.Coefficients.Ktc > 0)) throw new ArgumentException("the tangential cutting coefficient ktc must be positive");
    }

    public MoveLoads Process(MoveRemoval r, ICutter cutter)
    {
        var move = r.Move;
        double rpm = Math.Abs(move.Move.SpindleRpm);
        bool cuts = move.Move.Kind != MotionKind.Rapid && r.RemovedMm3 > 0;
        if (!cuts || r.Probes.Count == 0)
            return new MoveLoads { Removal = r, Cutter = cutter, Probes = [], ComplianceMmPerN = [], Rpm = rpm };
        if (!(rpm > 0))
        {
            if (_spindleOffLines.Add(move.Source.Line))
                Warn?.Invoke($"line {move.Source.Line}: the tool removes material with the spindle stopped (no forces computed; the real tool would break)");
            return new MoveLoads { Removal = r, Cutter = cutter, Probes = [], ComplianceMmPerN = [], Rpm = 0 };
        }
        var sigs = new ForceSignature[r.Probes.Count];
        if (r.Plunge)
        {
            var e = r.Probes[0];
            double rOut = cutter.RadiusMm, rIn = PlungeInnerRadius(cutter.Profile, e.AreaMm2 * e.AxialDepthMm, e.AxialDepthMm);
            var sig = ForceSignature.Axial(cutter.Profile, cutter.Flutes, _opt.Coefficients, rIn, rOut, e.AxialDepthMm);
            for (int i = 0; i < sigs.Length; i++) sigs[i] = sig;
        }
        else
        {
            var missing = new List<(int Index, SignatureKey Key)>();
            for (int i = 0; i < sigs.Length; i++)
            {
                var e = r.Probes[i];
                if (!e.Engaged || e.Masks.Length == 0) { sigs[i] = ForceSignature.None; continue; }
                ProbesEngaged++;
                var key = SignatureKey.Of(move.Move.Tool, e);
                if (_signatures.TryGetValue(key, out var hit)) { sigs[i] = hit; continue; }
                missing.Add((i, key));
            }
            // Probes of a move often repeat the same engagement: compute each distinct one once, in parallel.
            var distinct = missing.GroupBy(m => m.Key, m => m.Index).ToList();
            var computed = new ForceSignature[distinct.Count];
            Parallel.For(0, distinct.Count, new ParallelOptions { MaxDegreeOfParallelism = distinct.Count > 4 ? -1 : 1 },
                g => computed[g] = Signature(cutter, r.Probes[distinct[g].First()]));
            SignaturesComputed += distinct.Count;
            // Bounded memory on endless adaptive paths: a signature is ~4 KB, so at most ~80 MB of cache.
            if (_signatures.Count > 20_000) _signatures.Clear();
            for (int g = 0; g < distinct.Count; g++)
            {
                _signatures[distinct[g].Key] = computed[g];
                foreach (int i in distinct[g]) sigs[i] = computed[g];
            }
        }

        double speed = Math.Min(move.Move.FeedMmPerMin / 60, move.Profile.PeakMmPerS);
        if (!(speed > 0)) speed = move.Profile.PeakMmPerS;
        double fz = speed * 60 / (cutter.Flutes * rpm);
        var compliance = new double[sigs.Length];
        double force = 0, torque = 0, power = 0, deflection = 0, sle = 0, chip = 0;
        ForceSignature? last = null; double lastC = 0;
        for (int i = 0; i < sigs.Length; i++)
        {
            var sig = sigs[i];
            if (!sig.Engaged) continue;
            if (!ReferenceEquals(sig, last)) { last = sig; lastC = ToolDeflection.ComplianceMmPerN(cutter, sig.LoadHeightMm); }
            compliance[i] = lastC;
            var f = sig.Evaluate(fz, rpm);
            force = Math.Max(force, f.ResultantMaxN);
            torque = Math.Max(torque, f.TorqueMeanNm);
            power = Math.Max(power, f.PowerMeanW);
            deflection = Math.Max(deflection, f.FxyMaxN * lastC);
            double e = sig.SurfaceLocationErrorMm(fz, lastC);
            if (Math.Abs(e) > Math.Abs(sle)) sle = e;
            chip = Math.Max(chip, fz * sig.ChipFactor);
        }
        double load = SpindleCapacity.LoadPct(_opt.Spindle, rpm, power);
        double alim = double.NaN;
        bool chatter = false;
        if (_opt.Dynamics != null && !r.Plunge && r.Peak.Engaged && force > 0)
        {
            alim = Alim(move, cutter, rpm, r.Peak);
            chatter = r.Peak.AxialDepthMm > alim;
            if (chatter && _chatterLines.Add(move.Source.Line)) _chatter.Add((move.Source.Line, rpm, r.Peak.AxialDepthMm, alim));
        }
        if (force > MaxForceN) { MaxForceN = force; MaxForceLine = move.Source.Line; }
        MaxTorqueNm = Math.Max(MaxTorqueNm, torque);
        MaxPowerW = Math.Max(MaxPowerW, power);
        if (load > MaxLoadPct) { MaxLoadPct = load; MaxLoadLine = move.Source.Line; }
        if (load > 100 && _overloadLines.Add(move.Source.Line)) _overloads.Add((move.Source.Line, load));
        MaxDeflectionMm = Math.Max(MaxDeflectionMm, deflection);
        if (Math.Abs(sle) > Math.Abs(MaxSleMm)) MaxSleMm = sle;
        MaxChipMm = Math.Max(MaxChipMm, chip);
        return new MoveLoads
        {
            Removal = r, Cutter = cutter, Probes = sigs, ComplianceMmPerN = compliance, Rpm = rpm, FeedPerToothMm = fz,
            MaxForceN = force, MaxTorqueNm = torque, MaxPowerW = power, MaxLoadPct = load, MaxDeflectionMm = deflection, SleMm = sle, MaxChipMm = chip,
            AlimMm = alim, Chatter = chatter,
        };
    }

    /// <summary>
    /// Inner radius of the material a plunge cut, taking it as an annulus (solid when 0, a pilot hole or an
    /// earlier, smaller plunge otherwise): the r at which the volume the profile sweeps from r to R over the
    /// depth fed, ∫(d − h(r))⁺·2πr dr, equals what was removed. Accounts for the point of a drill, whose
    /// cone removes less than a full cylinder.
    /// </summary>
    public static double PlungeInnerRadius(ICutterProfile profile, double removedMm3, double depthMm)
    {
        double R = profile.RadiusMm;
        double Swept(double rIn)
        {
            const int n = 200;
            double v = 0, dr = (R - rIn) / n;
            for (int i = 0; i < n; i++)
            {
                double r = rIn + (i + 0.5) * dr;
                v += Math.Max(0, depthMm - profile.HeightAt(r)) * 2 * Math.PI * r * dr;
            }
            return v;
        }
        if (removedMm3 >= Swept(0)) return 0;
        double lo = 0, hi = R;
        for (int i = 0; i < 40; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Swept(mid) > removedMm3) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>The force signature of one milling engagement map (its slices are the voxel layers it was probed on).</summary>
    public ForceSignature Signature(ICutter cutter, EngagementMap e)
    {
        int count = e.Masks.Length;
        while (count > 0 && e.Masks[count - 1] == 0) count--;
        if (count == 0) return ForceSignature.None;
        var edge = EdgeSlices.FromProfile(cutter.Profile, cutter.Flutes, cutter.HelixDeg, e.FirstSliceHeightMm - 0.5 * e.SliceMm, e.SliceMm, count);
        return ForceSignature.Milling(edge, _opt.Coefficients, new MaskEngagement(e.Masks), _opt.StepsPerPitch);
    }

    private double Alim(PlannedMove move, ICutter cutter, double rpm, EngagementMap peak)
    {
        // Immersion widened to 4-bin (11.25°) steps: a wider cut is never more stable, so the check stays conservative.
        const double group = 4 * 180.0 / EngagementProbe.AngleBins;
        int entry = (int)Math.Floor(peak.EntryDeg / group + 1e-9), exit = (int)Math.Ceiling(peak.ExitDeg / group - 1e-9);
        if (exit <= entry) exit = entry + 1;
        var d = move.Path.TangentAt(0.5 * move.Path.LengthMm);
        // Modes are given along machine X and Y; a move fed mainly along Y sees them swapped in its feed frame
        // (exact for axis-parallel feeds, and for any feed when X and Y are alike).
        bool swap = Math.Abs(d.Y) > Math.Abs(d.X);
        var key = (move.Move.Tool, Math.Round(rpm, 1), entry, exit, swap);
        if (_alim.TryGetValue(key, out double a)) return a;
        var dyn = swap ? new ToolDynamics(_opt.Dynamics!.Y, _opt.Dynamics.X) : _opt.Dynamics!;
        var process = new CuttingProcess(cutter.Flutes, _opt.Coefficients.Ktc * 1e6, _opt.Coefficients.Krc * 1e6, entry * group * Math.PI / 180, Math.Min(180, exit * group) * Math.PI / 180);
        a = StabilityChart.LimitingDepthAt(_opt.ChatterMethod, dyn, process, rpm);
        _alim[key] = a;
        return a;
    }

    /// <summary>Columns this stage adds to timeline.csv.</summary>
    public static readonly IReadOnlyList<(string Name, string Format)> TimelineColumns =
    [
        ("fx_n", "0.#"), ("fy_n", "0.#"), ("fz_n", "0.#"), ("force_n", "0.#"), ("torque_nm", "0.###"), ("spindle_power_w", "0.#"),
        ("spindle_load_pct", "0.##"), ("deflection_mm", "0.#####"), ("sle_mm", "0.#####"), ("chip_thickness_mm", "0.#####"), ("chatter", "0"),
    ];

    /// <summary>
    /// Loads at a timeline sample: mean forces over a tooth period rotated into machine X/Y (Fz along the tool
    /// axis), the peak resultant (force_n), mean torque, cutting power, spindle load, peak static deflection,
    /// surface-location error and the largest chip, at the feed the machine actually moves at there.
    /// </summary>
    public void Fill(MoveLoads? current, in TimelineSample sample, Span<double> values)
    {
        values.Clear();
        if (current == null || !current.Cutting) return;
        var m = current.Removal.Move;
        var (s, speed) = m.Profile.At(sample.TimeS - m.StartS);
        var sig = current.ProbeAt(s);
        if (!sig.Engaged) return;
        double fz = speed * 60 / (current.Cutter.Flutes * current.Rpm);
        var f = sig.Evaluate(fz, current.Rpm);
        var t = m.Path.TangentAt(s);
        double hl = Math.Sqrt(t.X * t.X + t.Y * t.Y);
        double dx = hl > 1e-9 ? t.X / hl : 1, dy = hl > 1e-9 ? t.Y / hl : 0;
        // Feed frame → machine: x along (dx, dy), y along the left normal (−dy, dx).
        values[0] = f.FxMeanN * dx - f.FyMeanN * dy;
        values[1] = f.FxMeanN * dy + f.FyMeanN * dx;
        values[2] = f.FzMeanN;
        values[3] = f.ResultantMaxN;
        values[4] = f.TorqueMeanNm;
        values[5] = f.PowerMeanW;
        values[6] = SpindleCapacity.LoadPct(_opt.Spindle, current.Rpm, f.PowerMeanW);
        double c = ToolDeflection.ComplianceMmPerN(current.Cutter, sig.LoadHeightMm);
        values[7] = f.FxyMaxN * c;
        values[8] = sig.SurfaceLocationErrorMm(fz, c);
        values[9] = fz * sig.ChipFactor;
        values[10] = current.Chatter ? 1 : 0;
    }

    /// <summary>Columns this stage adds to moves.csv (values at the move's cruise feed).</summary>
    public static readonly IReadOnlyList<(string Name, string Format)> MoveColumns =
    [
        ("rpm", "0.#"), ("feed_per_tooth_mm", "0.#####"), ("chip_thickness_mm", "0.#####"), ("force_max_n", "0.#"), ("torque_nm", "0.###"),
        ("spindle_power_w", "0.#"), ("spindle_load_pct", "0.##"), ("deflection_mm", "0.#####"), ("sle_mm", "0.#####"), ("alim_mm", "0.###"), ("chatter", "0"),
    ];

    public static void FillMove(MoveLoads l, Span<double> values)
    {
        values[0] = l.Rpm; values[1] = l.Cutting ? l.FeedPerToothMm : double.NaN; values[2] = l.MaxChipMm; values[3] = l.MaxForceN; values[4] = l.MaxTorqueNm;
        values[5] = l.MaxPowerW; values[6] = l.Cutting ? l.MaxLoadPct : 0; values[7] = l.MaxDeflectionMm; values[8] = l.SleMm;
        values[9] = double.IsFinite(l.AlimMm) ? l.AlimMm : double.NaN; values[10] = l.Chatter ? 1 : 0;
    }

    public void WriteSummary(Utf8JsonWriter w)
    {
        w.WriteString("material", _opt.MaterialName);
        w.WriteString("cutting_coefficients", _opt.Coefficients.ToString());
        w.WriteNumber("max_force_n", Math.Round(MaxForceN, 3));
        w.WriteNumber("max_force_line", MaxForceLine);
        w.WriteNumber("max_torque_nm", Math.Round(MaxTorqueNm, 4));
        w.WriteNumber("max_spindle_power_w", Math.Round(MaxPowerW, 2));
        if (double.IsFinite(MaxLoadPct)) w.WriteNumber("max_spindle_load_pct", Math.Round(MaxLoadPct, 3)); else w.WriteNull("max_spindle_load_pct");
        w.WriteNumber("max_spindle_load_line", MaxLoadLine);
        w.WriteNumber("max_deflection_mm", Math.Round(MaxDeflectionMm, 6));
        w.WriteNumber("max_surface_location_error_mm", Math.Round(MaxSleMm, 6));
        w.WriteNumber("max_chip_thickness_mm", Math.Round(MaxChipMm, 6));
        w.WriteStartArray("spindle_overloads");
        foreach (var (line, pct) in _overloads)
        {
            w.WriteStartObject(); w.WriteNumber("line", line); w.WriteNumber("load_pct", Math.Round(pct, 2)); w.WriteEndObject();
        }
        w.WriteEndArray();
        if (_opt.Dynamics == null) { w.WriteNull("chatter"); w.WriteNull("chatter_method"); }
        else
        {
            w.WriteString("chatter_method", _opt.ChatterMethod.WireName());
            w.WriteStartArray("chatter");
            foreach (var (line, rpm, ap, alim) in _chatter)
            {
                w.WriteStartObject();
                w.WriteNumber("line", line); w.WriteNumber("rpm", rpm); w.WriteNumber("axial_depth_mm", Math.Round(ap, 4)); w.WriteNumber("alim_mm", Math.Round(alim, 4));
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteNumber("chatter_moves", _chatterLines.Count);
        w.WriteNumber("engaged_probes", ProbesEngaged);
        w.WriteNumber("force_signatures_computed", SignaturesComputed);
    }

    public IReadOnlyList<(int Line, double Rpm, double AxialDepthMm, double AlimMm)> ChatterLines => _chatter;
    public IReadOnlyList<(int Line, double LoadPct)> Overloads => _overloads;

    /// <summary>Cache key of a signature: tool, slice placement and the engagement bits.</summary>
    private sealed class SignatureKey : IEquatable<SignatureKey>
    {
        private readonly int _tool;
        private readonly long _firstUm;
        private readonly ulong[] _masks;
        private readonly int _used;
        private readonly int _hash;
        private SignatureKey(int tool, long firstUm, ulong[] masks)
        {
            _tool = tool; _firstUm = firstUm; _masks = masks;
            // Trailing empty slices (layers above the material) do not change the signature: a deep wall beside the
            // cutter no longer makes every probe's key 150 words long and unequal to its neighbour's.
            int used = masks.Length;
            while (used > 0 && masks[used - 1] == 0) used--;
            _used = used;
            var h = new HashCode();
            h.Add(tool); h.Add(firstUm);
            for (int i = 0; i < used; i++) h.Add(masks[i]);
            _hash = h.ToHashCode();
        }
        public static SignatureKey Of(int tool, EngagementMap e) => new(tool, (long)Math.Round(e.FirstSliceHeightMm * 1e4), e.Masks);
        public bool Equals(SignatureKey? o) => o != null && o._hash == _hash && o._tool == _tool && o._firstUm == _firstUm
            && o._masks.AsSpan(0, o._used).SequenceEqual(_masks.AsSpan(0, _used));
        public override bool Equals(object? obj) => Equals(obj as SignatureKey);
        public override int GetHashCode() => _hash;
    }
}
