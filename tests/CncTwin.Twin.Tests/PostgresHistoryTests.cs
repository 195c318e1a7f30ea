using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

using CncTwin.Tests.Shared;

namespace CncTwin.Twin.Tests;

public class PostgresHistoryTests(PostgresServer pg) : IClassFixture<PostgresServer>
{
    private static List<AlignedSample> Samples(int n)
    {
        var t0 = new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero);
        return Enumerable.Range(0, n).Select(i => new AlignedSample(
            new TelemetrySample(i, t0.AddMilliseconds(10 * i), i * 0.1, 2, -1, 6000, 5 + i % 7, i % 3 == 0 ? double.NaN : 800 + i, null, i % 5 == 0 ? null : 7, "ACTIVE", "x", i == 17 ? "load = 'NaN'" : null),
            i == 17 ? -1 : 3, 7, i * 0.1, 0.002, 900, 5 + i % 7, 6.5, i % 3 == 0 ? double.NaN : 800 + i, 300, 5, 12.5, i is > 100 and < 120 ? AlarmKind.Overload : null,
            1.5, 0.4, i % 2 == 0, "physics")).ToList();
    }

    private static PartProfile Profile()
    {
        var p = new PartProfile();
        var sec = p.Of(7, 1, 12.0);
        for (int i = 0; i < 120; i++) p.Add(sec, i * 0.1, 6 + i % 3, 5, 6, 0.1, true);
        return p;
    }

    private static void Write(ITwinHistory h, List<AlignedSample> samples, bool learn)
    {
        foreach (var a in samples) h.Add(a);
        var alarm = new TwinAlarm(7, AlarmKind.Overload, samples[101].Sample.Time, samples[119].Sample.Time, 1.01, 1.19, "spindle load 11 % against 6.5 % predicted", 11);
        h.Finish(samples.Count, [alarm], new TwinHistory.PartResult(1.07, 12.5, 0.0123, learn ? Profile() : null));
    }

    private static List<string> Rows(System.Data.Common.DbConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var rows = new List<string>();
        while (r.Read())
            rows.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "null" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        return rows;
    }

    [Fact]
    public void SqliteAndPostgres_StoreTheSameRows_ThroughOneInterface()
    {
        string conn = pg.Require();
        string schema = "t" + Guid.NewGuid().ToString("N")[..12];
        using (var admin = new NpgsqlConnection(conn)) { admin.Open(); using var c = admin.CreateCommand(); c.CommandText = $"CREATE SCHEMA {schema}"; c.ExecuteNonQuery(); }
        string pgConn = conn + $";Search Path={schema}";
        string file = Path.Combine(Path.GetTempPath(), $"cnctwin-h-{Guid.NewGuid():N}.db");
        try
        {
            // 4 500 samples: three COPY batches on PostgreSQL, three transactions on SQLite.
            var samples = Samples(4500);
            string key = new string('a', 64);
            foreach (var spec in new[] { "sqlite:" + file, "postgres:" + pgConn })
            {
                for (int part = 0; part < 2; part++)
                {
                    using var h = TwinHistoryStore.Open(spec, "/p.ngc", "test", samples[0].Sample.Time, key, 1);
                    Write(h, samples, learn: true);
                    Assert.Equal(part + 1, h.LearnedParts);
                }
                var known = TwinHistoryStore.Read(spec, key, 1);
                Assert.Equal(2, known.Envelope!.Parts);
                Assert.Equal(2, known.Parts.Count);
                Assert.Equal(1.07, known.Parts[^1].Ratio, 9);
            }
            using var lite = new SqliteConnection($"Data Source={file}");
            using var post = new NpgsqlConnection(pgConn);
            lite.Open(); post.Open();
            string cols = string.Join(",", HistorySchema.Columns("samples").Select(c => HistorySchema.Quote(c.Name)));
            var a = Rows(lite, $"SELECT {cols} FROM samples ORDER BY run, idx");
            var b = Rows(post, $"SELECT {cols} FROM samples ORDER BY run, idx");
            Assert.Equal(9000, a.Count);
            Assert.Equal(a, b);
            Assert.Equal(Rows(lite, "SELECT run, line, kind, start, \"end\", message, peak FROM alarms ORDER BY run"), Rows(post, "SELECT run, line, kind, start, \"end\", message, peak FROM alarms ORDER BY run"));
            Assert.Equal(Rows(lite, "SELECT id, program, samples, alarms, program_key, tool, power_ratio, stream_wear_um, energy_kwh, learned FROM runs ORDER BY id"),
                Rows(post, "SELECT id, program, samples, alarms, program_key, tool, power_ratio, stream_wear_um, energy_kwh, learned FROM runs ORDER BY id"));
            Assert.Equal(Rows(lite, "SELECT program_key, tool, parts, data FROM envelopes"), Rows(post, "SELECT program_key, tool, parts, data FROM envelopes"));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { File.Delete(file); File.Delete(file + "-wal"); File.Delete(file + "-shm"); } catch (IOException) { }
            using var admin = new NpgsqlConnection(conn); admin.Open(); using var c = admin.CreateCommand(); c.CommandText = $"DROP SCHEMA {schema} CASCADE"; c.ExecuteNonQuery();
        }
    }
}
