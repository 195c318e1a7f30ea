using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using CncTwin.Mechanics;
using CncTwin.Removal;
using CncTwin.Simulation;
using CncTwin.Twin;

namespace CncTwin.Benchmarks;

/// <summary>
/// Detection latency of the tool monitor: a 1 kHz stream along gcode-samples/pocket.ngc's cutting moves (idle 5 %,
/// σ 0.3 points of noise, the predicted cutting share), where the tool breaks (load falls to idle) or overloads
/// (+100 % of the cutting share) at the middle of the cutting. Measured: the wall time from the first abnormal sample
/// to the alarm, processing every sample between (the monitor is fed up to the break outside the measurement).
/// Baseline (same run): the same number of normal samples. The latency in stream time (what the machine sees: the
/// filter plus the hold time) is printed by the setup and is the same on any computer.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 20, invocationCount: 1)]
public class DetectionLatencyBenchmarks
{
    private Prediction _prediction = null!;
    private TelemetrySample[] _good = null!, _broken = null!, _over = null!;
    private int _break;
    private TwinMonitor _monitor = null!;
    private int _brokenToAlarm, _overToAlarm;

    [GlobalSetup]
    public void Setup()
    {
        string repo = TwinBenchmarks.FindRepo();
        var context = SimulationContext.CreateOrThrow(new SimulationRequest
        {
            ProgramPath = Path.Combine(repo, "gcode-samples", "pocket.ngc"), Stock = "box:18,-5,-8,82,62,0", ResolutionMm = 0.5, HomeZ = HomeZ.Zero, Device = SweepDevice.Cpu,
            SpindlePowerW = 3000,
        });
        _prediction = TwinSession.Predict(context);
        var rnd = new Random(7);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rnd.NextDouble())) * Math.Cos(2 * Math.PI * rnd.NextDouble());
        var good = new List<TelemetrySample>();
        var shares = new List<double>();
        var t0 = DateTimeOffset.UnixEpoch;
        foreach (var m in _prediction.Moves)
        {
            double v = m.Rapid ? 5000 : m.ProgrammedFeedMmPerMin;
            int n = Math.Max(1, (int)(m.Path.LengthMm / (v / 60) / 0.001));
            for (int k = 1; k <= n; k++)
            {
                double s = m.Path.LengthMm * k / n;
                var p = m.Path.PointAt(s);
                double share = m.Rpm > 0 ? SpindleCapacity.LoadPct(_prediction.Spindle, m.Rpm, m.CuttingPowerW(s, v, m.Rpm)) : 0;
                shares.Add(share);
                good.Add(new TelemetrySample(good.Count, t0.AddMilliseconds(good.Count), p.X, p.Y, p.Z, m.Rpm, 5 + share + 0.3 * Gauss(), double.NaN, null, m.Line, "ACTIVE", "x"));
            }
        }
        _good = good.ToArray();
        // The break: the middle of the samples that cut (and the next 3 s cut on).
        var cutting = Enumerable.Range(0, shares.Count).Where(i => shares[i] > 1).ToList();
        _break = cutting[cutting.Count / 2];
        _broken = _good.Select((s, i) => i >= _break ? s with { SpindleLoadPct = 5 + 0.3 * Gauss() } : s).ToArray();
        _over = _good.Select((s, i) => i >= _break ? s with { SpindleLoadPct = s.SpindleLoadPct + 2 * shares[i] } : s).ToArray();
        _brokenToAlarm = SamplesToAlarm(_broken, AlarmKind.Underload);
        _overToAlarm = SamplesToAlarm(_over, AlarmKind.Overload);
        Console.WriteLine($"// detection latency in stream time (1 kHz): broken tool {_brokenToAlarm} ms, overload {_overToAlarm} ms (hold {new MonitorOptions().HoldS * 1000} ms, filter τ {new MonitorOptions().SmoothingS * 1000} ms); cutting share at the break {shares[_break]:0.##} points");
    }

    private int SamplesToAlarm(TelemetrySample[] stream, AlarmKind kind)
    {
        var mon = new TwinMonitor(_prediction);
        for (int i = 0; i < stream.Length; i++)
            if (mon.Process(stream[i]).Alarm == kind && i >= _break) return i - _break + 1;
        throw new InvalidOperationException($"no {kind} alarm after the break: the benchmark's stream is wrong");
    }

    private TwinMonitor FedUpToBreak(TelemetrySample[] stream)
    {
        var mon = new TwinMonitor(_prediction);
        for (int i = 0; i < _break; i++) mon.Process(stream[i]);
        return mon;
    }

    [IterationSetup(Target = nameof(NormalSamples))] public void SetupNormal() => _monitor = FedUpToBreak(_good);
    [IterationSetup(Target = nameof(BrokenToolToAlarm))] public void SetupBroken() => _monitor = FedUpToBreak(_broken);
    [IterationSetup(Target = nameof(OverloadToAlarm))] public void SetupOver() => _monitor = FedUpToBreak(_over);

    [Benchmark(Baseline = true)]
    public int NormalSamples()
    {
        int n = 0;
        for (int i = _break; i < _break + _brokenToAlarm; i++) n += _monitor.Process(_good[i]).Move;
        return n;
    }

    [Benchmark]
    public int BrokenToolToAlarm()
    {
        for (int i = _break; ; i++)
            if (_monitor.Process(_broken[i]).Alarm == AlarmKind.Underload) return i;
    }

    [Benchmark]
    public int OverloadToAlarm()
    {
        for (int i = _break; ; i++)
            if (_monitor.Process(_over[i]).Alarm == AlarmKind.Overload) return i;
    }
}
