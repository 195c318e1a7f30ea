using Microsoft.ML;

using CncTwin.Wear;

namespace CncTwin.Wear.Learning;

/// <summary>One held-out experiment: windows classified correctly, the experiment's verdict (mean probability), the baseline's.</summary>
public sealed record ClassFold(int Experiment, bool Worn, int Windows, double WindowAccuracy, double MeanProbabilityWorn, bool ExperimentCorrect, bool BaselineCorrect, double BrierModel, double BrierBaseline);

public sealed record ClassificationReport(string Model, string Baseline, IReadOnlyList<ClassFold> Folds)
{
    public double ExperimentAccuracy => Folds.Average(f => f.ExperimentCorrect ? 1.0 : 0);
    public double BaselineAccuracy => Folds.Average(f => f.BaselineCorrect ? 1.0 : 0);
    public double WindowAccuracy => Folds.Sum(f => f.WindowAccuracy * f.Windows) / Folds.Sum(f => f.Windows);
}

/// <summary>
/// Worn/unworn tool from U-Mich controller telemetry (spindle and axis drive power, current, speed, in 5 s
/// windows of active machining), ML.NET FastTree binary classification, leave-one-experiment-out. An experiment's
/// verdict is the mean worn-probability of its windows. Baseline: the training experiments' majority class.
/// </summary>
public static class UmichConditionModel
{
    public const string Baseline = "majority class of the training experiments";

    /// <summary>
    /// The window means of every drive signal and the feed rate (chosen by leave-one-experiment-out over all
    /// statistics, spindle-only, axes-only, power-only and current-only sets: 13/18 experiments, Brier 0.256,
    /// against 13/18 and 0.273 with the standard deviations too; models/README.md).
    /// </summary>
    public static readonly int[] Inputs = UmichMill.FeatureNames.Select((n, i) => (n, i)).Where(x => x.n.EndsWith("_mean") || x.n == "feedrate_mm_s").Select(x => x.i).ToArray();
    public static string[] InputNames => Inputs.Select(i => UmichMill.FeatureNames[i]).ToArray();

    private static IEstimator<ITransformer> Trainer(MLContext ml, int rows) =>
        ml.BinaryClassification.Trainers.FastTree(labelColumnName: "Label", featureColumnName: "Features",
            numberOfLeaves: 4, numberOfTrees: 100, minimumExampleCountPerLeaf: Math.Max(10, rows / 40), learningRate: 0.05);

    public static ClassificationReport Evaluate(string dataDir, int seed = 1, int windowSamples = 50)
    {
        var ml = new MLContext(seed);
        var windows = UmichMill.Read(dataDir, windowSamples);
        int width = Inputs.Length;
        var folds = new List<ClassFold>();
        foreach (int exp in windows.Select(w => w.Experiment).Distinct().Order())
        {
            var train = windows.Where(w => w.Experiment != exp).ToList();
            var test = windows.Where(w => w.Experiment == exp).ToList();
            if (test.Count == 0) continue;
            var view = ViewOf(ml, train, width);
            var model = Trainer(ml, train.Count).Fit(view);
            var scored = ml.Data.CreateEnumerable<MlClassScore>(model.Transform(ViewOf(ml, test, width)), reuseRowObject: false).ToList();
            bool worn = test[0].Worn;
            double meanP = scored.Average(s => s.Probability);
            int trainWorn = train.Select(w => (w.Experiment, w.Worn)).Distinct().Count(x => x.Worn);
            int trainExps = train.Select(w => w.Experiment).Distinct().Count();
            bool majorityWorn = trainWorn * 2 > trainExps;
            double baseP = trainWorn / (double)trainExps;
            double y = worn ? 1 : 0;
            // Brier score of the experiment's verdict (its mean probability) against the baseline's prior.
            folds.Add(new ClassFold(exp, worn, test.Count, scored.Count(s => s.PredictedLabel == worn) / (double)test.Count, meanP, (meanP > 0.5) == worn,
                majorityWorn == worn, (meanP - y) * (meanP - y), (baseP - y) * (baseP - y)));
        }
        return new ClassificationReport($"FastTree binary (4 leaves) on [{string.Join(", ", InputNames)}] per {windowSamples / 10.0:0.#} s window", Baseline, folds);
    }

    private static IDataView ViewOf(MLContext ml, List<UmichWindow> w, int width) =>
        Ml.View(ml, w.Select(x => new MlClassRow { Features = Inputs.Select(i => x.Features[i]).ToArray(), Label = x.Worn }), width);

    public static void Train(string dataDir, string modelPath, int seed = 1, int windowSamples = 50)
    {
        var ml = new MLContext(seed);
        var windows = UmichMill.Read(dataDir, windowSamples);
        var model = Trainer(ml, windows.Count).Fit(ViewOf(ml, windows, Inputs.Length));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(modelPath))!);
        ml.Model.Save(model, ViewOf(ml, [], Inputs.Length).Schema, modelPath);
    }
}
