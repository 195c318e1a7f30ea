using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace CncTwin.Twin;

/// <summary>DIR/telemetry.csv: every received sample with its aligned line and the measured and predicted values.</summary>
public sealed class TelemetryCsvWriter : IDisposable
{
    public const string Header = "index,time,t_s,key,line,aligned_line,move,x,y,z,deviation_mm,feed_mm_min,spindle_rpm,measured_load_pct,predicted_load_pct,idle_load_pct,measured_power_w,predicted_cut_power_w,wear_um,execution,alarm,invalid";
    private readonly StreamWriter _w;
    private DateTimeOffset? _t0;
    public long Rows { get; private set; }

    public TelemetryCsvWriter(string path)
    {
        _w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        _w.WriteLine(Header);
    }

    private static string N(double v, string f = "0.####") => double.IsFinite(v) ? v.ToString(f, CultureInfo.InvariantCulture) : "";
    private static string Q(string? s) => s == null ? "" : s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    public void Write(AlignedSample a)
    {
        var s = a.Sample;
        _t0 ??= s.Time;
        _w.Write(string.Create(CultureInfo.InvariantCulture, $"{s.Index},{s.Time:yyyy-MM-ddTHH:mm:ss.ffffffZ},{(s.Time - _t0.Value).TotalSeconds:0.######},{Q(s.Key)},{s.Line?.ToString(CultureInfo.InvariantCulture) ?? ""},{a.Line},{a.Move},"));
        _w.Write($"{N(s.X)},{N(s.Y)},{N(s.Z)},{N(a.DeviationMm)},{N(a.FeedMmPerMin, "0.#")},{N(s.SpindleRpm, "0.#")},{N(a.MeasuredLoadPct, "0.##")},{N(a.PredictedLoadPct, "0.##")},{N(a.IdleLoadPct, "0.##")},");
        _w.WriteLine($"{N(a.MeasuredPowerW, "0.#")},{N(a.PredictedPowerW, "0.#")},{N(a.WearUm, "0.###")},{Q(s.Execution)},{a.Alarm?.WireName() ?? ""},{Q(s.Invalid)}");
        Rows++;
    }

    public void Dispose() => _w.Dispose();
}

public static class AlarmsJson
{
    /// <summary>DIR/alarms.json: [{"line":N,"kind":"overload|underload|position","start":ISO,"end":ISO,"start_s":..,"end_s":..,"message":"..","peak":..}].</summary>
    public static void Write(string path, IEnumerable<TwinAlarm> alarms)
    {
        // Whole under a temporary name, then renamed (an interrupted write never leaves a truncated alarms.json).
        using var file = CncTwin.Core.IO.AtomicFile.Create(path);
        using (var w = new Utf8JsonWriter(file.Stream, new JsonWriterOptions { Indented = true }))
            Write(w, alarms);
        file.Commit();
    }

    private static void Write(Utf8JsonWriter w, IEnumerable<TwinAlarm> alarms)
    {
        w.WriteStartArray();
        foreach (var a in alarms)
        {
            w.WriteStartObject();
            w.WriteNumber("line", a.Line);
            w.WriteString("kind", a.Kind.WireName());
            w.WriteString("start", a.Start.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture));
            w.WriteString("end", a.End.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture));
            w.WriteNumber("start_s", Math.Round(a.StartS, 4));
            w.WriteNumber("end_s", Math.Round(a.EndS, 4));
            w.WriteString("message", a.Message);
            w.WriteNumber("peak", Math.Round(a.Peak, 4));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}

/// <summary>
/// History across runs in an embedded SQLite database (Microsoft.Data.Sqlite): runs, every sample (batched
/// transactions) and the alarms.
/// </summary>
public sealed class TwinHistory : IDisposable
{
    private readonly SqliteConnection _db;
    private SqliteTransaction? _tx;
    private SqliteCommand? _insert;
    private int _pending;
    public long RunId { get; }

    public TwinHistory(string path, string program, string source, DateTimeOffset started)
    {
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path }.ToString());
        _db.Open();
        Exec("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started TEXT, program TEXT, source TEXT, samples INTEGER, alarms INTEGER, ended TEXT);
            CREATE TABLE IF NOT EXISTS samples (run INTEGER, idx INTEGER, time TEXT, line INTEGER, aligned_line INTEGER, x REAL, y REAL, z REAL,
                deviation_mm REAL, measured_load_pct REAL, predicted_load_pct REAL, measured_power_w REAL, predicted_cut_power_w REAL, wear_um REAL, alarm TEXT);
            CREATE TABLE IF NOT EXISTS alarms (run INTEGER, line INTEGER, kind TEXT, start TEXT, "end" TEXT, message TEXT, peak REAL);
            """);
        using var c = _db.CreateCommand();
        c.CommandText = "INSERT INTO runs(started, program, source, samples, alarms) VALUES ($s, $p, $src, 0, 0); SELECT last_insert_rowid();";
        c.Parameters.AddWithValue("$s", started.ToString("O", CultureInfo.InvariantCulture));
        c.Parameters.AddWithValue("$p", program);
        c.Parameters.AddWithValue("$src", source);
        RunId = (long)c.ExecuteScalar()!;
    }

    private void Exec(string sql) { using var c = _db.CreateCommand(); c.CommandText = sql; c.ExecuteNonQuery(); }

    private static object V(double v) => double.IsFinite(v) ? v : DBNull.Value;

    public void Add(AlignedSample a)
    {
        if (_tx == null)
        {
            _tx = _db.BeginTransaction();
            _insert = _db.CreateCommand();
            _insert.Transaction = _tx;
            _insert.CommandText = "INSERT INTO samples VALUES ($r,$i,$t,$l,$al,$x,$y,$z,$d,$ml,$pl,$mp,$pp,$w,$a)";
            foreach (var n in new[] { "$r", "$i", "$t", "$l", "$al", "$x", "$y", "$z", "$d", "$ml", "$pl", "$mp", "$pp", "$w", "$a" }) _insert.Parameters.Add(new SqliteParameter(n, null));
        }
        var p = _insert!.Parameters;
        var s = a.Sample;
        p[0].Value = RunId; p[1].Value = s.Index; p[2].Value = s.Time.ToString("O", CultureInfo.InvariantCulture); p[3].Value = (object?)s.Line ?? DBNull.Value; p[4].Value = a.Line;
        p[5].Value = V(s.X); p[6].Value = V(s.Y); p[7].Value = V(s.Z); p[8].Value = V(a.DeviationMm); p[9].Value = V(a.MeasuredLoadPct); p[10].Value = V(a.PredictedLoadPct);
        p[11].Value = V(a.MeasuredPowerW); p[12].Value = V(a.PredictedPowerW); p[13].Value = V(a.WearUm); p[14].Value = (object?)a.Alarm?.WireName() ?? DBNull.Value;
        _insert.ExecuteNonQuery();
        if (++_pending >= 2000) Commit();
    }

    private void Commit()
    {
        _tx?.Commit(); _tx?.Dispose(); _insert?.Dispose();
        _tx = null; _insert = null; _pending = 0;
    }

    public void Finish(long samples, IReadOnlyList<TwinAlarm> alarms)
    {
        Commit();
        using var tx = _db.BeginTransaction();
        foreach (var a in alarms)
        {
            using var c = _db.CreateCommand();
            c.Transaction = tx;
            c.CommandText = "INSERT INTO alarms VALUES ($r,$l,$k,$s,$e,$m,$p)";
            c.Parameters.AddWithValue("$r", RunId); c.Parameters.AddWithValue("$l", a.Line); c.Parameters.AddWithValue("$k", a.Kind.WireName());
            c.Parameters.AddWithValue("$s", a.Start.ToString("O", CultureInfo.InvariantCulture)); c.Parameters.AddWithValue("$e", a.End.ToString("O", CultureInfo.InvariantCulture));
            c.Parameters.AddWithValue("$m", a.Message); c.Parameters.AddWithValue("$p", a.Peak);
            c.ExecuteNonQuery();
        }
        using (var c = _db.CreateCommand())
        {
            c.Transaction = tx;
            c.CommandText = "UPDATE runs SET samples=$n, alarms=$a, ended=$e WHERE id=$r";
            c.Parameters.AddWithValue("$n", samples); c.Parameters.AddWithValue("$a", alarms.Count);
            c.Parameters.AddWithValue("$e", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)); c.Parameters.AddWithValue("$r", RunId);
            c.ExecuteNonQuery();
        }
        tx.Commit();
    }

    public void Dispose()
    {
        try { Commit(); } catch (SqliteException) { }
        _db.Dispose();
    }
}

/// <summary>
/// The twin's own MTConnect SHDR adapter: any agent that connects receives the twin's predictions
/// (<c>predicted_load</c> %, <c>tool_wear</c> µm, <c>remaining_life</c> minutes of cutting, <c>line</c>) and its alarm state
/// (<c>twin_alarm</c> as a condition), and gets <c>* PONG</c> to its <c>* PING</c>.
/// </summary>
public sealed class ShdrAdapterServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly List<(TcpClient Client, StreamWriter Writer)> _clients = new();
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _accept;
    private readonly Dictionary<string, string> _last = new();
    public int HeartbeatMs { get; init; } = 10_000;
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ShdrAdapterServer(int port, IPAddress? bind = null)
    {
        _listener = new TcpListener(bind ?? IPAddress.Loopback, port);
        _listener.Start();
        _accept = Task.Run(AcceptLoop);
    }

    private async Task AcceptLoop()
    {
        while (!_cts.IsCancellationRequested)
        {
            TcpClient c;
            try { c = await _listener.AcceptTcpClientAsync(_cts.Token).ConfigureAwait(false); } catch { return; }
            var w = new StreamWriter(c.GetStream(), new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
            lock (_clients)
            {
                _clients.Add((c, w));
                // A new agent gets the current state first.
                if (_last.Count > 0) Send(w, string.Join("|", _last.Select(kv => kv.Key + "|" + kv.Value)));
            }
            _ = Task.Run(async () =>
            {
                var r = new StreamReader(c.GetStream());
                try
                {
                    while (await r.ReadLineAsync(_cts.Token).ConfigureAwait(false) is { } line)
                        if (line.StartsWith("* PING", StringComparison.Ordinal)) lock (_clients) w.WriteLine($"* PONG {HeartbeatMs}");
                }
                catch (Exception) { }
                lock (_clients) _clients.RemoveAll(x => x.Client == c);
            });
        }
    }

    private static void Send(StreamWriter w, string body)
    {
        try { w.WriteLine(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture) + "|" + body); }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
    }

    /// <summary>Publishes values that changed (key|value pairs; a condition as key|LEVEL|code|||message).</summary>
    public void Publish(IReadOnlyList<(string Key, string Value)> values)
    {
        var changed = values.Where(v => !_last.TryGetValue(v.Key, out var old) || old != v.Value).ToList();
        if (changed.Count == 0) return;
        foreach (var (k, v) in changed) _last[k] = v;
        lock (_clients)
            foreach (var (_, w) in _clients) Send(w, string.Join("|", changed.Select(kv => kv.Key + "|" + kv.Value)));
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        lock (_clients) foreach (var (c, _) in _clients) c.Dispose();
        try { await _accept.ConfigureAwait(false); } catch { }
    }
}
