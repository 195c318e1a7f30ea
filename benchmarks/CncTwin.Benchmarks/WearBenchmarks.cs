using BenchmarkDotNet.Attributes;
using CncTwin.Mechanics;
using CncTwin.Wear;
using CncTwin.Wear.Learning;

namespace CncTwin.Benchmarks;

/// <summary>
/// The wear stage's per-move work: the Usui rate (Cook temperature, an exponential) and Taylor life at 1 000
/// different speed/chip pairs, against 1 000 bare Math.Exp calls (baseline, same run); and the PHM state-space
/// filter over one cutter's 315 cuts (what a live twin adds per tool and cut).
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class WearBenchmarks
{
    private readonly WearLaw _law = WearLibrary.BuiltIn().Law("carbide", "steel1045", MaterialLibrary.BuiltIn().Get("steel1045").Coefficients)!;
    private readonly double[] _v = Enumerable.Range(0, 1000).Select(i => 100 + 0.3 * i).ToArray();
    private readonly double[] _h = Enumerable.Range(0, 1000).Select(i => 0.01 + 0.0002 * i).ToArray();

    [Benchmark(Baseline = true)]
    public double Exp1000()
    {
        double s = 0;
        for (int i = 0; i < 1000; i++) s += Math.Exp(-5302 / (800 + _v[i]));
        return s;
    }

    // The shipped model's filter settings for c1+c4 (models/phm2010-wear-v2.json, rounded); measurements a noisy ramp.
    private readonly WearFilterSettings _filter = new(0.33, 0.3, 1 / Math.Sqrt(315), 2.41, 0.5, 20, 31.9, 10, 0.36, 1, 1.23, 0.18);
    private readonly double[] _z = Enumerable.Range(0, 315).Select(k => 30 + 0.5 * k + 3 * Math.Sin(k)).ToArray();

    [Benchmark]
    public double KalmanFilter315Cuts() => WearStateFilter.Run(_z, _filter)[^1].WearUm;

    [Benchmark]
    public double WearRateAndTaylor1000()
    {
        double s = 0;
        for (int i = 0; i < 1000; i++) s += _law.RateUmPerMin(_v[i], _h[i]) + _law.Pair.TaylorLifeMin(_v[i], _h[i]);
        return s;
    }
}
