using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CncTwin.Core;
using CncTwin.Mechanics;
using CncTwin.Simulation;
using CncTwin.Twin;

namespace CncTwin.Fleet;

/// <summary>What is designed into a simulated machine's spindle signal.</summary>
public sealed record StreamDesign
{
    public double IdlePct { get; init; } = 6;
    public double NoisePct { get; init; } = 0.5;
    /// <summary>The real cut against the model's prediction (1: the model is exact).</summary>
    public double TrueFactor { get; init; } = 1;
    public int Seed { get; init; } = 1;
    public double Rpm { get; init; } = 6000;
    /// <summary>The tool breaks on this line once X passes <see cref="BrokenAfterXmm"/>, and stays broken.</summary>
    public int? BrokenLine { get; init; }
    public double BrokenAfterXmm { get; init; } = 40;
    /// <summary>This line cuts this much harder (0.3: +30 %).</summary>
    public int? OverloadLine { get; init; }
    public double Overload { get; init; }
    /// <summary>Cutting share of every line times this (a worn tool).</summary>
    public double Wear { get; init; } = 1;
    /// <summary>Seconds of spindle coasting down recorded after program end (execution READY).</summary>
    public double AfterEndS { get; init; } = 2;
    /// <summary>The line the controller reports after the program end (its M2/M30).</summary>
    public int EndLine { get; init; }
}

/// <summary>
/// A machine's telemetry made from a recorded motion trace (LinuxCNC's planner running the program: time,
/// position, velocity, line) and the twin's own prediction of the cut: spindle run-up, idle load drifting with speed,
/// Gaussian noise, a 30 ms sensor lag, and whatever is designed in (broken tool, overload, wear). For the fleet's
/// tests, benchmarks and demos: the signal a real spindle would give for that program, with known faults.
/// </summary>
public static class DesignedStream
{
    /// <summary>A trace CSV: t_s,x,y,z,vel(mm/s),line[,...] with a header row.</summary>
    public static (double[] T, Vec3[] Pos, int[] Line, double[] VelMmS) ReadTrace(string path)
    {
        var rows = File.ReadLines(path).Skip(1).Where(r => r.Length > 0).Select(r => r.Split(',')).ToList();
        double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
        return (rows.Select(r => D(r[0])).ToArray(), rows.Select(r => new Vec3(D(r[1]), D(r[2]), D(r[3]))).ToArray(),
            rows.Select(r => int.Parse(r[5], CultureInfo.InvariantCulture)).ToArray(), rows.Select(r => D(r[4])).ToArray());
    }

    /// <summary>The trace at another rate (linear between its rows; the line of the row before).</summary>
    public static (double[] T, Vec3[] Pos, int[] Line, double[] VelMmS) Resample((double[] T, Vec3[] Pos, int[] Line, double[] VelMmS) tr, double hz)
    {
        int n = (int)Math.Floor(tr.T[^1] * hz) + 1;
        var t = new double[n]; var pos = new Vec3[n]; var line = new int[n]; var vel = new double[n];
        int j = 0;
        for (int i = 0; i < n; i++)
        {
            double ti = i / hz;
            while (j < tr.T.Length - 2 && tr.T[j + 1] <= ti) j++;
            double f = Math.Clamp((ti - tr.T[j]) / Math.Max(1e-9, tr.T[j + 1] - tr.T[j]), 0, 1);
            t[i] = ti;
            pos[i] = tr.Pos[j] + (tr.Pos[j + 1] - tr.Pos[j]) * f;
            line[i] = tr.Line[j];
            vel[i] = tr.VelMmS[j] + (tr.VelMmS[j + 1] - tr.VelMmS[j]) * f;
        }
        return (t, pos, line, vel);
    }

