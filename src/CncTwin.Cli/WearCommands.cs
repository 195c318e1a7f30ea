using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CncTwin.Wear;
using CncTwin.Wear.Learning;

namespace CncTwin.Cli;

/// <summary><c>cnctwin wear train|eval|predict</c>: the tool-wear models on the real datasets.</summary>
internal static class WearCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The shipped models, copied beside the program at build time from the repository's models/.</summary>
    public static string ShippedModel(string dataset) => Path.Combine(AppContext.BaseDirectory, "models", dataset switch
    {
        // v2: the state-space model (nested-selected sensor model + particle filter), a JSON file; the v1 ML.NET
        // model (phm2010-wear.zip) stays loadable with --model for comparison.
        "phm2010" => "phm2010-wear-v2.json",
        "nasa" => "nasa-vb.zip",
        _ => "umich-worn.zip",
    });

    public static Command Build()
    {
        var wear = new Command("wear", "Tool-wear models trained on real milling data (PHM 2010, NASA milling, U-Mich CNC mill).");
        wear.Subcommands.Add(BuildTrain());
        wear.Subcommands.Add(BuildEval());
        wear.Subcommands.Add(BuildPredict());
        return wear;
    }

    private static Option<string> DatasetOption()
    {
        var o = new Option<string>("--dataset") { Description = "phm2010, nasa or umich", Required = true };
        o.AcceptOnlyFromAmong("phm2010", "nasa", "umich");
        return o;
    }

    private static Option<string?> DataOption() => new("--data") { Description = $"the data folder (../shared/data, or the dataset's own folder); default: $CNCTWIN_DATA or ../shared/data" };

    /// <summary>Accepts the data root or the dataset's own folder.</summary>
    private static string DataRoot(string? dir, string dataset)
    {
        string sub = dataset switch { "phm2010" => "phm2010", "nasa" => "nasa-mill", _ => "umich-cnc-mill" };
        var root = DataLocation.Find(dir) ?? throw new DatasetException($"{dir ?? "../shared/data"}: error: data folder not found ({DataLocation.Help})");
        if (Directory.Exists(Path.Combine(root, sub))) return root;
        if (string.Equals(Path.GetFileName(root.TrimEnd('/')), sub, StringComparison.OrdinalIgnoreCase)) return Path.GetDirectoryName(root.TrimEnd('/'))!;
        throw new DatasetException($"{root}: error: no {sub}/ folder in it ({DataLocation.Help})");
    }

    private static Command BuildTrain()
    {
        var dataset = DatasetOption();
        var data = DataOption();
        var cutters = new Option<string>("--cutters") { Description = "phm2010: labelled cutters to train on", DefaultValueFactory = _ => "c1,c4" };
        var model = new Option<string?>("--model") { Description = "where to write the model (.zip; its spec .json beside it); default: models/<dataset> in the current folder" };
        var cmd = new Command("train", "Select features and trainer by leave-one-out, then train on all the labelled data and save the model.") { dataset, data, cutters, model };
        cmd.SetAction(pr => Guard(() =>
        {
            string ds = pr.GetValue(dataset)!;
            string root = DataRoot(pr.GetValue(data), ds);
            string finalPath = pr.GetValue(model) ?? Path.Combine("models", Path.GetFileName(ShippedModel(ds)));
            // Trained under a temporary name beside the target (the model and the spec .json the trainers write
            // beside it), then renamed: a failed or interrupted training never leaves a half-written model.
            string outDir = Path.GetDirectoryName(Path.GetFullPath(finalPath))!;
            Directory.CreateDirectory(outDir);
            string outPath = Path.Combine(outDir, $".{Path.GetFileNameWithoutExtension(finalPath)}.{Guid.NewGuid():N}.tmp{Path.GetExtension(finalPath)}");
            var progress = new Progress<string>(s => Console.Error.WriteLine(s));
            Console.Error.WriteLine($"wear train: {ds} from {root} (selection and leave-one-out evaluation first; this takes a while)");
            try
            {
            switch (ds)
            {
                case "phm2010":
                {
                    var names = CutterList(pr.GetValue(cutters)!);
                    if (outPath.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
                    {
                        // A .zip asks for the v1 ML.NET model (features and trainer searched on the reported folds).
                        Console.Error.WriteLine("searching features and trainer (leave-one-cutter-out) ...");
                        var (spec, report) = PhmWearModel.Search(root, names, 1, progress);
                        PhmWearModel.Train(root, spec, outPath);
                        PrintRegression(report, "µm");
                    }
                    else
                    {
                        Console.Error.WriteLine($"selecting features and ridge lambda (inner leave-one-cutter-out) and training on {string.Join(", ", names)} ...");
                        var spec = PhmStateModel.Train(root, names, outPath);
                        Console.Error.WriteLine("evaluating: nested leave-one-cutter-out and single-source transfer ...");
                        Console.Error.WriteLine($"selected: [{string.Join(", ", spec.Features)}] lambda {spec.Lambda} ({spec.Selection})");
                        PrintNested(PhmStateModel.Evaluate(root, names));
                    }
                    break;
                }
                case "nasa":
                {
                    Console.Error.WriteLine("evaluating (leave-one-case-out) ...");
                    var report = NasaWearModel.Evaluate(root);
                    Console.Error.WriteLine("training on every case ...");
                    NasaWearModel.Train(root, outPath);
                    PrintRegression(report, "µm");
                    break;
                }
                default:
                {
                    Console.Error.WriteLine("evaluating (leave-one-experiment-out) ...");
                    var report = UmichConditionModel.Evaluate(root);
                    Console.Error.WriteLine("training on every experiment ...");
                    UmichConditionModel.Train(root, outPath);
                    PrintClassification(report);
                    break;
                }
            }
            foreach (var (from, to) in new[] { (outPath, finalPath), (Path.ChangeExtension(outPath, ".json"), Path.ChangeExtension(finalPath, ".json")) })
                if (File.Exists(from)) File.Move(from, to, overwrite: true);
            }
            finally
            {
                foreach (var t in new[] { outPath, Path.ChangeExtension(outPath, ".json") }) if (File.Exists(t)) File.Delete(t);
            }
            Console.WriteLine($"wrote {finalPath}");
        }));
        return cmd;
    }

    private static Command BuildEval()
    {
        var dataset = DatasetOption();
        var data = DataOption();
        var cutters = new Option<string>("--cutters") { Description = "phm2010: labelled cutters for leave-one-cutter-out", DefaultValueFactory = _ => "c1,c4" };
        var model = new Option<string?>("--model") { Description = "phm2010: evaluate this model's features and trainer (default: the shipped model's)" };
        var search = new Option<bool>("--search") { Description = "phm2010: run the feature and trainer search instead of a fixed model" };
        var format = new Option<string>("--format") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var nestedOpt = new Option<bool>("--nested") { Description = "nasa: nested leave-one-case-out (feature set and trainer chosen inside the training cases; minutes)" };
        var cmd = new Command("eval", "Print the leave-one-out table (per held-out cutter, case or experiment) of the model against its baseline.") { dataset, data, cutters, model, search, format, nestedOpt };
        cmd.SetAction(pr => Guard(() =>
        {
            string ds = pr.GetValue(dataset)!;
            string root = DataRoot(pr.GetValue(data), ds);
            bool json = pr.GetValue(format) == "json";
            switch (ds)
            {
                case "phm2010":
                {
                    var names = CutterList(pr.GetValue(cutters)!);
                    EvaluationReport report;
                    if (pr.GetValue(search)) report = PhmWearModel.Search(root, names, 1, new Progress<string>(s => Console.Error.WriteLine(s))).Report;
                    else if (pr.GetValue(model) is not { } given || PhmStateModel.IsStateSpec(given))
                    {
                        // The v2 model's figures are its protocol's: nested leave-one-cutter-out and single-source
                        // transfer (a fixed model's own folds would reuse the choices made on them).
                        var nested = PhmStateModel.Evaluate(root, names);
                        if (json) WriteJson(nested); else PrintNested(nested);
                        break;
                    }
                    else
                    {
                        string m = given;
                        string specPath = PhmWearModel.SpecPath(m);
                        if (!File.Exists(specPath)) throw new DatasetException($"{specPath}: error: model spec not found (train one with cnctwin wear train --dataset phm2010, or use --search)");
                        var spec = JsonSerializer.Deserialize<PhmModelSpec>(File.ReadAllText(specPath))!;
                        report = PhmWearModel.Evaluate(root, spec, names);
                    }
                    if (json) WriteJson(report); else PrintRegression(report, "µm");
                    break;
                }
                case "nasa":
                {
                    var report = pr.GetValue(nestedOpt)
                        ? NasaWearModel.EvaluateNested(root, 1, new Progress<string>(s => Console.Error.WriteLine(s)))
                        : NasaWearModel.Evaluate(root);
                    if (json) WriteJson(report); else PrintRegression(report, "µm");
                    if (!json && pr.GetValue(nestedOpt))
                        foreach (var f in report.Folds) Console.WriteLine($"{f.HeldOut}: chose {f.Choice}");
                    break;
                }
                default:
                {
                    var report = UmichConditionModel.Evaluate(root);
                    if (json) WriteJson(report);
                    else
                    {
                        PrintClassification(report);
                        PrintRunChecks(UmichRunChecks.Read(root));
                    }
                    break;
                }
            }
        }));
        return cmd;
    }

    private static Command BuildPredict()
    {
        var dataset = DatasetOption();
        var data = DataOption();
        var cutter = new Option<string>("--cutter") { Description = "phm2010 cutter (c1..c6)", Required = true };
        var model = new Option<string?>("--model") { Description = "model: the state-space .json (default: the shipped models/phm2010-wear-v2.json) or a v1 .zip" };
        var format = new Option<string>("--format") { Description = "csv (cut,wear_um,wear_low_um,wear_high_um) or json", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json");
        var cmd = new Command("predict", "Predict the flank wear after every cut of a PHM 2010 cutter: prints cut,wear_um.") { dataset, data, cutter, model, format };
        cmd.SetAction(pr => Guard(() =>
        {
            string ds = pr.GetValue(dataset)!;
            if (ds != "phm2010") throw new ArgumentException("predict works on --dataset phm2010 (the other datasets are evaluated with wear eval)");
            string root = DataRoot(pr.GetValue(data), ds);
            string modelPath = pr.GetValue(model) ?? ShippedModel("phm2010");
            if (PhmStateModel.IsStateSpec(modelPath))
            {
                PrintBand(PhmStateModel.Predict(root, pr.GetValue(cutter)!, modelPath), pr.GetValue(format) == "json");
                return;
            }
            var rows = PhmWearModel.Predict(root, pr.GetValue(cutter)!, modelPath);
            if (pr.GetValue(format) == "json")
            {
                using var w = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
                w.WriteStartArray();
                foreach (var (c, um) in rows) { w.WriteStartObject(); w.WriteNumber("cut", c); w.WriteNumber("wear_um", Math.Round(um, 3)); w.WriteEndObject(); }
                w.WriteEndArray();
                w.Flush();
                Console.WriteLine();
            }
            else
            {
                var o = new StreamWriter(Console.OpenStandardOutput()) { NewLine = "\n" };
                o.WriteLine("cut,wear_um");
                foreach (var (c, um) in rows) o.WriteLine(string.Create(Inv, $"{c},{um:0.###}"));
                o.Flush();
            }
        }));
        return cmd;
    }

    /// <summary>
    /// --cutters as a list: each cutter once (a cutter in both the training and the held-out fold would leak its
    /// own labels into its score), and at least two, since the folds leave one out.
    /// </summary>
    private static string[] CutterList(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant()).ToArray();
        var twice = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (twice != null) throw new ArgumentException($"--cutters '{text}': {twice.Key} is given twice");
        if (names.Length < 2) throw new ArgumentException($"--cutters '{text}': leave-one-cutter-out needs at least two labelled cutters, e.g. c1,c4");
        return names;
    }

    private static int Guard(Action a)
    {
        try { a(); return CliApp.ExitOk; }
        catch (DatasetException ex) { Console.Error.WriteLine(ex.Message); return CliApp.ExitUsage; }
        catch (ArgumentException ex) { Console.Error.WriteLine($"wear: error: {ex.Message}"); return CliApp.ExitUsage; }
        catch (IOException ex) { Console.Error.WriteLine($"wear: error: {ex.Message}"); return CliApp.ExitProgramError; }
    }

    private static void PrintRegression(EvaluationReport r, string unit)
    {
        Console.WriteLine($"{r.Dataset}: {r.Model}");
        Console.WriteLine($"baseline: {r.Baseline}");
        Console.WriteLine($"{"held out",-10} {"samples",8} {"model RMSE",12} {"baseline RMSE",14}  better");
        foreach (var f in r.Folds)
            Console.WriteLine(string.Create(Inv, $"{f.HeldOut,-10} {f.Samples,8} {f.ModelRmse,9:0.00} {unit} {f.BaselineRmse,11:0.00} {unit}  {(f.BeatsBaseline ? "yes" : "NO")}"));
        Console.WriteLine(string.Create(Inv, $"{"mean",-10} {r.Folds.Sum(f => f.Samples),8} {r.Folds.Average(f => f.ModelRmse),9:0.00} {unit} {r.Folds.Average(f => f.BaselineRmse),11:0.00} {unit}  {r.Folds.Count(f => f.BeatsBaseline)}/{r.Folds.Count} folds better"));
        Console.WriteLine($"note: {r.Notes}");
    }

    /// <summary>cut,wear_um first (the v1 contract), then the filter's 90 % band.</summary>
    private static void PrintBand(List<(int Cut, WearEstimate E)> rows, bool json)
    {
        if (json)
        {
            using var w = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
            w.WriteStartArray();
            foreach (var (c, e) in rows)
            {
                w.WriteStartObject();
                w.WriteNumber("cut", c);
                w.WriteNumber("wear_um", Math.Round(e.WearUm, 3));
                w.WriteNumber("wear_low_um", Math.Round(e.LowUm, 3));
                w.WriteNumber("wear_high_um", Math.Round(e.HighUm, 3));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.Flush();
            Console.WriteLine();
            return;
        }
        var o = new StreamWriter(Console.OpenStandardOutput()) { NewLine = "\n" };
        o.WriteLine("cut,wear_um,wear_low_um,wear_high_um");
        foreach (var (c, e) in rows) o.WriteLine(string.Create(Inv, $"{c},{e.WearUm:0.###},{e.LowUm:0.###},{e.HighUm:0.###}"));
        o.Flush();
    }

    private static void PrintNested(NestedReport r)
    {
        foreach (var (title, rep) in new[] { ("nested leave-one-cutter-out", r.Nested), ("single-source transfer (choices fixed beforehand)", r.Transfer) })
        {
            Console.WriteLine($"{rep.Dataset} {title}: {rep.Model}");
            Console.WriteLine($"baseline: {rep.Baseline}");
            Console.WriteLine($"{"held out",-10} {"samples",8} {"filter RMSE",12} {"sensor RMSE",12} {"band 90%",9} {"width",9} {"baseline RMSE",14}  better  chosen");
            foreach (var f in rep.Folds)
                Console.WriteLine(string.Create(Inv, $"{f.HeldOut,-10} {f.Samples,8} {f.ModelRmse,9:0.00} µm {f.SensorRmse,9:0.00} µm {f.BandCoverage,9:0.00} {f.BandWidthUm,6:0.0} µm {f.BaselineRmse,11:0.00} µm  {(f.BeatsBaseline ? "yes" : "NO"),-6}  {f.Choice}"));
            Console.WriteLine(string.Create(Inv, $"{"mean",-10} {rep.Folds.Sum(f => f.Samples),8} {rep.Folds.Average(f => f.ModelRmse),9:0.00} µm {rep.Folds.Average(f => f.SensorRmse ?? 0),9:0.00} µm {rep.Folds.Average(f => f.BandCoverage ?? 0),9:0.00} {rep.Folds.Average(f => f.BandWidthUm ?? 0),6:0.0} µm {rep.Folds.Average(f => f.BaselineRmse),11:0.00} µm  {rep.Folds.Count(f => f.BeatsBaseline)}/{rep.Folds.Count} folds better"));
            Console.WriteLine($"note: {rep.Notes}");
            Console.WriteLine();
        }
    }

    private static void PrintClassification(ClassificationReport r)
    {
        Console.WriteLine($"umich: {r.Model}");
        Console.WriteLine($"baseline: {r.Baseline}");
        Console.WriteLine($"{"experiment",-10} {"truth",6} {"windows",8} {"window acc",11} {"P(worn)",8} {"model",6} {"baseline",9} {"Brier",7} {"Brier base",11}");
        foreach (var f in r.Folds)
            Console.WriteLine(string.Create(Inv, $"{f.Experiment,-10} {(f.Worn ? "worn" : "unworn"),6} {f.Windows,8} {f.WindowAccuracy,11:0.000} {f.MeanProbabilityWorn,8:0.00} {(f.ExperimentCorrect ? "ok" : "wrong"),6} {(f.BaselineCorrect ? "ok" : "wrong"),9} {f.BrierModel,7:0.000} {f.BrierBaseline,11:0.000}"));
        Console.WriteLine(string.Create(Inv, $"experiments right: model {r.ExperimentAccuracy:0.000}, baseline {r.BaselineAccuracy:0.000}; window accuracy {r.WindowAccuracy:0.000}; mean Brier {r.Folds.Average(f => f.BrierModel):0.000} vs {r.Folds.Average(f => f.BrierBaseline):0.000}"));
    }

    /// <summary>The telemetry behind the model card's "why not every fold": cutting power and the tool's top cutting level.</summary>
    private static void PrintRunChecks(List<UmichRunCheck> runs)
    {
        Console.WriteLine();
        Console.WriteLine("spindle power cutting vs spinning in air, same run (W), and the highest machine Z cut at (mm):");
        Console.WriteLine($"{"experiment",-10} {"truth",6} {"feed",5} {"cut n",6} {"air n",6} {"cut W",7} {"air W",7} {"cut-air",8} {"± air",6} {"top Z",6}");
        foreach (var r in runs)
        {
            // A run without air samples has no air reference: said as "–", never as NaN.
            static string F(double v, string format, int width) => (double.IsFinite(v) ? v.ToString(format, Inv) : "–").PadLeft(width);
            Console.WriteLine(string.Create(Inv, $"{r.Experiment,-10} {(r.Worn ? "worn" : "unworn"),6} {r.FeedMmPerS,5:0} {r.CutSamples,6} {r.AirSamples,6} {F(r.CutPowerW, "0.0", 7)} {F(r.AirPowerW, "0.0", 7)} {F(r.CuttingPowerW, "+0.0;-0.0", 8)} {F(r.AirStdErrW, "0.0", 6)} {F(r.TopCutZMm, "0.0", 6)}"));
        }
    }

    private static void WriteJson<T>(T report)
    {
        Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
    }
}
