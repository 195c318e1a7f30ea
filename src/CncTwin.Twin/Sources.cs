using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace CncTwin.Twin;

/// <summary>Something that happened to a source that is not an observation: connect, disconnect, a gap of lost samples.</summary>
public sealed record SourceEvent(DateTimeOffset Time, string Kind, string Message, long GapFrom = 0, long GapTo = 0);

/// <summary>A stream of observations from a machine (SHDR adapter, MTConnect agent, recorded file).</summary>
public interface IObservationSource
{
    string Description { get; }
    /// <summary>Connection changes and gaps, as they happen.</summary>
    Action<SourceEvent>? OnEvent { get; set; }
    IAsyncEnumerable<Observation> ReadAsync(CancellationToken ct);
    /// <summary>The data-item names this source's observations carry, when the source defines them itself (a recorded log's columns); null: the caller's mapping.</summary>
    DataItemMapping? Mapping => null;
}

/// <summary>
/// Reads an MTConnect SHDR adapter over TCP: sends <c>* PING</c>, learns the heartbeat from <c>* PONG ms</c> and
/// pings again every half heartbeat; a connection silent for two heartbeats is dead. On a drop it reconnects
/// (after <see cref="ReconnectDelay"/>) until cancelled, or ends when <see cref="Reconnect"/> is false.
/// SHDR carries no sequence numbers: what the adapter sent while disconnected is lost (reported as a gap event).
/// </summary>
public sealed class ShdrSource(string host, int port, IDataItemCatalog? catalog = null) : IObservationSource
{
    /// <summary>Default cap on one SHDR line: far above any real adapter's line, far below what would hurt.</summary>
    public const int DefaultMaxLineBytes = 64 * 1024;
    public string Description => $"shdr://{host}:{port}";
    public Action<SourceEvent>? OnEvent { get; set; }
    public bool Reconnect { get; set; } = true;
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// Consecutive refused or failed connection attempts after which the source ends ("gave_up" event): an
    /// adapter that has gone for good (the machine switched off after the job) stops `watch` instead of being
    /// retried forever. 0: retry until cancelled.
    /// </summary>
    public int MaxConnectAttempts { get; set; } = 10;
    /// <summary>A line longer than this (bytes, without its newline) is dropped with a "line_too_long" event; memory stays bounded.</summary>
    public int MaxLineBytes { get; set; } = DefaultMaxLineBytes;
    /// <summary>Heartbeat agreed with the adapter (0 until a PONG arrived).</summary>
    public int HeartbeatMs { get; private set; }
    public long Pongs { get; private set; }

