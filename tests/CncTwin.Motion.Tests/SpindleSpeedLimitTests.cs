using CncTwin.Core;
using CncTwin.GCode;
using CncTwin.Motion;

namespace CncTwin.Motion.Tests;

/// <summary>S words above the machine's spindle limit run at the limit, as a controller runs them, with a warning per line.</summary>
public class SpindleSpeedLimitTests
{
    private static (List<CanonicalCommand> Commands, List<SpindleSpeedWarning> Warnings) Clamp(string program, MachineProfile machine)
    {
        var warnings = new List<SpindleSpeedWarning>();
        var commands = SpindleSpeedLimit.Apply(Interpreter.InterpretString(program, fileName: "p.ngc"), machine, warnings.Add).ToList();
        return (commands, warnings);
    }

    [Fact]
    public void SpeedsAboveTheDefaultVmcsTopSpeedRunAtIt()
    {
        // pocket.ngc's S9500 on the 8 100 rpm default machine, inside a loop that runs the S word three times.
        var (cmds, warnings) = Clamp("G21 G90 G94\nS9500 M3\n#1=0\no1 while [#1 lt 3]\nS9500\nG1 X[#1 + 1] F100\n#1=[#1+1]\no1 endwhile\nS6000\nG1 X10\nM2", MachineProfile.DefaultVmc);
        var moves = cmds.OfType<Move>().ToList();
        Assert.All(moves.Take(3), m => Assert.Equal(8100, m.SpindleRpm, 9));
        Assert.Equal(6000, moves[^1].SpindleRpm, 9);                     // below the limit: untouched
        Assert.All(cmds.OfType<SpindleStart>(), s => Assert.Equal(8100, s.Rpm, 9));
        Assert.Equal(8100, cmds.OfType<SetSpindleSpeed>().First().Rpm, 9);
        // one warning per line: line 2 (S9500 M3) and line 5 (in the loop), not one per pass
        Assert.Equal(new[] { 2, 5 }, warnings.Select(w => w.Source.Line).ToArray());
        Assert.All(warnings, w => Assert.Equal((9500.0, 8100.0), (w.ProgrammedRpm, w.MachineMaxRpm)));
        Assert.StartsWith("p.ngc:2: S9500 is above the machine's spindle limit", warnings[0].Message);
        Assert.Contains("8100 rpm", warnings[0].Message);
    }

    [Fact]
    public void FeedPerRevolutionFollowsTheSpeedActuallyRun()
    {
        // G95 F0.1 at S9500: the interpreter says 950 mm/min; the spindle turns 8100 rpm, so 0.1 * 8100 = 810.
        var (cmds, _) = Clamp("G21 G90 S9500 M3\nG95 F0.1\nG1 X10\nG94 F500\nG1 X20\nM2", MachineProfile.DefaultVmc);
        var feeds = cmds.OfType<LinearFeed>().ToList();
        Assert.Equal(810, feeds[0].FeedMmPerMin, 9);
        Assert.Equal(500, feeds[1].FeedMmPerMin, 9);
    }

    [Fact]
    public void MachinesWithoutATopSpeedAreRefused()
    {
        string json = MachineProfile.DefaultVmc.ToJson().Replace("\"max_rpm\": 8100", "\"max_rpm\": 0");
        var ex = Assert.Throws<MachineProfileException>(() => MachineProfile.FromJson(json, "m.json"));
        Assert.Contains("spindle.max_rpm", ex.Message);
        Assert.StartsWith("m.json", ex.Message);
        string negative = MachineProfile.DefaultVmc.ToJson().Replace("\"max_rpm\": 8100", "\"max_rpm\": -5");
        Assert.Throws<MachineProfileException>(() => MachineProfile.FromJson(negative, "m.json"));
        const string ini = "[TRAJ]\nLINEAR_UNITS = mm\n[AXIS_X]\nMAX_VELOCITY = 100\nMAX_ACCELERATION = 1000\n[AXIS_Y]\nMAX_VELOCITY = 100\nMAX_ACCELERATION = 1000\n[AXIS_Z]\nMAX_VELOCITY = 100\nMAX_ACCELERATION = 1000\n[SPINDLE_0]\nMAX_FORWARD_VELOCITY = 0\n";
        var iniEx = Assert.Throws<MachineProfileException>(() => LinuxCncIni.Parse(new StringReader(ini), "m.ini"));
        // Named as the INI names it, with its line.
        Assert.Contains("m.ini:13: [SPINDLE_0] MAX_FORWARD_VELOCITY = 0", iniEx.Message);
    }
}