    public static List<TelemetrySample> FromTrace(Prediction p, (double[] T, Vec3[] Pos, int[] Line, double[] VelMmS) tr, StreamDesign d, DateTimeOffset t0, string? program = null)
    {
        var rnd = new Random(d.Seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rnd.NextDouble())) * Math.Cos(2 * Math.PI * rnd.NextDouble());
        var list = new List<TelemetrySample>(tr.T.Length + (int)(d.AfterEndS * 100) + 1);
        double lagged = 0;
        bool broken = false;
        double dt = tr.T.Length > 1 ? (tr.T[^1] - tr.T[0]) / (tr.T.Length - 1) : 0.01;
        for (int i = 0; i < tr.T.Length; i++)
        {
            double t = tr.T[i];
            double rpm = Math.Min(d.Rpm, 5000 * t);
            int line = tr.Line[i];
            double feed = tr.VelMmS[i] * 60;
            double share = 0;
            var moves = line > 0 ? p.MovesOfLine(line) : [];
            if (moves.Count > 0)
            {
                var m = p.Moves[moves.OrderBy(k => p.Moves[k].Closest(tr.Pos[i]).DistanceMm).First()];
                double s = m.Closest(tr.Pos[i]).S;
                double w = m.CuttingPowerW(s, feed, d.Rpm);
                // The real chip-thickness exponent differs a little from the model's: a feed change is not exactly proportional.
                double k = m.ProgrammedFeedMmPerMin > 0 && feed > 0 ? Math.Pow(feed / m.ProgrammedFeedMmPerMin, 0.05) : 1;
                share = SpindleCapacity.LoadPct(p.Spindle, d.Rpm, w) * d.TrueFactor * k * d.Wear;
                if (line == d.OverloadLine) share *= 1 + d.Overload;
                if (line == d.BrokenLine && tr.Pos[i].X > d.BrokenAfterXmm) broken = true;
            }
            if (broken) share = 0;
            lagged += (1 - Math.Exp(-dt / 0.03)) * (share - lagged);
            double idle = d.IdlePct * (0.4 + 0.6 * rpm / d.Rpm) + 0.2 * d.NoisePct * Math.Sin(2 * Math.PI * t / 20);
            double load = idle + lagged + d.NoisePct * Gauss() + (rpm < d.Rpm ? 50 : 0);
            list.Add(new TelemetrySample(i, t0.AddSeconds(t), tr.Pos[i].X, tr.Pos[i].Y, tr.Pos[i].Z, rpm, Math.Max(0, load), double.NaN, program, line > 0 ? line : null, "ACTIVE", "x"));
        }
        var lastPos = tr.Pos[^1];
        int n = (int)Math.Round(d.AfterEndS / dt);
        for (int k = 1; k <= n; k++)
        {
            double rpm = Math.Max(0, d.Rpm - 4000 * k * dt);
            list.Add(new TelemetrySample(tr.T.Length + k, t0.AddSeconds(tr.T[^1] + k * dt), lastPos.X, lastPos.Y, lastPos.Z, rpm, Math.Max(0, d.IdlePct * rpm / d.Rpm + d.NoisePct * Gauss()),
                double.NaN, program, d.EndLine > 0 ? d.EndLine : null, "READY", "x"));
        }
        return list;
    }

    internal static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);
    internal static string F(double v) => double.IsFinite(v) ? v.ToString("0.####", CultureInfo.InvariantCulture) : "UNAVAILABLE";

    /// <summary>The data items a simulated machine sends per sample, as (name, value, is a sample).</summary>
    internal static (string Name, string Value, bool Sample)[] Items(TelemetrySample s) =>
    [
        ("Xact", F(s.X), true), ("Yact", F(s.Y), true), ("Zact", F(s.Z), true), ("Sspeed", F(s.SpindleRpm), true), ("Sload", F(s.SpindleLoadPct), true),
        ("line", s.Line?.ToString(CultureInfo.InvariantCulture) ?? "UNAVAILABLE", false), ("execution", s.Execution ?? "UNAVAILABLE", false), ("program", s.Program ?? "UNAVAILABLE", false),
    ];
}

/// <summary>
/// A machine's samples as the observations its stream would bring (the simulated machines' data items), from
/// memory: as fast as they are read, or paced to their own clock (stamped with the time they are released) — for
/// benchmarks that load the fleet without a network in between.
/// </summary>
public sealed class MemoryMachineSource(IReadOnlyList<TelemetrySample> samples, bool paced, string description = "memory") : IObservationSource
{
    public string Description => description;
    public Action<SourceEvent>? OnEvent { get; set; }

