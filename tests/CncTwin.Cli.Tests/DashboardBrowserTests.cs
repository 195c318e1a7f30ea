using System.Net;
using CncTwin.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CncTwin.Cli.Tests;

/// <summary>
/// The dashboard in Debian's Chromium (Playwright): run a simulation from the page and see it in 3D, then replay
/// a telemetry stream (LinuxCNC's recorded twin-e2e run with a designed overload) and watch the live chart
/// fill and the alarm appear. Also: off-loopback binding needs a token, requests without it are refused.
/// </summary>
public class DashboardBrowserTests
{
    private static async Task<(WebApplication App, string Url)> Start(string workspace, string repo, string? token = null, string bind = "127.0.0.1")
    {
        var options = new DashboardOptions
        {
            Port = 0, Bind = bind, Token = token, Workspace = workspace, HistoryDb = Path.Combine(workspace, "history.db"), ToolsPath = Path.Combine(repo, "gcode-samples", "tools.json"),
        };
        var app = Dashboard.Build(options);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, address.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1"));
    }

    [Fact]
    public async Task Dashboard_SimulateFromThePage_AndWatchAReplayRaiseAnAlarm()
    {
        ReportBrowserTests.RequireChromium();
        string repo = TestSupport.Repo();
        string ws = Path.Combine(Path.GetTempPath(), "cnctwin-dash-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(ws);
        var (app, url) = await Start(ws, repo);
        try
        {
            using var pw = await Playwright.CreateAsync();
            await using var browser = await ReportBrowserTests.Launch(pw);
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
            var errors = new List<string>();
            page.PageError += (_, e) => errors.Add(e);
            bool shots = Environment.GetEnvironmentVariable("CNCTWIN_SCREENSHOTS") == "1";

            // 1. Simulate from the page: upload program and tools, then the 3D viewer renders the result.
            await page.GotoAsync(url + "/#simulate");
            await page.SetInputFilesAsync("#sim-file", Path.Combine(repo, "gcode-samples", "pocket.ngc"));
            await page.SetInputFilesAsync("#sim-tools", Path.Combine(repo, "gcode-samples", "tools.json"));
            if (shots) await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(repo, "docs", "dashboard-simulate.png") });
            await page.ClickAsync("#sim-run");
            await page.WaitForSelectorAsync("#viewer-canvas[data-ready='1']", new PageWaitForSelectorOptions { Timeout = 120_000 });
            int colours = await TestSupport.CanvasColours(page, "viewer-canvas");
            Assert.True(colours > 20, $"the viewer looks blank ({colours} colours)");
            Assert.Contains("pocket.ngc", await page.InnerTextAsync("#viewer-title"));
            if (shots) await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(repo, "docs", "dashboard-viewer.png") });

            // 2. The live twin: replay the telemetry; the chart fills and the overload alarm appears at line 6.
            await page.ClickAsync("nav a[data-view='live']");
            await page.WaitForSelectorAsync("#live-chart .uplot");
            // The bundled replay sample: LinuxCNC's recorded run of three slots, spindle load designed (+64 points in line 6's cut).
            await page.SetInputFilesAsync("#live-program", Path.Combine(repo, "gcode-samples", "twin-slots.ngc"));
            await page.SetInputFilesAsync("#live-telemetry", Path.Combine(repo, "gcode-samples", "twin-slots-telemetry.csv"));
            await page.FillAsync("#live-options", "--material steel1045 --tool 4 --stock box:0,0,-10,50,40,0 --resolution 0.5");
            await page.ClickAsync("#live-start");
            await page.WaitForSelectorAsync("#live-alarms li.alarm.overload", new PageWaitForSelectorOptions { Timeout = 120_000 });
            Assert.Contains("line 6", await page.InnerTextAsync("#live-alarms"));
            await page.WaitForFunctionAsync("() => Number(document.getElementById('live-count').textContent) > 1000", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            Assert.True(await page.Locator("#live-chart canvas").CountAsync() >= 1);
            if (shots) await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(repo, "docs", "dashboard-live.png") });

            // 3. Runs: the simulation and the twin run from the history are listed.
            await page.WaitForFunctionAsync("() => document.getElementById('live-status').textContent === 'finished'", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            await page.ClickAsync("nav a[data-view='runs']");
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#twin-list li:not(.none)').length >= 1", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
            Assert.Contains("pocket.ngc", await page.InnerTextAsync("#sim-list"));
            if (shots) await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(repo, "docs", "dashboard-runs.png") });
            Assert.Empty(errors);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            try { Directory.Delete(ws, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task OffLoopback_NeedsAToken_AndIdsCannotTraverse()
    {
        string repo = TestSupport.Repo();
        string ws = Path.Combine(Path.GetTempPath(), "cnctwin-dash-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(ws);
        try
        {
            Assert.Throws<ArgumentException>(() => Dashboard.Build(new DashboardOptions { Port = 0, Bind = "0.0.0.0", Workspace = ws, HistoryDb = Path.Combine(ws, "h.db") }));
            var (app, url) = await Start(ws, repo, token: "s3cret", bind: "0.0.0.0");
            try
            {
                using var http = new HttpClient();
                Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(url + "/api/runs")).StatusCode);
                Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(url + "/")).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url + "/api/runs?token=s3cret")).StatusCode);
                var req = new HttpRequestMessage(HttpMethod.Get, url + "/api/simulations/..%2F..%2Fetc%2Fpasswd/report");
                req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret");
                Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(req)).StatusCode);
                // Uploads over the limit are refused.
                var big = new MultipartFormDataContent { { new ByteArrayContent(new byte[21 << 20]), "program", "big.ngc" } };
                var post = new HttpRequestMessage(HttpMethod.Post, url + "/api/simulations?token=s3cret") { Content = big };
                // Kestrel answers 413 or resets the connection while the body is still arriving: either way, refused.
                try { Assert.False((await http.SendAsync(post)).IsSuccessStatusCode); }
                catch (HttpRequestException) { }
                Assert.Empty(Directory.GetDirectories(ws));
            }
            finally { await app.StopAsync(); await app.DisposeAsync(); }
        }
        finally { try { Directory.Delete(ws, true); } catch (IOException) { } }
    }
}
