using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace CncTwin.GCode.Tests.Cli;

/// <summary><c>cnctwin simulate</c> end to end, as an integrator scripts it.</summary>
public sealed class SimulateCliTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "cnctwin-sim-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(_out)) Directory.Delete(_out, true); }

    private static (int Code, string Out, string Err) Cnctwin(params string[] args) => TestPaths.RunCnctwin(args);

    private static string OracleDir => Path.Combine(TestPaths.RepoRoot, "tests", "oracle-data", "linuxcnc-sim");

    [Fact]
    public void WritesSummaryAndTimelineWithDefaults()
    {
        var (code, stdout, err) = Cnctwin("simulate", "gcode-samples/pocket.ngc", "--out", _out);
        Assert.True(code == 0, err);
        Assert.Contains("cycle time", stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_out, "summary.json")));
        var root = doc.RootElement;
        double cycle = root.GetProperty("cycle_time_s").GetDouble();
        Assert.True(cycle > 0);
        // Each figure is rounded to 6 decimals in the file: their difference agrees to 1e-5 s.
        Assert.True(Math.Abs(root.GetProperty("last_motion_s").GetDouble() - root.GetProperty("first_motion_s").GetDouble() - cycle) <= 1e-5);
        // per-line times add up to the whole run
        double sum = root.GetProperty("per_line").EnumerateArray().Sum(l => l.GetProperty("time_s").GetDouble());
        Assert.Equal(root.GetProperty("total_time_s").GetDouble(), sum, 3);

        var rows = File.ReadLines(Path.Combine(_out, "timeline.csv")).ToList();
        Assert.StartsWith("t_s,line,x,y,z,feed_mm_min", rows[0]);
        Assert.Equal(root.GetProperty("timeline_rows").GetInt64(), rows.Count - 1);
        // 10 ms apart while the machine moves, a pause (the spindle coming up to speed) only its first and last
        // row on that grid, and the last row is the end of the program.
        Assert.Equal(0.01, root.GetProperty("timeline_step_s").GetDouble(), 9);
        double T(int i) => double.Parse(rows[i].Split(',')[0], CultureInfo.InvariantCulture);
        string M(int i) => rows[i].Split(',')[6];
        bool Pause(int i) => M(i) is "dwell" or "spindle_wait" or "tool_change";
        int moving = 0;
        for (int i = 1; i + 2 < rows.Count; i++)
        {
            Assert.Equal(0, Math.Round(T(i) * 100) - T(i) * 100, 4);   // on the 10 ms grid
            if (!Pause(i) && !Pause(i + 1)) { Assert.Equal(0.01, T(i + 1) - T(i), 6); moving++; }
            if (i > 1 && Pause(i) && M(i - 1) == M(i) && M(i + 1) == M(i)) Assert.Fail($"a third row of one pause at row {i}");
        }
        Assert.True(moving > 1000);
        Assert.Contains(Enumerable.Range(1, rows.Count - 1), i => M(i) == "spindle_wait");
        Assert.Equal(root.GetProperty("total_time_s").GetDouble(), T(rows.Count - 1), 5);
    }

    [Fact]
    public void LinuxCncMachineGivesLinuxCncCycleTime()
    {
        var (code, _, err) = Cnctwin("simulate", Path.Combine(OracleDir, "programs", "short-segments.ngc"), "--machine", Path.Combine(OracleDir, "oracle-machine.ini"), "--out", _out, "--dt", "0.01", "--quiet");
        Assert.True(code == 0, err);
        using var ours = JsonDocument.Parse(File.ReadAllText(Path.Combine(_out, "summary.json")));
        using var oracle = JsonDocument.Parse(File.ReadAllText(Path.Combine(OracleDir, "recorded", "short-segments.summary.json")));
        double expected = oracle.RootElement.GetProperty("last_motion_t_s").GetDouble() - oracle.RootElement.GetProperty("first_motion_t_s").GetDouble();
        double cycle = ours.RootElement.GetProperty("cycle_time_s").GetDouble();
        Assert.True(Math.Abs(cycle - expected) / expected < 0.02, $"cycle {cycle} s, LinuxCNC {expected} s");
        var rows = File.ReadLines(Path.Combine(_out, "timeline.csv")).Skip(1).Take(3).Select(r => double.Parse(r.Split(',')[0], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(0.01, rows[1] - rows[0], 9);
    }

    [Fact]
    public void JsonMachineProfileIsAccepted()
    {
        Directory.CreateDirectory(_out);
        string machine = Path.Combine(_out, "m.json");
        File.WriteAllText(machine, CncTwin.Motion.MachineProfile.DefaultVmc.ToJson());
        var (code, _, err) = Cnctwin("simulate", "gcode-samples/contour.ngc", "--machine", machine, "--out", _out, "--quiet");
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(_out, "summary.json")));
    }

    [Fact]
    public void BadInputIsAClearError()
    {
        var missing = Cnctwin("simulate", "gcode-samples/no-such.ngc", "--out", _out);
        Assert.Equal(2, missing.Code);
        Assert.Contains("no-such.ngc", missing.Err);
        Assert.Contains("not found", missing.Err);

        var noMachine = Cnctwin("simulate", "gcode-samples/pocket.ngc", "--machine", "nowhere.ini", "--out", _out);
        Assert.Equal(2, noMachine.Code);
        Assert.Contains("nowhere.ini", noMachine.Err);

        Directory.CreateDirectory(_out);
        string bad = Path.Combine(_out, "bad.json");
        File.WriteAllText(bad, "{\n  \"name\": \"x\",\n  \"max_linear_velocity_mm_per_s\": \"fast\"\n}");
        var badJson = Cnctwin("simulate", "gcode-samples/pocket.ngc", "--machine", bad, "--out", _out);
        Assert.Equal(2, badJson.Code);
        Assert.Contains("bad.json:3", badJson.Err);

        var unknown = Cnctwin("simulate", "gcode-samples/pocket.ngc", "--no-such-option");
        Assert.NotEqual(0, unknown.Code);
        Assert.Contains("--no-such-option", unknown.Err);

        var gcode = Cnctwin("simulate", "gcode-samples/errors/" + Path.GetFileName(Directory.EnumerateFiles(Path.Combine(TestPaths.Samples, "errors"), "*.ngc").Order(StringComparer.Ordinal).First()), "--out", _out);
        Assert.Equal(1, gcode.Code);
        Assert.Matches(@":\d+:\d+: ", gcode.Err);
        // What ran before the error is kept, and the summary says where the run stopped (not the previous run's figures).
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(_out, "summary.json")));
        Assert.True(summary.RootElement.GetProperty("error").GetProperty("line").GetInt32() > 0);
    }
}
