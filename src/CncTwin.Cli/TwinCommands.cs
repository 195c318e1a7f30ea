using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CncTwin.Core;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Simulation;
using CncTwin.Studies;
using CncTwin.Twin;
using CncTwin.Wear.Learning;
using CncTwin.Wear;
using Spectre.Console;

namespace CncTwin.Cli;

/// <summary>
/// <c>cnctwin watch</c> (live: SHDR adapter, MTConnect agent, or a CSV log) and <c>cnctwin replay</c> (a recorded
/// log as fast as possible): simulate the program ahead, then follow the machine's stream, align every sample
/// to the program and compare measured with predicted spindle load.
/// </summary>
internal static class TwinCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Build(bool live)
    {
        var program = new Option<string>("--program") { Description = "the G-code program the machine runs", Required = true };
        var source = new Option<string>("--source") { Description = live ? "shdr://host:port | mtconnect://host:port[/device] | csv:FILE" : "csv:FILE (or a file path)", Required = true };
        var format = new Option<string>("--format") { Description = "CSV log format: umich or generic", DefaultValueFactory = _ => "generic" };
        format.AcceptOnlyFromAmong("umich", "generic");
        var machine = new Option<string?>("--machine") { Description = "machine (LinuxCNC INI or CncTwin JSON)" };
        var tools = new Option<string?>("--tools") { Description = "tool library" };
        var tool = new Option<int>("--tool") { Description = "tool in the spindle at program start", DefaultValueFactory = _ => 0 };
        var stock = new Option<string?>("--stock") { Description = "stock, as for simulate" };
        var resolution = new Option<double>("--resolution") { Description = "voxel size, mm", DefaultValueFactory = _ => 0.5 };
        var material = new Option<string?>("--material") { Description = $"work material (default {SimulateCommand.DefaultMaterial})" };
        var coefficients = new Option<string?>("--coefficients") { Description = "cutting coefficients instead of --material" };
        var homeZ = new Option<string>("--home-z") { Description = "as for simulate; default zero: machine positions = program positions, as LinuxCNC reports them", DefaultValueFactory = _ => "zero" };
        var offset = new Option<string?>("--work-offset") { Description = "X,Y,Z added to the program's positions to get the machine's (the controller's active work offset), mm" };
        var mapping = new Option<string?>("--mapping") { Description = "data-item mapping JSON (default: VMC-3Axis names Xact, Yact, Zact, Sspeed, Sload, program, line, execution)" };
        var deviceFile = new Option<string?>("--device-file") { Description = "MTConnectDevices XML of an SHDR adapter's device (ids ↔ names, which items are conditions)" };
        var outDir = new Option<string>("--out") { Description = "output folder", DefaultValueFactory = _ => "out-twin" };
        var db = new Option<string?>("--db") { Description = "history: an SQLite file or sqlite:FILE (default: cnctwin-history.db in the output folder's parent), or postgres:CONNECTION-STRING" };
        var publish = new Option<int?>("--publish") { Description = "serve the twin's predictions and alarms as an MTConnect SHDR adapter on this port (127.0.0.1)" };
        var spindlePower = new Option<double?>("--spindle-power-w") { Description = "the spindle's rated power, W (for machines whose file does not give it)" };
        var margin = new Option<double>("--overload-margin") { Description = "smallest overload margin, points of load % above the prediction (the margin is otherwise relative: --overload-relative)", DefaultValueFactory = _ => 3 };
        var relative = new Option<double>("--overload-relative") { Description = "physics limits: overload when the cutting load exceeds the predicted by this share of it", DefaultValueFactory = _ => 0.5 };
        var learn = new Option<bool>("--learn") { Description = "teach-in: add this part to the program's envelope in the history (you vouch it is good)" };
        var noLearn = new Option<bool>("--no-learn") { Description = "never add this part to the envelope (by default the first --learn-parts parts without alarms are learned)" };
        var learnParts = new Option<int>("--learn-parts") { Description = "good parts learned before the envelope's limits replace the physics ones (0: no automatic teach-in)", DefaultValueFactory = _ => 10 };
        var hold = new Option<double>("--hold") { Description = "seconds a condition must last to raise an alarm", DefaultValueFactory = _ => 0.5 };
        var tolerance = new Option<double>("--position-tolerance") { Description = "mm off the planned path that counts as a position alarm", DefaultValueFactory = _ => 1.0 };
        var idleAfterEnd = new Option<double>("--idle-after-end") { Description = "watch: seconds to keep recording after the program has ended (the spindle coasting down), unless the stream closes first", DefaultValueFactory = _ => 5 };
        var cmd = new Command(live ? "watch" : "replay", live
            ? "Follow a running machine: align its telemetry to the simulated program and raise alarms when reality departs."
            : "Replay a recorded telemetry log against the simulated program as fast as possible.")
        {
            program, source, format, machine, tools, tool, stock, resolution, material, coefficients, homeZ, offset, mapping, deviceFile, outDir, db, publish, margin, hold, tolerance, spindlePower,
            relative, learn, noLearn, learnParts,
        };
        if (live) cmd.Options.Add(idleAfterEnd);
        cmd.SetAction(async (pr, ct) =>
        {
            var opts = new MonitorOptions
            {
                OverloadMarginPct = pr.GetValue(margin), OverloadRelative = pr.GetValue(relative), HoldS = pr.GetValue(hold), PositionToleranceMm = pr.GetValue(tolerance),
                LearnParts = pr.GetValue(learnParts),
            };
            if (!(opts.HoldS >= 0) || !(opts.OverloadMarginPct >= 0) || !(opts.OverloadRelative >= 0) || !(opts.PositionToleranceMm > 0)
                || !double.IsFinite(opts.HoldS) || !double.IsFinite(opts.OverloadMarginPct) || !double.IsFinite(opts.OverloadRelative))
            {
                Console.Error.WriteLine("error: --hold, --overload-margin and --overload-relative must be numbers >= 0, --position-tolerance positive");
                return CliApp.ExitUsage;
            }
            if (opts.LearnParts < 0) { Console.Error.WriteLine("error: --learn-parts must be 0 or more"); return CliApp.ExitUsage; }
            if (pr.GetValue(learn) && pr.GetValue(noLearn)) { Console.Error.WriteLine("error: --learn and --no-learn exclude each other"); return CliApp.ExitUsage; }
            bool? learnPart = pr.GetValue(learn) ? true : pr.GetValue(noLearn) ? false : null;
            double idleS = live ? pr.GetValue(idleAfterEnd) : 0;
            if (!(idleS >= 0) || !double.IsFinite(idleS))
            {
                Console.Error.WriteLine("error: --idle-after-end must be a number of seconds >= 0");
                return CliApp.ExitUsage;
            }
            return await RunAsync(live, pr.GetValue(program)!, pr.GetValue(source)!, pr.GetValue(format)!, pr.GetValue(machine), pr.GetValue(tools), pr.GetValue(tool),
                new SimulateCommand.RemovalArgs(pr.GetValue(stock), pr.GetValue(resolution), "auto", null, 0, pr.GetValue(homeZ)!),
                new SimulateCommand.MechanicsArgs(pr.GetValue(material), null, pr.GetValue(coefficients), null, SpindlePowerW: pr.GetValue(spindlePower)),
                pr.GetValue(offset), pr.GetValue(mapping), pr.GetValue(deviceFile), pr.GetValue(outDir)!, pr.GetValue(db), pr.GetValue(publish), opts, ct, idleS, learnPart);
        });
        return cmd;
    }

    private static Vec3 ParseOffset(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Vec3.Zero;
        return TwinSessionOptions.ParseWorkOffset(text) ?? throw new ArgumentException($"--work-offset '{text}': expected X,Y,Z in mm");
    }

    internal static async Task<int> RunAsync(bool live, string programPath, string sourceUri, string format, string? machinePath, string? toolsPath, int initialTool,
        SimulateCommand.RemovalArgs removal, SimulateCommand.MechanicsArgs mechanics, string? offsetText, string? mappingPath, string? deviceFile, string outDir,
        string? dbPath, int? publishPort, MonitorOptions options, CancellationToken ct, double idleAfterEndS = 5, bool? learn = null)
    {
        if (publishPort is int pp && pp is < 1 or > 65535)
        {
            Console.Error.WriteLine($"--publish {pp}: error: a TCP port, 1 to 65535");
            return CliApp.ExitUsage;
        }
        string command = live ? "watch" : "replay";
        if (!CliApp.CheckOutputFolder(outDir)) return CliApp.ExitUsage;
        var request = CliSimulation.Request(programPath, machinePath, toolsPath, initialTool, false, removal, mechanics, command);
        if (request == null) return CliApp.ExitUsage;
        int code = CliSimulation.Setup(request, command, out var setup);
        if (setup == null) return code;
        Vec3 offset;
        DataItemMapping mapping;
        DeviceModel? model = null;
        try
        {
            offset = ParseOffset(offsetText);
            mapping = mappingPath != null ? DataItemMapping.Load(mappingPath) : DataItemMapping.Default;
            if (deviceFile != null) model = DeviceModel.Load(deviceFile);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or FileNotFoundException) { Console.Error.WriteLine(ex.Message); return CliApp.ExitUsage; }

        Prediction prediction;
        try
        {
            Console.Error.WriteLine($"simulating {programPath} ...");
            prediction = TwinSession.Predict(setup, ct);
        }
        catch (CncTwin.GCode.GCodeException ex) { Console.Error.WriteLine($"{ex.File}:{ex.Line}:{ex.Column}: {ex.Reason}"); return CliApp.ExitProgramError; }
        catch (SimulationSetupException ex) { return CliSimulation.Report(ex.Diagnostics, command); }

        Directory.CreateDirectory(outDir);
        IObservationSource source;
        DataItemMapping? fileMapping;
        try { source = TelemetrySources.Open(sourceUri, format, model, out fileMapping); }
        catch (ArgumentException ex) { Console.Error.WriteLine($"--source {sourceUri}: error: {ex.Message}"); return CliApp.ExitUsage; }
        if (fileMapping != null && mappingPath == null) mapping = fileMapping;
        dbPath ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outDir))!, "cnctwin-history.db");
        var session = new TwinSession(prediction, new TwinSessionOptions
        {
            Monitor = options, WorkOffset = offset, Mapping = mapping, DeviceModel = model, OutputFolder = outDir, HistoryDb = dbPath, StopAtProgramEnd = live, IdleAfterProgramEndS = idleAfterEndS, Learn = learn,
        });
        Console.Error.WriteLine(session.Monitor.Envelope is { } env
            ? string.Create(Inv, $"limits: learned from {env.Parts} good parts of this program (history {TwinHistoryStore.Describe(dbPath)})")
            : string.Create(Inv, $"limits: physics prediction ({session.Known.Envelope?.Parts ?? 0} of {options.LearnParts} teach-in parts learned so far)"));
        await using var adapter = publishPort is int port ? new ShdrAdapterServer(port) : null;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        var status = live && !Console.IsOutputRedirected;
        var lastShown = DateTime.MinValue;
        TwinEndEvent? end = null;
        try
        {
            await foreach (var e in session.RunAsync(source, cts.Token).ConfigureAwait(false))
            {
                switch (e)
                {
                    case TwinSourceEvent se:
                        Console.Error.WriteLine($"{se.Event.Kind}: {se.Event.Message}");
                        break;
                    case TwinSampleEvent { Sample: var a }:
                        adapter?.Publish([
                            ("line", a.Line.ToString(Inv)), ("predicted_load", a.PredictedLoadPct.ToString("0.##", Inv)),
                            ("tool_wear", double.IsFinite(a.WearUm) ? a.WearUm.ToString("0.###", Inv) : "UNAVAILABLE"),
                            ("remaining_life", double.IsFinite(prediction.RemainingLifeMin(a.WearUm)) ? prediction.RemainingLifeMin(a.WearUm).ToString("0.##", Inv) : "UNAVAILABLE"),
                            ("twin_alarm", a.Alarm is not { } kind ? "NORMAL||||" : $"FAULT|{kind.WireName()}|||{kind.WireName()} at line {a.Line}"),
                        ]);
                        if (status && (DateTime.UtcNow - lastShown).TotalSeconds > 0.5)
                        {
                            lastShown = DateTime.UtcNow;
                            AnsiConsole.MarkupLine(Markup.Escape(string.Create(Inv,
                                $"line {a.Line,5}  load {a.MeasuredLoadPct,6:0.0} %  predicted {a.PredictedLoadPct,6:0.0} %  wear {a.WearUm,6:0.0} µm  alarms {session.Monitor.Alarms.Count}")));
                        }
                        break;
                    case TwinEndEvent te:
                        end = te;
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or NotSupportedException or System.Data.Common.DbException)
        {
            // The session has closed its outputs; what failed is said in one line.
            Console.Error.WriteLine($"{command}: error: {ex.Message}");
            return CliApp.ExitProgramError;
        }
        finally { Console.CancelKeyPress -= onCancel; }
        if (end?.Error is { } error)
        {
            Console.Error.WriteLine(error);
            return CliApp.ExitProgramError;
        }
        var alarms = session.Monitor.Alarms;
        Console.WriteLine(string.Create(Inv, $"{session.Samples} samples, {alarms.Count} alarms -> {outDir}/telemetry.csv, {outDir}/alarms.json; history {TwinHistoryStore.Describe(dbPath)} (run {session.HistoryRunId})"));
        var cut = session.Monitor.CuttingTime.Values;
        double cutS = cut.Sum(v => v.CuttingS), nmS = cut.Sum(v => v.NotMonitorableS);
        if (cutS > 0)
            Console.WriteLine(string.Create(Inv, $"  noise floor {session.Monitor.NoiseFloorPct:0.##} points; {cutS - nmS:0.#} of {cutS:0.#} s of cutting monitorable") + (nmS >= 0.05 ? string.Create(Inv, $" ({nmS:0.#} s too light to tell from idle: see summary.json not_monitorable)") : ""));
        if (session.LearnedParts > 0)
            Console.WriteLine(string.Create(Inv, $"  learned: this part is part {session.LearnedParts} of the envelope") + (session.LearnedParts >= options.LearnParts && options.LearnParts > 0 ? "; later parts are monitored against it" : ""));
        if (session.Monitor.Part.Ratio is double ratio)
            Console.WriteLine(string.Create(Inv, $"  measured/predicted cutting load {ratio:0.###}; wear from the stream {session.Monitor.StreamWearUm:0.#} µm") +
                (session.Monitor.EnergySource.Length > 0 ? string.Create(Inv, $"; spindle energy {session.Monitor.MeasuredEnergyJ / 3.6e6:0.####} kWh (from {session.Monitor.EnergySource}; predicted {prediction.PredictedSpindleEnergyKwh:0.####})") : ""));
        foreach (var a in alarms.Take(20)) Console.WriteLine(string.Create(Inv, $"  line {a.Line}: {a.Kind.WireName()} {a.StartS:0.###}-{a.EndS:0.###} s: {a.Message}"));
        return CliApp.ExitOk;
    }
}

