using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CncTwin.Core;
using CncTwin.Core.Streaming;
using CncTwin.GCode;
using CncTwin.Motion;
using CncTwin.Mechanics;
using CncTwin.Mechanics.Stability;
using CncTwin.Removal;
using CncTwin.Wear;
using Spectre.Console;

namespace CncTwin.Cli;

/// <summary>
/// <c>cnctwin simulate PROGRAM [--machine M.ini|M.json] [--tools T] [--out DIR] [--dt S]</c>: interprets the
/// program, plans its motion on the machine and writes DIR/summary.json and DIR/timeline.csv.
/// </summary>
internal static class SimulateCommand
{
    public const string DefaultOutDir = "out";

    public static Command Build()
    {
        var program = new Argument<string>("program") { Description = "G-code program (RS274/NGC or Fanuc dialect)" };
        var machine = new Option<string?>("--machine") { Description = "machine: a LinuxCNC INI (.ini) or a CncTwin machine profile (.json); default: a generic 3-axis VMC (see README)" };
        var tools = new Option<string?>("--tools") { Description = "tool library: CncTwin JSON (.json, cutter geometry) or LinuxCNC tool table (.tbl, flat cutters), mm; default: tools.json or tools.tbl beside the program" };
        var stock = new Option<string?>("--stock") { Description = "stock: box:xmin,ymin,zmin,xmax,ymax,zmax | cylinder:cx,cy,zmin,zmax,radius | FILE.stl (mm, machine coordinates); default: a block around the feed moves up to Z0" };
        var resolution = new Option<double>("--resolution") { Description = "voxel size, mm", DefaultValueFactory = _ => 0.2 };
        var device = new Option<string>("--device") { Description = "material removal on: auto (GPU if ILGPU finds CUDA, else CPU), cpu, gpu, ilgpu-cpu (the GPU kernels on ILGPU's CPU accelerator)", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong("auto", "cpu", "gpu", "ilgpu-cpu");
        var design = new Option<string?>("--design") { Description = "design part (STL): writes gouge and leftover maps of the final stock against it" };
        var start = new Option<string>("--home-z") { Description = "height of machine Z0 (where the program starts, and where G28/G53 Z0 go) above work Z0, mm: a number, zero (LinuxCNC's convention: machine = work coordinates), or auto: zero for a LinuxCNC INI machine, else the stock top + the longest tool + 25 mm", DefaultValueFactory = _ => "auto" };
        var meshResolution = new Option<double>("--mesh-resolution") { Description = "cell of stock.stl/stock.glb, mm (a multiple of --resolution); default: the voxel size, coarsened for stocks over 400k columns or 2M boundary cells", DefaultValueFactory = _ => 0 };
        var outDir = new Option<string>("--out") { Description = "output folder (created if missing)", DefaultValueFactory = _ => DefaultOutDir };
        var dt = new Option<double>("--dt") { Description = "time step of timeline.csv, s", DefaultValueFactory = _ => Timeline.DefaultStepS };
        var tool = new Option<int>("--tool") { Description = "tool in the spindle at program start", DefaultValueFactory = _ => 0 };
        var blockDelete = new Option<bool>("--block-delete") { Description = "block delete switch on: skip lines starting with '/'" };
        var quiet = new Option<bool>("--quiet") { Description = "no summary table on standard output" };
        var material = new Option<string?>("--material") { Description = $"work material from the library (cnctwin forces --list-materials); default {DefaultMaterial}" };
        var materials = new Option<string?>("--materials") { Description = "extra material library JSON (adds to / replaces built-in entries)" };
        var coefficients = new Option<string?>("--coefficients") { Description = "ktc=..,krc=..,kac=.. (N/mm²),kte=..,kre=..,kae=.. (N/mm) instead of --material" };
        var dynamics = new Option<string?>("--dynamics") { Description = "tool-tip modes JSON ({\"x\":[{\"fn_hz\":..,\"zeta\":..,\"k_n_per_m\":..}],\"y\":[...]}): flags moves deeper than the stability limit" };
        var spindlePower = new Option<double?>("--spindle-power-w") { Description = "the spindle's rated power, W (for machines whose file does not give it, e.g. a LinuxCNC INI)" };
        var vbLimit = new Option<double>("--vb-limit") { Description = "flank-wear end-of-life criterion VB, µm (ISO 8688-2: 300)", DefaultValueFactory = _ => 300 };
        var initialWear = new Option<string?>("--initial-wear") { Description = "flank wear the tools already have, µm: T=UM[,T=UM...] (default: new tools)" };
        var maxRows = new Option<long>("--max-timeline-rows") { Description = "timeline.csv stops after this many rows (the rest of the program is still simulated and summarised); 100 M rows at 1 ms is 28 h of machine time", DefaultValueFactory = _ => DefaultMaxTimelineRows };
        var chatterMethod = new Option<string>("--chatter-method") { Description = "stability limit per move by zoa or sdm", DefaultValueFactory = _ => "sdm" };
        chatterMethod.AcceptOnlyFromAmong("zoa", "sdm");
        var cmd = new Command("simulate", "Simulate a program on a machine: cycle time, the stock after every move, crashes, cutting forces, spindle load, deflection and chatter.")
        {
            program, machine, tools, outDir, dt, tool, blockDelete, quiet, stock, resolution, device, design, meshResolution, start, material, materials, coefficients, dynamics, chatterMethod, vbLimit, initialWear, spindlePower, maxRows,
        };
        cmd.SetAction(pr => Run(pr.GetValue(program)!, pr.GetValue(machine), pr.GetValue(tools), pr.GetValue(outDir)!, pr.GetValue(dt), pr.GetValue(tool), pr.GetValue(blockDelete), pr.GetValue(quiet),
            new RemovalArgs(pr.GetValue(stock), pr.GetValue(resolution), pr.GetValue(device)!, pr.GetValue(design), pr.GetValue(meshResolution), pr.GetValue(start)!),
            new MechanicsArgs(pr.GetValue(material), pr.GetValue(materials), pr.GetValue(coefficients), pr.GetValue(dynamics), pr.GetValue(chatterMethod)!, pr.GetValue(vbLimit), pr.GetValue(initialWear), pr.GetValue(spindlePower)),
            pr.GetValue(maxRows)));
        return cmd;
    }

    /// <summary>Work material when none is given: the most common one in job shops (and the bundled samples).</summary>
    public const string DefaultMaterial = "al6061";

    internal sealed record RemovalArgs(string? Stock, double ResolutionMm, string Device, string? Design, double MeshResolutionMm, string HomeZ = "auto");
    internal sealed record MechanicsArgs(string? Material, string? Materials, string? Coefficients, string? Dynamics, string ChatterMethod = "sdm", double VbLimitUm = 300, string? InitialWear = null,
        double? SpindlePowerW = null);

    /// <summary>Default cap on timeline.csv rows (about 6.5 GB): a program's own time can be absurd (a dwell of years).</summary>
    public const long DefaultMaxTimelineRows = 100_000_000;

    internal static int Run(string file, string? machinePath, string? toolsPath, string outDir, double dt, int initialTool, bool blockDelete, bool quiet, RemovalArgs? removal = null, MechanicsArgs? mechanics = null,
        long maxTimelineRows = DefaultMaxTimelineRows)
    {
        removal ??= new RemovalArgs(null, 0.2, "auto", null, 0);
        mechanics ??= new MechanicsArgs(null, null, null, null);
        if (!(removal.MeshResolutionMm >= 0) || !double.IsFinite(removal.MeshResolutionMm))
        {
            Console.Error.WriteLine("--mesh-resolution: error: must be a non-negative number of mm");
            return CliApp.ExitUsage;
        }
        if (removal.Design != null && !File.Exists(removal.Design)) { Console.Error.WriteLine($"{removal.Design}: error: file not found"); return CliApp.ExitUsage; }
        if (!(dt > 0) || !double.IsFinite(dt) || dt > 10)
        {
            Console.Error.WriteLine($"--dt {dt.ToString(CultureInfo.InvariantCulture)}: error: the time step must be in (0, 10] seconds");
            return CliApp.ExitUsage;
        }
        if (maxTimelineRows < 1)
        {
            Console.Error.WriteLine($"--max-timeline-rows {maxTimelineRows}: error: must be at least 1");
            return CliApp.ExitUsage;
        }
        int code = SimulationSetup.TryCreate(file, machinePath, toolsPath, initialTool, blockDelete, removal, mechanics, "simulate", out var setup);
        if (setup == null) return code;
        var machine = setup.Machine;
        var library = setup.Library;
        string summaryPath = Path.Combine(outDir, "summary.json"), timelinePath = Path.Combine(outDir, "timeline.csv");
        try
        {
            Directory.CreateDirectory(outDir);
            // A summary left from an earlier run must not pass for this one if this one fails.
            if (File.Exists(summaryPath)) File.Delete(summaryPath);

            VoxelStock stockModel;
            try { stockModel = setup.NewStock(); }
            catch (StockSpec.StockSpecException ex) { Console.Error.WriteLine(ex.Message); return CliApp.ExitUsage; }
            string stockDescription = setup.StockDescription;
            if (!setup.ResolveHomeZ(removal.HomeZ, machinePath, stockModel)) return CliApp.ExitUsage;
            MaterialRemovalSimulator sim;
            try { sim = new MaterialRemovalSimulator(stockModel, library, setup.Device); }
            catch (InvalidOperationException ex) { Console.Error.WriteLine(ex.Message); return CliApp.ExitUsage; }
            using var _sim = sim;
            var warnings = new List<string>();
            sim.Warn = w => { warnings.Add(w); Console.Error.WriteLine($"{file}: warning: {w}"); };
            var loads = new CuttingLoadSimulator(setup.LoadOptions) { Warn = sim.Warn };
            var report = new ReportBuilder(file, machine);
            ToolWearSimulator wear;
            try { wear = WearSetup.Create(setup, mechanics, sim.Warn); }
            catch (ArgumentException ex) { Console.Error.WriteLine($"simulate: error: {ex.Message}"); return CliApp.ExitUsage; }

            using var interp = setup.NewInterpreter();
            var toolpath = new ToolpathSummary();
            var plan = new PlanSummary();
            var planner = new MotionPlanner(machine);
            var travel = new TravelCheck(machine)
            {
                OnExceeded = t => Console.Error.WriteLine($"{t.Source}: warning: over-travel: {t.Message}" + (machinePath == null ? " (built-in machine; give --machine for yours)" : "")),
            };
            long rows;
            double timelineCutS = double.NaN;
            // Progress with an ETA on a terminal: the moves the removal stage has done out of all the program's
            // moves (counted by a quick interpretation pass first; the interpreter reads far ahead of the voxels).
            long totalMoves = Console.IsErrorRedirected ? 0 : CountMoves(setup);
            using (var progress = totalMoves > 2000 ? new ProgressDisplay(file, totalMoves, () => sim.Moves) : null)
            using (var stream = new FileStream(timelinePath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16))
            using (var writer = new TimelineCsvWriter(stream, RemovalColumns.Timeline.Concat(CuttingLoadSimulator.TimelineColumns).Concat(ToolWearSimulator.TimelineColumns).ToList()))
            using (var moves = new MovesCsvWriter(Path.Combine(outDir, "moves.csv"), CuttingLoadSimulator.MoveColumns.Concat(ToolWearSimulator.MoveColumns).ToList()))
            {
                MoveRemoval? current = null;
                MoveLoads? currentLoads = null;
                MoveWear? currentWear = null;
                int nLoadMove = CuttingLoadSimulator.MoveColumns.Count;
                var moveExtra = new double[nLoadMove + ToolWearSimulator.MoveColumns.Count];
                IEnumerable<PlanItem> Removal(IEnumerable<PlanItem> items)
                {
                    foreach (var item in items)
                    {
                        if (item is PlannedMove m)
                        {
                            current = sim.Process(m);
                            currentLoads = loads.Process(current, sim.CutterFor(m.Move.Tool));
                            currentWear = wear.Process(currentLoads);
                            CuttingLoadSimulator.FillMove(currentLoads, moveExtra.AsSpan(0, nLoadMove));
                            ToolWearSimulator.FillMove(currentWear, moveExtra.AsSpan(nLoadMove));
                            moves.Write(current, moveExtra);
                            report.AddMove(m, currentLoads);
                        }
                        else { current = null; currentLoads = null; currentWear = null; }
                        yield return item;
                    }
                }
                // Interpretation runs ahead on another core; planning, material removal and sampling stream behind it.
                int nRemoval = RemovalColumns.Timeline.Count, nLoads = CuttingLoadSimulator.TimelineColumns.Count;
                Span<double> extra = stackalloc double[nRemoval + nLoads + ToolWearSimulator.TimelineColumns.Count];
                int toolInSpindle = setup.InitialTool;
                foreach (var sample in Timeline.Sample(Removal(travel.Observe(plan.Observe(planner.Plan(ReadAhead.Run(toolpath.Observe(setup.WorkFrame(interp.Run()))))))), dt, maxTimelineRows,
                    t => { timelineCutS = t; Console.Error.WriteLine($"{file}: warning: timeline.csv stops at t = {t.ToString("0.###", CultureInfo.InvariantCulture)} s after {maxTimelineRows:N0} rows (--max-timeline-rows; or a larger --dt); the rest of the program is still simulated and in summary.json"); }))
                {
                    RemovalColumns.Fill(current, sample, extra[..nRemoval]);
                    loads.Fill(currentLoads, sample, extra.Slice(nRemoval, nLoads));
                    if (current != null) toolInSpindle = current.Tool;
                    wear.Fill(currentWear, sample.TimeS, toolInSpindle, extra[(nRemoval + nLoads)..]);
                    writer.Write(sample, extra);
                    report.AddSample(sample, extra[0], extra[nRemoval + 3], extra[nRemoval + 5], extra[nRemoval + 6], extra[nRemoval + nLoads]);
                }
                rows = writer.Rows;
            }
            sim.Finish();

            int factor = removal.MeshResolutionMm > 0 ? Math.Max(1, (int)Math.Round(removal.MeshResolutionMm / stockModel.CellMm)) : StockField.AutoFactor(stockModel);
            var mesh = StockMesh.Write(stockModel, factor, Path.Combine(outDir, "stock.stl"), Path.Combine(outDir, "stock.glb"));
            DesignComparison.Result? deviation = null;
            if (removal.Design != null)
            {
                try { deviation = DesignComparison.Run(stockModel, removal.Design, outDir); }
                catch (CncTwin.Geometry.MeshFormatException ex) { Console.Error.WriteLine(ex.Message); return CliApp.ExitUsage; }
            }

            WriteSummary(summaryPath, file, machine, machinePath, dt, rows, timelineCutS, plan, travel, toolpath, sim, stockDescription, mesh, deviation, loads, wear);
            report.Finish(Path.Combine(outDir, "report.html"), plan, sim, loads, wear, stockModel, travel.Found);
            if (!quiet) PrintSummary(file, machine, plan, travel, toolpath, outDir, sim, mesh, loads, wear);
            return CliApp.ExitOk;
        }
        catch (GCodeException ex)
        {
            Console.Error.WriteLine($"{ex.File}:{ex.Line}:{ex.Column}: {ex.Reason}");
            Console.Error.WriteLine($"simulation stopped at that line; {timelinePath} holds the timeline up to it, no summary.json was written");
            return CliApp.ExitProgramError;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{outDir}: error: {ex.Message}");
            return CliApp.ExitProgramError;
        }
    }

    private static void WriteSummary(string path, string program, MachineProfile machine, string? machinePath, double dt, long rows, double timelineCutS, PlanSummary plan, TravelCheck travel, ToolpathSummary toolpath,
        MaterialRemovalSimulator sim, string stockDescription, StockMesh.Result mesh, DesignComparison.Result? deviation, CuttingLoadSimulator loads, ToolWearSimulator wear)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("program", Path.GetFullPath(program));
        w.WriteString("machine", machine.Name);
        if (machinePath != null) w.WriteString("machine_file", Path.GetFullPath(machinePath));
        plan.WriteJsonProperties(w);
        travel.WriteJsonProperty(w);
        w.WriteNumber("moves", toolpath.Moves);
        w.WriteStartArray("tools");
        foreach (var t in toolpath.Tools) w.WriteNumberValue(t);
        w.WriteEndArray();
        w.WriteNumber("timeline_step_s", dt);
        w.WriteNumber("timeline_rows", rows);
        // Only when the cap cut the timeline: the time of the first sample not written.
        if (double.IsFinite(timelineCutS)) w.WriteNumber("timeline_truncated_at_s", Math.Round(timelineCutS, 6));
        RemovalColumns.WriteSummary(w, sim, stockDescription, mesh, deviation);
        loads.WriteSummary(w);
        wear.WriteSummary(w);
        w.WriteEndObject();
    }

    private static void PrintSummary(string file, MachineProfile machine, PlanSummary p, TravelCheck travel, ToolpathSummary toolpath, string outDir, MaterialRemovalSimulator sim, StockMesh.Result mesh, CuttingLoadSimulator loads, ToolWearSimulator wear)
    {
        var ic = CultureInfo.InvariantCulture;
        var table = new Table().Title(Markup.Escape($"{Path.GetFileName(file)} on {machine.Name}")).AddColumn("").AddColumn(new TableColumn("").RightAligned());
        table.HideHeaders();
        table.AddRow("[bold]cycle time[/]", $"[bold]{Clock(p.CycleTimeS)}[/]");
        table.AddRow("rapid", Clock(p.RapidTimeS) + string.Format(ic, "  ({0:N1} mm)", p.RapidLengthMm));
        table.AddRow("feed", Clock(p.FeedTimeS) + string.Format(ic, "  ({0:N1} mm)", p.FeedLengthMm));
        if (p.DwellTimeS > 0) table.AddRow("dwell", Clock(p.DwellTimeS));
        if (p.SpindleWaitTimeS > 0) table.AddRow("spindle at-speed waits", Clock(p.SpindleWaitTimeS));
        if (p.ToolChangeTimeS > 0) table.AddRow("tool changes", Clock(p.ToolChangeTimeS));
        table.AddRow("moves / planned segments", string.Format(ic, "{0:N0} / {1:N0} ({2:N0} blend arcs)", toolpath.Moves, p.Segments, p.BlendArcs));
        if (toolpath.HasCuts) table.AddRow("length / feed estimate", Clock(toolpath.FeedMinutesAtProgrammedFeed * 60) + " of feed moves");
        table.AddRow("removed / final stock", string.Format(ic, "{0:N1} mm³ / {1:N1} mm³", sim.RemovedMm3, sim.FinalVolumeMm3));
        table.AddRow("cutting / air cutting", Clock(sim.CuttingS) + " / " + Clock(sim.AirCutS));
        table.AddRow("collisions", sim.Collisions.Count == 0 ? "[green]none[/]" : $"[red]{sim.Collisions.Count}[/]");
        if (travel.Found.Count > 0) table.AddRow("over-travel", $"[red]{travel.Found.Count}[/] (line {travel.Found[0].Source.Line})");
        table.AddRow(Markup.Escape($"max force / torque ({loads.Options.MaterialName})"), string.Format(ic, "{0:N0} N (line {1}) / {2:N2} N·m", loads.MaxForceN, loads.MaxForceLine, loads.MaxTorqueNm));
        string loadText = string.Format(ic, "{0:N0} W / {1:N1} % (line {2})", loads.MaxPowerW, loads.MaxLoadPct, loads.MaxLoadLine);
        table.AddRow("max spindle power / load", loads.MaxLoadPct > 100 ? $"[red]{Markup.Escape(loadText)}[/]" : Markup.Escape(loadText));
        table.AddRow("max deflection / surface error", string.Format(ic, "{0:F4} mm / {1:F4} mm", loads.MaxDeflectionMm, loads.MaxSleMm));
        foreach (int t in wear.Tools.Order())
        {
            double life = wear.RemainingLifeMin(t), parts = wear.RemainingParts(t);
            string text = string.Format(ic, "T{0}: VB {1:N1} µm, {2} min / {3} parts left", t, wear.WearUm(t),
                double.IsFinite(life) ? life.ToString("N1", ic) : "∞", double.IsFinite(parts) ? parts.ToString("N1", ic) : "∞");
            table.AddRow("tool wear", wear.WearUm(t) >= wear.VbLimitUm ? $"[red]{Markup.Escape(text)}[/]" : Markup.Escape(text));
        }
        if (loads.Options.Dynamics != null)
            table.AddRow("chatter", loads.ChatterLines.Count == 0 ? "[green]stable[/]" : $"[red]{loads.ChatterLines.Count} lines[/] " + Markup.Escape(string.Join(", ", loads.ChatterLines.Take(8).Select(c => c.Line))));
        AnsiConsole.Write(table);
        var slowest = p.PerLine.OrderByDescending(kv => kv.Time.TotalS).Take(3).Where(kv => kv.Time.TotalS > 0).ToList();
        if (slowest.Count > 0)
            AnsiConsole.MarkupLine("longest lines: " + string.Join(", ", slowest.Select(kv => string.Format(ic, "{0} ({1:F2} s)", kv.Line, kv.Time.TotalS))));
        foreach (var c in sim.Collisions.Take(10))
            AnsiConsole.MarkupLine(Markup.Escape($"  line {c.Line}: {c.Kind}: {c.Message}"));
        if (sim.Collisions.Count > 10) AnsiConsole.MarkupLine($"  ... {sim.Collisions.Count - 10} more in summary.json");
        AnsiConsole.MarkupLine(Markup.Escape($"wrote {outDir}/: summary.json, timeline.csv, moves.csv, report.html, stock.stl, stock.glb ({mesh.Triangles:N0} triangles); removal on {sim.DeviceName}"));
    }

    private static long CountMoves(SimulationSetup setup)
    {
        try
        {
            using var counter = setup.NewInterpreter();
            long n = 0;
            foreach (var c in counter.Run()) if (c is Move) n++;
            return n;
        }
        catch (GCodeException) { return 0; } // the real pass reports it with its line
    }

    private static string Clock(double s) =>
        s >= 3600 ? TimeSpan.FromSeconds(s).ToString(@"h\:mm\:ss\.f", CultureInfo.InvariantCulture)
        : s >= 60 ? TimeSpan.FromSeconds(s).ToString(@"m\:ss\.f", CultureInfo.InvariantCulture) + " min"
        : s.ToString("F3", CultureInfo.InvariantCulture) + " s";
}
