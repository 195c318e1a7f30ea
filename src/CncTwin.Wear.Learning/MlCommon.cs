using Microsoft.ML;
using Microsoft.ML.Data;

using CncTwin.Wear;

namespace CncTwin.Wear.Learning;

/// <summary>One training or scoring row for ML.NET: a feature vector and a label.</summary>
public sealed class MlRow
{
    public float[] Features { get; set; } = [];
    public float Label { get; set; }
}

public sealed class MlScore
{
    public float Score { get; set; }
}

public sealed class MlClassRow
{
    public float[] Features { get; set; } = [];
    public bool Label { get; set; }
}

public sealed class MlClassScore
{
    public bool PredictedLabel { get; set; }
    public float Probability { get; set; }
}

/// <summary>The regression trainers the model search tries (all ML.NET): a linear model and boosted trees.</summary>
public enum WearTrainer { Sdca, FastTree, FastTreeOnResidual }

/// <summary>Small helpers around ML.NET: fixed-size vector schemas, fitting, scoring.</summary>
public static class Ml
{
    public static IDataView View<T>(MLContext ml, IEnumerable<T> rows, int width) where T : class
    {
        var schema = SchemaDefinition.Create(typeof(T));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    public static IEstimator<ITransformer> Regressor(MLContext ml, WearTrainer trainer, int rows, int leaves = 8) => trainer switch
    {
        // Centred, scaled features and a small fixed L2: SDCA's automatic L2 diverges on a few hundred rows with µm-sized labels.
        WearTrainer.Sdca => ml.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(ml.Regression.Trainers.Sdca(labelColumnName: "Label", featureColumnName: "Features", l2Regularization: 0.01f, maximumNumberOfIterations: 1000)),
        _ => ml.Regression.Trainers.FastTree(labelColumnName: "Label", featureColumnName: "Features",
            numberOfLeaves: leaves, numberOfTrees: 200, minimumExampleCountPerLeaf: Math.Max(5, rows / 30), learningRate: 0.05),
    };

    public static float[] Score(MLContext ml, ITransformer model, IEnumerable<MlRow> rows, int width) =>
        ml.Data.CreateEnumerable<MlScore>(model.Transform(View(ml, rows, width)), reuseRowObject: false).Select(s => s.Score).ToArray();

    public static double Rmse(IReadOnlyList<double> predicted, IReadOnlyList<double> actual)
    {
        double s = 0;
        for (int i = 0; i < actual.Count; i++) s += (predicted[i] - actual[i]) * (predicted[i] - actual[i]);
        return Math.Sqrt(s / actual.Count);
    }

    /// <summary>Flank wear never shrinks: the running maximum of predictions in time order.</summary>
    public static double[] Monotone(IEnumerable<double> predictions)
    {
        double m = double.NegativeInfinity;
        return predictions.Select(p => m = Math.Max(m, p)).ToArray();
    }

    /// <summary>Least-squares line y = a + b·x.</summary>
    public static (double A, double B) Line(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0;
        for (int i = 0; i < x.Count; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); }
        double b = sxx > 0 ? sxy / sxx : 0;
        return (my - b * mx, b);
    }
}
