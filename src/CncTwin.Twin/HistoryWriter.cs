using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace CncTwin.Twin;

/// <summary>
/// How long the history keeps samples (the fleet's default: every sample for 7 days, then one in ten — 10 Hz of a
/// 100 Hz stream — with every alarmed sample, until 90 days, then none; parts, alarms, gaps and envelopes forever).
/// 0 turns a step off.
/// </summary>
public sealed record RetentionPolicy(double RawDays = 7, int ThinKeepEvery = 10, double SampleDays = 90)
{
    public static RetentionPolicy Default { get; } = new();
    public static RetentionPolicy KeepEverything { get; } = new(0, 1, 0);
}

/// <summary>Where a machine's stream was stored up to: resuming there loses and repeats nothing.</summary>
/// <param name="Run">The history run the machine's current part is written to (-1: none open).</param>
/// <param name="Instance">The MTConnect agent's instance id (0 for SHDR).</param>
/// <param name="NextSequence">The first MTConnect sequence not yet in a stored sample (0 for SHDR).</param>
/// <param name="LastTime">The last stored sample's time (the start of a gap after a move or a restart).</param>
public sealed record SourceResume(long Run, long Instance, long NextSequence, DateTimeOffset? LastTime, long Samples, long Gaps);

/// <summary>A stream gap as the fleet reports it: when data stopped, when it came again, and why.</summary>
public sealed record StreamGap(string Machine, long Run, DateTimeOffset Start, DateTimeOffset End, string Kind, string Message)
{
    public double Seconds => (End - Start).TotalSeconds;
}

/// <summary>
/// The history of many twins through one connection: every twin queues its rows (samples, alarms, gaps, where its
/// stream is stored up to) and one writer stores them together every <see cref="FlushInterval"/> — one transaction
/// (SQLite) or one binary COPY plus a transaction (PostgreSQL) for the whole fleet, instead of a connection and a
/// lock per machine. A machine's resume point is written in the same transaction as its samples, so after a crash
/// the stored samples and the resume point agree.
/// </summary>
public sealed class HistoryWriter : IDisposable
{
    private readonly DbConnection _db;
    private readonly bool _pg;
    private readonly Lock _gate = new();          // the connection
    private readonly Lock _queueGate = new();     // the queues
    private List<object?[]> _samples = new(), _alarms = new(), _gaps = new();
    private Dictionary<string, SourceResume> _resume = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private static readonly (string Name, HistorySchema.Kind Kind)[] SampleColumns = HistorySchema.Columns("samples");
    private static readonly string SampleColumnList = string.Join(", ", SampleColumns.Select(c => HistorySchema.Quote(c.Name)));

    public string Spec { get; }
    public TimeSpan FlushInterval { get; }
    /// <summary>Rows stored so far, the batches they went in, and the last batch's time (ms): the figures the fleet page and the benchmark show.</summary>
    public long SamplesWritten { get; private set; }
    public long Batches { get; private set; }
    public double LastFlushMs { get; private set; }
    /// <summary>The last write that failed (the queue is kept and tried again), or null.</summary>
    public string? LastError { get; private set; }
    /// <summary>Queued rows beyond which <see cref="AddSample"/> makes the caller wait for the writer (memory stays bounded when the database is slow).</summary>
    public int MaxQueuedSamples { get; init; } = 500_000;

    public HistoryWriter(string spec, TimeSpan? flushInterval = null)
    {
        Spec = spec;
        _pg = TwinHistoryStore.IsPostgres(spec);
        _db = _pg ? PostgresTwinHistory.Open(TwinHistoryStore.PostgresConnection(spec)) : TwinHistory.Open(TwinHistoryStore.SqlitePath(spec));
        FlushInterval = flushInterval ?? TimeSpan.FromMilliseconds(250);
        _loop = Task.Run(Loop);
    }

