using Microsoft.Playwright;

namespace CncTwin.Cli.Tests;

/// <summary>The fleet page in Debian's Chromium: a tile per machine, updating as the machines stream, and the designed alarm appearing on its machine's tile only.</summary>
[Collection(BrowserCollection.Name)]
public class FleetBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task FleetPage_ShowsEveryMachineUpdating_AndTheAlarmOnTheRightTile_AndLinksToTheLiveView()
    {
        ReportBrowserTests.RequireChromium();
        await using var fleet = new SimulatedFleet(6, i => i == 4, untilS: 20);
        await using var silo = new FleetProcess("silo-page", "--machines", fleet.FleetFile, "--db", "sqlite:" + Path.Combine(fleet.Dir, "fleet.db"), "--workspace", Path.Combine(fleet.Dir, "ws"),
            "--silo-port", FleetTests.FreePort().ToString(), "--gateway-port", FleetTests.FreePort().ToString());
        await silo.Started(TimeSpan.FromSeconds(90));
        using var pw = await Playwright.CreateAsync();
        await using var browser = await ReportBrowserTests.Launch(pw);
        var errors = new List<string>();
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(silo.Url + "/fleet");
        var wait = new PageWaitForFunctionOptions { Timeout = 90_000 };
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#tiles .tile').length === 6 && [...document.querySelectorAll('#tiles .tile')].every(t => t.dataset.state === 'idle')", null, wait);
        fleet.Play();
        // Every tile's sample count grows, its load figure and sparkline fill in.
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#tiles .tile')].every(t => Number(t.dataset.samples) > 300 && t.querySelector('polyline.load'))", null, wait);
        var first = await page.EvalOnSelectorAllAsync<int[]>("#tiles .tile", "ts => ts.map(t => Number(t.dataset.samples))");
        await Task.Delay(1500);
        var later = await page.EvalOnSelectorAllAsync<int[]>("#tiles .tile", "ts => ts.map(t => Number(t.dataset.samples))");
        Assert.All(first.Zip(later), p => Assert.True(p.Second > p.First, $"a tile stopped updating ({p.First} -> {p.Second})"));
        // The overload designed into vmc-05's first slot appears on vmc-05's tile, on line 7, and nowhere else.
        await page.WaitForFunctionAsync("() => document.querySelector('#m-vmc-05 .alarms li[data-kind=overload][data-line=\"7\"]') && document.querySelector('#m-vmc-05').dataset.state === 'alarm'", null, wait);
        Assert.Equal(1, await page.Locator(".alarms li").CountAsync());
        if (Environment.GetEnvironmentVariable("CNCTWIN_SCREENSHOTS") == "1") await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "cnctwin-fleet.png") });
        // The tile's name opens the dashboard's live view of that machine.
        await page.ClickAsync("#m-vmc-05 h2 a");
        await page.WaitForFunctionAsync("() => Number(document.getElementById('live-count').textContent) > 3 && document.getElementById('live-status').textContent.includes('vmc-05')", null, wait);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#live-alarms li, #live-alarms > *').length >= 1", null, wait);
        output.WriteLine(await page.InnerTextAsync("#live-status"));
        Assert.Empty(errors);
    }
}
