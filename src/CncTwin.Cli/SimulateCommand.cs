using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CncTwin.Core;
using CncTwin.Core.Streaming;
using CncTwin.GCode;
using CncTwin.Motion;
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
        var tools = new Option<string?>("--tools") { Description = "LinuxCNC tool table (.tbl), mm; default: tools.tbl beside the program, if there is one" };
        var outDir = new Option<string>("--out") { Description = "output folder (created if missing)", DefaultValueFactory = _ => DefaultOutDir };
        var dt = new Option<double>("--dt") { Description = "time step of timeline.csv, s", DefaultValueFactory = _ => Timeline.DefaultStepS };
        var tool = new Option<int>("--tool") { Description = "tool in the spindle at program start", DefaultValueFactory = _ => 0 };
        var blockDelete = new Option<bool>("--block-delete") { Description = "block delete switch on: skip lines starting with '/'" };
        var quiet = new Option<bool>("--quiet") { Description = "no summary table on standard output" };
        var cmd = new Command("simulate", "Plan a program's motion on a machine: true cycle time, time per line, and the time-stamped toolpath.")
        {
            program, machine, tools, outDir, dt, tool, blockDelete, quiet,
        };
        cmd.SetAction(pr => Run(pr.GetValue(program)!, pr.GetValue(machine), pr.GetValue(tools), pr.GetValue(outDir)!, pr.GetValue(dt), pr.GetValue(tool), pr.GetValue(blockDelete), pr.GetValue(quiet)));
        return cmd;
    }

    internal static int Run(string file, string? machinePath, string? toolsPath, string outDir, double dt, int initialTool, bool blockDelete, bool quiet)
    {
        if (!(dt > 0) || !double.IsFinite(dt) || dt > 10)
        {
            Console.Error.WriteLine($"--dt {dt.ToString(CultureInfo.InvariantCulture)}: error: the time step must be in (0, 10] seconds");
            return CliApp.ExitUsage;
        }
        if (!File.Exists(file)) { Console.Error.WriteLine($"{file}: error: file not found"); return CliApp.ExitUsage; }
        MachineProfile machine;
        try
        {
            machine = machinePath == null ? MachineProfile.DefaultVmc : MachineProfile.Load(machinePath);
        }
        catch (MachineProfileException ex) { Console.Error.WriteLine($"{ex.Message}"); return CliApp.ExitUsage; }
        catch (IOException ex) { Console.Error.WriteLine($"{machinePath}: error: {ex.Message}"); return CliApp.ExitUsage; }
        toolsPath ??= CliApp.SiblingToolTable(file);
        ToolTable? table;
        try { table = CliApp.LoadTools(toolsPath); }
        catch (GCodeException ex) { Console.Error.WriteLine($"{ex.File}:{ex.Line}:{ex.Column}: {ex.Reason}"); return CliApp.ExitUsage; }
        if (table == null) return CliApp.ExitUsage;

        string summaryPath = Path.Combine(outDir, "summary.json"), timelinePath = Path.Combine(outDir, "timeline.csv");
        try
        {
            Directory.CreateDirectory(outDir);
            // A summary left from an earlier run must not pass for this one if this one fails.
            if (File.Exists(summaryPath)) File.Delete(summaryPath);
            using var interp = new Interpreter(LineSource.FromFile(file), new InterpreterOptions { Tools = table, InitialTool = initialTool, BlockDelete = blockDelete });
            var toolpath = new ToolpathSummary();
            var plan = new PlanSummary();
            var planner = new MotionPlanner(machine);
            long rows;
            long bytes = new FileInfo(file).Length;
            using (var progress = !Console.IsErrorRedirected && bytes > 4 << 20 ? new ProgressDisplay(file, bytes, () => interp.BytesRead) : null)
            using (var stream = new FileStream(timelinePath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16))
            using (var writer = new TimelineCsvWriter(stream))
            {
                // Interpretation runs ahead on another core; planning and sampling stream behind it.
                writer.WriteAll(Timeline.Sample(plan.Observe(planner.Plan(ReadAhead.Run(toolpath.Observe(interp.Run())))), dt));
                rows = writer.Rows;
            }
            WriteSummary(summaryPath, file, machine, machinePath, dt, rows, plan, toolpath);
            if (!quiet) PrintSummary(file, machine, plan, toolpath, outDir);
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

    private static void WriteSummary(string path, string program, MachineProfile machine, string? machinePath, double dt, long rows, PlanSummary plan, ToolpathSummary toolpath)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("program", Path.GetFullPath(program));
        w.WriteString("machine", machine.Name);
        if (machinePath != null) w.WriteString("machine_file", Path.GetFullPath(machinePath));
        plan.WriteJsonProperties(w);
        w.WriteNumber("moves", toolpath.Moves);
        w.WriteStartArray("tools");
        foreach (var t in toolpath.Tools) w.WriteNumberValue(t);
        w.WriteEndArray();
        w.WriteNumber("timeline_step_s", dt);
        w.WriteNumber("timeline_rows", rows);
        w.WriteEndObject();
    }

    private static void PrintSummary(string file, MachineProfile machine, PlanSummary p, ToolpathSummary toolpath, string outDir)
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
        AnsiConsole.Write(table);
        var slowest = p.PerLine.OrderByDescending(kv => kv.Time.TotalS).Take(3).Where(kv => kv.Time.TotalS > 0).ToList();
        if (slowest.Count > 0)
            AnsiConsole.MarkupLine("longest lines: " + string.Join(", ", slowest.Select(kv => string.Format(ic, "{0} ({1:F2} s)", kv.Line, kv.Time.TotalS))));
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.Combine(outDir, "summary.json"))}, {Markup.Escape(Path.Combine(outDir, "timeline.csv"))}");
    }

    private static string Clock(double s) =>
        s >= 3600 ? TimeSpan.FromSeconds(s).ToString(@"h\:mm\:ss\.f", CultureInfo.InvariantCulture)
        : s >= 60 ? TimeSpan.FromSeconds(s).ToString(@"m\:ss\.f", CultureInfo.InvariantCulture) + " min"
        : s.ToString("F3", CultureInfo.InvariantCulture) + " s";
}