    public async IAsyncEnumerable<Observation> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "connected", description));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var start = DateTimeOffset.UtcNow;
        for (int i = 0; i < samples.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var s = samples[i];
            if (paced)
            {
                // Released as a network delivers them: what is due every ~10 ms, together.
                var due = s.Time - samples[0].Time;
                if (due - clock.Elapsed > TimeSpan.FromMilliseconds(5)) await Task.Delay(due - clock.Elapsed + TimeSpan.FromMilliseconds(5), ct).ConfigureAwait(false);
                s = s with { Time = start + due };
            }
            foreach (var (name, value, sample) in DesignedStream.Items(s))
                yield return new Observation(s.Time, name, value, sample ? ObservationKind.Sample : ObservationKind.Event, (long)i * 8 + 1);
            if (!paced && (i & 1023) == 0) await Task.Yield();
        }
    }
}

/// <summary>
/// Plays samples in real time as machines send them. Sample i goes out at its own time after the start (so a 100 Hz
/// stream takes its real length), stamped with the wall-clock time it is sent at; <see cref="Times"/> keeps every
/// stamp sent (what the history must hold).
/// </summary>
public abstract class SimulatedMachine : IAsyncDisposable
{
    protected readonly IReadOnlyList<TelemetrySample> Samples;
    protected readonly CancellationTokenSource Stop = new();
    private Task? _play;
    public DateTimeOffset Start { get; private set; }
    /// <summary>How many samples have been produced so far.</summary>
    public int Produced;
    public Task Finished => _play ?? Task.CompletedTask;
    /// <summary>Sent this many times faster than the samples' own clock (their stamps keep the real spacing).</summary>
    public double Speed { get; init; } = 1;

    protected SimulatedMachine(IReadOnlyList<TelemetrySample> samples) => Samples = samples;

    /// <summary>Whether a reader (an agent, a twin) has connected yet.</summary>
    public abstract bool Connected { get; }

    /// <summary>The i-th sample, stamped with its send time.</summary>
    public TelemetrySample Stamped(int i) => Samples[i] with { Time = Start + (Samples[i].Time - Samples[0].Time) };

    /// <summary>Parts played one after another (0: until disposed), with this pause at READY between them.</summary>
    public int Parts { get; init; } = 1;
    public TimeSpan PauseBetweenParts { get; init; } = TimeSpan.FromSeconds(3);

    public void Play(DateTimeOffset? start = null)
    {
        // Whole milliseconds: the stamps sent (6 decimals) are then exactly the ones kept here.
        var t = start ?? DateTimeOffset.UtcNow;
        Start = new DateTimeOffset(t.Ticks - t.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
        var length = Samples[^1].Time - Samples[0].Time + TimeSpan.FromMilliseconds(10);
        _play = Task.Run(async () =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int part = 0; (Parts == 0 || part < Parts) && !Stop.IsCancellationRequested; part++)
            {
                var offset = (length + PauseBetweenParts) * part;
                if (part > 0)
                {
                    // Between parts the machine sits at READY at its last position (sent every 100 ms), then starts again.
                    var last = Samples[^1];
                    for (var p = TimeSpan.Zero; p < PauseBetweenParts && !Stop.IsCancellationRequested; p += TimeSpan.FromMilliseconds(100))
                    {
                        var at = offset - PauseBetweenParts + p;
                        await Until(at / Speed, clock).ConfigureAwait(false);
                        Emit(-1, last with { Time = Start + at, Execution = "READY", SpindleRpm = 0, SpindleLoadPct = 0 });
                    }
                }
                for (int i = 0; i < Samples.Count && !Stop.IsCancellationRequested; i++)
                {
                    var due = offset + (Samples[i].Time - Samples[0].Time);
                    await Until(due / Speed, clock).ConfigureAwait(false);
                    if (Stop.IsCancellationRequested) break;
                    Emit(i, Samples[i] with { Time = Start + due });
                    Interlocked.Increment(ref Produced);
                }
            }
        });
    }

    private async Task Until(TimeSpan due, System.Diagnostics.Stopwatch clock)
    {
        var wait = due - clock.Elapsed;
        if (wait > TimeSpan.FromMilliseconds(1)) { try { await Task.Delay(wait, Stop.Token).ConfigureAwait(false); } catch (OperationCanceledException) { } }
    }

    protected abstract void Emit(int index, TelemetrySample s);

    public virtual async ValueTask DisposeAsync()
    {
        await Stop.CancelAsync().ConfigureAwait(false);
        try { await Finished.ConfigureAwait(false); } catch (OperationCanceledException) { }
        GC.SuppressFinalize(this);
    }
}

