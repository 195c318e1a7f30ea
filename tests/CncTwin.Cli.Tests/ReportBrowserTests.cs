using Microsoft.Playwright;

namespace CncTwin.Cli.Tests;

/// <summary>
/// The report in a real browser: Debian's Chromium (/usr/bin/chromium) driven by Playwright for .NET, with the
/// network disabled. In CI a missing Chromium is a failure; elsewhere the test is skipped with the package to install.
/// </summary>
[Collection(BrowserCollection.Name)]
public class ReportBrowserTests
{
    public const string Chromium = "/usr/bin/chromium";

    public static void RequireChromium()
    {
        if (File.Exists(Chromium)) return;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail($"{Chromium} not found in CI (apt-get install chromium; .ci/run does)");
        Assert.Skip($"{Chromium} not found: apt-get install --no-install-recommends chromium");
    }

    public static async Task<IBrowser> Launch(IPlaywright pw) =>
        await pw.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true,
            Args = ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox"],
        });

    [Fact]
    public async Task Report_OpensOffline_ShowsPlotsAndA3DView()
    {
        RequireChromium();
        string repo = TestSupport.Repo();
        string outDir = Path.Combine(Path.GetTempPath(), "cnctwin-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Equal(0, CliApp.Build().Parse(["simulate", Path.Combine(repo, "gcode-samples", "pocket.ngc"), "--out", outDir, "--quiet",
                "--dynamics", Path.Combine(repo, "gcode-samples", "insperger-stepan-1dof.json"), "--chatter-method", "zoa"]).Invoke());
            string report = Path.Combine(outDir, "report.html");
            Assert.True(File.Exists(report));
            using var pw = await Playwright.CreateAsync();
            await using var browser = await Launch(pw);
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { Offline = true, ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
            // Nothing may be fetched: every request other than the report file itself fails the test.
            var external = new List<string>();
            await context.RouteAsync("**/*", async route =>
            {
                if (route.Request.Url.StartsWith("file://")) await route.ContinueAsync();
                else { external.Add(route.Request.Url); await route.AbortAsync(); }
            });
            var page = await context.NewPageAsync();
            var errors = new List<string>();
            page.PageError += (_, e) => errors.Add(e);
            await page.GotoAsync(new Uri(report).AbsoluteUri);
            await page.WaitForSelectorAsync("canvas#view3d[data-ready='1']", new PageWaitForSelectorOptions { Timeout = 60_000 });
            Assert.Empty(errors);
            Assert.Empty(external);
            // The plots: one SVG chart per quantity, with drawn lines.
            foreach (var id in new[] { "plot-feed", "plot-mrr", "plot-force", "plot-power", "plot-load", "plot-wear", "plot-lines" })
                Assert.True(await page.Locator($"svg#{id}").CountAsync() == 1, $"{id} missing");
            Assert.True(await page.Locator("svg#plot-force path").CountAsync() >= 1);
            Assert.True(await page.Locator("#lobes svg").CountAsync() == 1);
            Assert.Contains("cycle time", await page.Locator("#summary").InnerTextAsync());
            // The 3D canvas has rendered something: many distinct colours, not a blank background.
            int colours = await TestSupport.CanvasColours(page, "view3d");
            Assert.True(colours > 20, $"the 3D view looks blank ({colours} colours)");
            // Scrubbing moves the marker without errors; a problem-line link jumps into the listing.
            await page.Locator("#scrub").FillAsync("500");
            Assert.Empty(errors);
            // CNCTWIN_SCREENSHOTS=1 refreshes the README's pictures.
            if (Environment.GetEnvironmentVariable("CNCTWIN_SCREENSHOTS") == "1")
            {
                await page.EvaluateAsync("() => window.scrollTo(0, 0)");
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(repo, "docs", "report.png") });
                await page.Locator("#plots").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(repo, "docs", "report-plots.png") });
                await page.Locator("#view").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(repo, "docs", "report-3d.png") });
            }
        }
        finally { try { Directory.Delete(outDir, true); } catch (IOException) { } }
    }
}
