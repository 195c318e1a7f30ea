using System.Globalization;
using System.Text.RegularExpressions;
using CncTwin.Report;

namespace CncTwin.Simulation.Tests;

/// <summary>The report's charts are read by people: scales follow the data, ticks are round numbers.</summary>
public class ReportChartTests
{
    private static List<double> YTicks(string svg) =>
        Regex.Matches(svg, "text-anchor=\"end\">([0-9,.]+)</text>").Select(m => double.Parse(m.Groups[1].Value.Replace(",", ""), CultureInfo.InvariantCulture)).ToList();

    [Fact]
    public void ALimitFarAboveTheData_DoesNotFlattenIt_AndIsNamed()
    {
        // 1 kW of cutting power on a 22.4 kW spindle.
        var x = Enumerable.Range(0, 200).Select(i => i * 0.1).ToList();
        var y = x.Select(t => 1000 * Math.Abs(Math.Sin(t))).ToList();
        string svg = Charts.Line("p", "Spindle power", "time, s", "W", x, [new Series("power", "#f00", y)], 22_400, "rated power 22,400 W");
        Assert.InRange(YTicks(svg).Max(), 1000, 1500);
        Assert.Contains("rated power 22,400 W lies above this scale", svg);
        // A limit close to the data is drawn as a line within the scale.
        string near = Charts.Line("p", "Load", "time, s", "%", x, [new Series("load", "#f00", y.Select(v => v / 12).ToList())], 100, "100 % load");
        Assert.DoesNotContain("lies above this scale", near);
        Assert.InRange(YTicks(near).Max(), 100, 125);
    }

    [Fact]
    public void Ticks_AreRoundNumbers()
    {
        var t = Charts.Ticks(0, 65.04, 6);
        Assert.Equal([0, 10, 20, 30, 40, 50, 60], t);
        Assert.All(Charts.Ticks(0, 1234.5, 5), v => Assert.Equal(0, v % 200, 9));
        Assert.Equal(1200, Charts.Nice(1055 * 1.05));
        Assert.Equal(30_000, Charts.Nice(26_670));
    }

    [Fact]
    public void CappedSeries_KeepTheScaleOfTheCuts()
    {
        // Cutting at 1 800 mm/min with rapids at 25 400: the feed scale stays near the cutting feeds.
        var x = Enumerable.Range(0, 100).Select(i => (double)i).ToList();
        var feed = x.Select(t => t % 10 < 2 ? 25_400.0 : 1_800.0).ToList();
        string svg = Charts.Line("f", "Feed", "time, s", "mm/min", x, [new Series("feed", "#00f", feed)], yCap: 1.3 * 1800, capNote: "rapids run above this scale");
        Assert.InRange(YTicks(svg).Max(), 1800, 2500);
        Assert.Contains("rapids run above this scale", svg);
    }
}
