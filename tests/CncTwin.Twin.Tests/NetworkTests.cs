using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;

namespace CncTwin.Twin.Tests;

/// <summary>Real bytes over loopback sockets: an SHDR adapter with heartbeat, an MTConnect agent that drops connections.</summary>
public class NetworkTests
{
    /// <summary>Serves SHDR lines like an adapter: answers PING with PONG, then writes the log.</summary>
    private static async Task ServeShdr(TcpListener listener, string[] lines, int heartbeatMs, CancellationToken ct)
    {
        using var client = await listener.AcceptTcpClientAsync(ct);
        var stream = client.GetStream();
        var reader = new StreamReader(stream);
        var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
        var pings = Task.Run(async () =>
        {
            try
            {
                while (!ct.IsCancellationRequested && await reader.ReadLineAsync(ct) is { } l)
                    if (l.StartsWith("* PING")) lock (writer) writer.WriteLine($"* PONG {heartbeatMs}");
            }
            catch (Exception) { }
        });
        foreach (var line in lines)
        {
            lock (writer) writer.WriteLine(line);
            await Task.Delay(1, ct);
        }
        // Stay quiet longer than a heartbeat (the client keeps pinging), then close.
        await Task.Delay(3 * heartbeatMs, ct);
        client.Close();
        await pings;
    }