    public async IAsyncEnumerable<Observation> ReadAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var parser = new ShdrParser(catalog);
        int failedConnects = 0;
        while (!ct.IsCancellationRequested)
        {
            using var tcp = new TcpClient { NoDelay = true };
            try { await tcp.ConnectAsync(host, port, ct).ConfigureAwait(false); }
            catch (SocketException ex)
            {
                failedConnects++;
                OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "connect_failed", $"{Description}: {ex.Message}"));
                if (!Reconnect) yield break;
                if (MaxConnectAttempts > 0 && failedConnects >= MaxConnectAttempts)
                {
                    OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "gave_up", $"{Description}: {failedConnects} connection attempts in a row failed; the adapter is gone, so the source ends"));
                    yield break;
                }
                await Task.Delay(ReconnectDelay, ct).ConfigureAwait(false);
                continue;
            }
            failedConnects = 0;
            OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "connected", Description));
            var stream = tcp.GetStream();
            var reader = new BoundedLineReader(stream, MaxLineBytes);
            var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
            await writer.WriteLineAsync("* PING").ConfigureAwait(false);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var lastHeard = DateTime.UtcNow;
            long bytesSeen = 0;
            // Heartbeat: ping every half period; declare the link dead after two periods of silence.
            var pinger = Task.Run(async () =>
            {
                try
                {
                    while (!linked.IsCancellationRequested)
                    {
                        int hb = HeartbeatMs > 0 ? HeartbeatMs : 10_000;
                        await Task.Delay(Math.Max(10, hb / 2), linked.Token).ConfigureAwait(false);
                        long bytes = Interlocked.Read(ref reader.BytesRead);
                        if (bytes != bytesSeen) { bytesSeen = bytes; lastHeard = DateTime.UtcNow; }
                        if (HeartbeatMs > 0 && (DateTime.UtcNow - lastHeard).TotalMilliseconds > 2 * HeartbeatMs)
                        {
                            // As MTConnect's agent does: nothing, not even a PONG, for two heartbeats is a dead link.
                            OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "silent", $"{Description}: no data and no PONG for {2 * HeartbeatMs} ms (twice the heartbeat): reconnecting"));
                            tcp.Close();
                            break;
                        }
                        await writer.WriteLineAsync("* PING").ConfigureAwait(false);
                    }
                }
                catch (Exception) { /* the read loop sees the closed socket */ }
            });
            while (true)
            {
                string? line;
                long dropped;
                try { (line, dropped) = await reader.ReadLineAsync(linked.Token).ConfigureAwait(false); }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException) { line = null; dropped = 0; }
                catch (OperationCanceledException) { break; }
                if (dropped > 0)
                {
                    lastHeard = DateTime.UtcNow;
                    OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "line_too_long", string.Create(CultureInfo.InvariantCulture,
                        $"{Description}: dropped a line of {dropped:N0} bytes (more than the {MaxLineBytes:N0}-byte cap)")));
                    if (line == null) break;
                    continue;
                }
                if (line == null) break;
                lastHeard = DateTime.UtcNow;
                if (line.StartsWith("* PONG", StringComparison.Ordinal))
                {
                    Pongs++;
                    if (int.TryParse(line.AsSpan(6).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int ms) && ms > 0) HeartbeatMs = ms;
                    continue;
                }
                List<Observation> obs;
                try { obs = parser.Parse(line, Description); }
                catch (FormatException ex) { OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "bad_line", ex.Message)); continue; }
                foreach (var o in obs) yield return o;
            }
            await linked.CancelAsync().ConfigureAwait(false);
            try { await pinger.ConfigureAwait(false); } catch (OperationCanceledException) { }
            if (ct.IsCancellationRequested) yield break;
            OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "disconnected", $"{Description}: connection closed; SHDR cannot replay what is sent meanwhile"));
            if (!Reconnect) yield break;
            await Task.Delay(ReconnectDelay, ct).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Lines of a byte stream (UTF-8, "\n" or "\r\n"), none longer than a cap: a longer one is skipped up to its
/// newline without being held (its length is reported instead), so a peer that sends a gigabyte without a
/// newline costs one buffer, not a gigabyte.
/// </summary>
internal sealed class BoundedLineReader(Stream stream, int maxLineBytes)
{
    private readonly byte[] _buf = new byte[Math.Max(4096, Math.Min(maxLineBytes + 2, 1 << 16))];
    private readonly MemoryStream _line = new();
    private int _pos, _end;
    /// <summary>Bytes received so far (a long line arriving is not silence).</summary>
    public long BytesRead;

    /// <summary>The next line (null at the end of the stream); Dropped &gt; 0: a too-long line of that many bytes was skipped (Line is then "", or null when the stream ended in it).</summary>
    public async ValueTask<(string? Line, long Dropped)> ReadLineAsync(CancellationToken ct)
    {
        _line.SetLength(0);
        long dropped = 0;
        bool skipping = false;
        while (true)
        {
            if (_pos == _end)
            {
                _end = await stream.ReadAsync(_buf, ct).ConfigureAwait(false);
                _pos = 0;
                Interlocked.Add(ref BytesRead, _end);
                if (_end == 0)
                {
                    if (skipping) return (null, dropped);
                    return _line.Length > 0 ? (Decode(), 0) : (null, 0);
                }
            }
            int nl = Array.IndexOf(_buf, (byte)'\n', _pos, _end - _pos);
            int take = (nl < 0 ? _end : nl) - _pos;
            if (skipping) dropped += take;
            else if (_line.Length + take > maxLineBytes)
            {
                skipping = true;
                dropped = _line.Length + take;
                _line.SetLength(0);
            }
            else _line.Write(_buf, _pos, take);
            if (nl < 0) { _pos = _end; continue; }
            _pos = nl + 1;
            if (skipping) return ("", dropped);
            return (Decode(), 0);
        }
    }

