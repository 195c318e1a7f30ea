using CncTwin.Tests.Shared;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CncTwin.Twin.Tests;

/// <summary>
/// The fleet's shared history writer: many runs' samples, alarms, gaps and resume points stored together, the
/// same in SQLite and PostgreSQL; a backlog written in steps; the retention policy thinning and deleting only what
/// it says.
/// </summary>
public class HistoryWriterTests(PostgresServer pg) : IClassFixture<PostgresServer>
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private static AlignedSample Sample(long i, AlarmKind? alarm = null) => new(
        new TelemetrySample(i, T0.AddMilliseconds(10 * i), i * 0.01, 1, -1, 6000, 7, double.NaN, "O1", 7, "ACTIVE", "x"),
        0, 7, i * 0.01, 0.001, 600, 7, 6, double.NaN, 300, 4, 1.5, alarm, 2, 0.5, true, "physics");

    /// <summary>Two machines' runs through one writer; returns the runs.</summary>
    private static (long A, long B) Write(HistoryWriter w, int n)
    {
        var a = w.Begin("vmc-a", "/p/a.ngc", "shdr://a:1", T0, "keyA", 1);
        var b = w.Begin("vmc-b", "/p/b.ngc", "mtconnect://b:2", T0, "keyB", 2);
        for (int i = 0; i < n; i++)
        {
            a.Add(Sample(i, i == 500 ? AlarmKind.Overload : null));
            b.Add(Sample(i));
            if (i % 1000 == 999) w.SetResume("vmc-b", new SourceResume(b.RunId, 77, 8 * i + 9, T0.AddMilliseconds(10 * i), i + 1, 0));
        }
        w.AddAlarm(a.RunId, new TwinAlarm(7, AlarmKind.Overload, T0.AddSeconds(5), T0.AddSeconds(5.5), 5, 5.5, "over", 20));
        w.AddGap(new StreamGap("vmc-a", a.RunId, T0.AddSeconds(10), T0.AddSeconds(12.5), "reconnect", "no data for 2.5 s"));
        a.Finish(n, [new TwinAlarm(7, AlarmKind.Overload, T0.AddSeconds(5), T0.AddSeconds(5.5), 5, 5.5, "over", 20)]);
        b.Finish(n, []);
        return (a.RunId, b.RunId);
    }

    [Fact]
    public void ManyRuns_OneWriter_EverySampleAlarmGapAndResumePointStored_InSteps()
    {
        string db = Path.Combine(Path.GetTempPath(), $"cnctwin-writer-{Guid.NewGuid():N}.db");
        try
        {
            using (var w = new HistoryWriter("sqlite:" + db, TimeSpan.FromHours(1)) { MaxRowsPerTransaction = 3_000 })
            {
                var (a, b) = Write(w, 10_000);
                Assert.Equal(20_000, w.SamplesWritten);
                Assert.True(w.Batches >= 1);
                var r = w.ReadResume("vmc-b")!;
                Assert.Equal((b, 77L, 8 * 9999L + 9, 10_000L), (r.Run, r.Instance, r.NextSequence, r.Samples));
                Assert.True(w.RunEnded(a));
                Assert.Equal([(7, "overload")], w.RunAlarms(a));
                w.SaveMachine("vmc-a", "{\"id\":\"vmc-a\"}");
                w.SaveMachine("vmc-a", "{\"id\":\"vmc-a\",\"name\":\"x\"}");
                Assert.Equal("{\"id\":\"vmc-a\",\"name\":\"x\"}", Assert.Single(w.Machines()).Config);
                Assert.True(w.DeleteMachine("vmc-a"));
                Assert.False(w.DeleteMachine("vmc-a"));
            }
            using var c = new SqliteConnection($"Data Source={db}");
            c.Open();
            long Scalar(string sql) { using var cmd = c.CreateCommand(); cmd.CommandText = sql; return (long)cmd.ExecuteScalar()!; }
            Assert.Equal(10_000, Scalar("SELECT COUNT(*) FROM samples s JOIN runs r ON r.id = s.run WHERE r.machine = 'vmc-a'"));
            Assert.Equal(10_000, Scalar("SELECT COUNT(DISTINCT time) FROM samples s JOIN runs r ON r.id = s.run WHERE r.machine = 'vmc-b'"));
            Assert.Equal(1, Scalar("SELECT alarms FROM runs WHERE machine = 'vmc-a'"));
            Assert.Equal(1, Scalar("SELECT COUNT(*) FROM gaps WHERE machine = 'vmc-a' AND seconds = 2.5"));
        }
        finally { foreach (var f in new[] { db, db + "-wal", db + "-shm" }) File.Delete(f); }
    }

    [Fact]
    public void Retention_ThinsOldPartsKeepingAlarmedSamples_DeletesOlderOnes_KeepsRecentPartsAndTheParts()
    {
        string db = Path.Combine(Path.GetTempPath(), $"cnctwin-retention-{Guid.NewGuid():N}.db");
        try
        {
            using var w = new HistoryWriter("sqlite:" + db, TimeSpan.FromHours(1));
            var (a, b) = Write(w, 2_000);
            var now = DateTimeOffset.UtcNow;
            // Both parts ended just now: nothing is old enough.
            Assert.Equal((0L, 0L), w.ApplyRetention(RetentionPolicy.Default, now));
            // Ten days later: thinned to every 10th, the alarmed sample (idx 500 of vmc-a) kept.
            var (thinned, deleted) = w.ApplyRetention(RetentionPolicy.Default, now.AddDays(10));
            Assert.Equal((2 * 1_800L, 0L), (thinned, deleted));
            long Count(long run) => w.Query(d => { using var cmd = HistoryQueries.Cmd(d, null, "SELECT COUNT(*) FROM samples WHERE run=$1", run); return Convert.ToInt64(cmd.ExecuteScalar()); });
            Assert.Equal(200, Count(a)); // idx 500 is a multiple of 10 and kept either way
            Assert.Equal(200, Count(b));
            // 100 days later: the samples are gone, the parts and their alarms stay.
            Assert.Equal((0L, 400L), w.ApplyRetention(RetentionPolicy.Default, now.AddDays(100)));
            Assert.True(w.RunEnded(a));
            Assert.Single(w.RunAlarms(a));
            Assert.Equal((0L, 0L), w.ApplyRetention(RetentionPolicy.KeepEverything, now.AddDays(1000)));
        }
        finally { foreach (var f in new[] { db, db + "-wal", db + "-shm" }) File.Delete(f); }
    }

    [Fact]
    public void PostgresAndSqlite_SameRowsThroughTheWriter()
    {
        string server = pg.Require();
        string schema = "w" + Guid.NewGuid().ToString("N")[..10];
        using (var c = new NpgsqlConnection(server)) { c.Open(); using var cmd = new NpgsqlCommand($"CREATE SCHEMA {schema}", c); cmd.ExecuteNonQuery(); }
        string conn = new NpgsqlConnectionStringBuilder(server) { SearchPath = schema }.ToString();
        string db = Path.Combine(Path.GetTempPath(), $"cnctwin-writer-{Guid.NewGuid():N}.db");
        try
        {
            using (var w = new HistoryWriter("postgres:" + conn, TimeSpan.FromHours(1)) { MaxRowsPerTransaction = 1_500 }) Write(w, 4_000);
            using (var w = new HistoryWriter("sqlite:" + db, TimeSpan.FromHours(1))) Write(w, 4_000);
            const string q = "SELECT r.machine, s.idx, s.time, s.line, s.x, s.measured_load_pct, s.alarm FROM samples s JOIN runs r ON r.id = s.run ORDER BY r.machine, s.idx";
            var fromPg = new List<string>();
            using (var c = new NpgsqlConnection(conn)) { c.Open(); using var cmd = new NpgsqlCommand(q, c); using var r = cmd.ExecuteReader(); while (r.Read()) fromPg.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)))); }
            var fromSqlite = new List<string>();
            using (var c = new SqliteConnection($"Data Source={db}")) { c.Open(); using var cmd = c.CreateCommand(); cmd.CommandText = q; using var r = cmd.ExecuteReader(); while (r.Read()) fromSqlite.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)))); }
            Assert.Equal(8_000, fromPg.Count);
            Assert.Equal(fromSqlite, fromPg);
        }
        finally { foreach (var f in new[] { db, db + "-wal", db + "-shm" }) File.Delete(f); }
    }
}
