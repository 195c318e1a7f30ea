using System.Data.Common;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace CncTwin.Twin;

/// <summary>
/// One run's history, whatever the database: every sample (batched), the alarms, the part's figures and the
/// teach-in envelope. <see cref="TwinHistory"/> is the embedded SQLite store (the zero-set-up default),
/// <see cref="PostgresTwinHistory"/> the shared one for several twins; both use <see cref="HistorySchema"/>.
/// </summary>
public interface ITwinHistory : IDisposable
{
    long RunId { get; }
    /// <summary>Parts in the envelope after <see cref="Finish"/> learned this one (0 if it did not learn).</summary>
    int LearnedParts { get; }
    void Add(AlignedSample a);
    void Finish(long samples, IReadOnlyList<TwinAlarm> alarms, TwinHistory.PartResult? part = null);
}

/// <summary>The history's tables, once for every database: names and column kinds (the DDL is made per dialect).</summary>
public static class HistorySchema
{
    public enum Kind { Id, Int, Real, Text }

    public static readonly (string Table, (string Name, Kind Kind)[] Columns, string? Key)[] Tables =
    [
        ("runs", [("id", Kind.Id), ("started", Kind.Text), ("program", Kind.Text), ("source", Kind.Text), ("samples", Kind.Int), ("alarms", Kind.Int), ("ended", Kind.Text),
            ("program_key", Kind.Text), ("tool", Kind.Int), ("power_ratio", Kind.Real), ("stream_wear_um", Kind.Real), ("energy_kwh", Kind.Real), ("learned", Kind.Int), ("machine", Kind.Text)], null),
        ("samples", [("run", Kind.Int), ("idx", Kind.Int), ("time", Kind.Text), ("line", Kind.Int), ("aligned_line", Kind.Int), ("x", Kind.Real), ("y", Kind.Real), ("z", Kind.Real),
            ("deviation_mm", Kind.Real), ("measured_load_pct", Kind.Real), ("predicted_load_pct", Kind.Real), ("measured_power_w", Kind.Real), ("predicted_cut_power_w", Kind.Real),
            ("wear_um", Kind.Real), ("alarm", Kind.Text), ("expected_cut_pct", Kind.Real), ("noise_floor_pct", Kind.Real), ("monitorable", Kind.Int), ("invalid", Kind.Text)], null),
        ("alarms", [("run", Kind.Int), ("line", Kind.Int), ("kind", Kind.Text), ("start", Kind.Text), ("end", Kind.Text), ("message", Kind.Text), ("peak", Kind.Real), ("start_s", Kind.Real), ("end_s", Kind.Real)], null),
        ("envelopes", [("program_key", Kind.Text), ("tool", Kind.Int), ("parts", Kind.Int), ("data", Kind.Text), ("updated", Kind.Text)], "program_key, tool"),
        // The fleet: its machines (FLEET.json entries as JSON), where each machine's stream was stored up to (the run it
        // belongs to, MTConnect's next sequence, the last sample's time), and the gaps its streams had.
        ("machines", [("id", Kind.Text), ("config", Kind.Text), ("updated", Kind.Text)], "id"),
        ("sources", [("machine", Kind.Text), ("run", Kind.Int), ("instance", Kind.Int), ("next_sequence", Kind.Int), ("last_time", Kind.Text), ("samples", Kind.Int),
            ("gaps", Kind.Int), ("updated", Kind.Text)], "machine"),
        ("gaps", [("machine", Kind.Text), ("run", Kind.Int), ("start", Kind.Text), ("end", Kind.Text), ("seconds", Kind.Real), ("kind", Kind.Text), ("message", Kind.Text)], null),
    ];

    public static (string Name, Kind Kind)[] Columns(string table) => Tables.First(t => t.Table == table).Columns;

    /// <summary>CREATE TABLE IF NOT EXISTS for every table, in SQLite's or PostgreSQL's types.</summary>
    public static string Ddl(bool postgres) => string.Join("\n", Tables.Select(t =>
        $"CREATE TABLE IF NOT EXISTS {t.Table} (" + string.Join(", ", t.Columns.Select(c => $"{Quote(c.Name)} {Type(c.Kind, postgres)}"))
        + (t.Key != null ? $", PRIMARY KEY ({t.Key})" : "") + ");"
        // PostgreSQL databases from before a column existed get it (SQLite's are migrated column by column).
        + (postgres ? string.Concat(t.Columns.Where(c => c.Kind != Kind.Id).Select(c => $" ALTER TABLE {t.Table} ADD COLUMN IF NOT EXISTS {Quote(c.Name)} {Type(c.Kind, true)};")) : "")));