    private string Decode()
    {
        var span = _line.GetBuffer().AsSpan(0, (int)_line.Length);
        if (span.Length > 0 && span[^1] == (byte)'\r') span = span[..^1];
        return Encoding.UTF8.GetString(span);
    }
}

/// <summary>
/// Reads an MTConnect agent over HTTP: <c>/probe</c> for the data items, <c>/current</c> for the state and its
/// sequence, then <c>/sample?from=SEQ&amp;count=N</c> in a loop (or, with <see cref="StreamIntervalMs"/>, one
/// long <c>/sample?from=SEQ&amp;interval=MS</c> multipart stream). Every observation is yielded once, in
/// sequence order: after a dropped connection it resumes from the next expected sequence; if the agent's
/// buffer has moved past it (firstSequence &gt; from, or an OUT_OF_RANGE error) the lost range is reported as
/// a gap event; an agent restart (new instanceId) is reported and followed from its new current state.
/// </summary>
public sealed class MtConnectSource(Uri baseUri, string? device = null, HttpClient? http = null) : IObservationSource
{
    private readonly HttpClient _http = http ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
    public string Description => baseUri + (device ?? "");
    public Action<SourceEvent>? OnEvent { get; set; }
    public int Count { get; set; } = 1000;
    public int PollIntervalMs { get; set; } = 100;
    /// <summary>Use the agent's multipart streaming with this interval (ms); 0 = poll.</summary>
    public int StreamIntervalMs { get; set; }
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>End after this many consecutive failed requests (0 = never).</summary>
    public int GiveUpAfterFailures { get; set; }
    public DeviceModel? Model { get; private set; }
    public long NextSequence { get; private set; }
    public long InstanceId { get; private set; }
    public long Duplicates { get; private set; }

    private string Path(string what) => (device == null ? "" : Uri.EscapeDataString(device) + "/") + what;

    public async Task<DeviceModel> ProbeAsync(CancellationToken ct)
    {
        string xml = await _http.GetStringAsync(new Uri(baseUri, Path("probe")), ct).ConfigureAwait(false);
        return Model = DeviceModel.Parse(xml, new Uri(baseUri, Path("probe")).ToString());
    }

    /// <summary>
    /// Continue where another reader stopped (a fleet twin moved to another computer): from this sequence of this
    /// agent instance, instead of from the agent's current state. A buffer that has moved past it is reported as a
    /// gap; an agent restarted meanwhile (another instance) as a restart.
    /// </summary>
    public void ResumeFrom(long instanceId, long nextSequence)
    {
        if (nextSequence <= 0) return;
        InstanceId = instanceId;
        NextSequence = nextSequence;
        _resumed = true;
    }
    private bool _resumed;

