using System.Text.Json;
using CncTwin.GCode;

namespace CncTwin.Motion.Tests;

/// <summary>
/// Cycle time against LinuxCNC's real trajectory planner, recorded with the headless simulator
/// (tests/oracle-data/linuxcnc-sim, re-record with its record.sh) on the oracle's own machine.
/// </summary>
public class OracleCycleTimeTests(ITestOutputHelper output)
{
    public static TheoryData<string> Programs() => new(Oracle.ProgramNames());

    public static double PlannedCycleTime(string program)
    {
        using var interp = Interpreter.FromFile(Oracle.ProgramPath(program));
        var summary = new PlanSummary();
        foreach (var _ in summary.Observe(new MotionPlanner(Oracle.Machine).Plan(interp.Run()))) { }
        return summary.CycleTimeS;
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void CycleTimeIsCloseToLinuxCnc(string program)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Oracle.DataDir, "recorded", program + ".summary.json")));
        double oracle = doc.RootElement.GetProperty("last_motion_t_s").GetDouble() - doc.RootElement.GetProperty("first_motion_t_s").GetDouble();
        double ours = PlannedCycleTime(program);
        double err = (ours - oracle) / oracle;
        output.WriteLine($"{program}: LinuxCNC {oracle:F3} s, cnctwin {ours:F3} s, error {err:P2}");
        // Issue 3: within 2 % of LinuxCNC on every program (measured 2026-12-01 on 42 programs, 32 of them
        // generated at random: all within 0.81 %, 35 within 0.5 %).
        Assert.True(Math.Abs(err) < 0.02, $"{program}: LinuxCNC {oracle:F3} s, cnctwin {ours:F3} s ({err:P2})");
    }
}