    /// <summary>The indexes the fleet's queries need (a machine's runs, a run's samples and alarms); made after any migration.</summary>
    public const string Indexes = "CREATE INDEX IF NOT EXISTS samples_run ON samples(run, idx); CREATE INDEX IF NOT EXISTS runs_machine ON runs(machine, id); CREATE INDEX IF NOT EXISTS alarms_run ON alarms(run);";

    public static string Type(Kind k, bool postgres) => k switch
    {
        Kind.Id => postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY",
        Kind.Int => postgres ? "BIGINT" : "INTEGER",
        Kind.Real => postgres ? "DOUBLE PRECISION" : "REAL",
        _ => "TEXT",
    };

    public static string Quote(string name) => name is "end" ? "\"end\"" : name;

    /// <summary>The sample row every store writes, in <see cref="Columns"/>("samples") order.</summary>
    public static object?[] SampleRow(long run, AlignedSample a)
    {
        var s = a.Sample;
        static object? V(double v) => double.IsFinite(v) ? v : null;
        return [run, s.Index, s.Time.ToString("O", CultureInfo.InvariantCulture), s.Line is int l ? (long)l : null, (long)a.Line, V(s.X), V(s.Y), V(s.Z), V(a.DeviationMm),
            V(a.MeasuredLoadPct), V(a.PredictedLoadPct), V(a.MeasuredPowerW), V(a.PredictedPowerW), V(a.WearUm), a.Alarm?.WireName(), V(a.ExpectedCutPct), V(a.NoiseFloorPct),
            a.Monitorable ? 1L : 0L, s.Invalid];
    }
}

/// <summary>Opens the history a <c>--db</c> names: <c>sqlite:FILE</c>, <c>postgres:CONNECTION-STRING</c>, or a file path (SQLite).</summary>
public static class TwinHistoryStore
{
    /// <summary>A store spec with a name in it: sqlite:FILE, postgres:CONNECTION-STRING, or a file path.</summary>
    public static bool IsSpec(string spec) => (IsPostgres(spec) ? PostgresConnection(spec) : SqlitePath(spec)).Trim().Length > 0;
    public static bool IsPostgres(string spec) => spec.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase);
    public static string SqlitePath(string spec) => spec.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) ? spec["sqlite:".Length..] : spec;
    public static string PostgresConnection(string spec) => spec["postgres:".Length..];

    public static ITwinHistory Open(string spec, string program, string source, DateTimeOffset started, string programKey = "", int tool = 0) =>
        IsPostgres(spec) ? new PostgresTwinHistory(PostgresConnection(spec), program, source, started, programKey, tool)
            : new TwinHistory(SqlitePath(spec), program, source, started, programKey, tool);

    public static TwinHistory.Knowledge Read(string spec, string programKey, int tool, int recentParts = 20) =>
        IsPostgres(spec) ? PostgresTwinHistory.Read(PostgresConnection(spec), programKey, tool, recentParts) : TwinHistory.Read(SqlitePath(spec), programKey, tool, recentParts);

    /// <summary>How the history is named in summaries and messages: a file's full path, or the PostgreSQL host and database (never the password).</summary>
    public static string Describe(string spec)
    {
        if (!IsPostgres(spec)) return Path.GetFullPath(SqlitePath(spec));
        try
        {
            var b = new NpgsqlConnectionStringBuilder(PostgresConnection(spec));
            return $"postgres://{b.Host}:{b.Port}/{b.Database}";
        }
        catch (ArgumentException) { return "postgres:(invalid connection string)"; }
    }
}