/// <summary>A simulated SHDR adapter: one line per sample to every connected agent; what is sent while none is connected is lost (as on a real adapter).</summary>
public sealed class ShdrReplayAdapter : SimulatedMachine
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<(TcpClient Client, StreamWriter Writer)> _clients = new();
    private readonly Task _accept;
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    private volatile bool _connected;
    public override bool Connected => _connected;
    /// <summary>Samples sent to at least one agent, and those sent to none.</summary>
    public int Delivered, Dropped;

    public ShdrReplayAdapter(IReadOnlyList<TelemetrySample> samples) : base(samples)
    {
        _listener.Start();
        _accept = Task.Run(async () =>
        {
            while (!Stop.IsCancellationRequested)
            {
                TcpClient c;
                try { c = await _listener.AcceptTcpClientAsync(Stop.Token).ConfigureAwait(false); } catch { return; }
                c.NoDelay = true;
                var w = new StreamWriter(c.GetStream(), new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
                lock (_clients) _clients.Add((c, w));
                _connected = true;
                _ = Task.Run(async () =>
                {
                    // Answer the agent's heartbeat pings.
                    var r = new StreamReader(c.GetStream());
                    try
                    {
                        while (await r.ReadLineAsync(Stop.Token).ConfigureAwait(false) is { } line)
                            if (line.StartsWith("* PING", StringComparison.Ordinal)) lock (_clients) w.WriteLine("* PONG 10000");
                    }
                    catch (Exception) { }
                    lock (_clients) { _clients.RemoveAll(x => x.Client == c); }
                    c.Dispose();
                });
            }
        });
    }

    protected override void Emit(int index, TelemetrySample s)
    {
        string line = DesignedStream.Iso(s.Time) + string.Concat(DesignedStream.Items(s).Select(i => "|" + i.Name + "|" + i.Value));
        int sent = 0;
        lock (_clients)
            foreach (var (c, w) in _clients.ToList())
            {
                try { w.WriteLine(line); sent++; }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException) { _clients.RemoveAll(x => x.Client == c); }
            }
        if (sent > 0) Interlocked.Increment(ref Delivered); else Interlocked.Increment(ref Dropped);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        _listener.Stop();
        lock (_clients) foreach (var (c, _) in _clients) c.Dispose();
        try { await _accept.ConfigureAwait(false); } catch { }
    }
}

/// <summary>
/// A simulated MTConnect agent (HTTP on loopback: /probe, /current, /sample?from=&amp;count=): every sample adds
/// eight observations with consecutive sequences, all kept in its buffer, so a reader can resume from any sequence.
/// </summary>
public sealed class MtConnectReplayAgent : SimulatedMachine
{
    private const int PerSample = 8;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _accept;
    private readonly List<TelemetrySample> _sent = new();
    public long InstanceId { get; } = 1_700_000_000 + Random.Shared.Next(1_000_000);
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public int Requests;
    public override bool Connected => Volatile.Read(ref Requests) > 0;

    public MtConnectReplayAgent(IReadOnlyList<TelemetrySample> samples) : base(samples)
    {
        _listener.Start();
        _accept = Task.Run(async () =>
        {
            while (!Stop.IsCancellationRequested)
            {
                TcpClient c;
                try { c = await _listener.AcceptTcpClientAsync(Stop.Token).ConfigureAwait(false); } catch { return; }
                _ = Task.Run(() => Serve(c));
            }
        });
    }

    /// <summary>Samples the agent's buffer keeps (a real agent's buffer is bounded too); older ones leave it.</summary>
    public int BufferSamples { get; init; } = 200_000;
    private long _dropped;

    protected override void Emit(int index, TelemetrySample s)
    {
        lock (_sent)
        {
            _sent.Add(s);
            if (_sent.Count > BufferSamples + BufferSamples / 10) { int n = _sent.Count - BufferSamples; _sent.RemoveRange(0, n); _dropped += n; }
        }
    }

