using System.Net;
using System.Text.Json;
using static CncTwin.Cli.Tests.DashboardTestSupport;

namespace CncTwin.Cli.Tests;

/// <summary>
/// The dashboard's HTTP API on loopback (no browser): it runs the pipeline library in process, one job at a time
/// through a bounded queue, can stop a running or a waiting job, and keeps its runs in the workspace across restarts.
/// </summary>
public class DashboardApiTests
{
    private static string Status(JsonElement s) => s.GetProperty("status").GetString()!;

    [Fact]
    public async Task RunningSimulation_IsStoppedFromTheApi()
    {
        string ws = NewWorkspace();
        var (app, url) = await Start(Options(ws));
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            string id = (await Json(await http.PostAsync("/api/simulations", ProgramForm(LongProgram(), "long.ngc"), TestContext.Current.CancellationToken))).GetProperty("id").GetString()!;
            await WaitFor(http, id, "running");
            var cancel = await http.PostAsync($"/api/simulations/{id}/cancel", null, TestContext.Current.CancellationToken);
            Assert.True(cancel.IsSuccessStatusCode);
            Assert.Equal("cancelled", Status(await WaitFor(http, id, "cancelled", "done", "failed")));
            Assert.False(File.Exists(Path.Combine(ws, id, "out", "summary.json")), "a stopped run must not leave a summary");
        }
        finally { await Stop(app); Delete(ws); }
    }

    [Fact]
    public async Task Queue_RunsOneAtATime_HoldsABoundedLine_AndAWaitingJobCanBeCancelled()
    {
        string ws = NewWorkspace();
        var (app, url) = await Start(Options(ws, maxWaiting: 1));
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var ct = TestContext.Current.CancellationToken;
            string a = (await Json(await http.PostAsync("/api/simulations", ProgramForm(LongProgram(), "first.ngc"), ct))).GetProperty("id").GetString()!;
            await WaitFor(http, a, "running");
            // The second waits its turn, first in line; the first is still the only one running.
            var b = await Json(await http.PostAsync("/api/simulations", ProgramForm(LongProgram(), "second.ngc"), ct));
            Assert.Equal("queued", Status(b));
            Assert.Equal(1, b.GetProperty("position").GetInt32());
            string bid = b.GetProperty("id").GetString()!;
            // A third finds the line full: refused in words, and nothing of it is kept.
            var c = await http.PostAsync("/api/simulations", ProgramForm("G0 X1\nM2\n", "third.ngc"), ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, c.StatusCode);
            Assert.Contains("busy", await c.Content.ReadAsStringAsync(ct));
            Assert.Equal(2, Directory.GetDirectories(ws).Length);
            var runs = await Get(http, "/api/runs");
            Assert.Equal(["second.ngc", "first.ngc"], runs.GetProperty("simulations").EnumerateArray().Select(s => s.GetProperty("program").GetString()).ToArray());
            // The waiting one is cancelled without ever starting, while the first runs on.
            Assert.Equal("cancelled", Status(await Json(await http.PostAsync($"/api/simulations/{bid}/cancel", null, ct))));
            Assert.Equal("running", Status(await Get(http, $"/api/simulations/{a}")));
            Assert.False(Directory.Exists(Path.Combine(ws, bid, "out")), "a job cancelled in the queue never ran");
            await http.PostAsync($"/api/simulations/{a}/cancel", null, ct);
            Assert.Equal("cancelled", Status(await WaitFor(http, a, "cancelled", "done", "failed")));
        }
        finally { await Stop(app); Delete(ws); }
    }

    [Fact]
    public async Task Runs_AreListedAgainAfterARestart_WithTheirUploadedNamesAndErrors()
    {
        string ws = NewWorkspace();
        try
        {
            string failed, interrupted;
            var (app, url) = await Start(Options(ws));
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri(url) };
                var ct = TestContext.Current.CancellationToken;
                failed = (await Json(await http.PostAsync("/api/simulations", ProgramForm("G21 G90\nG0 X0 Y0 Z5\nG1 X10 Y10 Q7 F100\nM2\n", "bad.ngc"), ct))).GetProperty("id").GetString()!;
                await WaitFor(http, failed, "failed");
                interrupted = (await Json(await http.PostAsync("/api/simulations", ProgramForm(LongProgram(), "long.ngc"), ct))).GetProperty("id").GetString()!;
                await WaitFor(http, interrupted, "running");
            }
            // Stopping the server stops the running job; it is recorded so.
            finally { await Stop(app); }
            (app, url) = await Start(Options(ws));
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri(url) };
                var sims = (await Get(http, "/api/runs")).GetProperty("simulations").EnumerateArray().ToDictionary(s => s.GetProperty("id").GetString()!);
                Assert.Equal("bad.ngc", sims[failed].GetProperty("program").GetString());
                Assert.Equal("failed", Status(sims[failed]));
                Assert.StartsWith("bad.ngc:3:", sims[failed].GetProperty("error").GetString());
                Assert.Equal("long.ngc", sims[interrupted].GetProperty("program").GetString());
                Assert.Equal("cancelled", Status(sims[interrupted]));
                Assert.Contains("server stopped", sims[interrupted].GetProperty("error").GetString());
                Assert.True(File.Exists(Path.Combine(ws, failed, "run.json")));
            }
            finally { await Stop(app); }
        }
        finally { Delete(ws); }
    }

    [Fact]
    public async Task Replay_ProgramError_NamesTheUploadedFile()
    {
        string ws = NewWorkspace();
        var (app, url) = await Start(Options(ws));
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var ct = TestContext.Current.CancellationToken;
            var form = ProgramForm("G21 G90\nS6000 M3\nG0 X0 Y0 Z5\nG1 X10 Y10 G2\nM2\n", "slots-v2.ngc");
            form.Add(new ByteArrayContent(File.ReadAllBytes(Path.Combine(TestSupport.Repo(), "gcode-samples", "twin-slots-telemetry.csv"))), "telemetry", "monday.csv");
            form.Add(new StringContent("--tool 4 --stock box:0,0,-10,50,40,0"), "options");
            string id = (await Json(await http.PostAsync("/api/replays", form, ct))).GetProperty("id").GetString()!;
            var s = await WaitFor(http, id, "failed", "done", "cancelled");
            Assert.Equal("failed", Status(s));
            string error = s.GetProperty("error").GetString()!;
            Assert.StartsWith("slots-v2.ngc:4:", error);
            Assert.DoesNotContain(ws, error);
            // Its stream, opened after the end, still says how it ended.
            string live = await http.GetStringAsync($"/api/replays/{id}/live", ct);
            Assert.Contains("\"status\":\"failed\"", live);
        }
        finally { await Stop(app); Delete(ws); }
    }
}
