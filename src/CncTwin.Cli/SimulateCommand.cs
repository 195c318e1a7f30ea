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
using CncTwin.Simulation;
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
        var dt = new Option<double>("--dt") { Description = "time step of timeline.csv, s (0.001 writes the 1 ms timeline of earlier versions)", DefaultValueFactory = _ => Timeline.DefaultOutputStepS };
        var pauses = new Option<string?>("--timeline-pauses") { Description = "rows of pauses (dwell, spindle wait, tool change) in timeline.csv: compressed (first and last row) or full (every step); default: compressed at the default --dt, full when --dt is given" };
        pauses.AcceptOnlyFromAmong("compressed", "full");
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
        var dialect = CliApp.DialectOption();
        var cmd = new Command("simulate", "Simulate a program on a machine: cycle time, the stock after every move, crashes, cutting forces, spindle load, deflection and chatter.")
        {
            program, machine, tools, outDir, dt, pauses, tool, blockDelete, quiet, stock, resolution, device, design, meshResolution, start, material, materials, coefficients, dynamics, chatterMethod, vbLimit, initialWear, spindlePower, maxRows, dialect,
        };
        cmd.SetAction((pr, ct) => Task.FromResult(Run(pr.GetValue(program)!, pr.GetValue(machine), pr.GetValue(tools), pr.GetValue(outDir)!, pr.GetValue(dt), pr.GetValue(tool), pr.GetValue(blockDelete), pr.GetValue(quiet),
            new RemovalArgs(pr.GetValue(stock), pr.GetValue(resolution), pr.GetValue(device)!, pr.GetValue(design), pr.GetValue(meshResolution), pr.GetValue(start)!),
            new MechanicsArgs(pr.GetValue(material), pr.GetValue(materials), pr.GetValue(coefficients), pr.GetValue(dynamics), pr.GetValue(chatterMethod)!, pr.GetValue(vbLimit), pr.GetValue(initialWear), pr.GetValue(spindlePower)),
            pr.GetValue(maxRows), CliApp.ParseDialect(pr.GetValue(dialect)!), ct,
            // An explicit --dt asks for that grid everywhere (so --dt 0.001 gives the old file row for row).
            pr.GetValue(pauses) is { } p ? p == "compressed" : pr.GetResult(dt) is not { Implicit: false })));
        return cmd;
    }

    /// <summary>Work material when none is given: the most common one in job shops (and the bundled samples).</summary>
    public const string DefaultMaterial = SimulationRequest.DefaultMaterial;

    internal sealed record RemovalArgs(string? Stock, double ResolutionMm, string Device, string? Design, double MeshResolutionMm, string HomeZ = "auto");
    internal sealed record MechanicsArgs(string? Material, string? Materials, string? Coefficients, string? Dynamics, string ChatterMethod = "sdm", double VbLimitUm = 300, string? InitialWear = null,
        double? SpindlePowerW = null);

    /// <summary>Default cap on timeline.csv rows (about 6.5 GB): a program's own time can be absurd (a dwell of years).</summary>
    public const long DefaultMaxTimelineRows = SimulationRequest.DefaultMaxTimelineRows;

    internal static int Run(string file, string? machinePath, string? toolsPath, string outDir, double dt, int initialTool, bool blockDelete, bool quiet, RemovalArgs? removal = null, MechanicsArgs? mechanics = null,
        long maxTimelineRows = DefaultMaxTimelineRows, CncTwin.GCode.GCodeDialect dialect = CncTwin.GCode.GCodeDialect.Auto, CancellationToken ct = default,
        bool compressPauses = true)
    {
        removal ??= new RemovalArgs(null, 0.2, "auto", null, 0);
        mechanics ??= new MechanicsArgs(null, null, null, null);
        if (!CliApp.CheckOutputFolder(outDir)) return CliApp.ExitUsage;
        var request = CliSimulation.Request(file, machinePath, toolsPath, initialTool, blockDelete, removal, mechanics, "simulate");
        if (request == null) return CliApp.ExitUsage;
        request = request with { TimelineStepS = dt, CompressTimelinePauses = compressPauses, MaxTimelineRows = maxTimelineRows, OutputFolder = outDir, Dialect = dialect };
        int code = CliSimulation.Setup(request, "simulate", out var context);
        if (context == null) return code;
        try
        {
            var sinks = SimulationSinks.ForFolder(outDir);
            sinks.Add(new ConsoleWarnings(file, machinePath == null, maxTimelineRows));
            // Progress: on a terminal a bar with an ETA (the moves the removal stage has done out of all the
            // program's moves); in a pipe or a log, a plain line every 10 s, so a long run is never silent.
            long totalMoves = context.CountMoves(ct);
            var moves = new ProgressCounter(Console.IsErrorRedirected ? file : null, totalMoves);
            SimulationResult result;
            using (totalMoves > 2000 && !Console.IsErrorRedirected ? new ProgressDisplay(file, totalMoves, () => Interlocked.Read(ref moves.Done)) : null)
                result = Simulator.RunAsync(context, sinks, moves, ct, totalMoves).GetAwaiter().GetResult();
            if (result.Error is { } error)
            {
                int rc = CliSimulation.Report([error], "simulate");
                if (error.Kind == DiagnosticKind.ProgramError)
                    Console.Error.WriteLine($"simulation stopped at that line; {outDir}/ holds what ran before it (timeline.csv, moves.csv, stock meshes, report.html) and summary.json records the error");
                return rc;
            }
            if (!quiet) PrintSummary(file, context.Machine, result, outDir);
            return CliApp.ExitOk;
        }
        catch (SimulationSetupException ex) { return CliSimulation.Report(ex.Diagnostics, "simulate"); }
        catch (OperationCanceledException) { Console.Error.WriteLine("simulate: stopped"); return CliApp.ExitProgramError; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{outDir}: error: {ex.Message}");
            return CliApp.ExitProgramError;
        }
    }

    /// <summary>Moves done, as the library reports them: for the terminal's bar, or plain lines (plainFor: the program's name) every 10 s.</summary>
    private sealed class ProgressCounter(string? plainFor, long total) : IProgress<SimulationProgress>
    {
        public long Done;
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private long _nextLineMs = 10_000;

        public void Report(SimulationProgress value)
        {
            Interlocked.Exchange(ref Done, value.MovesDone);
            if (plainFor == null || _clock.ElapsedMilliseconds < _nextLineMs) return;
            _nextLineMs = _clock.ElapsedMilliseconds + 10_000;
            string share = total > 0 ? string.Create(CultureInfo.InvariantCulture, $"{100.0 * value.MovesDone / total:0} % ({value.MovesDone:N0} of {total:N0} moves)") : $"{value.MovesDone:N0} moves";
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{plainFor}: {share}, machine time {value.MachineTimeS:0.#} s, {_clock.Elapsed.TotalSeconds:0} s elapsed"));
        }
    }

    /// <summary>Warnings on standard error as the run finds them, worded for the command line.</summary>
    private sealed class ConsoleWarnings(string file, bool builtInMachine, long maxRows) : ISimulationSink
    {
        public void OnWarning(Diagnostic w)
        {
            switch (w.Code)
            {
                case "over-travel":
                    CliApp.RunWarnings.WriteLine($"{w.File}:{w.Line}:{w.Column}: warning: {w.Message}" + (builtInMachine ? " (built-in machine; give --machine for yours)" : ""));
                    break;
                case "timeline-truncated":
                    CliApp.RunWarnings.WriteLine($"{file}: warning: timeline.csv stops at t = {w.Value} s after {maxRows:N0} rows (--max-timeline-rows; or a larger --dt); the rest of the program is still simulated and in summary.json");
                    break;
                case "spindle-limit":
                    CliApp.RunWarnings.WriteLine($"{w.File}:{w.Line}:{w.Column}: warning: {w.Message}");
                    break;
                case "stock-untouched":
                    CliApp.RunWarnings.WriteLine($"{file}: warning: {w.Message} (give it with --stock)");
                    break;
                default:
                    CliApp.RunWarnings.WriteLine($"{file}: warning: {w.Message}");
                    break;
            }
        }
    }

    private static void PrintSummary(string file, MachineProfile machine, SimulationResult r, string outDir)
    {
        var (p, travel, toolpath, sim, mesh, loads, wear) = (r.Plan, r.Travel, r.Toolpath, r.Removal, r.Mesh!, r.Loads, r.Wear);
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
                double.IsFinite(life) ? life.ToString("N1", ic) : "∞", double.IsFinite(parts) ? Math.Floor(parts).ToString("N0", ic) : "∞"); // whole parts: a part is made or not
            table.AddRow("tool wear", wear.WearUm(t) >= wear.VbLimitUm ? $"[red]{Markup.Escape(text)}[/]" : Markup.Escape(text));
        }
        if (loads.Options.Dynamics != null)
            table.AddRow("chatter", loads.ChatterLines.Count == 0 ? "[green]stable[/]" : $"[red]{loads.ChatterLines.Count} lines[/] " + Markup.Escape(string.Join(", ", loads.ChatterLines.Select(c => c.Line).Distinct().Order().Take(8))));
        AnsiConsole.Write(table);
        var slowest = p.PerLine.OrderByDescending(kv => kv.Time.TotalS).Take(3).Where(kv => kv.Time.TotalS > 0).ToList();
        if (slowest.Count > 0)
            AnsiConsole.MarkupLine("longest lines: " + string.Join(", ", slowest.Select(kv => string.Format(ic, "{0} ({1:F2} s)", kv.Line, kv.Time.TotalS))));
        foreach (var c in sim.Collisions.Take(10))
            AnsiConsole.MarkupLine(Markup.Escape($"  line {c.Line}: {c.Kind.WireName()}: {c.Message}"));
        if (sim.Collisions.Count > 10) AnsiConsole.MarkupLine($"  ... {sim.Collisions.Count - 10} more in summary.json");
        AnsiConsole.MarkupLine(Markup.Escape($"wrote {outDir}/: summary.json, timeline.csv, moves.csv, report.html, stock.stl, stock.glb ({mesh.Triangles:N0} triangles); removal on {sim.DeviceName}"));
    }

    private static string Clock(double s) =>
        s >= 3600 ? TimeSpan.FromSeconds(s).ToString(@"h\:mm\:ss\.f", CultureInfo.InvariantCulture)
        : s >= 60 ? TimeSpan.FromSeconds(s).ToString(@"m\:ss\.f", CultureInfo.InvariantCulture) + " min"
        : s.ToString("F3", CultureInfo.InvariantCulture) + " s";
}