    private async Task Serve(TcpClient c)
    {
        using var _ = c;
        try
        {
            var stream = c.GetStream();
            var r = new StreamReader(stream, Encoding.ASCII);
            // HTTP/1.1 keep-alive: one request after another on the connection.
            while (await r.ReadLineAsync(Stop.Token).ConfigureAwait(false) is { } request)
            {
                while (await r.ReadLineAsync(Stop.Token).ConfigureAwait(false) is { Length: > 0 }) { }
                Interlocked.Increment(ref Requests);
                string target = request.Split(' ') is { Length: > 1 } parts ? parts[1] : "/";
                string body = Answer(target);
                var b = Encoding.UTF8.GetBytes(body);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {b.Length}\r\n\r\n"), Stop.Token).ConfigureAwait(false);
                await stream.WriteAsync(b, Stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException) { }
    }

    private string Answer(string target)
    {
        var uri = new Uri("http://x" + target);
        string path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/probe", StringComparison.Ordinal) || path == "/probe") return Probe();
        int count; long from, first;
        lock (_sent) { count = _sent.Count; first = _dropped * PerSample + 1; }
        long last = (_dropped + count) * PerSample;
        if (path.EndsWith("/current", StringComparison.Ordinal) || path == "/current")
            return Streams(last > 0 ? last - PerSample + 1 : 1, last, last, first);
        var q = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
        from = q.TryGetValue("from", out var f) && long.TryParse(f, CultureInfo.InvariantCulture, out var fv) ? fv : 1;
        int n = q.TryGetValue("count", out var cs) && int.TryParse(cs, CultureInfo.InvariantCulture, out var cv) ? cv : 100;
        from = Math.Max(first, from);
        return Streams(from, Math.Min(last, from + n - 1), last, first);
    }

    private static string Probe()
    {
        var sb = new StringBuilder("<?xml version=\"1.0\"?><MTConnectDevices xmlns=\"urn:mtconnect.org:MTConnectDevices:1.3\"><Header instanceId=\"1\"/><Devices><Device id=\"d1\" name=\"vmc\" uuid=\"vmc\"><DataItems>");
        foreach (var (name, _, sample) in DesignedStream.Items(new TelemetrySample(0, default, 0, 0, 0, 0, 0, 0, null, null, null, "")))
            sb.Append(CultureInfo.InvariantCulture, $"<DataItem id=\"{name}\" name=\"{name}\" category=\"{(sample ? "SAMPLE" : "EVENT")}\" type=\"{(sample ? "POSITION" : "LINE")}\"/>");
        return sb.Append("</DataItems></Device></Devices></MTConnectDevices>").ToString();
    }

    /// <summary>Observations with sequences from..to (inclusive) of the buffer holding 1..last.</summary>
    private string Streams(long from, long to, long last, long first)
    {
        var samples = new StringBuilder();
        var events = new StringBuilder();
        for (long seq = from; seq <= to; seq++)
        {
            long i = (seq - 1) / PerSample;
            int k = (int)((seq - 1) % PerSample);
            TelemetrySample s;
            lock (_sent)
            {
                if (i - _dropped < 0 || i - _dropped >= _sent.Count) continue;
                s = _sent[(int)(i - _dropped)];
            }
            var (name, value, sample) = DesignedStream.Items(s)[k];
            (sample ? samples : events).Append(CultureInfo.InvariantCulture, $"<{(sample ? "Position" : "Line")} dataItemId=\"{name}\" name=\"{name}\" timestamp=\"{DesignedStream.Iso(s.Time)}\" sequence=\"{seq}\">{value}</{(sample ? "Position" : "Line")}>");
        }
        long next = Math.Max(from, to + 1);
        return $"<?xml version=\"1.0\"?><MTConnectStreams xmlns=\"urn:mtconnect.org:MTConnectStreams:1.3\"><Header instanceId=\"{InstanceId}\" firstSequence=\"{first}\" nextSequence=\"{(to >= from ? to + 1 : Math.Min(from, last + 1))}\" lastSequence=\"{last}\"/>" +
               $"<Streams><DeviceStream name=\"vmc\" uuid=\"vmc\"><ComponentStream component=\"Path\" name=\"path\" componentId=\"p1\"><Samples>{samples}</Samples><Events>{events}</Events></ComponentStream></DeviceStream></Streams></MTConnectStreams>";
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        _listener.Stop();
        try { await _accept.ConfigureAwait(false); } catch { }
    }
}
