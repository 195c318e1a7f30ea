using System.Text.Json;
using CncTwin.Mechanics;
using Microsoft.ML;

using CncTwin.Wear;

namespace CncTwin.Wear.Learning;

/// <summary>What a trained PHM 2010 model needs besides its ML.NET file: which features, how they are made, the trainer.</summary>
/// <summary>FeatureMin/FeatureMax: the training range of each model input; inputs are clamped to it, so a sensor reading far outside what the model saw cannot extrapolate a linear model wildly (the physics prior, input 0, is not clamped).</summary>
public sealed record PhmModelSpec(string Trainer, string[] SensorFeatures, int SmoothWindow, double PriorUmPerCut, double LineA, double LineB, string[] TrainedOn,
    float[]? FeatureMin = null, float[]? FeatureMax = null);

/// <summary>One fold of a leave-one-out evaluation: the held-out unit, the model's RMSE, the baseline's, and the sample count.</summary>
public sealed record FoldResult(string HeldOut, double ModelRmse, double BaselineRmse, int Samples)
{
    public bool BeatsBaseline => ModelRmse < BaselineRmse;
    /// <summary>PHM state-space model only: RMSE of the sensor model alone (before the filter), µm.</summary>
    public double? SensorRmse { get; init; }
    /// <summary>PHM state-space model only: share of the cuts whose true wear lies inside the filter's 90 % band.</summary>
    public double? BandCoverage { get; init; }
    /// <summary>PHM state-space model only: mean width of that band, µm.</summary>
    public double? BandWidthUm { get; init; }
    /// <summary>What the inner loop chose on this fold's training cutters (features, lambda).</summary>
    public string? Choice { get; init; }
}

public sealed record EvaluationReport(string Dataset, string Model, string Baseline, IReadOnlyList<FoldResult> Folds, string Notes);

/// <summary>
/// Flank wear (mean of the three flutes, µm) of PHM 2010 cutters from their cut features. Inputs per cut: a
/// physics prior (the Usui/Taylor wear of <see cref="WearLaw"/> for carbide on stainless steel at the challenge's
/// conditions, accumulated over the cuts: a straight line in cut number here, since every cut is the same) and
/// sensor features smoothed by a trailing median (only past and present cuts: usable live). Feature set and
/// trainer (ML.NET SDCA linear regression, FastTree, or FastTree on the residual of the prior's line) are picked
/// by leave-one-cutter-out RMSE; predictions are made monotone (running maximum), since wear never shrinks.
/// </summary>
public static class PhmWearModel
{
    public const string Baseline = "straight line in cut number fitted on the training cutter(s)";

    /// <summary>µm of flank wear per cut from the physics law at the PHM 2010 conditions (108 mm cuts; ball-nose engaged radius at ap 0.2 mm).</summary>
    public static double PhysicsPriorUmPerCut()
    {
        var lib = WearLibrary.BuiltIn();
        var k = MaterialLibrary.BuiltIn().Get("stainless304").Coefficients;
        var law = lib.Law("carbide", "stainless304", k) ?? throw new InvalidOperationException("wear.json lacks carbide on stainless304");
        double r = Math.Sqrt(Phm2010.AxialDepthMm * (Phm2010.DiameterMm - Phm2010.AxialDepthMm));
        double v = Math.PI * 2 * r * Phm2010.Rpm / 1000;
        double fz = Phm2010.FeedMmPerMin / (3 * Phm2010.Rpm);
        // Largest chip at a radial depth ae on the engaged radius r: fz·sin(φex) with cos φex = 1 − 2ae/(2r).
        double chip = fz * Math.Sin(Math.Acos(1 - Phm2010.RadialDepthMm / r));
        const double cutLengthMm = 108; // the challenge's workpiece length per cut
        return law.RateUmPerMin(v, chip) * cutLengthMm / Phm2010.FeedMmPerMin;
    }

    private sealed record Cutter(string Name, List<PhmCut> Cuts, double[] Wear);

    private static float[][] SmoothedColumns(List<PhmCut> cuts, int[] columns, int window)
    {
        var result = new float[cuts.Count][];
        for (int i = 0; i < cuts.Count; i++) result[i] = new float[columns.Length];
        var buf = new List<float>(window);
        for (int c = 0; c < columns.Length; c++)
            for (int i = 0; i < cuts.Count; i++)
            {
                buf.Clear();
                for (int j = Math.Max(0, i - window + 1); j <= i; j++) buf.Add(cuts[j].Features[columns[c]]);
                buf.Sort();
                result[i][c] = buf[buf.Count / 2];
            }
        return result;
    }

