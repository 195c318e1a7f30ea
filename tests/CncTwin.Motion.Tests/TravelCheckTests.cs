using CncTwin.GCode;

namespace CncTwin.Motion.Tests;

public class TravelCheckTests
{
    private static TravelCheck Check(string program, MachineProfile machine)
    {
        var check = new TravelCheck(machine);
        foreach (var _ in check.Observe(new MotionPlanner(machine).Plan(Interpreter.InterpretString(program)))) { }
        return check;
    }

    [Fact]
    public void ProgramInsideTheTravel_RaisesNothing()
    {
        // 700 mm of X on a 762 mm X axis, wherever the part sits.
        var c = Check("G21 G90 G0 X0 Y0 Z5\nG1 Z-1 F300\nG1 X700 F3000\nG1 Y400\nG0 Z50\nM2", MachineProfile.DefaultVmc);
        Assert.Empty(c.Found);
    }

    [Fact]
    public void SpanBeyondTheTravel_IsReportedOnceAtTheLineThatMakesIt()
    {
        // Exact stop (G61): corner blends would keep the path a little inside the corners.
        var c = Check("G21 G90 G61 G0 X0 Y0 Z5\nG1 Z-1 F300\nG1 X500 F3000\nG1 Y450\nG1 X-300\nG1 X-400\nM2", MachineProfile.DefaultVmc);
        Assert.Collection(c.Found.OrderBy(f => f.Source.Line),
            y => { Assert.Equal('Y', y.Axis); Assert.Equal(4, y.Source.Line); Assert.Equal(450, y.SpanMm, 6); Assert.Equal(406, y.TravelMm, 6); },
            x => { Assert.Equal('X', x.Axis); Assert.Equal(5, x.Source.Line); Assert.Equal(800, x.SpanMm, 6); });
    }

    [Fact]
    public void ArcBulge_CountsNotJustItsEndPoints()
    {
        // A clockwise half circle of radius 210 from (0,0) to (420,0) bulges to Y 210: after a start at Y −200 that
        // is 410 mm of Y on a 406 mm axis, while its end points alone span 200 mm.
        var c = Check("G21 G90 G61 G0 X0 Y-200 Z5\nG1 Z-1 F300\nG1 Y0 F3000\nG2 X420 Y0 R210\nM2", MachineProfile.DefaultVmc);
        var y = Assert.Single(c.Found);
        Assert.Equal(4, y.Source.Line);
        Assert.Equal(410, y.SpanMm, 6);
    }

    [Fact]
    public void AxisWithoutDeclaredTravel_IsNotChecked()
    {
        var open = MachineProfile.DefaultVmc with { X = MachineProfile.DefaultVmc.X with { MinMm = 0, MaxMm = 0 } };
        Assert.Empty(Check("G21 G90 G0 X0 Y0 Z5\nG1 X5000 F3000\nM2", open).Found);
    }
}

public class TimelineCapTests
{
    [Fact]
    public void CappedTimeline_StopsSampling_ButTheWholePlanIsRead()
    {
        // A 31-year dwell between two moves: 10^12 samples at 1 ms; the cap keeps 1000 and still hands the last
        // move to whatever pulls the plan.
        var plan = new MotionPlanner(MachineProfile.DefaultVmc).Plan(Interpreter.InterpretString("G21 G90 G0 X0 Y0 Z5\nG4 P1000000000\nG0 X10\nM2"));
        var seen = new List<PlanItem>();
        double? cutAt = null;
        var samples = Timeline.Sample(Observe(plan, seen), 0.001, 1000, t => cutAt = t).ToList();
        Assert.Equal(1000, samples.Count);
        Assert.Equal(1.0, cutAt!.Value, 9);
        Assert.Contains(seen, i => i is PlannedMove m && m.Source.Line == 3);
        Assert.True(samples.Zip(samples.Skip(1)).All(p => Math.Abs(p.Second.TimeS - p.First.TimeS - 0.001) < 1e-9));
    }

    [Fact]
    public void UncappedTimeline_IsUnchanged()
    {
        var program = "G21 G90 G0 X0 Y0 Z5\nG1 X50 F600\nG4 P0.5\nG0 Z20\nM2";
        var a = Timeline.Sample(new MotionPlanner(MachineProfile.DefaultVmc).Plan(Interpreter.InterpretString(program)), 0.001).ToList();
        var b = Timeline.Sample(new MotionPlanner(MachineProfile.DefaultVmc).Plan(Interpreter.InterpretString(program)), 0.001, a.Count, _ => Assert.Fail("capped")).ToList();
        Assert.Equal(a.Select(s => (s.TimeS, s.Position)), b.Select(s => (s.TimeS, s.Position)));
    }

    private static IEnumerable<PlanItem> Observe(IEnumerable<PlanItem> plan, List<PlanItem> seen)
    {
        foreach (var i in plan) { seen.Add(i); yield return i; }
    }
}
