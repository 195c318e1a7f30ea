using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using CncTwin.Fleet;
using CncTwin.Simulation;
using CncTwin.Twin;

namespace CncTwin.Benchmarks;

/// <summary>
/// One silo's fleet twins at full speed: machines fed from memory (no network), each sample assembled from its
/// observations, aligned to the program, compared with the prediction (<see cref="MachineTwin"/>: the code a
/// machine grain runs) and stored through the shared <see cref="HistoryWriter"/>. The streams: LinuxCNC's trace of
/// monitor-set.ngc resampled to 1 kHz with a designed spindle signal, 20 machines × 5 000 samples (5 s each).
/// Baseline (same run): reading the same observations without a twin. Where the time goes: the same with the
/// history in memory (SQLite :memory:) against a file.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class FleetBenchmarks
{
    public const int Machines = 20, SamplesPerMachine = 5_000;
    private List<TelemetrySample>[] _streams = null!;
    private FleetMachine[] _machines = null!;
    private string _dir = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_streams, _machines) = FleetLoad.Streams(Machines, 1000, SamplesPerMachine / 1000.0);
        _dir = Path.Combine(Path.GetTempPath(), "cnctwin-fleet-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(_dir);
    }

    [GlobalCleanup]
    public void Cleanup() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    [Benchmark(Baseline = true, Description = "read the observations only")]
    public async Task<long> ReadOnly()
    {
        long n = 0;
        await Task.WhenAll(_streams.Select(s => Task.Run(async () =>
        {
            long k = 0;
            await foreach (var o in new MemoryMachineSource(s, paced: false).ReadAsync(CancellationToken.None)) k += o.Value.Length;
            Interlocked.Add(ref n, k);
        })));
        return n;
    }

    [Benchmark(Description = "ingest, align, compare; history in memory")]
    public Task<long> TwinsMemoryHistory() => FleetLoad.RunToEnd(_streams, _machines, "sqlite::memory:");

    [Benchmark(Description = "ingest, align, compare, store (SQLite file)")]
    public Task<long> TwinsSqliteHistory() => FleetLoad.RunToEnd(_streams, _machines, "sqlite:" + Path.Combine(_dir, $"h{Guid.NewGuid():N}.db"));
}

/// <summary>
/// The fleet under load on this computer: machines' twins (<see cref="MachineTwin"/>, as the grains run them) fed
/// from memory, either to the end as fast as they go or paced in real time (<c>fleet-load</c>: N machines at R Hz
/// for S seconds; samples per second stored, arrival-to-event latency percentiles, CPU time).
/// </summary>
public static class FleetLoad
{
    public static string Program => Path.Combine(TwinBenchmarks.FindRepo(), "tests", "oracle-data", "linuxcnc-sim", "programs", "monitor-set.ngc");

    public static FleetMachine Machine(int i) => new()
    {
        Id = $"vmc-{i + 1:000}", Source = $"memory:vmc-{i + 1:000}", Program = Program, Machine = Path.Combine(TwinBenchmarks.FindRepo(), "tests", "oracle-data", "linuxcnc-sim", "oracle-machine.ini"),
        Tools = Path.Combine(TwinBenchmarks.FindRepo(), "gcode-samples", "tools.json"), Tool = 4, Material = "steel1045", Stock = "box:0,0,-10,100,80,0", SpindlePowerW = 10_000,
    };

    /// <summary>Streams of monitor-set.ngc at hz (the first seconds, starting at the first slot), one designed spindle signal per machine.</summary>
    public static (List<TelemetrySample>[] Streams, FleetMachine[] Machines) Streams(int machines, double hz, double seconds)
    {
        var dir = Path.Combine(TwinBenchmarks.FindRepo(), "tests", "oracle-data", "linuxcnc-sim");
        var (p, error) = new PredictionCache().Get(Machine(0), Program);
        if (p == null) throw new InvalidOperationException(error);
        var tr = DesignedStream.Resample(DesignedStream.ReadTrace(Path.Combine(dir, "recorded", "monitor-set.trace.csv")), hz);
        var all = DesignedStream.FromTrace(p, tr, new StreamDesign { AfterEndS = 0 }, DateTimeOffset.UnixEpoch, "O1001");
        int skip = (int)(2.5 * hz), n = (int)(seconds * hz);
        var streams = new List<TelemetrySample>[machines];
        for (int i = 0; i < machines; i++)
            streams[i] = DesignedStream.FromTrace(p, tr, new StreamDesign { AfterEndS = 0, Seed = i + 1, IdlePct = 4 + i % 5 }, DateTimeOffset.UnixEpoch, "O1001").Skip(skip).Take(n).ToList();
        return (streams, Enumerable.Range(0, machines).Select(Machine).ToArray());
    }

