using CncTwin.Motion;

namespace CncTwin.Motion.Tests;

public class MachineProfileTests
{
    private static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "CncTwin.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("CncTwin.sln not found");
        }
    }

    /// <summary>The headless LinuxCNC oracle's machine (../shared beside the checkout; CI has it too).</summary>
    private static string OracleIni => Path.Combine(Environment.GetEnvironmentVariable("CNCTWIN_SHARED") ?? Path.Combine(RepoRoot, "..", "shared"),
        "oracles", "linuxcnc-sim", "template", "oracle.ini");

    [Fact]
    public void ImportsTheOracleMachineFromItsLinuxCncIni()
    {
        // The same limits are also checked from an inline copy in OracleCycleTimeTests; this reads the real file.
        if (!File.Exists(OracleIni)) Assert.Skip($"{OracleIni} not found (../shared beside the checkout, or set CNCTWIN_SHARED)");
        var m = MachineProfile.Load(OracleIni);
        Assert.Equal(30.48, m.X.MaxVelocityMmPerS, 9);
        Assert.Equal(508, m.Z.MaxAccelerationMmPerS2, 9);
        Assert.Equal(-50.8, m.Z.MinMm, 9);
        Assert.Equal(101.6, m.Z.MaxMm, 9);
        Assert.Equal(53.34, m.MaxLinearVelocityMmPerS, 9);
        Assert.Equal(0.001, m.Planner.ServoPeriodS, 12);
        Assert.Equal(50, m.Planner.LookAheadSegments);
        Assert.True(m.Planner.ArcBlending);
    }

    [Fact]
    public void InchMachinesAreConvertedAndJointSectionsFillGaps()
    {
        const string ini = """
            [TRAJ]
            LINEAR_UNITS = inch
            MAX_LINEAR_VELOCITY = 2
            [AXIS_X]
            MAX_VELOCITY = 1
            MAX_ACCELERATION = 10
            MIN_LIMIT = -10
            MAX_LIMIT = 10
            [JOINT_1]
            MAX_VELOCITY = 1.5
            MAX_ACCELERATION = 12
            [AXIS_Z]
            MAX_VELOCITY = 0.5
            MAX_ACCELERATION = 5
            """;
        var m = LinuxCncIni.Parse(new StringReader(ini), "t.ini");
        Assert.Equal(25.4, m.X.MaxVelocityMmPerS, 9);
        Assert.Equal(254, m.X.MaxMm, 9);
        Assert.Equal(1.5 * 25.4, m.Y.MaxVelocityMmPerS, 9);
        Assert.Equal(50.8, m.MaxLinearVelocityMmPerS, 9);
        // no [TRAJ] acceleration: the axes bound the path
        Assert.Equal(25.4 * Math.Sqrt(100 + 144 + 25), m.MaxLinearAccelerationMmPerS2, 6);
    }

    [Theory]
    [InlineData("[AXIS_X]\nMAX_VELOCITY = fast\n", 2, "not a number")]
    [InlineData("[AXIS_X\n", 1, "']'")]
    [InlineData("[TRAJ]\nLINEAR_UNITS = mm\n[AXIS_X]\nMAX_VELOCITY = 1\n", 0, "MAX_ACCELERATION")]
    public void BadIniFilesNameTheProblem(string ini, int line, string words)
    {
        var ex = Assert.Throws<MachineProfileException>(() => LinuxCncIni.Parse(new StringReader(ini), "bad.ini"));
        Assert.Equal(line, ex.Line);
        Assert.Contains(words, ex.Reason);
        Assert.StartsWith("bad.ini", ex.Message);
    }

    [Fact]
    public void DefaultMachineRoundTripsThroughJson()
    {
        string json = MachineProfile.DefaultVmc.ToJson();
        Assert.Contains("\"max_linear_velocity_mm_per_s\"", json);
        var back = MachineProfile.FromJson(json, "vmc.json");
        Assert.Equal(MachineProfile.DefaultVmc.X, back.X);
        Assert.Equal(MachineProfile.DefaultVmc.Spindle.RatedPowerW, back.Spindle.RatedPowerW);
        Assert.Equal(MachineProfile.DefaultVmc.ToolChangeTimeS, back.ToolChangeTimeS);
    }

    [Fact]
    public void JsonErrorsNameFileAndLine()
    {
        var ex = Assert.Throws<MachineProfileException>(() => MachineProfile.FromJson("{\n  \"name\": \"m\",\n  \"x\": { \"max_velocity_mm_per_s\": \"fast\" }\n}", "m.json"));
        Assert.Equal(3, ex.Line);
        var unknown = Assert.Throws<MachineProfileException>(() => MachineProfile.FromJson("{ \"max_speed\": 3 }", "m.json"));
        Assert.Contains("max_speed", unknown.Message);
        var invalid = Assert.Throws<MachineProfileException>(() => MachineProfile.FromJson(MachineProfile.DefaultVmc.ToJson().Replace("\"max_linear_acceleration_mm_per_s2\": 4903", "\"max_linear_acceleration_mm_per_s2\": 0"), "m.json"));
        Assert.Contains("max_linear_acceleration", invalid.Reason);
    }
}
