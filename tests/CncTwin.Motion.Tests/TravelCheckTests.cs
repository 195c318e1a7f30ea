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