/// <summary>
/// The history in PostgreSQL (Npgsql): the same tables as the SQLite store; samples go in with binary COPY, 2 000
/// rows a batch; the envelope is read and rewritten under a table lock, so twins of one program on several
/// computers never lose a learned part.
/// </summary>
public sealed class PostgresTwinHistory : ITwinHistory
{
    private readonly NpgsqlConnection _db;
    private NpgsqlBinaryImporter? _copy;
    private int _pending;
    private static readonly (string Name, HistorySchema.Kind Kind)[] SampleColumns = HistorySchema.Columns("samples");
    public long RunId { get; }
    public string ProgramKey { get; }
    public int Tool { get; }
    public int LearnedParts { get; private set; }

    internal static NpgsqlConnection Open(string connection)
    {
        var db = new NpgsqlConnection(connection);
        db.Open();
        using var c = db.CreateCommand();
        // Several twins may create the schema at once: serialise on an advisory lock.
        c.CommandText = "SELECT pg_advisory_lock(424242); " + HistorySchema.Ddl(postgres: true) + HistorySchema.Indexes + " SELECT pg_advisory_unlock(424242);";
        c.ExecuteNonQuery();
        return db;
    }

    public PostgresTwinHistory(string connection, string program, string source, DateTimeOffset started, string programKey = "", int tool = 0)
    {
        ProgramKey = programKey; Tool = tool;
        _db = Open(connection);
        RunId = HistoryQueries.BeginRun(_db, program, source, started, programKey, tool);
    }

    public static TwinHistory.Knowledge Read(string connection, string programKey, int tool, int recentParts = 20)
    {
        if (programKey.Length == 0) return new TwinHistory.Knowledge(null, []);
        using var db = Open(connection);
        return HistoryQueries.Read(db, programKey, tool, recentParts);
    }

    public void Add(AlignedSample a)
    {
        _copy ??= _db.BeginBinaryImport($"COPY samples ({string.Join(", ", SampleColumns.Select(c => HistorySchema.Quote(c.Name)))}) FROM STDIN (FORMAT BINARY)");
        WriteCopyRow(_copy, HistorySchema.SampleRow(RunId, a));
        if (++_pending >= 2000) Flush();
    }

    /// <summary>One sample row into a binary COPY, each value in its column's PostgreSQL type (both PostgreSQL stores write through this).</summary>
    internal static void WriteCopyRow(NpgsqlBinaryImporter copy, object?[] row)
    {
        copy.StartRow();
        for (int i = 0; i < row.Length; i++)
        {
            if (row[i] is null) { copy.WriteNull(); continue; }
            switch (SampleColumns[i].Kind)
            {
                case HistorySchema.Kind.Int: copy.Write(Convert.ToInt64(row[i], CultureInfo.InvariantCulture), NpgsqlDbType.Bigint); break;
                case HistorySchema.Kind.Real: copy.Write((double)row[i]!, NpgsqlDbType.Double); break;
                default: copy.Write((string)row[i]!, NpgsqlDbType.Text); break;
            }
        }
    }

    private void Flush()
    {
        if (_copy == null) return;
        _copy.Complete();
        _copy.Dispose();
        _copy = null; _pending = 0;
    }

    public void Finish(long samples, IReadOnlyList<TwinAlarm> alarms, TwinHistory.PartResult? part = null)
    {
        Flush();
        using var tx = _db.BeginTransaction();
        int learned = HistoryQueries.Finish(_db, tx, RunId, samples, alarms, part, ProgramKey, Tool, "LOCK TABLE envelopes IN SHARE ROW EXCLUSIVE MODE");
        tx.Commit();
        LearnedParts = learned;
    }

    public void Dispose()
    {
        try { Flush(); } catch (DbException) { } catch (InvalidOperationException) { }
        _db.Dispose();
    }
}

/// <summary>
/// The history's queries, once for both stores (ADO.NET): parameters are written $1, $2 ... — positional for
/// PostgreSQL, named "$1" for SQLite.
/// </summary>
public static class HistoryQueries
{
    public static DbCommand Cmd(DbConnection db, DbTransaction? tx, string sql, params object?[] values)
    {
        var c = db.CreateCommand();
        c.Transaction = tx;
        c.CommandText = sql;
        bool positional = db is NpgsqlConnection;
        for (int i = 0; i < values.Length; i++)
        {
            var p = c.CreateParameter();
            if (!positional) p.ParameterName = "$" + (i + 1);
            p.Value = values[i] ?? DBNull.Value;
            c.Parameters.Add(p);
        }
        return c;
    }

