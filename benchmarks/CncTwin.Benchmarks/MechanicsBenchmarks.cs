using BenchmarkDotNet.Attributes;
using CncTwin.Mechanics;
using CncTwin.Mechanics.Stability;

namespace CncTwin.Benchmarks;

/// <summary>
/// The force model's unit of work (one tooth pass: forces at 256 rotation angles of one pitch, a 4-flute 30°
/// helix Ø12 cutter 10 mm deep = 40 slices × 4 teeth per angle) against the bare sin/cos of the same number of
/// tooth-slice evaluations (baseline, same run); and stability charts: ZOA over 2 001 speeds, SDM over 10 speeds
/// of the Insperger–Stépán benchmark.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class MechanicsBenchmarks
{
    private readonly EdgeSlices _edge = EdgeSlices.Cylinder(12, 4, 30, 10);
    private readonly CuttingCoefficients _k = new(796.1, 168.8, 222, 27.7, 30.8, 1.4);
    private readonly ImmersionEngagement _eng = ImmersionEngagement.FromRadialDepth(12, 4, true);
    private static readonly ToolDynamics Benchmark = new([new Mode(922, 0.011, 0.03993 * Math.Pow(2 * Math.PI * 922, 2))], []);
    private readonly CuttingProcess _process = CuttingProcess.FromImmersion(2, 600, 200, 0.05, true);
    private readonly double[] _zoaRpm = Enumerable.Range(0, 2001).Select(i => 5000 + 10.0 * i).ToArray();
    private readonly double[] _sdmRpm = Enumerable.Range(0, 10).Select(i => 5000 + 2000.0 * i).ToArray();

    private readonly ForceSignature _sig = ForceSignature.Milling(EdgeSlices.Cylinder(12, 4, 30, 10), new(796.1, 168.8, 222, 27.7, 30.8, 1.4), ImmersionEngagement.FromRadialDepth(12, 4, true));

    public int SliceEvaluationsPerPass => 256 * _edge.Count * _edge.Teeth;

    [Benchmark(Baseline = true)]
    public double SinCosPerSliceBaseline()
    {
        double acc = 0;
        int n = SliceEvaluationsPerPass;
        for (int i = 0; i < n; i++) acc += Math.Sin(i * 1e-3) + Math.Cos(i * 1e-3);
        return acc;
    }

    [Benchmark]
    public double ForcesOneToothPass() => MillingForces.Revolution(_edge, _k, 0.08, 8000, _eng, 256).FxyMaxN;

    /// <summary>The simulation's unit: one distinct engagement integrated into a force signature (64 angles per pitch).</summary>
    [Benchmark]
    public double SignatureBuild() => ForceSignature.Milling(_edge, _k, _eng).ChipFactor;

    /// <summary>And its per-sample use: mean and peak forces at a new feed from a stored signature.</summary>
    [Benchmark]
    public double SignatureEvaluate() => _sig.Evaluate(0.08, 8000).ResultantMaxN;

    [Benchmark]
    public double ZoaChart2001Speeds() => new ZeroOrderLobes(Benchmark, _process).Chart(_zoaRpm)[0].AlimMm;

    [Benchmark]
    public double SdmChart10Speeds() => StabilityChart.Compute("sdm", Benchmark, _process, _sdmRpm).Points[0].AlimMm;
}