    /// <summary>A listener on a free loopback port.</summary>
    private static (TcpListener Listener, int Port) Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return (listener, ((IPEndPoint)listener.LocalEndpoint).Port);
    }

    [Fact]
    public async Task Shdr_OverLoopback_EverySampleArrives_WithHeartbeat()
    {
        var lines = File.ReadAllLines(Recorded.File("cppagent/demo/okuma.txt")).Take(2000).ToArray();
        var expected = new List<Observation>();
        var p = new ShdrParser();
        foreach (var l in lines) expected.AddRange(p.Parse(l));
        var (listener, port) = Listen();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var server = ServeShdr(listener, lines, 200, cts.Token);
        var source = new ShdrSource("127.0.0.1", port) { Reconnect = false };
        var got = new List<Observation>();
        await foreach (var o in source.ReadAsync(cts.Token)) got.Add(o);
        await server;
        listener.Stop();
        Assert.Equal(200, source.HeartbeatMs);
        Assert.True(source.Pongs >= 2, $"{source.Pongs} PONGs: the client keeps the heartbeat");
        Assert.Equal(expected.Count, got.Count);
        Assert.Equal(expected.Select(o => (o.Key, o.Value, o.Timestamp)), got.Select(o => (o.Key, o.Value, o.Timestamp)));
    }

    [Fact]
    public async Task Shdr_ALineWithoutEnd_IsDroppedWithAnEvent_AndTheStreamGoesOn()
    {
        var (listener, port) = Listen();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("2026-12-04T10:00:00.000Z|Srpm|1000\n"), cts.Token);
            // 8 MB without a newline (an adapter gone mad), then the newline and more good lines.
            var junk = new byte[1 << 20];
            Array.Fill(junk, (byte)'x');
            for (int i = 0; i < 8; i++) await stream.WriteAsync(junk, cts.Token);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("\n2026-12-04T10:00:00.010Z|Srpm|1010\r\n2026-12-04T10:00:00.020Z|Srpm|1020\n"), cts.Token);
            await Task.Delay(200, cts.Token);
            client.Close();
        });
        var source = new ShdrSource("127.0.0.1", port) { Reconnect = false };
        var events = new List<SourceEvent>();
        source.OnEvent = e => { lock (events) events.Add(e); };
        var got = new List<Observation>();
        await foreach (var o in source.ReadAsync(cts.Token)) got.Add(o);
        await server;
        listener.Stop();
        Assert.Equal(["1000", "1010", "1020"], got.Select(o => o.Value));
        var dropped = Assert.Single(events, e => e.Kind == "line_too_long");
        Assert.Contains("8,388,608 bytes", dropped.Message);
    }

    [Fact]
    public async Task Shdr_AdapterThatIsGone_EndsTheSourceAfterBoundedRetries()
    {
        // A port nothing listens on: every connection is refused.
        var (probe, port) = Listen();
        probe.Stop();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var source = new ShdrSource("127.0.0.1", port) { ReconnectDelay = TimeSpan.FromMilliseconds(10), MaxConnectAttempts = 4 };
        var events = new List<SourceEvent>();
        source.OnEvent = e => events.Add(e);
        await foreach (var _ in source.ReadAsync(cts.Token)) { }
        Assert.False(cts.IsCancellationRequested, "the source ended by itself");
        Assert.Equal(4, events.Count(e => e.Kind == "connect_failed"));
        Assert.Equal("gave_up", events[^1].Kind);
    }

    [Fact]
    public async Task Shdr_AdapterSilentForTwoHeartbeats_IsReportedAndReconnected()
    {
        var (listener, port) = Listen();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int accepted = 0;
        var server = Task.Run(async () =>
        {
            var held = new List<TcpClient>();
            try
            {
                while (!cts.IsCancellationRequested)
                {
                    var client = await listener.AcceptTcpClientAsync(cts.Token);
                    held.Add(client);
                    Interlocked.Increment(ref accepted);
                    // One PONG with a 100 ms heartbeat and one sample, then nothing at all (the socket stays open).
                    var w = new StreamWriter(client.GetStream(), new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
                    await w.WriteLineAsync("* PONG 100");
                    await w.WriteLineAsync("2026-12-04T10:00:00.000Z|Srpm|1000");
                }
            }
            catch (OperationCanceledException) { }
            foreach (var c in held) c.Dispose();
        });
        var source = new ShdrSource("127.0.0.1", port) { ReconnectDelay = TimeSpan.FromMilliseconds(20) };
        var events = new List<SourceEvent>();
        source.OnEvent = e => { lock (events) events.Add(e); };
        int samples = 0;
        await foreach (var _ in source.ReadAsync(cts.Token))
            if (++samples == 2) break;   // the sample of the first connection, then the one after reconnecting
        await cts.CancelAsync();
        await server;
        listener.Stop();
        Assert.Equal(2, samples);
        Assert.True(accepted >= 2, $"{accepted} connections");
        lock (events) Assert.Contains(events, e => e.Kind == "silent" && e.Message.Contains("200 ms"));
    }

    /// <summary>
    /// A minimal MTConnect agent over raw HTTP/1.1 on loopback, serving the recorded Okuma probe and 200-sample
    /// document: /current says the buffer holds sequences 1..200; /sample?from=N&amp;count=C returns those
    /// sequences (the recorded elements, others removed). The first sample responses are cut off mid-body.
    /// </summary>
    private sealed class FakeAgent : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly XDocument _sample;
        private readonly string _probe;
        private readonly CancellationTokenSource _cts = new();
        private readonly Task _loop;
        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int DropsLeft;
        public int Requests;
        public bool Multipart;

        public FakeAgent(int drops)
        {
            DropsLeft = drops;
            _sample = XDocument.Parse(File.ReadAllText(Recorded.File("generated-by-built-agent/okuma_sample_count200.xml")));
            _probe = File.ReadAllText(Recorded.File("generated-by-built-agent/okuma_probe.xml"));
            _listener.Start();
            _loop = Task.Run(Loop);
        }

        private string SampleXml(long from, int count)
        {
            var doc = new XDocument(_sample);
            long to = Math.Min(200, from + count - 1);
            foreach (var e in doc.Descendants().Where(x => x.Attribute("sequence") != null).ToList())
            {
                long s = long.Parse(e.Attribute("sequence")!.Value);
                if (s < from || s > to) e.Remove();
            }
            var h = doc.Descendants().First(x => x.Name.LocalName == "Header");
            h.SetAttributeValue("nextSequence", Math.Min(201, to + 1));
            h.SetAttributeValue("lastSequence", 200);
            return doc.ToString();
        }

        private async Task Loop()
        {
            while (!_cts.IsCancellationRequested)
            {
                TcpClient c;
                try { c = await _listener.AcceptTcpClientAsync(_cts.Token); } catch { return; }
                _ = Task.Run(() => Handle(c));
            }
        }

        private async Task Handle(TcpClient c)
        {
            using var _ = c;
            var s = c.GetStream();
            var r = new StreamReader(s);
            string? request = await r.ReadLineAsync();
            while (await r.ReadLineAsync() is { Length: > 0 }) { }
            if (request == null) return;
            Interlocked.Increment(ref Requests);
            string path = request.Split(' ')[1];
            string body;
            if (path.EndsWith("/probe")) body = _probe;
            else if (path.EndsWith("/current"))
            {
                // The state as of sequence 0 (no observations, nextSequence 1): the stream starts at 1.
                body = SampleXml(1, 0);
            }
            else
            {
                var q = System.Web.HttpUtility.ParseQueryString(new Uri("http://x" + path).Query);
                long from = long.Parse(q["from"]!);
                int count = int.Parse(q["count"] ?? "100");
                if (Multipart && q["interval"] != null)
                {
                    await StreamParts(s, from, Math.Min(count, 40));
                    return;
                }
                body = SampleXml(from, Math.Min(count, 40));
                if (Interlocked.Decrement(ref DropsLeft) >= 0)
                {
                    // Headers promise the whole body; the connection dies half way through it.
                    var bytes = Encoding.UTF8.GetBytes(body);
                    await s.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
                    await s.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                    c.Client.LingerState = new LingerOption(true, 0);
                    return;
                }
            }
            var b = Encoding.UTF8.GetBytes(body);
            await s.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {b.Length}\r\nConnection: close\r\n\r\n"));
            await s.WriteAsync(b);
        }

        /// <summary>multipart/x-mixed-replace: one document per part; the first connections die inside a part.</summary>
        private async Task StreamParts(NetworkStream s, long from, int perPart)
        {
            await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=a8f3d2\r\nConnection: close\r\n\r\n"));
            bool drop = Interlocked.Decrement(ref DropsLeft) >= 0;
            int parts = 0;
            while (from <= 200)
            {
                var b = Encoding.UTF8.GetBytes(SampleXml(from, perPart));
                var head = Encoding.ASCII.GetBytes($"--a8f3d2\r\nContent-type: text/xml\r\nContent-length: {b.Length}\r\n\r\n");
                await s.WriteAsync(head);
                if (drop && ++parts == 2) { await s.WriteAsync(b.AsMemory(0, b.Length / 3)); return; }
                await s.WriteAsync(b);
                await s.WriteAsync("\r\n"u8.ToArray());
                from += perPart;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _cts.CancelAsync();
            _listener.Stop();
            try { await _loop; } catch { }
        }
    }

    private static async Task<(List<Observation> Got, List<SourceEvent> Events, MtConnectSource Source)> Collect(FakeAgent agent, int streamInterval)
    {
        var events = new List<SourceEvent>();
        var source = new MtConnectSource(new Uri($"http://127.0.0.1:{agent.Port}/")) { Count = 40, StreamIntervalMs = streamInterval, ReconnectDelay = TimeSpan.FromMilliseconds(20), PollIntervalMs = 10 };
        source.OnEvent = e => { lock (events) events.Add(e); };
        var got = new List<Observation>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var o in source.ReadAsync(cts.Token))
        {
            if (o.Sequence > 0) got.Add(o);
            if (o.Sequence == 200) break;
        }
        return (got, events, source);
    }

    [Fact]
    public async Task Agent_Polling_DroppedMidResponse_ResumesWithoutLossOrDuplicates()
    {
        await using var agent = new FakeAgent(drops: 3);
        var (got, events, source) = await Collect(agent, 0);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), got.Select(o => o.Sequence));
        Assert.Equal(3, events.Count(e => e.Kind == "disconnected"));
        Assert.DoesNotContain(events, e => e.Kind == "gap");
        Assert.Equal(238, source.Model!.DataItems.Count);
    }

    [Fact]
    public async Task Agent_MultipartStream_DroppedMidPart_ResumesWithoutLossOrDuplicates()
    {
        await using var agent = new FakeAgent(drops: 2) { Multipart = true };
        var (got, events, _) = await Collect(agent, 100);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), got.Select(o => o.Sequence));
        Assert.True(events.Count(e => e.Kind == "disconnected") >= 2);
    }
}
