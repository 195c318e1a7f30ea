using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CncTwin.Core;
using CncTwin.Core.IO;
using CncTwin.GCode;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Simulation;

namespace CncTwin.Cli;

/// <summary>
/// <c>cnctwin optimize PROGRAM (--max-force N | --max-chip-thickness MM | --max-load-pct P) --out OPT.ngc</c>:
/// simulates the program, rewrites its feeds so the target holds along every cut, then simulates the result
/// to report old and new cycle time and check that the toolpath is unchanged.
/// </summary>
internal static class OptimizeCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Build()
    {
        var program = new Argument<string>("program") { Description = "G-code program to optimise" };
        var outFile = new Option<string>("--out") { Description = "optimised program to write", Required = true };
        var maxForce = new Option<double?>("--max-force") { Description = "hold the peak resultant cutting force at this, N" };
        var maxChip = new Option<double?>("--max-chip-thickness") { Description = "hold the largest chip thickness at this, mm" };
        var maxLoad = new Option<double?>("--max-load-pct") { Description = "hold the spindle load at this % of the drive's capacity at the programmed speed" };
        var minFeed = new Option<double>("--min-feed") { Description = "slowest feed written, mm/min", DefaultValueFactory = _ => 10 };
        var maxFeed = new Option<double?>("--max-feed") { Description = "fastest feed written, mm/min (default: the machine's path-speed limit)" };
        var airFeed = new Option<double?>("--air-feed") { Description = "feed where the cutter is in air, mm/min (default: as programmed)" };
        var feedStep = new Option<double>("--feed-step") { Description = "split a move where the allowed feed changes by more than this fraction", DefaultValueFactory = _ => 0.1 };
        var chipCap = new Option<double?>("--chip-cap") { Description = "with --max-force or --max-load-pct, never a chip thicker than this, mm (default 1 % of the cutter diameter)" };
        var minPiece = new Option<double>("--min-piece") { Description = "shortest piece a move is split into, mm", DefaultValueFactory = _ => 1.0 };
        var machine = new Option<string?>("--machine") { Description = "machine: LinuxCNC INI or CncTwin JSON (default: generic VMC)" };
        var tools = new Option<string?>("--tools") { Description = "tool library (.json or .tbl); default: beside the program" };
        var tool = new Option<int>("--tool") { Description = "tool in the spindle at program start", DefaultValueFactory = _ => 0 };
        var stock = new Option<string?>("--stock") { Description = "stock (as for simulate); default: a block around the feed moves up to Z0" };
        var resolution = new Option<double>("--resolution") { Description = "voxel size, mm", DefaultValueFactory = _ => 0.2 };
        var homeZ = new Option<string>("--home-z") { Description = "as for simulate", DefaultValueFactory = _ => "auto" };
        var material = new Option<string?>("--material") { Description = $"work material (default {SimulateCommand.DefaultMaterial})" };
        var materials = new Option<string?>("--materials") { Description = "extra material library JSON" };
        var coefficients = new Option<string?>("--coefficients") { Description = "ktc=..,krc=..,kac=..,kte=..,kre=..,kae=.. instead of --material" };
        var device = new Option<string>("--device") { Description = "material removal on auto, cpu, gpu or ilgpu-cpu", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong("auto", "cpu", "gpu", "ilgpu-cpu");
        var format = new Option<string>("--format") { Description = "report as table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var cmd = new Command("optimize", "Rewrite a program's feeds (splitting moves where the engagement changes) so the peak force, chip thickness or spindle load stays at a target; reports old and new cycle time.")
        {
            program, outFile, maxForce, maxChip, maxLoad, minFeed, maxFeed, airFeed, feedStep, minPiece, chipCap, machine, tools, tool, stock, resolution, homeZ, material, materials, coefficients, device, format,
        };
        cmd.SetAction(pr =>
        {
            var targets = new (FeedTargetKind Kind, double? Value, string Name)[]
            {
                (FeedTargetKind.Force, pr.GetValue(maxForce), "max_force_n"), (FeedTargetKind.ChipThickness, pr.GetValue(maxChip), "max_chip_thickness_mm"), (FeedTargetKind.LoadPct, pr.GetValue(maxLoad), "max_spindle_load_pct"),
            }.Where(t => t.Value != null).ToList();
            if (targets.Count != 1) { Console.Error.WriteLine("optimize: error: give exactly one of --max-force, --max-chip-thickness, --max-load-pct"); return CliApp.ExitUsage; }
            if (!(targets[0].Value > 0) || !double.IsFinite(targets[0].Value!.Value)) { Console.Error.WriteLine("optimize: error: the target must be a positive number"); return CliApp.ExitUsage; }
            if (!(pr.GetValue(feedStep) > 0) || !(pr.GetValue(minPiece) > 0)) { Console.Error.WriteLine("optimize: error: --feed-step and --min-piece must be positive"); return CliApp.ExitUsage; }
            return Run(pr.GetValue(program)!, pr.GetValue(outFile)!, targets[0].Kind, targets[0].Value!.Value, targets[0].Name, pr.GetValue(minFeed), pr.GetValue(maxFeed), pr.GetValue(airFeed),
                pr.GetValue(feedStep), pr.GetValue(minPiece), pr.GetValue(chipCap), pr.GetValue(machine), pr.GetValue(tools), pr.GetValue(tool),
                new SimulateCommand.RemovalArgs(pr.GetValue(stock), pr.GetValue(resolution), pr.GetValue(device)!, null, 0, pr.GetValue(homeZ)!),
                new SimulateCommand.MechanicsArgs(pr.GetValue(material), pr.GetValue(materials), pr.GetValue(coefficients), null), pr.GetValue(format) == "json");
        });
        return cmd;
    }

    internal static int Run(string file, string outFile, FeedTargetKind kind, double target, string targetName, double minFeed, double? maxFeed, double? airFeed,
        double feedStep, double minPiece, double? chipCap, string? machinePath, string? toolsPath, int initialTool, SimulateCommand.RemovalArgs removal, SimulateCommand.MechanicsArgs mechanics, bool json)
    {
        // The program must not be its own output: opening the output would empty it before it is read.
        if (File.Exists(file) && AtomicFile.SameFile(outFile, file))
        {
            Console.Error.WriteLine($"--out {outFile}: error: this is the program being optimised; write the optimised program to another file");
            return CliApp.ExitUsage;
        }
        var request = CliSimulation.Request(file, machinePath, toolsPath, initialTool, false, removal, mechanics, "optimize");
        if (request == null) return CliApp.ExitUsage;
        int code = CliSimulation.Setup(request, "optimize", out var setup);
        if (setup == null) return code;
        double machineMax = setup.Machine.MaxLinearVelocityMmPerS > 0 ? setup.Machine.MaxLinearVelocityMmPerS * 60 : 10_000;
        if (airFeed is { } af && !(af > 0 && double.IsFinite(af))) { Console.Error.WriteLine("optimize: error: --air-feed must be a positive feed, mm/min"); return CliApp.ExitUsage; }
        if (chipCap is { } cc && !(cc > 0 && double.IsFinite(cc))) { Console.Error.WriteLine("optimize: error: --chip-cap must be a positive chip thickness, mm"); return CliApp.ExitUsage; }
        FeedPlanner optimizer;
        try
        {
            optimizer = new FeedPlanner(new FeedOptimizerOptions
            {
                Target = kind, TargetValue = target, Spindle = setup.Machine.Spindle, MaxFeedMmPerMin = Math.Min(maxFeed ?? machineMax, machineMax),
                MinFeedMmPerMin = minFeed, AirFeedMmPerMin = airFeed is { } a ? Math.Min(a, machineMax) : null, FeedStep = feedStep, MinPieceMm = minPiece, ChipCapMm = chipCap,
            });
        }
        catch (ArgumentException ex) { Console.Error.WriteLine($"optimize: error: {ex.Message.Replace("minimum feed < maximum feed", "--min-feed < --max-feed")}"); return CliApp.ExitUsage; }
        var rewriter = new ProgramFeedRewriter(optimizer, file);
        try
        {
            if (!json) Console.Error.WriteLine($"simulating {file} ...");
            var before = FeedOptimization.Pass(setup, null, optimizer, rewriter);
            // Nothing cut: every feed would be "optimised" against zero load. Refuse rather than write such a program.
            if (!(before.RemovedMm3 > 0))
            {
                Console.Error.WriteLine($"optimize: error: no cutting move touches the stock ({setup.StockDescription}): there is no load to optimise against; give the stock where the part is (--stock)");
                return CliApp.ExitUsage;
            }
            ProgramFeedRewriter.Result rewrite;
            // Whole under a temporary name, then renamed: an error never leaves a half-written program.
            using (var optimised = AtomicFile.Create(outFile))
            {
                using (var w = new StreamWriter(optimised.Stream, Encoding.Latin1, 1 << 16, leaveOpen: true) { NewLine = "\n" })
                    rewrite = Rewrite(file, rewriter, w);
                optimised.Commit();
            }
            if (!json) Console.Error.WriteLine($"simulating {outFile} ...");
            var after = FeedOptimization.Pass(setup, outFile, null, null);
            string? mismatch = FeedOptimization.SameGeometry(before.Moves, after.Moves);
            double measureBefore = kind switch { FeedTargetKind.Force => before.MaxForceN, FeedTargetKind.ChipThickness => before.MaxChipMm, _ => before.MaxLoadPct };
            double measureAfter = kind switch { FeedTargetKind.Force => after.MaxForceN, FeedTargetKind.ChipThickness => after.MaxChipMm, _ => after.MaxLoadPct };
            double saved = before.CycleTimeS > 0 ? 100 * (before.CycleTimeS - after.CycleTimeS) / before.CycleTimeS : 0;
            if (json)
            {
                using var jw = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
                jw.WriteStartObject();
                jw.WriteString("program", Path.GetFullPath(file));
                jw.WriteString("output", Path.GetFullPath(outFile));
                jw.WriteString("target", targetName);
                jw.WriteNumber("target_value", target);
                jw.WriteNumber("original_cycle_time_s", Math.Round(before.CycleTimeS, 4));
                jw.WriteNumber("optimized_cycle_time_s", Math.Round(after.CycleTimeS, 4));
                jw.WriteNumber("time_saved_pct", Math.Round(saved, 3));
                jw.WriteNumber("original_max", Math.Round(measureBefore, 5));
                jw.WriteNumber("optimized_max", Math.Round(measureAfter, 5));
                jw.WriteNumber("lines_changed", rewrite.LinesChanged);
                jw.WriteNumber("lines_split", rewrite.LinesSplit);
                jw.WriteNumber("pieces_added", rewrite.PiecesAdded);
                jw.WriteBoolean("geometry_identical", mismatch == null);
                if (mismatch != null) jw.WriteString("geometry_difference", mismatch);
                jw.WriteStartArray("warnings");
                foreach (var wn in optimizer.Warnings) jw.WriteStringValue(wn);
                jw.WriteEndArray();
                jw.WriteEndObject();
                jw.Flush();
                Console.WriteLine();
            }
            else
            {
                foreach (var wn in optimizer.Warnings) Console.Error.WriteLine($"{file}: warning: {wn}");
                string unit = kind switch { FeedTargetKind.Force => "N", FeedTargetKind.ChipThickness => "mm", _ => "%" };
                Console.WriteLine($"target: {targetName} = {target.ToString("0.###", Inv)} {unit}");
                Console.WriteLine(string.Create(Inv, $"cycle time: {before.CycleTimeS:0.###} s -> {after.CycleTimeS:0.###} s ({Math.Abs(saved):0.#} % {(saved >= 0 ? "faster" : "slower")})"));
                Console.WriteLine(string.Create(Inv, $"largest {targetName}: {measureBefore:0.####} -> {measureAfter:0.####} {unit}"));
                Console.WriteLine($"lines changed: {rewrite.LinesChanged}, split: {rewrite.LinesSplit} (+{rewrite.PiecesAdded} pieces)");
                Console.WriteLine(mismatch == null ? $"geometry: identical ({before.Moves.Count} moves; {after.Moves.Count} after splitting)" : $"geometry: DIFFERENT: {mismatch}");
                Console.WriteLine($"wrote {outFile}");
            }
            if (mismatch != null)
            {
                Console.Error.WriteLine($"{outFile}: error: the optimised program's toolpath differs from the original ({mismatch}); do not run it");
                return CliApp.ExitProgramError;
            }
            return CliApp.ExitOk;
        }
        catch (GCodeException ex)
        {
            Console.Error.WriteLine($"{ex.File}:{ex.Line}:{ex.Column}: {ex.Reason}");
            return CliApp.ExitProgramError;
        }
        catch (SimulationSetupException ex) { return CliSimulation.Report(ex.Diagnostics, "optimize"); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Console.Error.WriteLine($"optimize: error: {ex.Message}");
            return CliApp.ExitProgramError;
        }
    }

    // Latin-1 both ways (as the interpreter reads): every byte of the original outside the rewritten words comes back unchanged.
    private static ProgramFeedRewriter.Result Rewrite(string file, ProgramFeedRewriter rewriter, TextWriter w) => rewriter.Rewrite(File.ReadLines(file, Encoding.Latin1), w);
}
