using System.Text.Json;
using CncTwin.Wear.Learning;
using CncTwin.Wear;

namespace CncTwin.Wear.Tests;

/// <summary>
/// Tests on the real datasets in ../shared/data (or $CNCTWIN_DATA). Outside CI a missing folder skips them with
/// the place to get the data; in CI (CI=true) a missing folder is a failure.
/// </summary>
public class DataTests
{
    internal static string Data()
    {
        var d = DataLocation.Find();
        if (d != null) return d;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail($"datasets not found in CI: {DataLocation.Help}");
        Assert.Skip($"datasets not found: {DataLocation.Help}");
        return "";
    }

    internal static string Models()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "CncTwin.sln"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "models");
    }

    [Fact]
    public void Phm2010_ReadsEveryCutterAndTheLabels()
    {
        string data = Data();
        var (names, c1) = Phm2010.Read(data, "c1");
        Assert.Equal(196, names.Length);
        Assert.Equal(Phm2010.Cuts, c1.Count);
        Assert.All(c1, c => Assert.NotNull(c.WearUm));
        // c1 cut 1: flutes 32.32, 48.89, 37.72 µm → mean 39.64 µm.
        Assert.Equal(39.6435, c1[0].WearUm!.Value, 3);
        foreach (var c in new[] { "c2", "c3", "c5", "c6" })
        {
            var (_, cuts) = Phm2010.Read(data, c);
            Assert.Equal(Phm2010.Cuts, cuts.Count);
            Assert.All(cuts, x => Assert.Null(x.WearUm));
        }
    }

    [Fact]
    public void Phm2010_ShippedModel_BeatsTheStraightLineOnEveryFold()
    {
        string data = Data();
        var spec = JsonSerializer.Deserialize<PhmModelSpec>(File.ReadAllText(Path.Combine(Models(), "phm2010-wear.json")))!;
        var report = PhmWearModel.Evaluate(data, spec, ["c1", "c4"]);
        Assert.Equal(2, report.Folds.Count);
        // The issue's baseline figures (14.3 µm on c1, 22.7 µm on c4) and our own refit of the line: beat both on every fold.
        var issue = new Dictionary<string, double> { ["c1"] = 14.3, ["c4"] = 22.7 };
        foreach (var f in report.Folds)
        {
            Assert.True(f.ModelRmse < f.BaselineRmse, $"{f.HeldOut}: model {f.ModelRmse:0.00} vs line {f.BaselineRmse:0.00} µm");
            Assert.True(f.ModelRmse < issue[f.HeldOut], $"{f.HeldOut}: model {f.ModelRmse:0.00} vs {issue[f.HeldOut]} µm");
        }
    }

    [Fact]
    public void Phm2010_Predict_IsMonotoneForEveryCutter()
    {
        string data = Data();
        string model = Path.Combine(Models(), "phm2010-wear.zip");
        foreach (var c in new[] { "c1", "c2", "c3", "c4", "c5", "c6" })
        {
            var p = PhmWearModel.Predict(data, c, model);
            Assert.Equal(Enumerable.Range(1, Phm2010.Cuts), p.Select(x => x.Cut));
            for (int i = 1; i < p.Count; i++) Assert.True(p[i].WearUm >= p[i - 1].WearUm, $"{c} cut {p[i].Cut} decreases");
            Assert.InRange(p[^1].WearUm, 50, 400); // physically plausible end wear for these cutters
        }
    }

    [Fact]
    public void Nasa_ReadsRunsAndSignals_AndTheModelBeatsTheLineOnAverage()
    {
        string data = Data();
        var runs = NasaMill.Read(data);
        Assert.Equal(166, runs.Count);                 // 167 runs, the corrupt idx 95 skipped
        Assert.DoesNotContain(runs, r => r.Idx == 95);
        Assert.Equal(146, runs.Count(r => r.VbMm != null));
        Assert.Equal(16, runs.Select(r => r.Case).Distinct().Count());
        Assert.All(runs, r => Assert.True(r.SignalFeatures[0] > 0)); // spindle motor current AC RMS
        var report = NasaWearModel.Evaluate(data);
        Assert.Equal(16, report.Folds.Count);
        Assert.True(report.Folds.Average(f => f.ModelRmse) < 0.6 * report.Folds.Average(f => f.BaselineRmse));
        Assert.True(report.Folds.All(f => f.BeatsBaseline), string.Join(", ", report.Folds.Select(f => $"{f.HeldOut} {f.ModelRmse:0}/{f.BaselineRmse:0}")));
    }

    [Fact]
    public void Nasa_Nested_ChoosesInsideTheTrainingCases_AndBeatsTheLineOnAverage()
    {
        // Nested leave-one-case-out (about a minute and a half: 16 × 15 × 6 fits). Honest figures are worse than the
        // fixed model's (its inputs were chosen on the same folds), but still far below the straight line in time.
        var report = NasaWearModel.EvaluateNested(Data());
        Assert.Equal(16, report.Folds.Count);
        Assert.All(report.Folds, f => Assert.True(double.IsFinite(f.ModelRmse) && f.Choice != null, f.HeldOut));
        Assert.True(report.Folds.Average(f => f.ModelRmse) < 0.6 * report.Folds.Average(f => f.BaselineRmse),
            $"{report.Folds.Average(f => f.ModelRmse):0.0} vs {report.Folds.Average(f => f.BaselineRmse):0.0} µm");
        Assert.True(report.Folds.Count(f => f.BeatsBaseline) >= 12, string.Join(", ", report.Folds.Select(f => $"{f.HeldOut} {f.ModelRmse:0}/{f.BaselineRmse:0}")));
    }

    [Fact]
    public void Umich_WindowsOnlyFromMachining_AndTheClassifierBeatsTheMajority()
    {
        string data = Data();
        var windows = UmichMill.Read(data);
        Assert.True(windows.Count > 200, $"{windows.Count} windows");
        Assert.Equal(UmichMill.FeatureNames.Length, windows[0].Features.Length);
        Assert.Contains(windows, w => w.Worn);
        Assert.Contains(windows, w => !w.Worn);
        var report = UmichConditionModel.Evaluate(data);
        Assert.True(report.ExperimentAccuracy > report.BaselineAccuracy, $"{report.ExperimentAccuracy} vs {report.BaselineAccuracy}");
        Assert.True(report.Folds.Average(f => f.BrierModel) < report.Folds.Average(f => f.BrierBaseline));
    }

    [Fact]
    public void UmichRunChecks_CuttingLevelsGiveAwayTheToolSetup()
    {
        // Why positions are kept from the classifier: the top cutting level alone separates worn from unworn runs.
        var runs = UmichRunChecks.Read(Data());
        Assert.Equal(18, runs.Count);
        Assert.All(runs, r => Assert.True(r.CutSamples > 20, $"experiment {r.Experiment}: {r.CutSamples} cutting samples"));
        Assert.True(runs.Where(r => r.Worn).Min(r => r.TopCutZMm) > runs.Where(r => !r.Worn).Max(r => r.TopCutZMm));
        // Spindle power while cutting is within a few W of spinning in air at 3 mm/s: wax barely loads the spindle.
        Assert.All(runs.Where(r => r.FeedMmPerS == 3), r => Assert.InRange(r.CuttingPowerW, -10, 10));
    }

    [Fact]
    public void TruncatedOrMalformedFiles_NameFileAndLine()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cnctwin-data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "phm2010"));
        try
        {
            File.WriteAllText(Path.Combine(dir, "phm2010", "c1_features.csv"), "cut,force_x_max\n1,0.5\n2,abc\n");
            var ex = Assert.Throws<DatasetException>(() => Phm2010.Read(dir, "c1"));
            Assert.Contains("c1_features.csv:3:2", ex.Message);
            Assert.Throws<DatasetException>(() => Phm2010.Read(dir, "c7"));
            Directory.CreateDirectory(Path.Combine(dir, "nasa-mill"));
            File.WriteAllText(Path.Combine(dir, "nasa-mill", "mill_runs.csv"), "idx,case,run,VB_mm,time,DOC_mm,feed,material,n_samples,corrupt\n1,1,1,0,2,1.5,0.5,1,9000,0\n");
            File.WriteAllBytes(Path.Combine(dir, "nasa-mill", "mill_signals.csv.gz"), [0x1f, 0x8b, 0x08, 0x00, 0x00]);
            var gz = Assert.Throws<DatasetException>(() => NasaMill.Read(dir));
            Assert.Contains("mill_signals.csv.gz", gz.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
