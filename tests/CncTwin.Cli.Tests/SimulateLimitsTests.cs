using System.Text.Json;

namespace CncTwin.Cli.Tests;

/// <summary>simulate on programs and options that ask for too much: clear answers, never a crash or endless output.</summary>
public class SimulateLimitsTests
{
    private static (int Code, string Dir) Simulate(string program, params string[] options)
    {
        string dir = Path.Combine(Path.GetTempPath(), "cnctwin-limits-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, "p.ngc");
        File.WriteAllText(file, program);
        int code = CliApp.Build().Parse(["simulate", file, "--out", Path.Combine(dir, "out"), "--quiet", "--tool", "1", .. options]).Invoke();
        return (code, Path.Combine(dir, "out"));
    }

    [Fact]
    public void VoxelSizeTooFineForTheAutomaticStock_IsAUsageError()
    {
        // 100 x 80 mm at 1 µm: 80 000 x 100 000 columns. Exit 2 (usage), not 1 (an unhandled exception).
        var (code, _) = Simulate("G21 G90 G0 X0 Y0 Z5\nG1 Z-1 F300\nG1 X100 Y80 F1000\nM2", "--resolution", "0.001");
        Assert.Equal(2, code);
    }

    [Fact]
    public void OverTravel_IsInTheSummaryAtItsLine()
    {
        var (code, dir) = Simulate("G21 G90 G61 G0 X0 Y0 Z5\nG1 Z-1 F300\nG1 X500 F3000\nG1 X-300\nG0 Z5\nM2", "--resolution", "1");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var t = Assert.Single(doc.RootElement.GetProperty("travel_exceeded").EnumerateArray());
        Assert.Equal(4, t.GetProperty("line").GetInt32());
        Assert.Equal("X", t.GetProperty("axis").GetString());
        Assert.Equal(800, t.GetProperty("span_mm").GetDouble(), 6);
        Assert.Equal(762, t.GetProperty("travel_mm").GetDouble(), 6);
    }

    [Fact]
    public void DwellOfYears_TimelineStopsAtTheCap_SummaryCoversTheProgram()
    {
        // An explicit --dt writes every step of the pause, so the cap is what stops the file.
        var (code, dir) = Simulate("G21 G90 G0 X0 Y0 Z5\nG4 P1000000000\nG0 X10\nM2", "--max-timeline-rows", "1000", "--resolution", "1", "--dt", "0.001");
        Assert.Equal(0, code);
        Assert.Equal(1001, File.ReadLines(Path.Combine(dir, "timeline.csv")).Count()); // header + 1000 rows
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        Assert.Equal(1.0, doc.RootElement.GetProperty("timeline_truncated_at_s").GetDouble(), 9);
        Assert.True(doc.RootElement.GetProperty("cycle_time_s").GetDouble() > 1e9);
    }

    [Fact]
    public void DwellOfYears_ByDefault_IsItsFirstAndLastRow()
    {
        var (code, dir) = Simulate("G21 G90 G0 X0 Y0 Z5\nG4 P1000000000\nG0 X10\nM2", "--resolution", "1");
        Assert.Equal(0, code);
        var rows = File.ReadLines(Path.Combine(dir, "timeline.csv")).Skip(1).Select(r => r.Split(',')).ToList();
        var dwell = rows.Where(r => r[6] == "dwell").ToList();
        Assert.Equal(2, dwell.Count);
        double t0 = double.Parse(dwell[0][0], System.Globalization.CultureInfo.InvariantCulture), t1 = double.Parse(dwell[1][0], System.Globalization.CultureInfo.InvariantCulture);
        // The last grid point inside the 1e9 s pause, 10 ms steps.
        Assert.True(t1 - t0 > 0.99e9 && t1 - t0 < 1e9, $"{t0} .. {t1}");
        Assert.Equal(0, Math.Round(t1 * 100) - t1 * 100, 3);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        Assert.False(doc.RootElement.TryGetProperty("timeline_truncated_at_s", out _));
        Assert.True(rows.Count < 100, $"{rows.Count} rows");
    }

    [Theory]
    [InlineData("shdr://")]
    [InlineData("shdr://localhost")]
    [InlineData("mtconnect://:5000")]
    public void TwinSourceWithoutHostOrPort_IsAUsageError(string source)
    {
        string dir = Path.Combine(Path.GetTempPath(), "cnctwin-limits-" + Guid.NewGuid().ToString("N"));
        string program = Path.Combine(TestSupport.Repo(), "tests", "oracle-data", "linuxcnc-sim", "programs", "twin-e2e.ngc");
        Assert.Equal(2, CliApp.Build().Parse(["watch", "--program", program, "--source", source, "--out", dir, "--resolution", "1"]).Invoke());
        Assert.Equal(2, CliApp.Build().Parse(["replay", "--program", program, "--source", "csv:x.csv", "--publish", "70000", "--out", dir]).Invoke());
    }
}