    private static List<MlRow> Rows(List<PhmCut> cuts, double[]? wear, int[] columns, int window, double priorPerCut, Func<int, double>? residualOf = null)
    {
        var sensors = SmoothedColumns(cuts, columns, window);
        var rows = new List<MlRow>(cuts.Count);
        for (int i = 0; i < cuts.Count; i++)
        {
            var f = new float[1 + columns.Length];
            f[0] = (float)(priorPerCut * cuts[i].Cut);
            Array.Copy(sensors[i], 0, f, 1, columns.Length);
            double label = wear == null ? 0 : wear[i] - (residualOf?.Invoke(cuts[i].Cut) ?? 0);
            rows.Add(new MlRow { Features = f, Label = (float)label });
        }
        return rows;
    }

    private static (float[] Lo, float[] Hi) Range(List<MlRow> rows)
    {
        int w = rows[0].Features.Length;
        var lo = Enumerable.Repeat(float.PositiveInfinity, w).ToArray();
        var hi = Enumerable.Repeat(float.NegativeInfinity, w).ToArray();
        foreach (var r in rows)
            for (int j = 0; j < w; j++) { lo[j] = Math.Min(lo[j], r.Features[j]); hi[j] = Math.Max(hi[j], r.Features[j]); }
        return (lo, hi);
    }

    /// <summary>Sensor inputs clamped to the training range (the physics prior, input 0, extrapolates freely).</summary>
    private static List<MlRow> Clamp(List<MlRow> rows, float[]? lo, float[]? hi)
    {
        if (lo == null || hi == null) return rows;
        foreach (var r in rows)
            for (int j = 1; j < r.Features.Length && j < lo.Length; j++) r.Features[j] = Math.Clamp(r.Features[j], lo[j], hi[j]);
        return rows;
    }

    private static (double[] Predictions, ITransformer Model) FitPredict(MLContext ml, WearTrainer trainer, List<Cutter> train, List<PhmCut> test, int[] cols, int window, double prior,
        out double lineA, out double lineB) => FitPredict(ml, trainer, train, test, cols, window, prior, out lineA, out lineB, out _, out _);

    private static (double[] Predictions, ITransformer Model) FitPredict(MLContext ml, WearTrainer trainer, List<Cutter> train, List<PhmCut> test, int[] cols, int window, double prior,
        out double lineA, out double lineB, out float[] lo, out float[] hi)
    {
        var xs = train.SelectMany(c => c.Cuts.Select(x => (double)x.Cut)).ToList();
        var ys = train.SelectMany(c => c.Wear).ToList();
        (lineA, lineB) = Ml.Line(xs, ys);
        double a = lineA, b = lineB;
        Func<int, double>? residual = trainer == WearTrainer.FastTreeOnResidual ? cut => a + b * cut : null;
        var rows = train.SelectMany(c => Rows(c.Cuts, c.Wear, cols, window, prior, residual)).ToList();
        var model = Ml.Regressor(ml, trainer, rows.Count).Fit(Ml.View(ml, rows, 1 + cols.Length));
        (lo, hi) = Range(rows);
        var scores = Ml.Score(ml, model, Clamp(Rows(test, null, cols, window, prior), lo, hi), 1 + cols.Length);
        var pred = test.Select((x, i) => scores[i] + (residual?.Invoke(x.Cut) ?? 0)).ToArray();
        return (Ml.Monotone(pred), model);
    }

    private static List<Cutter> Labelled(string dataDir, IEnumerable<string> names, out string[] featureNames)
    {
        featureNames = [];
        var list = new List<Cutter>();
        foreach (var n in names)
        {
            var (names2, cuts) = Phm2010.Read(dataDir, n);
            featureNames = names2;
            if (cuts.Any(c => c.WearUm == null)) throw new DatasetException($"{Path.Combine(dataDir, "phm2010", n + "_wear.csv")}: error: cutter {n} has no wear labels for every cut (labelled cutters: c1, c4)");
            list.Add(new Cutter(n, cuts, cuts.Select(c => c.WearUm!.Value).ToArray()));
        }
        return list;
    }

