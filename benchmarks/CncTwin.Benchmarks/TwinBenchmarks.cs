using BenchmarkDotNet.Attributes;
using CncTwin.Core;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Simulation;
using CncTwin.Twin;

namespace CncTwin.Benchmarks;

/// <summary>
/// Live-twin throughput on this machine: 10 000 telemetry samples (a machine's 1 kHz stream for 10 s, positions
/// along gcode-samples/pocket.ngc's planned path, no line numbers, so alignment searches by position) aligned and
/// compared by <see cref="TwinMonitor"/>; and 10 000 SHDR lines parsed. Baseline (same run): copying the samples.
/// Goal: 100 machines × 1 kHz = 100 000 samples/s on 2 cores.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class TwinBenchmarks
{
    private Prediction _prediction = null!;
    private TelemetrySample[] _samples = null!;
    private string[] _shdr = null!;

    [GlobalSetup]
    public void Setup()
    {
        string repo = FindRepo();
        // The twin's prediction as watch/replay make it (the pipeline library), on the bundled pocket's stock.
        var context = SimulationContext.CreateOrThrow(new SimulationRequest
        {
            ProgramPath = Path.Combine(repo, "gcode-samples", "pocket.ngc"), Stock = "box:18,-5,-8,82,62,0", ResolutionMm = 0.5, HomeZ = HomeZ.Zero, Device = SweepDevice.Cpu,
        });
        _prediction = TwinSession.Predict(context);
        var moves = _prediction.Moves;
        // Positions along the plan at 1 ms: the first 10 s of cutting motion.
        var list = new List<TelemetrySample>();
        var t0 = DateTimeOffset.UnixEpoch;
        foreach (var m in moves.Where(m => !m.Rapid))
        {
            int n = Math.Max(1, (int)(m.DurationS / 0.001));
            for (int k = 1; k <= n && list.Count < 10_000; k++)
            {
                var p = m.Path.PointAt(m.Path.LengthMm * k / n);
                list.Add(new TelemetrySample(list.Count, t0.AddMilliseconds(list.Count), p.X, p.Y, p.Z, 9500, 10, double.NaN, null, null, "ACTIVE", "x"));
            }
            if (list.Count >= 10_000) break;
        }
        _samples = list.ToArray();
        _shdr = _samples.Select(s => FormattableString.Invariant($"{s.Time:yyyy-MM-ddTHH:mm:ss.fffZ}|Xact|{s.X:0.###}|Yact|{s.Y:0.###}|Zact|{s.Z:0.###}|Sload|{s.SpindleLoadPct}")).ToArray();
    }

    /// <summary>The repository root (the folder holding CncTwin.sln), for the benchmarks that read bundled samples.</summary>
    internal static string FindRepo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CncTwin.sln"))) return d.FullName;
        throw new InvalidOperationException("CncTwin.sln not found");
    }

    [Benchmark(Baseline = true)]
    public long CopySamples10k()
    {
        long s = 0;
        foreach (var x in _samples) { var y = x with { Index = x.Index + 1 }; s += y.Index; }
        return s;
    }

    [Benchmark]
    public int AlignAndCompare10k()
    {
        var mon = new TwinMonitor(_prediction);
        int moves = 0;
        foreach (var s in _samples) moves += mon.Process(s).Move;
        return moves;
    }

    [Benchmark]
    public int ParseShdr10k()
    {
        var p = new ShdrParser();
        int n = 0;
        foreach (var l in _shdr) n += p.Parse(l).Count;
        return n;
    }
}
