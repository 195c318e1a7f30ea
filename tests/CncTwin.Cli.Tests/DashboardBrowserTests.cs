using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static CncTwin.Cli.Tests.DashboardTestSupport;

namespace CncTwin.Cli.Tests;

/// <summary>
/// The dashboard in Debian's Chromium (Playwright), as a person uses it: simulate from the page and see it in 3D,
/// replay a telemetry stream (LinuxCNC's recorded run with a designed overload) and watch the live chart fill and
/// the alarm appear, open the twin run, and find it all listed again after a restart. Off loopback the page works
/// from ?token= once (the cookie carries it); errors are shown in the machinist's terms; two replays' streams stay
/// apart; waiting jobs show their place in the line.
/// </summary>
[Collection(BrowserCollection.Name)]
public class DashboardBrowserTests
{
    private static readonly string Repo = TestSupport.Repo();
    private static string Sample(string name) => Path.Combine(Repo, "gcode-samples", name);

    private static async Task<IPage> NewPage(IBrowser browser, List<string> errors)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
        page.PageError += (_, e) => errors.Add(e);
        return page;
    }

    private static Task Until(IPage page, string js, int timeoutMs = 120_000) =>
        page.WaitForFunctionAsync(js, null, new PageWaitForFunctionOptions { Timeout = timeoutMs });

    /// <summary>Starts a replay of twin-slots from the live view (the page must show it).</summary>
    private static async Task StartReplay(IPage page)
    {
        await page.SetInputFilesAsync("#live-program", Sample("twin-slots.ngc"));
        await page.SetInputFilesAsync("#live-telemetry", Sample("twin-slots-telemetry.csv"));
        await page.FillAsync("#live-options", "--material steel1045 --tool 4 --stock box:0,0,-10,50,40,0 --resolution 0.5");
        await page.ClickAsync("#live-start");
    }

    /// <summary>Waits for the page's replay to end; returns the status line.</summary>
    private static async Task<string> ReplayEnd(IPage page)
    {
        await Until(page, "() => /^(finished|failed|cancelled)/.test(document.getElementById('live-status').textContent)");
        return await page.InnerTextAsync("#live-status");
    }

    private static async Task<string> Replay(IPage page)
    {
        await StartReplay(page);
        return await ReplayEnd(page);
    }

    [Fact]
    public async Task Dashboard_SimulateFromThePage_WatchAReplayRaiseAnAlarm_AndFindBothAfterARestart()
    {
        ReportBrowserTests.RequireChromium();
        string ws = NewWorkspace();
        var (app, url) = await Start(Options(ws));
        try
        {
            using var pw = await Playwright.CreateAsync();
            await using var browser = await ReportBrowserTests.Launch(pw);
            var errors = new List<string>();
            var page = await NewPage(browser, errors);
            bool shots = Environment.GetEnvironmentVariable("CNCTWIN_SCREENSHOTS") == "1";

            // 1. Simulate from the page: upload program and tools, then the 3D viewer renders the result.
            await page.GotoAsync(url + "/#simulate");
            await page.SetInputFilesAsync("#sim-file", Sample("pocket.ngc"));
            await page.SetInputFilesAsync("#sim-tools", Sample("tools.json"));
            if (shots) await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Repo, "docs", "dashboard-simulate.png") });
            await page.ClickAsync("#sim-run");
            await page.WaitForSelectorAsync("#viewer-canvas[data-ready='1']", new PageWaitForSelectorOptions { Timeout = 120_000 });
            int colours = await TestSupport.CanvasColours(page, "viewer-canvas");
            Assert.True(colours > 20, $"the viewer looks blank ({colours} colours)");
            Assert.Contains("pocket.ngc", await page.InnerTextAsync("#viewer-title"));
            if (shots) await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Repo, "docs", "dashboard-viewer.png") });

            // 2. The live twin: replay the telemetry; the chart fills and the overload alarm appears at line 6.
            await page.ClickAsync("nav a[data-view='live']");
            await page.WaitForSelectorAsync("#live-chart .uplot");
            string status = await Replay(page);
            Assert.StartsWith("finished", status);
            Assert.Contains("line 6", await page.InnerTextAsync("#live-alarms li.alarm.overload"));
            Assert.True(int.Parse(await page.InnerTextAsync("#live-count")) > 1000);
            Assert.True(await page.Locator("#live-chart canvas").CountAsync() >= 1);
            if (shots) await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Repo, "docs", "dashboard-live.png") });

            // 3. Runs: the simulation, the twin run by its uploaded names (no workspace path) and the machine it came from.
            await page.ClickAsync("nav a[data-view='runs']");
            await Until(page, "() => document.querySelectorAll('#twin-list li.twin').length >= 1", 30_000);
            Assert.Contains("pocket.ngc", await page.InnerTextAsync("#sim-list"));
            string twins = await page.InnerTextAsync("#twin-list");
            Assert.Contains("twin-slots.ngc from recorded log twin-slots-telemetry.csv", twins);
            Assert.DoesNotContain(ws, twins);
            Assert.Contains("recorded log twin-slots-telemetry.csv: 1 run", await page.InnerTextAsync("#machine-list"));
            if (shots) await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Repo, "docs", "dashboard-runs.png") });
            Assert.Empty(errors);
        }
        finally { await Stop(app); }

        // 4. A new server on the same workspace lists them all again, and each opens.
        (app, url) = await Start(Options(ws));
        try
        {
            using var pw = await Playwright.CreateAsync();
            await using var browser = await ReportBrowserTests.Launch(pw);
            var errors = new List<string>();
            var page = await NewPage(browser, errors);
            await page.GotoAsync(url + "/");
            await Until(page, "() => document.querySelectorAll('#sim-list li[data-id]').length === 1 && document.querySelectorAll('#twin-list li.twin').length === 1", 30_000);
            Assert.Contains("pocket.ngc done", await page.InnerTextAsync("#sim-list"));
            Assert.Contains("recorded log twin-slots-telemetry.csv", await page.InnerTextAsync("#machine-list"));
            // The twin run opens: its load chart and its alarm.
            await page.ClickAsync("#twin-list li.twin a");
            await Until(page, "() => Number(document.getElementById('twin-chart').dataset.points) > 1000", 30_000);
            Assert.Contains("twin-slots.ngc", await page.InnerTextAsync("#twin-title"));
            Assert.Contains("line 6: overload", await page.InnerTextAsync("#twin-alarms"));
            Assert.True(await page.Locator("#twin-chart canvas").CountAsync() >= 1);
            if (Environment.GetEnvironmentVariable("CNCTWIN_SCREENSHOTS") == "1")
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Repo, "docs", "dashboard-twin-run.png") });
            // And the simulation opens in the viewer.
            await page.ClickAsync("nav a[data-view='runs']");
            await page.ClickAsync("#sim-list li[data-id] a");
            await page.WaitForSelectorAsync("#viewer-canvas[data-ready='1']", new PageWaitForSelectorOptions { Timeout = 60_000 });
            Assert.Empty(errors);
        }
        finally { await Stop(app); Delete(ws); }
    }

    [Fact]
    public async Task OffLoopback_ThePageRendersFromTheTokenCookie()
    {
        ReportBrowserTests.RequireChromium();
        string ws = NewWorkspace();
        // Bound to every address (so the token is required), reached through loopback: the sandbox allows no other traffic.
        var (app, url) = await Start(Options(ws, token: "s3cret", bind: "0.0.0.0"));
        try
        {
            using var pw = await Playwright.CreateAsync();
            await using var browser = await ReportBrowserTests.Launch(pw);
            var errors = new List<string>();
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
            var page = await context.NewPageAsync();
            page.PageError += (_, e) => errors.Add(e);
            var failed = new List<string>();
            page.Response += (_, r) => { if (r.Status >= 400) failed.Add($"{r.Status} {r.Url}"); };

            await page.GotoAsync(url + "/?token=s3cret");
            await page.WaitForSelectorAsync("body[data-ready='1']");
            Assert.Empty(failed);
            // Styled (dashboard.css arrived) and scripted (dashboard.js listed the runs).
            Assert.Equal("rgb(36, 52, 71)", await page.EvalOnSelectorAsync<string>("header", "h => getComputedStyle(h).backgroundColor"));
            await Until(page, "() => document.getElementById('sim-list').textContent.includes('no simulations yet')", 30_000);
            // The token left the address bar; the cookie carries it, out of the page's scripts' reach.
            Assert.DoesNotContain("token", page.Url);
            var cookie = Assert.Single(await context.CookiesAsync());
            Assert.Equal("s3cret", cookie.Value);
            Assert.True(cookie.HttpOnly);
            Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
            Assert.Equal("", await page.EvaluateAsync<string>("() => document.cookie"));

            // A reload without ?token= and a replay (its uploads are fetches, its live view an EventSource): the cookie alone.
            await page.GotoAsync(url + "/#live");
            await page.ReloadAsync();
            await page.WaitForSelectorAsync("#live-chart .uplot");
            Assert.StartsWith("finished", await Replay(page));
            Assert.True(int.Parse(await page.InnerTextAsync("#live-count")) > 1000);
            Assert.Empty(failed);
            Assert.Empty(errors);

            // Another browser without the token still gets nothing.
            await using var stranger = await browser.NewContextAsync();
            var other = await stranger.NewPageAsync();
            var r = await other.GotoAsync(url + "/");
            Assert.Equal(401, r!.Status);
        }
        finally { await Stop(app); Delete(ws); }
    }

    [Fact]
    public async Task Errors_AreShownInThePage_InTheMachinistsTerms()
    {
        ReportBrowserTests.RequireChromium();
        string ws = NewWorkspace();
        var (app, url) = await Start(Options(ws));
        string tmp = NewWorkspace();
        try
        {
            using var pw = await Playwright.CreateAsync();
            await using var browser = await ReportBrowserTests.Launch(pw);
            var errors = new List<string>();
            var page = await NewPage(browser, errors);
            await page.GotoAsync(url + "/#simulate");
            await page.WaitForSelectorAsync("body[data-ready='1']");

            // A program error: the uploaded file's own name, line and column.
            string bad = Path.Combine(tmp, "bracket-op20.ngc");
            File.WriteAllText(bad, "G21 G90\nS8000 M3\nG0 X0 Y0 Z5\nG1 Z-1 F600\nG1 X10 Y10 Q7\nM2\n");
            await page.SetInputFilesAsync("#sim-file", bad);
            await page.ClickAsync("#sim-run");
            await page.WaitForSelectorAsync("#sim-status.failed", new PageWaitForSelectorOptions { Timeout = 60_000 });
            string status = await page.InnerTextAsync("#sim-status");
            Assert.Equal("failed: bracket-op20.ngc:5:12: Q word with no G64, G73, G83 or M61 to use it", status);

            // Opened from the list, the failed run says why: no canvas, no report link, no script error.
            await page.ClickAsync("nav a[data-view='runs']");
            await page.ClickAsync("#sim-list li[data-id] a");
            await page.WaitForSelectorAsync("#viewer-error:not([hidden])");
            Assert.Contains("bracket-op20.ngc:5:12", await page.InnerTextAsync("#viewer-error"));
            Assert.False(await page.IsVisibleAsync("#viewer-canvas"));
            Assert.False(await page.IsVisibleAsync("#viewer-report"));
            // A report of what came before the error is linked only if the run left one, and then it opens.
            foreach (var href in await page.Locator("#viewer-error a").EvaluateAllAsync<string[]>("as => as.map(a => a.href)"))
                Assert.Equal(200, (await page.APIRequest.GetAsync(href)).Status);

            // A file over the limit: its size against the limit, said before uploading it.
            string big = Path.Combine(tmp, "big.ngc");
            using (var f = File.Create(big)) f.SetLength(25L << 20);
            await page.ClickAsync("nav a[data-view='simulate']");
            await page.SetInputFilesAsync("#sim-file", big);
            await page.ClickAsync("#sim-run");
            await Until(page, "() => document.getElementById('sim-status').textContent.includes('MB')", 30_000);
            Assert.Equal("big.ngc is 25.0 MB, the limit is 20 MB", await page.InnerTextAsync("#sim-status"));

            // A server refusal is shown in its words too (here: a replay option that is not allowed).
            await page.ClickAsync("nav a[data-view='live']");
            await page.SetInputFilesAsync("#live-program", Sample("twin-slots.ngc"));
            await page.SetInputFilesAsync("#live-telemetry", Sample("twin-slots-telemetry.csv"));
            await page.FillAsync("#live-options", "--machine /etc/passwd");
            await page.ClickAsync("#live-start");
            await Until(page, "() => document.getElementById('live-status').textContent.includes('option')", 30_000);
            Assert.Equal("option '--machine': value '/etc/passwd' is not allowed here", await page.InnerTextAsync("#live-status"));
            Assert.Empty(errors);
        }
        finally { await Stop(app); Delete(ws); Delete(tmp); }
    }

    [Fact]
    public async Task TwoReplays_EachPageSeesOnlyItsOwnStream()
    {
        ReportBrowserTests.RequireChromium();
        string ws = NewWorkspace();
        var (app, url) = await Start(Options(ws));
        try
        {
            using var pw = await Playwright.CreateAsync();
            await using var browser = await ReportBrowserTests.Launch(pw);
            var errors = new List<string>();
            var a = await NewPage(browser, errors);
            var b = await NewPage(browser, errors);
            foreach (var p in new[] { a, b })
            {
                await p.GotoAsync(url + "/#live");
                await p.WaitForSelectorAsync("#live-chart .uplot");
                // Every status line the page shows, to see its place in the line change.
                await p.EvaluateAsync("() => { window.seen = []; new MutationObserver(() => window.seen.push(document.getElementById('live-status').textContent)).observe(document.getElementById('live-status'), { childList: true, characterData: true, subtree: true }); }");
            }
            // A long simulation holds the one place to run: both replays wait, in the order they came.
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            string hold = (await Json(await http.PostAsync("/api/simulations", ProgramForm(LongProgram(), "hold.ngc")))).GetProperty("id").GetString()!;
            await WaitFor(http, hold, "running");
            await StartReplay(a);
            await Until(a, "() => document.getElementById('live-status').textContent === 'queued, position 1 in line'", 30_000);
            await StartReplay(b);
            await Until(b, "() => document.getElementById('live-status').textContent === 'queued, position 2 in line'", 30_000);
            await http.PostAsync($"/api/simulations/{hold}/cancel", null);
            string sa = await ReplayEnd(a), sb = await ReplayEnd(b);
            // B moved up when A started, and ran after it.
            var seenB = await b.EvaluateAsync<string[]>("() => window.seen");
            Assert.Contains("queued, position 1 in line", seenB);
            Assert.Contains("replaying…", seenB);
            Assert.StartsWith("finished", sa);
            Assert.StartsWith("finished", sb);
            Assert.NotEqual(await a.GetAttributeAsync("#live-form", "data-replay"), await b.GetAttributeAsync("#live-form", "data-replay"));
            foreach (var (p, s) in new[] { (a, sa), (b, sb) })
            {
                // "finished: N samples, M alarms": the page counted exactly its own replay's samples and alarms.
                var m = Regex.Match(s, @"finished: (\d+) samples?, (\d+) alarms?");
                Assert.True(m.Success, s);
                Assert.Equal(m.Groups[1].Value, await p.InnerTextAsync("#live-count"));
                Assert.Equal(int.Parse(m.Groups[2].Value), await p.Locator("#live-alarms li").CountAsync());
            }
            // A second replay in the same page starts from an empty chart and alarm list.
            string again = await Replay(a);
            var m2 = Regex.Match(again, @"finished: (\d+) samples?, (\d+) alarms?");
            Assert.True(m2.Success, again);
            Assert.Equal(m2.Groups[1].Value, await a.InnerTextAsync("#live-count"));
            Assert.Equal(int.Parse(m2.Groups[2].Value), await a.Locator("#live-alarms li").CountAsync());
            Assert.Empty(errors);
        }
        finally { await Stop(app); Delete(ws); }
    }

    [Fact]
    public async Task Queue_TheWaitingJobShowsItsPlace_AndIsStoppedFromThePage()
    {
        ReportBrowserTests.RequireChromium();
        string ws = NewWorkspace();
        var (app, url) = await Start(Options(ws, maxWaiting: 1));
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            string first = (await Json(await http.PostAsync("/api/simulations", ProgramForm(LongProgram(), "first.ngc")))).GetProperty("id").GetString()!;
            await WaitFor(http, first, "running");
            using var pw = await Playwright.CreateAsync();
            await using var browser = await ReportBrowserTests.Launch(pw);
            var errors = new List<string>();
            var page = await NewPage(browser, errors);
            await page.GotoAsync(url + "/#simulate");
            await page.WaitForSelectorAsync("body[data-ready='1']");
            await page.SetInputFilesAsync("#sim-file", Sample("pocket.ngc"));
            await page.ClickAsync("#sim-run");
            await Until(page, "() => document.getElementById('sim-status').textContent.startsWith('queued')", 30_000);
            Assert.Equal("queued, position 1 in line", await page.InnerTextAsync("#sim-status"));

            // The line is full now: a further upload is refused in words.
            var refused = await http.PostAsync("/api/simulations", ProgramForm("G0 X1\nM2\n", "third.ngc"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            // The runs page shows both: one running, one queued.
            var runsPage = await NewPage(browser, errors);
            await runsPage.GotoAsync(url + "/");
            await Until(runsPage, "() => document.querySelectorAll('#sim-list li[data-id]').length === 2", 30_000);
            string list = await runsPage.InnerTextAsync("#sim-list");
            Assert.Contains("first.ngc simulating…", list);
            Assert.Contains("pocket.ngc queued, position 1 in line", list);

            // Stop while it waits: it leaves the line without running.
            await page.ClickAsync("#sim-stop");
            await Until(page, "() => document.getElementById('sim-status').textContent.startsWith('cancelled')", 30_000);
            Assert.Equal("cancelled (stopped before it started)", await page.InnerTextAsync("#sim-status"));
            Assert.Equal("running", (await Get(http, $"/api/simulations/{first}")).GetProperty("status").GetString());
            await http.PostAsync($"/api/simulations/{first}/cancel", null);
            await WaitFor(http, first, "cancelled");
            Assert.Empty(errors);
        }
        finally { await Stop(app); Delete(ws); }
    }

    [Fact]
    public async Task OffLoopback_NeedsAToken_AndIdsCannotTraverse()
    {
        string ws = NewWorkspace();
        try
        {
            Assert.Throws<ArgumentException>(() => CncTwin.Web.Dashboard.Build(new CncTwin.Web.DashboardOptions { Port = 0, Bind = "0.0.0.0", Workspace = ws, HistoryDb = Path.Combine(ws, "h.db") }));
            var (app, url) = await Start(Options(ws, token: "s3cret", bind: "0.0.0.0"));
            try
            {
                using var http = new HttpClient(new HttpClientHandler { UseCookies = false });
                var ct = TestContext.Current.CancellationToken;
                Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(url + "/api/runs", ct)).StatusCode);
                Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(url + "/", ct)).StatusCode);
                Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(url + "/assets/dashboard.js", ct)).StatusCode);
                var ok = await http.GetAsync(url + "/api/runs?token=s3cret", ct);
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
                // The cookie the token sets: HttpOnly, SameSite=Strict; a wrong one is refused.
                string setCookie = Assert.Single(ok.Headers.GetValues("Set-Cookie"));
                Assert.Contains("httponly", setCookie.ToLowerInvariant());
                Assert.Contains("samesite=strict", setCookie.ToLowerInvariant());
                var wrong = new HttpRequestMessage(HttpMethod.Get, url + "/api/runs");
                wrong.Headers.Add("Cookie", setCookie.Split(';')[0].Split('=')[0] + "=guess");
                Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong, ct)).StatusCode);
                var req = new HttpRequestMessage(HttpMethod.Get, url + "/api/simulations/..%2F..%2Fetc%2Fpasswd/report");
                req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret");
                Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(req, ct)).StatusCode);
                // Uploads over the limit are refused with the sizes, and nothing is kept.
                var big = new MultipartFormDataContent { { new ByteArrayContent(new byte[21 << 20]), "program", "big.ngc" } };
                var post = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, url + "/api/simulations?token=s3cret") { Content = big }, ct);
                Assert.Equal(HttpStatusCode.RequestEntityTooLarge, post.StatusCode);
                Assert.Equal("the upload is 21.0 MB, the limit is 20 MB", await post.Content.ReadAsStringAsync(ct));
                Assert.Empty(Directory.GetDirectories(ws));
            }
            finally { await Stop(app); }
        }
        finally { Delete(ws); }
    }
}