    /// <summary>Runs every machine's twin to the end of its stream (unpaced); returns the samples the history stored.</summary>
    /// <summary>A silo keeps its programs' simulations: the benchmark's iterations share them too.</summary>
    private static readonly PredictionCache Cache = new();

    public static async Task<long> RunToEnd(List<TelemetrySample>[] streams, FleetMachine[] machines, string store)
    {
        using var writer = new HistoryWriter(store, TimeSpan.FromMilliseconds(250));
        var services = new FleetServices(writer, "bench") { Predictions = Cache, SourceFactory = m => new MemoryMachineSource(streams[Array.IndexOf(machines, m)], paced: false, m.Id) };
        using var cts = new CancellationTokenSource();
        var twins = machines.Select(m => new MachineTwin(m, services)).ToArray();
        var runs = twins.Select(t => Task.Run(() => t.RunAsync(cts.Token))).ToArray();
        long expected = streams.Sum(s => (long)s.Count);
        while (twins.Any(t => t.Status().State != "ended")) await Task.Delay(5);
        cts.Cancel();
        await Task.WhenAll(runs);
        writer.Flush();
        if (writer.SamplesWritten != expected) throw new InvalidOperationException($"stored {writer.SamplesWritten} of {expected} samples");
        return writer.SamplesWritten;
    }

    /// <summary><c>fleet-load MACHINES HZ SECONDS [STORE]</c>: real-time load; prints what is reached.</summary>
    public static async Task<int> Run(TextWriter o, int machines, double hz, double seconds, string? store)
    {
        o.WriteLine($"fleet-load: {machines} machines at {hz} Hz for {seconds} s, history {store ?? "SQLite file"}; {Environment.ProcessorCount} cores");
        var (streams, cfgs) = Streams(machines, hz, seconds);
        string dir = Path.Combine(Path.GetTempPath(), "cnctwin-fleet-load-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        try
        {
            store ??= "sqlite:" + Path.Combine(dir, "history.db");
            using var writer = new HistoryWriter(store, TimeSpan.FromMilliseconds(250));
            var services = new FleetServices(writer, "load") { SourceFactory = m => new MemoryMachineSource(streams[Array.IndexOf(cfgs, m)], paced: true, m.Id) };
            using var cts = new CancellationTokenSource();
            var proc = Process.GetCurrentProcess();
            var cpu0 = proc.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            var twins = cfgs.Select(m => new MachineTwin(m, services)).ToArray();
            var runs = twins.Select(t => Task.Run(() => t.RunAsync(cts.Token))).ToArray();
            long expected = streams.Sum(s => (long)s.Count);
            long lastStored = 0;
            while (twins.Any(t => t.Status().State != "ended") && wall.Elapsed.TotalSeconds < seconds * 3 + 30)
            {
                await Task.Delay(1000);
                long stored = writer.SamplesWritten;
                o.WriteLine($"  {wall.Elapsed.TotalSeconds,5:0.0} s: stored {stored,9:N0} ({stored - lastStored,8:N0}/s), last batch {writer.LastFlushMs,6:0.0} ms, p99 {services.Latency.Percentile(0.99) / 1000,7:0.0} ms");
                lastStored = stored;
            }
            double elapsed = wall.Elapsed.TotalSeconds;
            cts.Cancel();
            await Task.WhenAll(runs);
            writer.Flush();
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
            o.WriteLine($"offered {machines * hz:N0} samples/s; stored {writer.SamplesWritten:N0} of {expected:N0} in {elapsed:0.0} s = {writer.SamplesWritten / elapsed:N0} samples/s");
            o.WriteLine($"arrival -> twin event latency: p50 {services.Latency.Percentile(0.5) / 1000:0.00} ms, p99 {services.Latency.Percentile(0.99) / 1000:0.00} ms, p99.9 {services.Latency.Percentile(0.999) / 1000:0.00} ms ({services.Latency.Count:N0} samples)");
            o.WriteLine($"CPU {cpu:0.0} s = {cpu / elapsed:0.00} cores; {cpu * 1e6 / Math.Max(1, writer.SamplesWritten):0.0} µs CPU per sample (the simulated machines included); {writer.Batches} history batches");
            var (rows, distinct, invalid) = writer.Query(db =>
            {
                using var c = HistoryQueries.Cmd(db, null, "SELECT COUNT(*), COUNT(DISTINCT r.machine || s.time), SUM(CASE WHEN s.invalid IS NULL THEN 0 ELSE 1 END) FROM samples s JOIN runs r ON r.id = s.run");
                using var r = c.ExecuteReader();
                r.Read();
                return (r.GetInt64(0), r.GetInt64(1), r.IsDBNull(2) ? 0 : r.GetInt64(2));
            });
            o.WriteLine($"history: {rows:N0} rows, {distinct:N0} distinct (machine, time), {invalid} invalid");
            return writer.SamplesWritten == expected ? 0 : 1;
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }
}
