using System.Diagnostics;
using System.Text.Json;

namespace CncTwin.Cli.Tests;

/// <summary>
/// What a new user meets in the first hour, as they meet it: the cnctwin process with its exit code and its
/// messages, and the files it leaves. Never a lost input, a stale result, a stack trace or a .NET type name.
/// </summary>
public class NewcomerTests
{
    internal static (int Code, string Out, string Err) Cnctwin(string workDir, params string[] args) => CnctwinWith(workDir, null, args);

    internal static (int Code, string Out, string Err) CnctwinWith(string workDir, IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cnctwin.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000)) { p.Kill(true); Assert.Fail($"cnctwin {string.Join(' ', args)} did not finish"); }
        return (p.ExitCode, o.Result, e.Result);
    }

    private static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "cnctwin-newcomer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    private static string Sample(string name) => Path.Combine(TestSupport.Repo(), "gcode-samples", name);

    /// <summary>No stack frame and no .NET type or exception name on standard error.</summary>
    internal static void NoInternals(string err)
    {
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotMatch(@"System\.[A-Z]\w+|Exception\b|CncTwin\.\w+\.\w+", err);
    }

    [Fact]
    public void Optimize_IntoItsOwnProgram_IsRefused_AndTheProgramIsIntact()
    {
        string dir = TempDir(), program = Path.Combine(dir, "pocket.ngc"), link = Path.Combine(dir, "same.ngc");
        File.Copy(Sample("pocket.ngc"), program);
        File.Copy(Sample("tools.json"), Path.Combine(dir, "tools.json"));
        var before = File.ReadAllBytes(program);
        var r = Cnctwin(dir, "optimize", "pocket.ngc", "--out", "pocket.ngc", "--max-force", "300");
        Assert.Equal(2, r.Code);
        Assert.Contains("--out pocket.ngc: error:", r.Err);
        Assert.Equal(before, File.ReadAllBytes(program));
        // A symbolic link to it is the same file too.
        File.CreateSymbolicLink(link, program);
        Assert.Equal(2, Cnctwin(dir, "optimize", "pocket.ngc", "--out", "same.ngc", "--max-force", "300").Code);
        Assert.Equal(before, File.ReadAllBytes(program));
        NoInternals(r.Err);
    }

    [Fact]
    public void Calibrate_IntoItsOwnData_IsRefused_AndTheMeasurementsAreIntact()
    {
        string dir = TempDir(), data = Path.Combine(dir, "cuts.csv");
        File.Copy(Sample("calibration-cuts.csv"), data);
        var before = File.ReadAllBytes(data);
        var r = Cnctwin(dir, "calibrate", "--data", "cuts.csv", "--out", "./cuts.csv");
        Assert.Equal(2, r.Code);
        Assert.Equal(before, File.ReadAllBytes(data));
        // Into another file it works, and nothing but the result is left in the folder.
        Assert.Equal(0, Cnctwin(dir, "calibrate", "--data", "cuts.csv", "--out", "mine.json").Code);
        Assert.Equal(["cuts.csv", "mine.json"], Directory.GetFiles(dir).Select(Path.GetFileName).Order().ToArray());
        NoInternals(r.Err);
    }

    [Fact]
    public void FailedSimulate_AfterAGoodOne_LeavesNoStaleResult_AndKeepsWhatRanBeforeTheError()
    {
        string dir = TempDir(), outDir = Path.Combine(dir, "out");
        Assert.Equal(0, Cnctwin(TestSupport.Repo(), "simulate", Sample("pocket.ngc"), "--out", outDir, "--resolution", "0.5", "--dt", "0.01", "--quiet").Code);
        var r = Cnctwin(TestSupport.Repo(), "simulate", Sample("errors/arc-radius-mismatch.ngc"), "--out", outDir, "--resolution", "0.5", "--quiet");
        Assert.Equal(1, r.Code);
        Assert.Matches(@"arc-radius-mismatch\.ngc:5:1: ", r.Err);
        NoInternals(r.Err);
        // Every output is this run's: the summary names this program and its error, the report shows the problem line.
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        Assert.EndsWith("arc-radius-mismatch.ngc", summary.RootElement.GetProperty("program").GetString());
        var error = summary.RootElement.GetProperty("error");
        Assert.Equal(5, error.GetProperty("line").GetInt32());
        Assert.Equal(1, error.GetProperty("column").GetInt32());
        Assert.Contains("radius", error.GetProperty("message").GetString());
        Assert.EndsWith("arc-radius-mismatch.ngc", error.GetProperty("file").GetString());
        string report = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("arc-radius-mismatch.ngc", report);
        Assert.DoesNotContain("pocket.ngc", report);
        // The timeline and moves up to the error line, meshes of the stock as cut so far; no temporary files left.
        var timeline = File.ReadAllLines(Path.Combine(outDir, "timeline.csv"));
        Assert.True(timeline.Length > 2);
        Assert.All(timeline.Skip(1), l => Assert.True(int.Parse(l.Split(',')[1]) < 5, l));
        Assert.True(File.Exists(Path.Combine(outDir, "stock.stl")) && File.Exists(Path.Combine(outDir, "moves.csv")));
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp"));
    }

    [Fact]
    public void UsageProblems_ExitWith2_InOneLineEach()
    {
        string repo = TestSupport.Repo();
        foreach (var args in new[]
                 {
                     new[] { "simulate", Sample("pocket.ngc"), "--no-such-option", "1" },
                     new[] { "replay", "--source", "csv:x.csv" },
                     new[] { "parse", Sample("pocket.ngc"), "--format", "xml" },
                     new[] { "simulate", Sample("pocket.ngc"), "--out", Sample("pocket.ngc") },
                 })
        {
            var r = Cnctwin(repo, args);
            Assert.True(r.Code == 2, $"{string.Join(' ', args)} exited {r.Code}: {r.Err}");
            NoInternals(r.Err);
            Assert.DoesNotContain("already exists", r.Err);
            Assert.True(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 3, r.Err);
        }
    }

    [Fact]
    public void AutomaticStock_FollowsTheArcsAsCut_AndSaysHowItWasChosen()
    {
        string dir = TempDir();
        Assert.Equal(0, Cnctwin(TestSupport.Repo(), "simulate", Sample("pocket.ngc"), "--out", dir, "--resolution", "0.5", "--dt", "0.1", "--quiet").Code);
        using var s = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        // pocket.ngc cuts X 20..80, Y 20..60 with a Ø10 cutter (its R10 corner arcs stay inside): the block is the cut
        // area + 5 + 2 mm, not the arcs' full circles (which reached Y -5).
        Assert.Equal("box:18,18,-8,82,62,0 (automatic)", s.RootElement.GetProperty("stock").GetString());
        Assert.Contains("Z0", s.RootElement.GetProperty("stock_reason").GetString());
        // A program that never feeds below Z0 and starts at Z0 (LinuxCNC's convention): no false rapid crash at the start.
        string oracle = Path.Combine(TestSupport.Repo(), "tests", "oracle-data", "linuxcnc-sim");
        string d2 = TempDir();
        Assert.Equal(0, Cnctwin(TestSupport.Repo(), "simulate", Path.Combine(oracle, "programs", "short-segments.ngc"), "--machine", Path.Combine(oracle, "oracle-machine.ini"),
            "--out", d2, "--dt", "0.1", "--quiet").Code);
        using var s2 = JsonDocument.Parse(File.ReadAllText(Path.Combine(d2, "summary.json")));
        Assert.Empty(s2.RootElement.GetProperty("collisions").EnumerateArray());
        Assert.Contains("rapid", s2.RootElement.GetProperty("stock_reason").GetString());
    }

    [Fact]
    public void AStockTheToolpathNeverTouches_IsSaid_AndOptimizeRefusesIt()
    {
        string dir = TempDir();
        var sim = Cnctwin(TestSupport.Repo(), "simulate", Sample("pocket.ngc"), "--stock", "box:200,200,-10,300,300,0", "--out", dir, "--resolution", "0.5", "--dt", "0.1", "--quiet");
        Assert.Equal(0, sim.Code);
        Assert.Contains("no cutting move touches the stock", sim.Err);
        var opt = Cnctwin(TestSupport.Repo(), "optimize", Sample("pocket.ngc"), "--stock", "box:200,200,-10,300,300,0", "--out", Path.Combine(dir, "o.ngc"), "--max-force", "300", "--resolution", "0.5");
        Assert.Equal(2, opt.Code);
        Assert.Contains("no cutting move touches the stock", opt.Err);
        Assert.False(File.Exists(Path.Combine(dir, "o.ngc")));
    }

    [Fact]
    public void ImpossibleMachineAndToolValues_AreRefused_InTheFilesOwnTerms()
    {
        string dir = TempDir(), program = Sample("pocket.ngc");
        string vmc = CncTwin.Motion.MachineProfile.DefaultVmc.ToJson();
        var machines = new Dictionary<string, string>
        {
            ["infinite.json"] = vmc.Replace("\"max_linear_velocity_mm_per_s\": 423.3", "\"max_linear_velocity_mm_per_s\": 1e999"),
            ["unknown-key.json"] = vmc.Replace("\"name\":", "\"colour\": \"red\",\n  \"name\":"),
            ["negative-torque.json"] = vmc.Replace("122", "-122"),
            ["at-speed.json"] = vmc.Replace("\"at_speed_fraction\": 0.9090909090909091", "\"at_speed_fraction\": 2"),
            ["text-number.json"] = vmc.Replace("\"look_ahead_segments\": 50", "\"look_ahead_segments\": 2.5"),
        };
        foreach (var (name, text) in machines)
        {
            Assert.NotEqual(vmc, text);
            File.WriteAllText(Path.Combine(dir, name), text);
            var r = Cnctwin(dir, "simulate", program, "--machine", name, "--out", "o", "--quiet");
            Assert.True(r.Code == 2, $"{name}: exit {r.Code}: {r.Err}");
            Assert.Contains(name, r.Err);
            NoInternals(r.Err);
        }
        // An INI value is named by its section, key and line (not by a JSON key).
        File.WriteAllText(Path.Combine(dir, "m.ini"), "[EMC]\nMACHINE = test\n[TRAJ]\nLINEAR_UNITS = mm\n[AXIS_X]\nMAX_VELOCITY = -5\nMAX_ACCELERATION = 100\n");
        var ini = Cnctwin(dir, "simulate", program, "--machine", "m.ini", "--out", "o", "--quiet");
        Assert.Equal(2, ini.Code);
        Assert.Contains("m.ini:6: [AXIS_X] MAX_VELOCITY = -5", ini.Err);
        // Tool libraries: no silent truncation of 2.5 flutes, no negative length.
        foreach (var (name, body) in new[] { ("flutes.json", "\"flutes\": 2.5"), ("length.json", "\"length_mm\": -55"), ("inf.json", "\"stickout_mm\": 1e999") })
        {
            File.WriteAllText(Path.Combine(dir, name), $$"""{"tools":[{"number":4,"type":"flat","diameter_mm":10,{{body}}}]}""");
            var r = Cnctwin(dir, "simulate", program, "--tools", name, "--out", "o", "--quiet");
            Assert.True(r.Code == 2, $"{name}: exit {r.Code}: {r.Err}");
            Assert.Contains(name, r.Err);
            NoInternals(r.Err);
        }
        var tool = Cnctwin(dir, "simulate", program, "--tool", "-3", "--out", "o", "--quiet");
        Assert.Equal(2, tool.Code);
        Assert.Contains("--tool -3", tool.Err);
        var wrongModel = Cnctwin(TestSupport.Repo(), "wear", "predict", "--dataset", "phm2010", "--cutter", "c1", "--model", "models/nasa-vb.zip");
        Assert.Equal(2, wrongModel.Code);
        Assert.Contains("not a PHM 2010 wear model", wrongModel.Err);
        NoInternals(wrongModel.Err);
    }

    [Fact]
    public void AVoxelSizeTooFineForTheMemory_IsRefusedBeforeAllocating_WithTheFinestThatFits()
    {
        string dir = TempDir();
        var r = CnctwinWith(dir, new Dictionary<string, string> { ["CNCTWIN_MEMORY_MB"] = "1500" },
            "simulate", Sample("pocket.ngc"), "--stock", "box:0,0,-25,100,80,0", "--resolution", "0.01", "--out", "o", "--quiet");
        Assert.Equal(2, r.Code);
        Assert.Contains("80,000,000 voxel columns", r.Err);
        var finest = System.Text.RegularExpressions.Regex.Match(r.Err, @"finest voxel size that fits is about ([0-9.]+) mm");
        Assert.True(finest.Success, r.Err);
        // The finest size that fits is coarser than the one asked for, and the stock at it is within the budget.
        double cell = double.Parse(finest.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(cell > 0.01 && cell < 0.05, r.Err);
        double columns = (100 / cell) * (80 / cell);
        double budget = 1500.0 * (1 << 20), baseBytes = Math.Min(CncTwin.Removal.MemoryBudget.PipelineBaseBytes, 0.25 * budget);
        Assert.True(baseBytes + columns * CncTwin.Removal.MemoryBudget.BytesPerColumn <= 0.8 * budget * 1.01, $"{columns} columns");
    }

    [Fact]
    public void TheToolTableErrorSample_FailsAsItsCommentSays()
    {
        var r = Cnctwin(TestSupport.Repo(), "parse", Sample("errors/tool-not-in-table.ngc"));
        Assert.Equal(1, r.Code);
        Assert.Contains(":4:", r.Err);
    }
}