    private static FoldResult[] Folds(MLContext ml, List<Cutter> cutters, WearTrainer trainer, int[] cols, int window, double prior)
    {
        var folds = new FoldResult[cutters.Count];
        for (int k = 0; k < cutters.Count; k++)
        {
            var train = cutters.Where((_, i) => i != k).ToList();
            var test = cutters[k];
            var (pred, _) = FitPredict(ml, trainer, train, test.Cuts, cols, window, prior, out double a, out double b);
            var baseline = test.Cuts.Select(c => a + b * c.Cut).ToArray();
            folds[k] = new FoldResult(test.Name, Ml.Rmse(pred, test.Wear), Ml.Rmse(baseline, test.Wear), test.Cuts.Count);
        }
        return folds;
    }

    /// <summary>
    /// The model search: greedy forward selection of up to three sensor features (linear model, worst-fold RMSE),
    /// then each trainer on the chosen set; the best by worst-fold RMSE wins. Needs at least two labelled cutters.
    /// </summary>
    public static (PhmModelSpec Spec, EvaluationReport Report) Search(string dataDir, IReadOnlyList<string> cutters, int seed = 1, IProgress<string>? progress = null)
    {
        if (cutters.Distinct(StringComparer.OrdinalIgnoreCase).Count() != cutters.Count || cutters.Count < 2)
            throw new ArgumentException("leave-one-cutter-out needs at least two labelled cutters, each once (c1, c4)");
        var ml = new MLContext(seed);
        var data = Labelled(dataDir, cutters, out var names);
        double prior = PhysicsPriorUmPerCut();
        const int window = 5;
        var chosen = new List<int>();
        double best = Folds(ml, data, WearTrainer.Sdca, [], window, prior).Max(f => f.ModelRmse);
        progress?.Report($"physics prior only (linear): worst fold {best:0.00} µm");
        for (int round = 0; round < 3; round++)
        {
            int pick = -1; double pickScore = best;
            for (int c = 0; c < names.Length; c++)
            {
                if (chosen.Contains(c)) continue;
                double worst = Folds(ml, data, WearTrainer.Sdca, [.. chosen, c], window, prior).Max(f => f.ModelRmse);
                if (worst < pickScore - 0.05) { pickScore = worst; pick = c; }
            }
            if (pick < 0) break;
            chosen.Add(pick); best = pickScore;
            progress?.Report($"+ {names[pick]}: worst fold {best:0.00} µm");
        }
        var cols = chosen.ToArray();
        WearTrainer bestTrainer = WearTrainer.Sdca;
        FoldResult[]? bestFolds = null;
        foreach (var t in Enum.GetValues<WearTrainer>())
        {
            var f = Folds(ml, data, t, cols, window, prior);
            progress?.Report($"{t}: " + string.Join(", ", f.Select(x => $"{x.HeldOut} {x.ModelRmse:0.00}")));
            if (bestFolds == null || f.Max(x => x.ModelRmse) < bestFolds.Max(x => x.ModelRmse)) { bestFolds = f; bestTrainer = t; }
        }
        var (_, _) = FitPredict(ml, bestTrainer, data, data[0].Cuts, cols, window, prior, out double la, out double lb);
        var spec = new PhmModelSpec(bestTrainer.ToString(), cols.Select(c => names[c]).ToArray(), window, prior, la, lb, cutters.ToArray());
        return (spec, new EvaluationReport("phm2010", Describe(spec), Baseline, bestFolds!,
            "features and trainer chosen by the same leave-one-cutter-out folds that are reported (only two cutters are labelled), so the figures are optimistic about feature choice"));
    }

    public static string Describe(PhmModelSpec s) =>
        $"{s.Trainer} on [physics prior, {string.Join(", ", s.SensorFeatures)} (trailing median of {s.SmoothWindow} cuts, clamped to the training range)], monotone";

