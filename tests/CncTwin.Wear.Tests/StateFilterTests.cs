using CncTwin.Wear.Learning;

namespace CncTwin.Wear.Tests;

/// <summary>The state-space filter, the ridge, the alignment and the screen on synthetic data with known answers.</summary>
public class StateFilterTests
{
    private static WearFilterSettings Settings(double biasSd = 1, double noiseSd = 1, double biasPerUm = 0) =>
        new(RateUmPerCut: 0.5, RateRelSd: 0.3, RateWalkSd: 0.05, BreakInUmPerCut: 2, BreakInRelSd: 0.5, BreakInCuts: 20,
            InitialUm: 30, InitialSd: 10, StepSd: 0.2, BiasSd: biasSd, NoiseSd: noiseSd, BiasPerUm: biasPerUm);

    [Fact]
    public void Filter_WithoutMeasurements_FollowsThePhysicsPrior()
    {
        // No sensor information: the mean is the prior's deterministic path w_k = w0 + k·r + c·Σ_{j=1..k} exp(−j/τ).
        var s = Settings();
        var est = WearStateFilter.Run(Enumerable.Repeat(double.NaN, 100).ToArray(), s);
        for (int k = 0; k < 100; k++)
        {
            double expected = s.InitialUm + k * s.RateUmPerCut + s.BreakInUmPerCut * Enumerable.Range(1, k).Sum(j => Math.Exp(-j / s.BreakInCuts));
            Assert.Equal(expected, est[k].WearUm, 6);
        }
        // The band widens as the rate's uncertainty accumulates.
        Assert.True(est[99].HighUm - est[99].LowUm > est[10].HighUm - est[10].LowUm);
    }

    [Fact]
    public void Filter_TracksExactMeasurementsOfADifferentRate()
    {
        // True wear 0.9 µm/cut (the prior says 0.5), measured without error: the rate state must learn it.
        var truth = Enumerable.Range(0, 200).Select(k => 40 + 0.9 * k).ToArray();
        var est = WearStateFilter.Run(truth, Settings());
        for (int k = 50; k < 200; k++) Assert.InRange(est[k].WearUm - truth[k], -1.5, 1.5);
        Assert.All(est.Skip(50).Select((e, i) => (e, i)), x => Assert.InRange(truth[x.i + 50], x.e.LowUm, x.e.HighUm));
    }

    [Fact]
    public void Filter_BandCarriesTheSensorOffset()
    {
        // The sensors read 15 µm high on this cutter. With the offset's sd known (15), the 90 % band covers the truth
        // on most cuts; told the offset is 1 µm, the band misses nearly everywhere. No measurement can tell an
        // offset from wear, so only the band can carry it.
        var truth = Enumerable.Range(0, 300).Select(k => 40 + 0.5 * k).ToArray();
        var z = truth.Select(w => w + 15).ToArray();
        double Coverage(WearFilterSettings s) => WearStateFilter.Run(z, s).Select((e, i) => truth[i] >= e.LowUm && truth[i] <= e.HighUm ? 1.0 : 0).Average();
        Assert.True(Coverage(Settings(biasSd: 15)) > 0.85);
        Assert.True(Coverage(Settings(biasSd: 1)) < 0.1);
    }

    [Fact]
    public void Ridge_ExactOnALinearLaw_AndShrinksWithLambda()
    {
        var rng = new Random(3);
        var x = Enumerable.Range(0, 100).Select(_ => new[] { rng.NextDouble(), rng.NextDouble() * 5 }).ToList();
        var y = x.Select(r => 10 + 3 * r[0] - 2 * r[1]).ToList();
        var m = PhmStateModel.FitRidge(x, y, [0, 1], 0);
        foreach (var (r, t) in x.Zip(y)) Assert.Equal(t, m.Predict(r), 9);
        // Standardised coefficients are β·sd; a large lambda pulls every prediction to the mean label.
        var big = PhmStateModel.FitRidge(x, y, [0, 1], 1e6);
        Assert.All(x, r => Assert.Equal(y.Average(), big.Predict(r), 2));
    }

    private static List<PhmCut> Cuts(Func<int, float[]> f, int n = 120) => Enumerable.Range(1, n).Select(k => new PhmCut(k, f(k), null)).ToList();

    [Fact]
    public void Align_IsScaleFree_AndCausal()
    {
        var a = PhmStateModel.Align(Cuts(k => [1 + 0.01f * k, 5]));
        var b = PhmStateModel.Align(Cuts(k => [6 * (1 + 0.01f * k), 5]));     // the same signal 6x louder
        for (int k = 0; k < 120; k++) Assert.Equal(a[k][0], b[k][0], 5); // float32 features: 6x is exact to ~1e-7
        // Changing cuts after k never changes the aligned value at k (usable live).
        var c = PhmStateModel.Align(Cuts(k => [k > 60 ? 100 : 1 + 0.01f * k, 5]));
        for (int k = 0; k < 60; k++) Assert.Equal(a[k][0], c[k][0], 9);
        // The first cut is its own reference: ln 1 = 0.
        Assert.Equal(0, a[0][0], 9);
    }

    [Fact]
    public void Screen_PrefersFeaturesThatAgreeAcrossCutters()
    {
        // Feature 0 rises to the same aligned level on every cutter, feature 1 rises to 2x the level on one cutter,
        // feature 2 does not trend: the screen ranks 0 before 1 and drops 2.
        double[][] Cutter(double scale1, int seed)
        {
            var rng = new Random(seed);
            return PhmStateModel.Align(Cuts(k => [(float)Math.Exp(0.01 * k), (float)Math.Exp(0.01 * k * scale1), (float)(1 + 0.1 * rng.NextDouble())], 315));
        }
        var pool = PhmStateModel.Screen([Cutter(1, 1), Cutter(1, 2), Cutter(2, 3)], 10);
        Assert.Equal(new[] { 0, 1 }, pool);
    }

    [Fact]
    public void InnerFolds_OneCutter_AreContiguousBlocksCoveringEveryCutOnce()
    {
        var wear = Enumerable.Range(0, 315).Select(i => (double)i).ToArray();
        var cutter = new PhmStateModel.Cutter("c", wear.Select(w => new[] { w }).ToArray(), wear);
        var folds = PhmStateModel.InnerFolds([cutter]);
        Assert.Equal(5, folds.Count);
        var tested = folds.SelectMany(f => f.Test.Select(r => r.Y)).ToArray();
        Assert.Equal(wear, tested);
        foreach (var f in folds)
        {
            Assert.Equal(315, f.Train.Count + f.Test.Count);
            Assert.Equal(f.Test.Count - 1, f.Test[^1].Y - f.Test[0].Y); // contiguous
            Assert.DoesNotContain(f.Train, r => r.Y >= f.Test[0].Y && r.Y <= f.Test[^1].Y);
        }
    }

    [Fact]
    public void VarianceFit_RecoversBothTerms_AndStaysNonNegative()
    {
        var u = Enumerable.Range(0, 50).Select(i => (double)i).ToArray();
        var (a, b) = PhmStateModel.NonNegativeVarianceFit(u, u.Select(x => 4 + 0.5 * x).ToArray());
        Assert.Equal(4, a, 9);
        Assert.Equal(0.5, b, 9);
        var (a2, b2) = PhmStateModel.NonNegativeVarianceFit(u, u.Select(x => 40 - 0.5 * x).ToArray());
        Assert.True(a2 >= 0 && b2 >= 0);
    }
}