/// <summary><c>cnctwin umich-power</c>: the U-Mich replay study (predicted against measured spindle power).</summary>
internal static class UmichPowerCommand
{
    public static Command Build()
    {
        var data = new Option<string?>("--data") { Description = "the data folder (../shared/data by default, or $CNCTWIN_DATA)" };
        var cal = new Option<string>("--calibrate") { Description = "experiments whose power calibrates the wax coefficients", DefaultValueFactory = _ => "1,3,11,12,17" };
        var cmd = new Command("umich-power", "Rebuild each U-Mich experiment's toolpath from its command positions, simulate it on the wax block, calibrate wax on some experiments and compare predicted with measured spindle power on the others.") { data, cal };
        cmd.SetAction(pr =>
        {
            var dir = DataLocation.Find(pr.GetValue(data));
            if (dir == null) { Console.Error.WriteLine($"error: data folder not found ({DataLocation.Help})"); return CliApp.ExitUsage; }
            HashSet<int> calib;
            try { calib = pr.GetValue(cal)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToHashSet(); }
            catch (FormatException) { Console.Error.WriteLine("--calibrate: error: expected experiment numbers, e.g. 1,3,11"); return CliApp.ExitUsage; }
            try
            {
                var r = UmichPowerReplay.Run(dir, calib);
                var inv = CultureInfo.InvariantCulture;
                Console.WriteLine(string.Create(inv, $"fitted wax: ktc {r.KtcNPerMm2:0.###} N/mm², kte {r.KteNPerMm:0.###} N/mm ({r.Assumptions})"));
                Console.WriteLine("exp  role  samples  corr    RMSE W  baseline W  measured cut W (mean ± sd)  predicted W  with library wax W");
                foreach (var f in r.Folds)
                    Console.WriteLine(string.Create(inv, $"{f.Experiment,3}  {(f.Calibration ? "cal " : "test")}  {f.Samples,7}  {f.Correlation,6:0.000}  {f.RmseW,7:0.0}  {f.BaselineRmseW,10:0.0}  {f.MeanMeasuredCutW,10:0.0} ± {f.MeasuredStdW,5:0.0}          {f.MeanPredictedCutW,9:0.00}  {f.MeanPredictedWithLibraryWaxW,10:0.00}"));
                var test = r.Folds.Where(f => !f.Calibration).ToList();
                Console.WriteLine(string.Create(inv, $"test experiments: mean correlation {test.Average(f => f.Correlation):0.000}, mean RMSE {test.Average(f => f.RmseW):0.0} W vs baseline {test.Average(f => f.BaselineRmseW):0.0} W"));
                return CliApp.ExitOk;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or FileNotFoundException) { Console.Error.WriteLine(ex.Message); return CliApp.ExitProgramError; }
        });
        return cmd;
    }
}