    public async IAsyncEnumerable<Observation> ReadAsync([EnumeratorCancellation] CancellationToken ct)
    {
        int failures = 0;
        if (_resumed)
        {
            try { Model ??= await ProbeAsync(ct).ConfigureAwait(false); }
            catch (Exception ex) when (ex is HttpRequestException or IOException or FormatException) { }
            OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "connected", $"{Description}: resuming instance {InstanceId} from sequence {NextSequence}"));
        }
        while (!ct.IsCancellationRequested && NextSequence == 0)
        {
            StreamsDocument? current = null;
            try
            {
                Model ??= await ProbeAsync(ct).ConfigureAwait(false);
                current = StreamsParser.Parse(await _http.GetStringAsync(new Uri(baseUri, Path("current")), ct).ConfigureAwait(false), Path("current"));
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or FormatException)
            {
                if (await Failed(ex, ++failures, ct).ConfigureAwait(false)) yield break;
                continue;
            }
            failures = 0;
            InstanceId = current.InstanceId;
            NextSequence = current.NextSequence;
            OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "connected", $"{Description}: instance {InstanceId}, from sequence {NextSequence}"));
            foreach (var o in current.Observations) yield return o;
        }
        while (!ct.IsCancellationRequested)
        {
            var batch = new List<Observation>();
            Exception? error = null;
            if (StreamIntervalMs > 0)
            {
                // Multipart stream: documents as they arrive; a drop ends the enumeration and we resume.
                IAsyncEnumerator<StreamsDocument>? e = null;
                try { e = StreamAsync(ct).GetAsyncEnumerator(ct); }
                catch (Exception ex) when (ex is HttpRequestException or IOException) { error = ex; }
                while (e != null)
                {
                    bool more;
                    try { more = await e.MoveNextAsync().ConfigureAwait(false); }
                    catch (Exception ex) when (ex is HttpRequestException or IOException or FormatException or TaskCanceledException && !ct.IsCancellationRequested) { error = ex; break; }
                    catch (MtConnectErrorException ex) { error = new IOException(ex.Message); break; }
                    if (!more) { error = new IOException("stream ended"); break; }
                    failures = 0;
                    foreach (var o in Accept(e.Current)) yield return o;
                }
                if (e != null) { try { await e.DisposeAsync().ConfigureAwait(false); } catch (Exception ex) when (ex is IOException or HttpRequestException) { } }
                if (ct.IsCancellationRequested) yield break;
                if (await Failed(error!, ++failures, ct).ConfigureAwait(false)) yield break;
                continue;
            }
            try
            {
                {
                    string xml = await _http.GetStringAsync(new Uri(baseUri, Path($"sample?from={NextSequence}&count={Count}")), ct).ConfigureAwait(false);
                    var doc = StreamsParser.Parse(xml, "sample");
                    batch.AddRange(Accept(doc));
                    failures = 0;
                    if (batch.Count == 0) await Task.Delay(PollIntervalMs, ct).ConfigureAwait(false);
                }
            }
            catch (MtConnectErrorException ex) when (ex.Code == "OUT_OF_RANGE")
            {
                // The buffer moved past us: everything up to its first sequence is lost; continue from there.
                error = null;
                var cur = await TryCurrent(ct).ConfigureAwait(false);
                if (cur != null)
                {
                    OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "gap", $"{Description}: sequences {NextSequence}..{cur.FirstSequence - 1} left the agent's buffer", NextSequence, cur.FirstSequence - 1));
                    NextSequence = cur.FirstSequence;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or FormatException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                error = ex;
            }
            foreach (var o in batch) yield return o;
            if (error != null)
            {
                if (await Failed(error, ++failures, ct).ConfigureAwait(false)) yield break;
            }
        }
    }

    private async Task<StreamsDocument?> TryCurrent(CancellationToken ct)
    {
        try { return StreamsParser.Parse(await _http.GetStringAsync(new Uri(baseUri, Path("current")), ct).ConfigureAwait(false), "current"); }
        catch (Exception ex) when (ex is HttpRequestException or IOException or FormatException) { return null; }
    }

    private async Task<bool> Failed(Exception ex, int failures, CancellationToken ct)
    {
        OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "disconnected", $"{Description}: {ex.Message}; resuming from sequence {NextSequence}"));
        if (GiveUpAfterFailures > 0 && failures >= GiveUpAfterFailures) return true;
        try { await Task.Delay(ReconnectDelay, ct).ConfigureAwait(false); } catch (OperationCanceledException) { return true; }
        return false;
    }

    /// <summary>The observations of a document not seen before, advancing the expected sequence; gaps and restarts reported.</summary>
    private List<Observation> Accept(StreamsDocument doc)
    {
        var list = new List<Observation>();
        if (InstanceId != 0 && doc.InstanceId != 0 && doc.InstanceId != InstanceId)
        {
            OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "agent_restarted", $"{Description}: instance {InstanceId} -> {doc.InstanceId}; following from sequence {doc.FirstSequence}"));
            InstanceId = doc.InstanceId;
            NextSequence = doc.FirstSequence;
        }
        if (doc.FirstSequence > NextSequence && NextSequence > 0)
        {
            OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "gap", $"{Description}: sequences {NextSequence}..{doc.FirstSequence - 1} left the agent's buffer", NextSequence, doc.FirstSequence - 1));
            NextSequence = doc.FirstSequence;
        }
        foreach (var o in doc.Observations)
        {
            if (o.Sequence < NextSequence) { Duplicates++; continue; }
            list.Add(o);
        }
        NextSequence = Math.Max(NextSequence, doc.NextSequence);
        return list;
    }

    /// <summary>The agent's multipart/x-mixed-replace stream: one MTConnectStreams document per part.</summary>
    private async IAsyncEnumerable<StreamsDocument> StreamAsync([EnumeratorCancellation] CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, Path($"sample?from={NextSequence}&interval={StreamIntervalMs}&count={Count}")));
        using var resp = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        resp.EnsureSuccessStatusCode();
        string? boundary = resp.Content.Headers.ContentType?.Parameters.FirstOrDefault(p => p.Name.Equals("boundary", StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"');
        using var body = await resp.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        if (boundary == null)
        {
            // Not multipart: a single document.
            using var r = new StreamReader(body);
            yield return StreamsParser.Parse(await r.ReadToEndAsync(ct).ConfigureAwait(false), "sample");
            yield break;
        }
        var reader = new MultipartReader(body, boundary);
        while (await reader.NextPartAsync(ct).ConfigureAwait(false) is { } part)
            yield return StreamsParser.Parse(part, "sample stream");
    }

    /// <summary>Minimal multipart reader: boundary line, headers (Content-length), body of that length.</summary>
    private sealed class MultipartReader(Stream s, string boundary)
    {
        private readonly byte[] _buf = new byte[1 << 16];
        private int _pos, _len;

        private async Task<int> ReadByteAsync(CancellationToken ct)
        {
            if (_pos == _len)
            {
                _len = await s.ReadAsync(_buf, ct).ConfigureAwait(false);
                _pos = 0;
                if (_len == 0) return -1;
            }
            return _buf[_pos++];
        }

        private async Task<string?> ReadLineAsync(CancellationToken ct)
        {
            var sb = new StringBuilder();
            while (true)
            {
                int b = await ReadByteAsync(ct).ConfigureAwait(false);
                if (b < 0) return sb.Length == 0 ? null : sb.ToString();
                if (b == '\n') return sb.ToString().TrimEnd('\r');
                sb.Append((char)b);
            }
        }

        public async Task<string?> NextPartAsync(CancellationToken ct)
        {
            string? line;
            do { line = await ReadLineAsync(ct).ConfigureAwait(false); if (line == null) return null; }
            while (line != "--" + boundary);
            int length = -1;
            while ((line = await ReadLineAsync(ct).ConfigureAwait(false)) is { Length: > 0 })
            {
                int c = line.IndexOf(':');
                if (c > 0 && line[..c].Trim().Equals("Content-length", StringComparison.OrdinalIgnoreCase)) int.TryParse(line[(c + 1)..].Trim(), out length);
            }
            if (line == null || length < 0) return null;
            var bytes = new byte[length];
            for (int i = 0; i < length; i++)
            {
                int b = await ReadByteAsync(ct).ConfigureAwait(false);
                if (b < 0) return null; // truncated part: the caller resumes from the last complete one
                bytes[i] = (byte)b;
            }
            return Encoding.UTF8.GetString(bytes);
        }
    }
}
