using System.Diagnostics;
using CncTwin.Tests.Shared;
using Npgsql;

namespace CncTwin.Cli.Tests;

/// <summary>
/// Two `cnctwin fleet serve` silos on loopback sharing Orleans' ADO.NET clustering and the history in PostgreSQL,
/// 50 simulated machines (25 SHDR, 25 MTConnect) at 100 Hz; one silo is killed mid-stream. Every machine's twin
/// comes back on the other silo within seconds; MTConnect machines lose and repeat no sample (resumed from the
/// next sequence); SHDR machines report their gap with its length; the overloads designed into seven streams are
/// raised on their line once each, and no other alarm anywhere.
/// </summary>
[Collection(FleetClusterCollection.Name)]
public class FleetFailoverTests(PostgresServer pg, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    private static string NewDatabase(string server)
    {
        string name = "fleet_" + Guid.NewGuid().ToString("N")[..12];
        using (var db = new NpgsqlConnection(server))
        {
            db.Open();
            using var c = new NpgsqlCommand($"CREATE DATABASE {name}", db);
            c.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name, Pooling = true }.ToString();
    }

    private static (long Count, long Distinct) Stored(NpgsqlConnection db, string machine)
    {
        using var c = new NpgsqlCommand("SELECT COUNT(*), COUNT(DISTINCT s.time) FROM samples s JOIN runs r ON r.id = s.run WHERE r.machine = $1", db);
        c.Parameters.AddWithValue(machine);
        using var r = c.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1));
    }

    /// <summary>The test's figures: to its output, and to $CNCTWIN_FLEET_REPORT when set (for the README's numbers).</summary>
    private void Report(string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("CNCTWIN_FLEET_REPORT") is { Length: > 0 } f) File.AppendAllText(f, line + Environment.NewLine);
    }

    [Fact]
    public async Task TwoSilos_OneKilledMidStream_EveryTwinResumesOnTheOther_MtConnectLosesNothing_ShdrReportsItsGaps_AlarmsOnce()
    {
        string conn = NewDatabase(pg.Require());
        await using var fleet = new SimulatedFleet(50, i => i % 7 == 3, untilS: 36);
        string[] common = ["--db", "postgres:" + conn, "--cluster", "postgres:" + conn, "--workspace", Path.Combine(fleet.Dir, "ws")];
        await using var a = new FleetProcess("silo-a", [.. common, "--silo-port", FleetTests.FreePort().ToString(), "--gateway-port", FleetTests.FreePort().ToString()]);
        await a.Started(TimeSpan.FromSeconds(120));
        await using var b = new FleetProcess("silo-b", [.. common, "--silo-port", FleetTests.FreePort().ToString(), "--gateway-port", FleetTests.FreePort().ToString()]);
        await b.Started(TimeSpan.FromSeconds(120));
        System.Text.Json.Nodes.JsonArray rows = [];
        string Summary() => string.Join(" ", rows.Select(m => $"{FleetProcess.Str(m!["id"])}:{FleetProcess.Str(m["state"])}@{FleetProcess.Str(m["silo"])}"));
        // The machines are added through the API once both silos are in the cluster (Orleans places each twin).
        await Task.Delay(TimeSpan.FromSeconds(3));
        var entries = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(fleet.FleetFile))!["machines"]!.AsArray();
        foreach (var e in entries)
        {
            var post = await b.Http.PostAsync(b.Url + "/api/machines", new StringContent(e!.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.Created, post.StatusCode);
        }
        // Both silos have joined and the twins are spread over them, each connected to its machine.
        await FleetTests.Until(async () =>
        {
            rows = await b.Fleet();
            return rows.Count == 50 && rows.All(m => FleetProcess.Str(m!["state"]) == "idle") && rows.Select(m => FleetProcess.Str(m!["silo"])).Distinct().Count() == 2;
        }, TimeSpan.FromSeconds(120), () => Summary() + "\nA: " + a.Output + "\nB: " + b.Output);
        var before = rows.ToDictionary(m => FleetProcess.Str(m!["id"]), m => FleetProcess.Str(m!["silo"]));
        Report($"on silo-a: {before.Count(kv => kv.Value == "silo-a")}, on silo-b: {before.Count(kv => kv.Value == "silo-b")}");

        fleet.Play();
        await Task.Delay(TimeSpan.FromSeconds(18)); // mid-stream: the second slot (line 11) is being cut
        var killed = Stopwatch.StartNew();
        a.Kill();
        await FleetTests.Until(async () =>
        {
            rows = await b.Fleet();
            return rows.Count == 50 && rows.All(m => FleetProcess.Str(m!["silo"]) == "silo-b" && FleetProcess.Str(m!["state"]) is "running" or "idle" or "alarm");
        }, TimeSpan.FromSeconds(60), () => Summary() + "\nB: " + b.Output);
        double failoverS = killed.Elapsed.TotalSeconds;
        Report($"every twin back on silo-b {failoverS:0.0} s after silo-a was killed");
        Assert.True(failoverS < 30, $"failover took {failoverS:0.0} s");

        await fleet.Finished();
        await using var db = new NpgsqlConnection(conn);
        await db.OpenAsync();
        var mtconnect = fleet.Machines.Where(m => m.Mtconnect).ToList();
        await FleetTests.Until(() => Task.FromResult(mtconnect.All(m => Stored(db, m.Id).Count >= m.Machine.Produced)), TimeSpan.FromSeconds(60),
            () => string.Join(", ", mtconnect.Select(m => $"{m.Id}: {Stored(db, m.Id)} of {m.Machine.Produced}")) + "\nB: " + b.Output);
        await Task.Delay(1500); // the SHDR twins' last rows
        int moved = 0;
        foreach (var (id, machine, isMt, overload) in fleet.Machines)
        {
            var (count, distinct) = Stored(db, id);
            Assert.True(count == distinct, $"{id}: {count - distinct} samples stored twice");
            bool wasOnA = before[id] == "silo-a";
            if (wasOnA) moved++;
            List<(double Seconds, string Message)> gaps = [];
            using (var c = new NpgsqlCommand("SELECT seconds, message FROM gaps WHERE machine = $1 AND kind = 'reconnect'", db))
            {
                c.Parameters.AddWithValue(id);
                using var r = c.ExecuteReader();
                while (r.Read()) gaps.Add((r.GetDouble(0), r.GetString(1)));
            }
            if (isMt || !wasOnA)
            {
                Assert.True(count == machine.Produced, $"{id} ({(isMt ? "MTConnect" : "SHDR")}, {before[id]}): {count} of {machine.Produced} samples stored");
                Assert.Empty(gaps);
            }
            else
            {
                // SHDR keeps nothing for a listener that is not there: the gap is reported with its length, and
                // everything else is stored.
                var g = Assert.Single(gaps);
                Report($"{id}: {g.Message}; stored {count} of {machine.Produced}");
                Assert.InRange(g.Seconds, 0.5, 60);
                Assert.InRange(machine.Produced - count, (long)(g.Seconds * 100) - 30, (long)(g.Seconds * 100) + 30);
            }
            var alarms = new List<(long Line, string Kind)>();
            using (var c = new NpgsqlCommand("SELECT a.line, a.kind FROM alarms a JOIN runs r ON r.id = a.run WHERE r.machine = $1", db))
            {
                c.Parameters.AddWithValue(id);
                using var r = c.ExecuteReader();
                while (r.Read()) alarms.Add((r.GetInt64(0), r.GetString(1)));
            }
            if (overload is int line) Assert.Equal([(line, "overload")], alarms);
            else Assert.True(alarms.Count == 0, $"{id}: unexpected alarms {string.Join(", ", alarms)}");
        }
        Assert.True(moved > 0);
        Report($"{moved} twins moved; {fleet.Machines.Count(m => m.Mtconnect && before[m.Id] == "silo-a")} of them MTConnect (every sample stored once), {fleet.Machines.Count(m => m.OverloadLine != null)} designed overloads raised once each");
    }
}

/// <summary>The two-silo test runs on its own, after the others: 50 machines at 100 Hz and two silos already fill this 2-core box.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FleetClusterCollection
{
    public const string Name = "fleet cluster (not in parallel)";
}