    private async Task Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            try { await Task.Delay(FlushInterval, _stop.Token).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
            try { Flush(); LastError = null; }
            catch (Exception ex) when (ex is DbException or InvalidOperationException or IOException) { LastError = ex.Message; }
        }
    }

    /// <summary>A new run (a part on a machine), or the one a machine was writing when its twin moved (resumeRun).</summary>
    public ITwinHistory Begin(string machine, string program, string source, DateTimeOffset started, string programKey, int tool, long resumeRun = -1)
    {
        long run = resumeRun;
        if (run < 0) lock (_gate) run = HistoryQueries.BeginRun(_db, program, source, started, programKey, tool, machine);
        return new Run(this, run, programKey, tool);
    }

    public void AddSample(long run, AlignedSample a)
    {
        var row = HistorySchema.SampleRow(run, a);
        int queued;
        lock (_queueGate) { _samples.Add(row); queued = _samples.Count; }
        // Back-pressure: a database that cannot keep up slows the machines' reading, it does not fill the memory.
        while (queued > MaxQueuedSamples && !_stop.IsCancellationRequested)
        {
            Thread.Sleep(5);
            lock (_queueGate) queued = _samples.Count;
        }
    }

    public void AddAlarm(long run, TwinAlarm a)
    {
        lock (_queueGate)
            _alarms.Add(HistoryQueries.AlarmRow(run, a));
    }

    public void AddGap(StreamGap g)
    {
        lock (_queueGate)
            _gaps.Add([g.Machine, g.Run, g.Start.ToString("O", CultureInfo.InvariantCulture), g.End.ToString("O", CultureInfo.InvariantCulture), g.Seconds, g.Kind, g.Message]);
    }

    /// <summary>Where the machine's stream is stored up to once the rows queued before this call are written (same transaction).</summary>
    public void SetResume(string machine, SourceResume r)
    {
        lock (_queueGate) _resume[machine] = r;
    }

    /// <summary>Samples per transaction: a big backlog is written in steps, so the twins' other requests (a new part's run, its envelope) wait for one step, not for the whole backlog.</summary>
    public int MaxRowsPerTransaction { get; init; } = 20_000;

    /// <summary>Writes everything queued now (in transactions of at most <see cref="MaxRowsPerTransaction"/> samples; the resume points with the last).</summary>
    public void Flush()
    {
        List<object?[]> samples, alarms, gaps;
        Dictionary<string, SourceResume> resume;
        lock (_queueGate)
        {
            if (_samples.Count == 0 && _alarms.Count == 0 && _gaps.Count == 0 && _resume.Count == 0) return;
            (samples, alarms, gaps, resume) = (_samples, _alarms, _gaps, _resume);
            (_samples, _alarms, _gaps, _resume) = (new(Math.Max(1024, samples.Count)), new(), new(), new());
        }
        var sw = Stopwatch.StartNew();
        int done = 0;
        try
        {
            do
            {
                int n = Math.Min(MaxRowsPerTransaction, samples.Count - done);
                bool last = done + n >= samples.Count;
                lock (_gate)
                {
                    using var tx = _db.BeginTransaction();
                    var chunk = samples.GetRange(done, n);
                    if (_pg) CopySamples((NpgsqlConnection)_db, chunk); else InsertSamples(tx, chunk);
                    if (last)
                    {
                        foreach (var a in alarms) Exec(tx, HistoryQueries.AlarmInsert, a);
                        foreach (var g in gaps) Exec(tx, "INSERT INTO gaps (machine, run, start, \"end\", seconds, kind, message) VALUES ($1,$2,$3,$4,$5,$6,$7)", g);
                        foreach (var (m, r) in resume)
                            Exec(tx, "INSERT INTO sources (machine, run, instance, next_sequence, last_time, samples, gaps, updated) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (machine) DO UPDATE SET run=excluded.run, instance=excluded.instance, " +
                                     "next_sequence=excluded.next_sequence, last_time=excluded.last_time, samples=excluded.samples, gaps=excluded.gaps, updated=excluded.updated",
                                [m, r.Run, r.Instance, r.NextSequence, r.LastTime?.ToString("O", CultureInfo.InvariantCulture), r.Samples, r.Gaps, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)]);
                    }
                    tx.Commit();
                }
                done += n;
                SamplesWritten += n;
            }
            while (done < samples.Count);
        }
        catch
        {
            // Nothing is lost: what was not written goes back to the front of the queue (a newer resume point wins).
            lock (_queueGate)
            {
                var rest = samples.GetRange(done, samples.Count - done);
                rest.AddRange(_samples); _samples = rest;
                alarms.AddRange(_alarms); _alarms = alarms;
                gaps.AddRange(_gaps); _gaps = gaps;
                foreach (var (m, r) in _resume) resume[m] = r;
                _resume = resume;
            }
            throw;
        }
        Batches++;
        LastFlushMs = sw.Elapsed.TotalMilliseconds;
    }

    private void Exec(DbTransaction tx, string sql, object?[] values)
    {
        using var c = HistoryQueries.Cmd(_db, tx, sql, values);
        c.ExecuteNonQuery();
    }

    private void InsertSamples(DbTransaction tx, List<object?[]> rows)
    {
        if (rows.Count == 0) return;
        // One prepared single-row statement (Microsoft.Data.Sqlite binds parameters by name: a statement of many rows
        // made each bind a search and was slower, measured), in the batch's one transaction.
        using var c = _db.CreateCommand();
        c.Transaction = tx;
        c.CommandText = $"INSERT INTO samples({SampleColumnList}) VALUES ({string.Join(",", SampleColumns.Select((_, i) => "$p" + i))})";
        for (int i = 0; i < SampleColumns.Length; i++) { var p = c.CreateParameter(); p.ParameterName = "$p" + i; c.Parameters.Add(p); }
        c.Prepare();
        foreach (var row in rows)
        {
            for (int i = 0; i < row.Length; i++) c.Parameters[i].Value = row[i] ?? DBNull.Value;
            c.ExecuteNonQuery();
        }
    }

    private static void CopySamples(NpgsqlConnection db, List<object?[]> rows)
    {
        if (rows.Count == 0) return;
        using var copy = db.BeginBinaryImport($"COPY samples ({SampleColumnList}) FROM STDIN (FORMAT BINARY)");
        foreach (var row in rows) PostgresTwinHistory.WriteCopyRow(copy, row);
        copy.Complete();
    }

    private int FinishRun(long run, long samples, TwinHistory.PartResult? part, string programKey, int tool)
    {
        Flush();
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            // The run's alarms were stored as they were raised (a run resumed on another silo adds to the same run): count them.
            long stored;
            using (var c = HistoryQueries.Cmd(_db, tx, "SELECT COUNT(*) FROM alarms WHERE run=$1", run)) stored = Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
            int learned = HistoryQueries.Finish(_db, tx, run, samples, [], part, programKey, tool, _pg ? "LOCK TABLE envelopes IN SHARE ROW EXCLUSIVE MODE" : null, Math.Max(stored, 0));
            tx.Commit();
            return learned;
        }
    }

    // ---- What the fleet reads back (each through the writer's connection, between batches) ----

    public T Query<T>(Func<DbConnection, T> read) { lock (_gate) return read(_db); }

    /// <summary>What the history knows of a program and starting tool (the teach-in envelope, recent parts).</summary>
    public TwinHistory.Knowledge ReadKnowledge(string programKey, int tool) =>
        programKey.Length == 0 ? new TwinHistory.Knowledge(null, []) : Query(db => HistoryQueries.Read(db, programKey, tool, 20));

    public SourceResume? ReadResume(string machine) => Query(db =>
    {
        using var c = HistoryQueries.Cmd(db, null, "SELECT run, instance, next_sequence, last_time, samples, gaps FROM sources WHERE machine=$1", machine);
        using var r = c.ExecuteReader();
        if (!r.Read()) return null;
        return new SourceResume(r.GetInt64(0), r.IsDBNull(1) ? 0 : r.GetInt64(1), r.IsDBNull(2) ? 0 : r.GetInt64(2),
            r.IsDBNull(3) ? null : DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture), r.IsDBNull(4) ? 0 : r.GetInt64(4), r.IsDBNull(5) ? 0 : r.GetInt64(5));
    });

    /// <summary>Whether a run has ended (its figures written).</summary>
    public bool RunEnded(long run) => Query(db =>
    {
        using var c = HistoryQueries.Cmd(db, null, "SELECT ended FROM runs WHERE id=$1", run);
        return c.ExecuteScalar() is string;
    });

    /// <summary>The alarms a run has stored, as (line, kind) (a twin resuming a run raises none of them again).</summary>
    public IReadOnlyList<(int Line, string Kind)> RunAlarms(long run) => Query(db =>
    {
        var list = new List<(int, string)>();
        using var c = HistoryQueries.Cmd(db, null, "SELECT line, kind FROM alarms WHERE run=$1", run);
        using var r = c.ExecuteReader();
        while (r.Read()) list.Add(((int)r.GetInt64(0), r.GetString(1)));
        return list;
    });

    /// <summary>The energy a machine's runs measured since a time (parts started then or later), kWh.</summary>
    public double EnergySince(string machine, DateTimeOffset since) => Query(db =>
    {
        using var c = HistoryQueries.Cmd(db, null, "SELECT COALESCE(SUM(energy_kwh), 0) FROM runs WHERE machine=$1 AND started >= $2 AND energy_kwh IS NOT NULL",
            machine, since.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        return Convert.ToDouble(c.ExecuteScalar(), CultureInfo.InvariantCulture);
    });

    public IReadOnlyList<(string Id, string Config)> Machines() => Query(db =>
    {
        var list = new List<(string, string)>();
        using var c = HistoryQueries.Cmd(db, null, "SELECT id, config FROM machines ORDER BY id");
        using var r = c.ExecuteReader();
        while (r.Read()) list.Add((r.GetString(0), r.GetString(1)));
        return list;
    });

    public void SaveMachine(string id, string config) => Query(db =>
    {
        using var c = HistoryQueries.Cmd(db, null, "INSERT INTO machines (id, config, updated) VALUES ($1,$2,$3) ON CONFLICT (id) DO UPDATE SET config=excluded.config, updated=excluded.updated",
            id, config, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        return c.ExecuteNonQuery();
    });

    public bool DeleteMachine(string id) => Query(db =>
    {
        using var c = HistoryQueries.Cmd(db, null, "DELETE FROM machines WHERE id=$1", id);
        return c.ExecuteNonQuery() > 0;
    });

    /// <summary>
    /// Applies the retention policy to parts that ended before now − the policy's ages: samples of parts older than
    /// <see cref="RetentionPolicy.RawDays"/> are thinned to every <see cref="RetentionPolicy.ThinKeepEvery"/>th
    /// (those flagged with an alarm are kept), samples of parts older than <see cref="RetentionPolicy.SampleDays"/>
    /// deleted; runs, alarms, gaps and envelopes are kept (small, and the teach-in and wear history need them).
    /// Returns the samples thinned and deleted.
    /// </summary>
    public (long Thinned, long Deleted) ApplyRetention(RetentionPolicy policy, DateTimeOffset now)
    {
        string Cut(double days) => (now - TimeSpan.FromDays(days)).ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        return Query(db =>
        {
            long deleted = 0, thinned = 0;
            using var tx = db.BeginTransaction();
            if (policy.SampleDays > 0)
                using (var c = HistoryQueries.Cmd(db, tx, "DELETE FROM samples WHERE run IN (SELECT id FROM runs WHERE ended IS NOT NULL AND ended < $1)", Cut(policy.SampleDays)))
                    deleted = c.ExecuteNonQuery();
            if (policy.RawDays > 0 && policy.ThinKeepEvery > 1)
                using (var c = HistoryQueries.Cmd(db, tx, "DELETE FROM samples WHERE run IN (SELECT id FROM runs WHERE ended IS NOT NULL AND ended < $1) AND idx % $2 <> 0 AND alarm IS NULL",
                           Cut(policy.RawDays), (long)policy.ThinKeepEvery))
                    thinned = c.ExecuteNonQuery();
            tx.Commit();
            return (thinned, deleted);
        });
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop.Wait(); } catch (AggregateException) { }
        try { Flush(); } catch (Exception ex) when (ex is DbException or InvalidOperationException) { LastError = ex.Message; }
        _db.Dispose();
    }

    /// <summary>One run written through the shared writer: samples queued, alarms written as they are raised (by the fleet), figures at the end.</summary>
    private sealed class Run(HistoryWriter w, long run, string programKey, int tool) : ITwinHistory
    {
        public long RunId => run;
        public int LearnedParts { get; private set; }
        public void Add(AlignedSample a) => w.AddSample(run, a);
        public void Finish(long samples, IReadOnlyList<TwinAlarm> alarms, TwinHistory.PartResult? part = null) =>
            LearnedParts = w.FinishRun(run, samples, part, programKey, tool);
        public void Dispose() { }
    }
}
