using BenchmarkDotNet.Attributes;
using CncTwin.Mechanics;
using CncTwin.Wear;

namespace CncTwin.Benchmarks;

/// <summary>
/// The wear stage's per-move work: the Usui rate (Cook temperature, an exponential) and Taylor life at 1 000
/// different speed/chip pairs, against 1 000 bare Math.Exp calls (baseline, same run).
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

    [Benchmark]
    public double WearRateAndTaylor1000()
    {
        double s = 0;
        for (int i = 0; i < 1000; i++) s += _law.RateUmPerMin(_v[i], _h[i]) + _law.Pair.TaylorLifeMin(_v[i], _h[i]);
        return s;
    }
}