    private static object? V(double v) => double.IsFinite(v) ? v : null;
    private static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    public const string AlarmInsert = "INSERT INTO alarms (run, line, kind, start, \"end\", message, peak, start_s, end_s) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)";

    public static object?[] AlarmRow(long run, TwinAlarm a) =>
        [run, (long)a.Line, a.Kind.WireName(), a.Start.ToString("O", CultureInfo.InvariantCulture), a.End.ToString("O", CultureInfo.InvariantCulture), a.Message, V(a.Peak), V(a.StartS), V(a.EndS)];

    public static long BeginRun(DbConnection db, string program, string source, DateTimeOffset started, string programKey, int tool, string? machine = null)
    {
        using var c = Cmd(db, null, "INSERT INTO runs(started, program, source, samples, alarms, program_key, tool, machine) VALUES ($1, $2, $3, 0, 0, $4, $5, $6) RETURNING id",
            started.ToString("O", CultureInfo.InvariantCulture), program, source, programKey, (long)tool, machine);
        return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public static TwinHistory.Knowledge Read(DbConnection db, string programKey, int tool, int recentParts)
    {
        ToolEnvelope? env = null;
        using (var c = Cmd(db, null, "SELECT data FROM envelopes WHERE program_key=$1 AND tool=$2", programKey, (long)tool))
            if (c.ExecuteScalar() is string json) env = ToolEnvelope.FromJson(json);
        var parts = new List<(long, double, double)>();
        using (var c = Cmd(db, null, "SELECT id, power_ratio, stream_wear_um FROM runs WHERE program_key=$1 AND tool=$2 AND power_ratio IS NOT NULL ORDER BY id DESC LIMIT $3",
                   programKey, (long)tool, (long)recentParts))
        using (var r = c.ExecuteReader())
            while (r.Read()) parts.Add((r.GetInt64(0), r.GetDouble(1), r.IsDBNull(2) ? 0 : r.GetDouble(2)));
        parts.Reverse();
        return new TwinHistory.Knowledge(env, parts);
    }

    /// <summary>
    /// The run's alarms and figures, and the part merged into its envelope (read and rewritten in the same
    /// transaction, after lockSql where the database needs one: twins of one program never lose a part).
    /// Returns the envelope's parts when this one was learned, else 0.
    /// </summary>
    public static int Finish(DbConnection db, DbTransaction tx, long run, long samples, IReadOnlyList<TwinAlarm> alarms, TwinHistory.PartResult? part,
        string programKey, int tool, string? lockSql, long? alarmCount = null)
    {
        foreach (var a in alarms)
            using (var c = Cmd(db, tx, AlarmInsert, AlarmRow(run, a)))
                c.ExecuteNonQuery();
        using (var c = Cmd(db, tx, "UPDATE runs SET samples=$1, alarms=$2, ended=$3, power_ratio=$4, stream_wear_um=$5, energy_kwh=$6, learned=$7 WHERE id=$8",
                   samples, alarmCount ?? alarms.Count, Now(), part?.PowerRatio is double pr && double.IsFinite(pr) ? pr : null,
                   part != null ? V(part.StreamWearUm) : null, part != null ? V(part.EnergyKwh) : null, part?.Learn != null ? 1L : 0L, run))
            c.ExecuteNonQuery();
        if (part?.Learn is not { } profile || programKey.Length == 0) return 0;
        if (lockSql != null) using (var c = Cmd(db, tx, lockSql)) c.ExecuteNonQuery();
        ToolEnvelope env;
        using (var c = Cmd(db, tx, "SELECT data FROM envelopes WHERE program_key=$1 AND tool=$2", programKey, (long)tool))
            env = c.ExecuteScalar() is string json && ToolEnvelope.FromJson(json) is { } e ? e : new ToolEnvelope { ProgramKey = programKey, Tool = tool };
        env.Merge(profile);
        using (var c = Cmd(db, tx, "INSERT INTO envelopes VALUES ($1,$2,$3,$4,$5) ON CONFLICT (program_key, tool) DO UPDATE SET parts=excluded.parts, data=excluded.data, updated=excluded.updated",
                   programKey, (long)tool, (long)env.Parts, env.ToJson(), Now()))
            c.ExecuteNonQuery();
        return env.Parts;
    }
}
