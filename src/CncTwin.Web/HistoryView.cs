using System.Globalization;
using Microsoft.Data.Sqlite;

namespace CncTwin.Web;

/// <summary>
/// The twin history (SQLite, written by TwinSession) as the dashboard shows it: runs named by what was uploaded
/// (a replay's program and log live in the workspace under server-made names, which mean nothing to a machinist
/// and must not be shown), the machines seen (the sources), and one run's alarms and load chart.
/// </summary>
public sealed class HistoryView(string db, RunStore runs)
{
    public const int MaxChartPoints = 4_000;
    private readonly string _workspace = Path.GetFullPath(runs.Workspace);

    public sealed record TwinRun(long Id, string Started, string Program, string Source, long Samples, long Alarms, string? Replay);

    private SqliteConnection? Open()
    {
        if (!File.Exists(db)) return null;
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly }.ToString());
        c.Open();
        return c;
    }

    /// <summary>The replay of this dashboard a history run belongs to: its program lies in the workspace's replay-ID folder.</summary>
    private RunRecord? ReplayOf(string programPath)
    {
        string? dir = Path.GetDirectoryName(programPath);
        if (dir == null || !string.Equals(Path.GetDirectoryName(dir), _workspace, StringComparison.Ordinal)) return null;
        var m = RunStore.ReplayDir.Match(Path.GetFileName(dir));
        return m.Success && runs.TryGet(m.Groups[1].Value, out var r) ? r : null;
    }

    /// <summary>What a source is called on the page: a machine's address as is, a recorded log by its (uploaded) file name.</summary>
    private static string SourceName(string source, RunRecord? replay) =>
        source.StartsWith("csv:", StringComparison.Ordinal) ? "recorded log " + (replay?.Telemetry ?? Path.GetFileName(source[4..])) : source;

    private TwinRun Read(SqliteDataReader r)
    {
        string program = r.GetString(2), source = r.GetString(3);
        var replay = ReplayOf(program);
        return new TwinRun(r.GetInt64(0), r.GetString(1), replay?.Program ?? Path.GetFileName(program), SourceName(source, replay),
            r.IsDBNull(4) ? 0 : r.GetInt64(4), r.IsDBNull(5) ? 0 : r.GetInt64(5), replay?.Id);
    }

    public List<TwinRun> Runs(int limit = 200)
    {
        var list = new List<TwinRun>();
        try
        {
            using var c = Open();
            if (c == null) return list;
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT id, started, program, source, samples, alarms FROM runs ORDER BY id DESC LIMIT $n";
            cmd.Parameters.AddWithValue("$n", limit);
            using var r = cmd.ExecuteReader();
            while (r.Read()) list.Add(Read(r));
        }
        catch (SqliteException) { }
        return list;
    }

    /// <summary>The sources the history has seen, each with its number of runs and the latest start.</summary>
    public List<object> Machines()
    {
        var seen = new Dictionary<string, (int Runs, string Last)>();
        try
        {
            using var c = Open();
            if (c == null) return [];
            using var cmd = c.CreateCommand();
            // Streams every run's two short strings (no samples): the history's runs table stays small.
            cmd.CommandText = "SELECT source, program, started FROM runs";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                string name = SourceName(r.GetString(0), ReplayOf(r.GetString(1))), started = r.GetString(2);
                seen[name] = seen.TryGetValue(name, out var v) ? (v.Runs + 1, string.CompareOrdinal(started, v.Last) > 0 ? started : v.Last) : (1, started);
            }
        }
        catch (SqliteException) { }
        return seen.OrderByDescending(kv => kv.Value.Last).Select(kv => (object)new { name = kv.Key, runs = kv.Value.Runs, last = kv.Value.Last }).ToList();
    }

    /// <summary>One run: its alarms and the measured and predicted load, every k-th sample so at most <see cref="MaxChartPoints"/> (read as a stream).</summary>
    public object? Run(long id)
    {
        try
        {
            using var c = Open();
            if (c == null) return null;
            TwinRun run;
            using (var cmd = c.CreateCommand())
            {
                cmd.CommandText = "SELECT id, started, program, source, samples, alarms FROM runs WHERE id = $r";
                cmd.Parameters.AddWithValue("$r", id);
                using var r = cmd.ExecuteReader();
                if (!r.Read()) return null;
                run = Read(r);
            }
            var alarms = new List<object>();
            using (var cmd = c.CreateCommand())
            {
                cmd.CommandText = "SELECT line, kind, start, message FROM alarms WHERE run = $r ORDER BY start LIMIT 1000";
                cmd.Parameters.AddWithValue("$r", id);
                using var r = cmd.ExecuteReader();
                while (r.Read()) alarms.Add(new { line = r.GetInt64(0), kind = r.GetString(1), start = r.GetString(2), message = r.GetString(3) });
            }
            // A run still in progress has no count in runs yet: count its samples so the chart stays bounded all the same.
            long n = run.Samples;
            if (n == 0)
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT COUNT(*) FROM samples WHERE run = $r";
                cmd.Parameters.AddWithValue("$r", id);
                n = (long)cmd.ExecuteScalar()!;
            }
            long stride = Math.Max(1, (n + MaxChartPoints - 1) / MaxChartPoints);
            List<double> t = new(), measured = new(), predicted = new();
            List<long> line = new();
            using (var cmd = c.CreateCommand())
            {
                cmd.CommandText = "SELECT time, aligned_line, measured_load_pct, predicted_load_pct FROM samples WHERE run = $r ORDER BY idx";
                cmd.Parameters.AddWithValue("$r", id);
                using var r = cmd.ExecuteReader();
                long i = 0;
                DateTimeOffset? t0 = null;
                while (r.Read())
                {
                    if (i++ % stride != 0) continue;
                    var time = DateTimeOffset.Parse(r.GetString(0), CultureInfo.InvariantCulture);
                    t0 ??= time;
                    t.Add(Math.Round((time - t0.Value).TotalSeconds, 3));
                    line.Add(r.IsDBNull(1) ? 0 : r.GetInt64(1));
                    measured.Add(r.IsDBNull(2) ? double.NaN : Math.Round(r.GetDouble(2), 3));
                    predicted.Add(r.IsDBNull(3) ? double.NaN : Math.Round(r.GetDouble(3), 3));
                }
            }
            static double?[] Nullable(List<double> v) => v.Select(x => double.IsFinite(x) ? x : (double?)null).ToArray();
            return new
            {
                id = run.Id, started = run.Started, program = run.Program, source = run.Source, samples = run.Samples, replay = run.Replay,
                alarms, chart = new { t, line, measured = Nullable(measured), predicted = Nullable(predicted) },
            };
        }
        catch (SqliteException) { return null; }
    }
}
