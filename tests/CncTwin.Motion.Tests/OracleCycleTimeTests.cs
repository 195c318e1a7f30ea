using System.Text.Json;
using CncTwin.GCode;

namespace CncTwin.Motion.Tests;

/// <summary>
/// Cycle time against LinuxCNC's real trajectory planner, recorded with the headless simulator
/// (tests/oracle-data/linuxcnc-sim, re-record with its record.sh) on the oracle's own machine.
/// </summary>
public class OracleCycleTimeTests(ITestOutputHelper output)
{
    private static string OracleData
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "CncTwin.sln"))) dir = dir.Parent;
            return Path.Combine(dir!.FullName, "tests", "oracle-data", "linuxcnc-sim");
        }
    }

    // The oracle machine's limits as its INI declares them (template/oracle.ini), so the test does not
    // need ../shared: X/Y/Z 30.48 mm/s, 508 mm/s², path 53.34 mm/s / 508 mm/s², 1 ms servo period, feed override up to 1.2.
    private static MachineProfile OracleMachine => LinuxCncIni.Parse(new StringReader("""
        [DISPLAY]
        MAX_FEED_OVERRIDE = 1.2
        [TRAJ]
        LINEAR_UNITS = mm
        MAX_LINEAR_VELOCITY = 53.34
        MAX_LINEAR_ACCELERATION = 508
        ARC_BLEND_ENABLE = 1
        ARC_BLEND_OPTIMIZATION_DEPTH = 50
        [EMCMOT]
        SERVO_PERIOD = 1000000
        [AXIS_X]
        MAX_VELOCITY = 30.48
        MAX_ACCELERATION = 508
        [AXIS_Y]
        MAX_VELOCITY = 30.48
        MAX_ACCELERATION = 508
        [AXIS_Z]
        MAX_VELOCITY = 30.48
        MAX_ACCELERATION = 508
        """), "oracle.ini");

    public static TheoryData<string> Programs()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Path.Combine(OracleData, "programs"), "*.ngc").OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(f));
        return data;
    }

    public static double PlannedCycleTime(string program)
    {
        var planner = new MotionPlanner(OracleMachine);
        using var interp = Interpreter.FromFile(Path.Combine(OracleData, "programs", program + ".ngc"));
        double first = double.NaN, last = 0;
        foreach (var item in planner.Plan(interp.Run()))
        {
            if (item is PlannedMove) { if (double.IsNaN(first)) first = item.StartS; last = item.EndS; }
        }
        return last - first;
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void CycleTimeIsCloseToLinuxCnc(string program)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(OracleData, "recorded", program + ".summary.json")));
        double oracle = doc.RootElement.GetProperty("last_motion_t_s").GetDouble() - doc.RootElement.GetProperty("first_motion_t_s").GetDouble();
        double ours = PlannedCycleTime(program);
        double err = (ours - oracle) / oracle;
        output.WriteLine($"{program}: LinuxCNC {oracle:F3} s, cnctwin {ours:F3} s, error {err:P2}");
        // Issue 3: within 2 % of LinuxCNC on every program (measured today: all within 0.65 %).
        Assert.True(Math.Abs(err) < 0.02, $"{program}: LinuxCNC {oracle:F3} s, cnctwin {ours:F3} s ({err:P2})");
    }
}
