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
    public const string Header = "index,time,t_s,key,line,aligned_line,move,x,y,z,deviation_mm,feed_mm_min,spindle_rpm,measured_load_pct,predicted_load_pct,idle_load_pct,measured_power_w,predicted_cut_power_w,wear_um,execution,alarm,invalid,expected_cut_pct,noise_floor_pct,monitorable,limit";
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
        _w.WriteLine($"{N(a.MeasuredPowerW, "0.#")},{N(a.PredictedPowerW, "0.#")},{N(a.WearUm, "0.###")},{Q(s.Execution)},{a.Alarm?.WireName() ?? ""},{Q(s.Invalid)},{N(a.ExpectedCutPct, "0.##")},{N(a.NoiseFloorPct, "0.###")},{(a.Monitorable ? 1 : 0)},{a.LimitSource}");
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
/// History across runs in an embedded SQLite database (Microsoft.Data.Sqlite): runs (with the part's measured/predicted
/// ratio, wear from the stream and energy), every sample (batched transactions), the alarms, and the teach-in
/// envelopes (one per program and starting tool).
/// </summary>
public sealed class TwinHistory : ITwinHistory
{
    private readonly SqliteConnection _db;
    private SqliteTransaction? _tx;
    private SqliteCommand? _insert;
    private int _pending;
    public long RunId { get; }
    public string ProgramKey { get; }
    public int Tool { get; }

    internal static SqliteConnection Open(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path }.ToString());
        db.Open();
        using var c = db.CreateCommand();
        c.CommandText = "PRAGMA journal_mode=WAL;\n" + HistorySchema.Ddl(postgres: false);
        c.ExecuteNonQuery();
        // Databases from before the teach-in get the new columns (added, never renamed).
        foreach (var t in HistorySchema.Tables)
            AddColumns(db, t.Table, t.Columns.Where(c => c.Kind != HistorySchema.Kind.Id).Select(c => (c.Name, HistorySchema.Type(c.Kind, postgres: false))).ToArray());
        using (var ix = db.CreateCommand()) { ix.CommandText = HistorySchema.Indexes; ix.ExecuteNonQuery(); }
        return db;
    }

    private static void AddColumns(SqliteConnection db, string table, (string Name, string Type)[] columns)
    {
        var have = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var c = db.CreateCommand())
        {
            c.CommandText = $"PRAGMA table_info({table})";
            using var r = c.ExecuteReader();
            while (r.Read()) have.Add(r.GetString(1));
        }
        foreach (var (name, type) in columns)
            if (!have.Contains(name))
            {
                using var c = db.CreateCommand();
                c.CommandText = $"ALTER TABLE {table} ADD COLUMN {HistorySchema.Quote(name)} {type}";
                c.ExecuteNonQuery();
            }
    }

    public TwinHistory(string path, string program, string source, DateTimeOffset started, string programKey = "", int tool = 0)
    {
        ProgramKey = programKey; Tool = tool;
        _db = Open(path);
        RunId = HistoryQueries.BeginRun(_db, program, source, started, programKey, tool);
    }

    /// <summary>What the history knows of a program and starting tool before a run: the envelope (null if none) and the last parts' ratios and stream wear.</summary>
    public sealed record Knowledge(ToolEnvelope? Envelope, IReadOnlyList<(long Run, double Ratio, double StreamWearUm)> Parts);

    /// <summary>Reads the teach-in envelope and the recent parts of a program + tool (a database that does not exist yet knows nothing).</summary>
    public static Knowledge Read(string path, string programKey, int tool, int recentParts = 20)
    {
        if (!File.Exists(path) || programKey.Length == 0) return new Knowledge(null, []);
        using var db = Open(path);
        return HistoryQueries.Read(db, programKey, tool, recentParts);
    }

    private static readonly string[] Columns = HistorySchema.Columns("samples").Select(c => c.Name).ToArray();

    public void Add(AlignedSample a)
    {
        if (_tx == null)
        {
            _tx = _db.BeginTransaction();
            _insert = _db.CreateCommand();
            _insert.Transaction = _tx;
            _insert.CommandText = $"INSERT INTO samples({string.Join(",", Columns)}) VALUES ({string.Join(",", Columns.Select((_, i) => "$p" + i))})";
            for (int i = 0; i < Columns.Length; i++) _insert.Parameters.Add(new SqliteParameter("$p" + i, null));
        }
        var row = HistorySchema.SampleRow(RunId, a);
        for (int i = 0; i < row.Length; i++) _insert!.Parameters[i].Value = row[i] ?? DBNull.Value;
        _insert!.ExecuteNonQuery();
        if (++_pending >= 2000) Commit();
    }

    private void Commit()
    {
        _tx?.Commit(); _tx?.Dispose(); _insert?.Dispose();
        _tx = null; _insert = null; _pending = 0;
    }

    /// <summary>What one finished part adds to the history beyond its samples and alarms.</summary>
    public sealed record PartResult(double? PowerRatio, double StreamWearUm, double EnergyKwh, PartProfile? Learn);

    public void Finish(long samples, IReadOnlyList<TwinAlarm> alarms, PartResult? part = null)
    {
        Commit();
        // SQLite: the transaction writes under the database's lock, so the envelope's read and rewrite stay one step.
        using var tx = _db.BeginTransaction();
        int learned = HistoryQueries.Finish(_db, tx, RunId, samples, alarms, part, ProgramKey, Tool, lockSql: null);
        tx.Commit();
        LearnedParts = learned;
    }

    /// <summary>Parts in the envelope after <see cref="Finish"/> learned this one (0 if it did not learn).</summary>
    public int LearnedParts { get; private set; }

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
