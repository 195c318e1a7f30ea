using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace CncTwin.Cli.Tests;

/// <summary>
/// `cnctwin fleet serve` on one node (localhost clustering, SQLite history) following simulated machines over SHDR
/// and MTConnect: every sample stored once, the designed alarm raised on its line once and nowhere else, the
/// fleet's API (list, add, change, remove machines; alarms; samples by time) as an integrator scripts it.
/// </summary>
public class FleetTests(ITestOutputHelper output)
{
    public static int FreePort() { var l = new TcpListener(IPAddress.Loopback, 0); l.Start(); int p = ((IPEndPoint)l.LocalEndpoint).Port; l.Stop(); return p; }

    internal static async Task Until(Func<Task<bool>> ok, TimeSpan timeout, Func<string> what)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!await ok())
        {
            if (sw.Elapsed > timeout) Assert.Fail("timed out: " + what());
            await Task.Delay(200);
        }
    }

    internal static long StoredSamples(string db, string machine)
    {
        using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*), COUNT(DISTINCT s.time) FROM samples s JOIN runs r ON r.id = s.run WHERE r.machine = $m";
        cmd.Parameters.AddWithValue("$m", machine);
        using var r = cmd.ExecuteReader();
        r.Read();
        Assert.Equal(r.GetInt64(0), r.GetInt64(1)); // no sample twice
        return r.GetInt64(0);
    }

    [Fact]
    public async Task FleetServe_FollowsEveryMachine_StoresEverySampleOnce_RaisesTheDesignedAlarmOnce_AndManagesMachinesThroughTheApi()
    {
        await using var fleet = new SimulatedFleet(4, i => i == 2, untilS: 20, speed: 2);
        output.WriteLine($"line 7 predicted share {fleet.Line7SharePct:0.00} % of the spindle");
        Assert.InRange(fleet.Line7SharePct, 3, 60);
        string db = Path.Combine(fleet.Dir, "fleet.db");
        await using var silo = new FleetProcess("silo-a", "--machines", fleet.FleetFile, "--db", "sqlite:" + db, "--workspace", Path.Combine(fleet.Dir, "ws"),
            "--silo-port", FreePort().ToString(), "--gateway-port", FreePort().ToString());
        await silo.Started(TimeSpan.FromSeconds(90));
        JsonArray rows = [];
        await Until(async () => (rows = await silo.Fleet()).Count == 4 && rows.All(m => FleetProcess.Str(m!["state"]) == "idle"), TimeSpan.FromSeconds(60),
            () => rows.ToJsonString() + silo.Output);
        fleet.Play();
        await fleet.Finished();
        // Everything the machines sent is stored (the writer flushes every 0.25 s).
        await Until(async () =>
        {
            rows = await silo.Fleet();
            return fleet.Machines.All(m => StoredSamples(db, m.Id) == m.Machine.Produced);
        }, TimeSpan.FromSeconds(30), () => string.Join(", ", fleet.Machines.Select(m => $"{m.Id}: {StoredSamples(db, m.Id)} of {m.Machine.Produced}")) + "\n" + silo.Output);
        foreach (var m in rows)
        {
            output.WriteLine(m!.ToJsonString());
            foreach (var field in new[] { "id", "state", "program", "line", "load_pct", "predicted_load_pct", "alarms_open", "wear_um", "remaining_life_min", "energy_kwh_today", "samples", "gaps" })
                Assert.True(m.AsObject().ContainsKey(field), $"{field} missing");
            Assert.Equal("monitor-set.ngc", FleetProcess.Str(m["program"]));
            Assert.Equal(0, (long)FleetProcess.Num(m["gaps"]));
            Assert.True(FleetProcess.Num(m["energy_kwh_today"]) > 0, "energy measured");
        }
        // The designed overload: on line 7 of vmc-03, once; no alarm on the good machines.
        foreach (var (id, _, _, line) in fleet.Machines)
        {
            var alarms = (await silo.Http.GetFromJsonAsync<JsonArray>($"{silo.Url}/api/machines/{id}/alarms"))!;
            output.WriteLine($"{id}: {alarms.ToJsonString()}");
            if (line is int l)
            {
                var a = Assert.Single(alarms)!;
                Assert.Equal(l, (int)FleetProcess.Num(a["line"]));
                Assert.Equal("overload", FleetProcess.Str(a["kind"]));
                foreach (var field in new[] { "start", "end", "start_s", "end_s", "message", "peak" }) Assert.True(a.AsObject().ContainsKey(field), field);
            }
            else Assert.Empty(alarms);
        }
        // Samples between two times: exactly those stored in that window.
        var first = fleet.Machines[1].Machine.Stamped(100).Time;
        var last = fleet.Machines[1].Machine.Stamped(199).Time;
        var window = (await silo.Http.GetFromJsonAsync<JsonObject>($"{silo.Url}/api/machines/vmc-02/samples?from={first.UtcDateTime:O}&to={last.UtcDateTime:O}"))!;
        Assert.Equal(100, (int)FleetProcess.Num(window["count"]));
        Assert.Equal(100, window["samples"]!.AsArray().Count);
        var bad = await silo.Http.GetAsync($"{silo.Url}/api/machines/vmc-02/samples?from=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await silo.Http.GetAsync($"{silo.Url}/api/machines/nope/alarms")).StatusCode);

        // Machines through the API: add one (it is followed at once), change it, remove it.
        var agent = new CncTwin.Fleet.ShdrReplayAdapter([]);
        await using (agent)
        {
            string entry = $$"""{"id":"vmc-99","name":"added","source":"shdr://127.0.0.1:{{agent.Port}}","program":"{{Path.Combine(SimulatedFleet.Oracle, "programs", "monitor-set.ngc")}}","tool":4,"material":"steel1045"}""";
            var post = await silo.Http.PostAsync(silo.Url + "/api/machines", new StringContent(entry, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, post.StatusCode);
            Assert.Equal(HttpStatusCode.Conflict, (await silo.Http.PostAsync(silo.Url + "/api/machines", new StringContent(entry, Encoding.UTF8, "application/json"))).StatusCode);
            await Until(async () => (await silo.Fleet()).Any(m => FleetProcess.Str(m!["id"]) == "vmc-99" && FleetProcess.Str(m["state"]) == "idle"), TimeSpan.FromSeconds(30), () => silo.Output);
            var put = await silo.Http.PutAsync(silo.Url + "/api/machines/vmc-99", new StringContent(entry.Replace("\"added\"", "\"renamed\""), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            await Until(async () => (await silo.Fleet()).Any(m => FleetProcess.Str(m!["name"]) == "renamed"), TimeSpan.FromSeconds(30), () => silo.Output);
            var missing = await silo.Http.PostAsync(silo.Url + "/api/machines", new StringContent("""{"id":"vmc-98","source":"shdr://127.0.0.1:1","program":"no-such.ngc"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
            Assert.Contains("no-such.ngc", await missing.Content.ReadAsStringAsync());
            var malformed = await silo.Http.PostAsync(silo.Url + "/api/machines", new StringContent("{\"id\":\"vmc-97\",\n  \"source\" 1}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
            Assert.Contains("request body:2:", await malformed.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await silo.Http.DeleteAsync(silo.Url + "/api/machines/vmc-99")).StatusCode);
            Assert.DoesNotContain(await silo.Fleet(), m => FleetProcess.Str(m!["id"]) == "vmc-99");
            Assert.Equal(HttpStatusCode.NotFound, (await silo.Http.DeleteAsync(silo.Url + "/api/machines/vmc-99")).StatusCode);
        }
    }
}
