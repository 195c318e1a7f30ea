using System.Globalization;
using CncTwin.Core;
using CncTwin.Core.IO;
using CncTwin.Mechanics;
using CncTwin.Mechanics.Stability;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Report;
using CncTwin.Wear;

namespace CncTwin.Simulation;

/// <summary>report.html: gathers what the run computes into the report's data as it streams by, then writes the page.</summary>
public sealed class ReportSink(string path) : ISimulationSink
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private ReportData _d = new() { ProgramPath = "", Machine = "" };
    private MachineProfile _machine = MachineProfile.DefaultVmc;
    private int _mrr, _force, _power, _load, _wear;
    /// <summary>The report meshes its own coarse stock: it can be written while the full meshes are.</summary>
    public bool CompletesAlongside => true;

    public void Begin(SimulationResult run)
    {
        // A report of an earlier run must not pass for this one while it runs (or if it is stopped).
        if (File.Exists(path)) File.Delete(path);
        _machine = run.Context.Machine;
        _d = new ReportData { ProgramPath = run.Context.ProgramPath, Machine = _machine.Name };
        var t = run.TimelineLayout;
        _mrr = t.Require(TimelineChannels.MrrMm3PerS); _force = t.Require(TimelineChannels.ForceN); _power = t.Require(TimelineChannels.SpindlePowerW);
        _load = t.Require(TimelineChannels.SpindleLoadPct); _wear = t.Require(TimelineChannels.ToolWearUm);
    }

    public void OnMove(MoveResult move, ReadOnlySpan<double> values) { if (move.Loads is { } l) AddMove(move.Planned, l); }

    public void OnSample(in TimelineSample sample, ReadOnlySpan<double> values) => AddSample(sample, values[_mrr], values[_force], values[_power], values[_load], values[_wear]);

    public void Complete(SimulationResult r) => r.Times.Time(Stages.Report, () => Finish(path, r.Plan, r.Removal, r.Loads, r.Wear, r.Stock, r.Travel.Found));

    /// <summary>After a program error: the report of what ran before it, the error first among the problem lines.</summary>
    public void Fail(SimulationResult r) => r.Times.Time(Stages.Report, () =>
    {
        if (r.Error is { } e)
        {
            _d.Summary.Add(("stopped", $"at line {e.Line}: {e.Message} (the figures cover the program up to that line)", true));
            _d.Problems.Add((e.Line, "error", e.Message));
        }
        Finish(path, r.Plan, r.Removal, r.Loads, r.Wear, r.Stock, r.Travel.Found);
    });
    private readonly List<(double Rpm, double DepthMm, bool Chatter)> _operating = new();
    private MoveLoads? _worst;

    private void AddMove(PlannedMove m, MoveLoads l)
    {
        bool rapid = m.Move.Kind == MotionKind.Rapid;
        double load = double.IsFinite(l.MaxLoadPct) ? l.MaxLoadPct / 100 : 0;
        int n = m.Path is LinePath ? 1 : Math.Clamp((int)(m.Path.LengthMm / 1.0), 4, 64);
        if (_d.PathTimeS.Count == 0) { var p0 = m.Path.Start; _d.AddPathPoint(p0.X, p0.Y, p0.Z, load, rapid, m.StartS); }
        for (int k = 1; k <= n; k++)
        {
            var p = m.Path.PointAt(m.Path.LengthMm * k / n);
            _d.AddPathPoint(p.X, p.Y, p.Z, load, rapid, m.StartS + m.DurationS * k / n);
        }
        int line = m.Source.Line;
        var e = _d.PerLine.TryGetValue(line, out var v) ? v : (0, 0, 0);
        _d.PerLine[line] = (Math.Max(e.MaxLoadPct, double.IsFinite(l.MaxLoadPct) ? l.MaxLoadPct : 0), Math.Max(e.MaxForceN, l.MaxForceN), e.Seconds + m.DurationS);
        if (l.Cutting && !l.Removal.Plunge) _operating.Add((l.Rpm, l.Removal.Peak.AxialDepthMm, l.Chatter));
        if (l.Cutting && (_worst == null || l.MaxForceN > _worst.MaxForceN)) _worst = l;
    }

    private void AddSample(in TimelineSample s, double mrr, double force, double power, double load, double wear)
    {
        Span<double> v = [s.FeedMmPerMin, s.ProgrammedFeedMmPerMin, mrr, force, power, load, wear];
        _d.Timeline.Add(s.TimeS, v);
    }

    private void Finish(string path, PlanSummary plan, MaterialRemovalSimulator sim, CuttingLoadSimulator loads, ToolWearSimulator wear, VoxelStock stock, IReadOnlyList<TravelExceeded>? travel = null)
    {
        string Clock(double sec) => TimeSpan.FromSeconds(sec).ToString(sec >= 3600 ? @"h\:mm\:ss" : @"m\:ss\.f", Inv);
        _d.SpindleRatedPowerW = _machine.Spindle.RatedPowerW > 0 ? _machine.Spindle.RatedPowerW : double.NaN;
        _d.Summary.Add(("cycle time", $"{Clock(plan.CycleTimeS)} ({plan.CycleTimeS.ToString("0.###", Inv)} s)", false));
        _d.Summary.Add(("material", loads.Options.MaterialName, false));
        _d.Summary.Add(("removed / final stock", string.Create(Inv, $"{sim.RemovedMm3:N0} mm³ / {sim.FinalVolumeMm3:N0} mm³"), false));
        _d.Summary.Add(("crashes", sim.Collisions.Count == 0 ? "none" : $"{sim.Collisions.Count} (see problem lines)", sim.Collisions.Count > 0));
        _d.Summary.Add(("max force", string.Create(Inv, $"{loads.MaxForceN:0} N at line {loads.MaxForceLine}"), false));
        _d.Summary.Add(("max spindle power / load", string.Create(Inv, $"{loads.MaxPowerW:0} W / {loads.MaxLoadPct:0.#} % at line {loads.MaxLoadLine}"), loads.MaxLoadPct > 100));
        _d.Summary.Add(("max deflection / surface error", string.Create(Inv, $"{loads.MaxDeflectionMm:0.0000} mm / {loads.MaxSleMm:0.0000} mm"), false));
        _d.Summary.Add(("chatter", loads.Options.Dynamics == null ? "not checked (no tool dynamics given)" : loads.ChatterLines.Count == 0 ? "stable" : $"{loads.ChatterLines.Count} lines", loads.ChatterLines.Count > 0));
        foreach (int t in wear.Tools.Order())
        {
            double life = wear.RemainingLifeMin(t), parts = wear.RemainingParts(t);
            var (lo, hi) = wear.WearBandUm(t);
            _d.Summary.Add(($"tool {t} wear / remaining life", string.Create(Inv, $"VB {wear.WearUm(t):0.0} µm (90 %: {lo:0.0}–{hi:0.0}) / {(double.IsFinite(life) ? life.ToString("0.0", Inv) + " min" : "∞")}, {(double.IsFinite(parts) ? Math.Floor(parts).ToString("#,0", Inv) : "∞")} more parts"), wear.WearUm(t) >= wear.VbLimitUm));
        }
        foreach (var c in sim.Collisions) _d.Problems.Add((c.Line, c.Kind.WireName(), c.Message));
        foreach (var t in travel ?? []) _d.Problems.Add((t.Source.Line, "over-travel", t.Message));
        foreach (var (line, rpm, ap, alim) in loads.ChatterLines) _d.Problems.Add((line, "chatter", string.Create(Inv, $"axial depth {ap:0.###} mm above the stability limit {alim:0.###} mm at {rpm:0} rpm")));
        foreach (var (line, pct) in loads.Overloads) _d.Problems.Add((line, "overload", string.Create(Inv, $"spindle load {pct:0.#} % of what the drive gives at this speed")));
        // Lobes of the heaviest cut, with every cutting move as an operating point.
        if (loads.Options.Dynamics is { } dyn && _worst != null && _operating.Count > 0)
        {
            try
            {
                var peak = _worst.Removal.Peak;
                var process = new CuttingProcess(_worst.Cutter.Flutes, loads.Options.Coefficients.Ktc * 1e6, loads.Options.Coefficients.Krc * 1e6, peak.EntryDeg * Math.PI / 180, Math.Max(peak.ExitDeg, peak.EntryDeg + 1) * Math.PI / 180);
                double lo = Math.Max(100, _operating.Min(o => o.Rpm) * 0.5), hi = Math.Max(lo * 2, _operating.Max(o => o.Rpm) * 1.5);
                var rpms = Enumerable.Range(0, 400).Select(i => lo + (hi - lo) * i / 399.0).ToArray();
                var chart = StabilityChart.Compute(ChatterMethod.Zoa, dyn, process, rpms);
                var pts = _operating.Distinct().Take(2000).ToList();
                _d.LobesSvg = LobeSvg.Render(chart.Points, $"ZOA lobes at the heaviest cut's immersion ({peak.EntryDeg:0}–{peak.ExitDeg:0}°)", pts.Select(o => (o.Rpm, o.DepthMm, o.Chatter)).ToList());
            }
            catch (ArgumentException) { }
        }
        // A coarse stock mesh keeps the report small (a few MB at most).
        string tmp = Path.Combine(Path.GetTempPath(), $"cnctwin-report-{Guid.NewGuid():N}.glb");
        try
        {
            StockMesh.Write(stock, StockField.AutoFactor(stock, 40_000), null, tmp);
            _d.StockGlb = File.ReadAllBytes(tmp);
        }
        finally { try { File.Delete(tmp); } catch (IOException) { } }
        AtomicFile.Write(path, p => ReportWriter.Write(p, _d));
    }
}