    /// <summary>Evaluates a fixed spec by leave-one-cutter-out (what `wear eval` prints for the shipped model).</summary>
    public static EvaluationReport Evaluate(string dataDir, PhmModelSpec spec, IReadOnlyList<string> cutters, int seed = 1)
    {
        if (cutters.Distinct(StringComparer.OrdinalIgnoreCase).Count() != cutters.Count || cutters.Count < 2)
            throw new ArgumentException("leave-one-cutter-out needs at least two labelled cutters, each once (c1, c4)");
        var ml = new MLContext(seed);
        var data = Labelled(dataDir, cutters, out var names);
        var cols = spec.SensorFeatures.Select(f => Array.IndexOf(names, f)).ToArray();
        if (cols.Any(c => c < 0)) throw new DatasetException($"phm2010: the model's features {string.Join(", ", spec.SensorFeatures)} are not all in the data");
        var folds = Folds(ml, data, Enum.Parse<WearTrainer>(spec.Trainer), cols, spec.SmoothWindow, spec.PriorUmPerCut);
        return new EvaluationReport("phm2010", Describe(spec), Baseline, folds, "leave-one-cutter-out with the model's fixed features and trainer");
    }

    /// <summary>Trains the spec on the given labelled cutters and saves model.zip plus its spec (model.json beside it).</summary>
    public static void Train(string dataDir, PhmModelSpec spec, string modelPath, int seed = 1)
    {
        var ml = new MLContext(seed);
        var data = Labelled(dataDir, spec.TrainedOn, out var names);
        var cols = spec.SensorFeatures.Select(f => Array.IndexOf(names, f)).ToArray();
        var trainer = Enum.Parse<WearTrainer>(spec.Trainer);
        var (_, model) = FitPredict(ml, trainer, data, data[0].Cuts, cols, spec.SmoothWindow, spec.PriorUmPerCut, out double a, out double b, out var lo, out var hi);
        spec = spec with { LineA = a, LineB = b, FeatureMin = lo, FeatureMax = hi };
        int width = 1 + cols.Length;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(modelPath))!);
        ml.Model.Save(model, Ml.View(ml, Array.Empty<MlRow>(), width).Schema, modelPath);
        File.WriteAllText(SpecPath(modelPath), JsonSerializer.Serialize(spec, new JsonSerializerOptions { WriteIndented = true }));
    }

    public static string SpecPath(string modelPath) => Path.ChangeExtension(modelPath, ".json");

    /// <summary>Wear (µm) after every cut of a cutter, from a saved model: (cut, wear) in cut order.</summary>
    public static List<(int Cut, double WearUm)> Predict(string dataDir, string cutter, string modelPath)
    {
        if (!File.Exists(modelPath)) throw new DatasetException($"{modelPath}: error: model not found (train one with cnctwin wear train --dataset phm2010)");
        string specPath = SpecPath(modelPath);
        if (!File.Exists(specPath)) throw new DatasetException($"{specPath}: error: the model's spec is missing (it is written beside the .zip by wear train)");
        PhmModelSpec? spec;
        try { spec = JsonSerializer.Deserialize<PhmModelSpec>(File.ReadAllText(specPath)); }
        catch (JsonException ex) { throw new DatasetException($"{specPath}: error: not a PHM 2010 model spec ({CncTwin.Core.IO.JsonErrors.Reason(ex)})"); }
        // Another dataset's model (NASA's, U-Mich's) has a spec without the PHM features: say so, rather than fail on the missing list.
        if (spec?.SensorFeatures is not { Length: > 0 } || spec.TrainedOn is null)
            throw new DatasetException($"{modelPath}: error: not a PHM 2010 wear model (its spec {Path.GetFileName(specPath)} names no PHM sensor features; use the model wear train --dataset phm2010 wrote)");
        var ml = new MLContext(1);
        ITransformer model;
        try { model = ml.Model.Load(modelPath, out _); }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or InvalidOperationException) { throw new DatasetException($"{modelPath}: error: not a model file ({ex.Message})"); }
        var (names, cuts) = Phm2010.Read(dataDir, cutter);
        var cols = spec.SensorFeatures.Select(f => Array.IndexOf(names, f)).ToArray();
        if (cols.Any(c => c < 0)) throw new DatasetException($"{cutter}: the model's features are not all in its feature file");
        var scores = Ml.Score(ml, model, Clamp(Rows(cuts, null, cols, spec.SmoothWindow, spec.PriorUmPerCut), spec.FeatureMin, spec.FeatureMax), 1 + cols.Length);
        bool residual = spec.Trainer == nameof(WearTrainer.FastTreeOnResidual);
        var pred = Ml.Monotone(cuts.Select((c, i) => scores[i] + (residual ? spec.LineA + spec.LineB * c.Cut : 0)));
        return cuts.Select((c, i) => (c.Cut, pred[i])).ToList();
    }
}
