using CncTwin.Core;
using CncTwin.GCode;

namespace CncTwin.Motion.Tests;

/// <summary>Planner behaviour on cases with closed-form answers.</summary>
public class MotionPlannerTests
{
    private static readonly MachineProfile Machine = MachineProfile.DefaultVmc with
    {
        X = new AxisLimits { MinMm = -1000, MaxMm = 1000, MaxVelocityMmPerS = 100, MaxAccelerationMmPerS2 = 1000 },
        Y = new AxisLimits { MinMm = -1000, MaxMm = 1000, MaxVelocityMmPerS = 100, MaxAccelerationMmPerS2 = 1000 },
        Z = new AxisLimits { MinMm = -1000, MaxMm = 1000, MaxVelocityMmPerS = 50, MaxAccelerationMmPerS2 = 500 },
        MaxLinearVelocityMmPerS = 1000,
        MaxLinearAccelerationMmPerS2 = 10_000,
        ToolChangeTimeS = 3,
        Spindle = MachineProfile.DefaultVmc.Spindle with { AccelerationRpmPerS = 1000, WaitForAtSpeed = true, AtSpeedFraction = 1 },
    };

    private static List<PlanItem> Plan(string program) =>
        new MotionPlanner(Machine).Plan(Interpreter.InterpretString(program)).ToList();

    [Fact]
    public void SingleExactStopMoveIsAClosedFormTrapezoid()
    {
        // 100 mm along X at F3000 (50 mm/s), 1000 mm/s²: 100/50 + 50/1000 s.
        var items = Plan("G21 G61 G1 X100 F3000\nM2");
        var move = Assert.IsType<PlannedMove>(Assert.Single(items));
        Assert.Equal(2.0 + 0.05, move.DurationS, 9);
    }

    [Fact]
    public void DiagonalMovesAreLimitedPerAxis()
    {
        // Rapid along X=Y: each axis may do 100 mm/s, so the path does 100*sqrt(2) and accelerates at 1000*sqrt(2).
        var move = Assert.IsType<PlannedMove>(Assert.Single(Plan("G21 G61 G0 X300 Y300\nM2")));
        Assert.Equal(100 * Math.Sqrt(2), move.Profile.PeakMmPerS, 6);
        Assert.Equal(1000 * Math.Sqrt(2), move.Profile.AccelerationMmPerS2, 6);
    }

    [Fact]
    public void CollinearMovesInG64DoNotStopBetween()
    {
        var items = Plan("G21 G64 G1 X50 F3000\nX100\nM2").Cast<PlannedMove>().ToList();
        Assert.Equal(50, items[0].Profile.ExitMmPerS, 9);
        // one trapezoid split in two: total = 100/50 + 50/a_end, the final stop at half rate (a/2) in G64
        Assert.Equal(100.0 / 50 + 0.5 * 50 / 1000 + 0.5 * 50 / 500, items.Sum(i => i.DurationS), 9);
    }

    [Fact]
    public void ExactStopModeStopsAtEveryJoint()
    {
        // G61.1: rest at every joint, even between collinear moves.
        var items = Plan("G21 G61.1 G1 X50 F3000\nX100\nM2").Cast<PlannedMove>().ToList();
        Assert.Equal(0, items[0].Profile.ExitMmPerS, 9);
        Assert.Equal(2 * (1.0 + 0.05), items.Sum(i => i.DurationS), 9);
    }

    [Fact]
    public void ExactPathModeStopsAtCornersButNotOnStraightJoints()
    {
        // G61 (LinuxCNC exact path): a 90° corner comes to rest; a collinear joint is passed at speed. Both moves
        // at the corner keep the kink ratio (10 %) of their acceleration back, as LinuxCNC does once it has tested
        // the joint for tangency (L/v + v/(0.9 a) each).
        var corner = Plan("G21 G61 G1 X50 F3000\nY50\nM2").Cast<PlannedMove>().ToList();
        Assert.Equal(2, corner.Count);
        Assert.Equal(0, corner[0].Profile.ExitMmPerS, 9);
        Assert.Equal(2 * (1.0 + 0.05 / 0.9), corner.Sum(i => i.DurationS), 9);
        var straight = Plan("G21 G61 G1 X50 F3000\nX100\nM2").Cast<PlannedMove>().ToList();
        Assert.Equal(50, straight[0].Profile.ExitMmPerS, 9);
        Assert.Equal(100.0 / 50 + 50.0 / 1000, straight.Sum(i => i.DurationS), 9);
    }

    [Fact]
    public void G64CornerIsCutByATangentBlendArcWithinTolerance()
    {
        // 90° corner at F3000 with G64 P0.1: the blend arc is tangent to both lines, its deviation from the
        // corner is within P, and the path through it is shorter than the programmed 200 mm.
        var items = Plan("G21 G64 P0.1 G1 X100 F3000\nY100\nM2").Cast<PlannedMove>().ToList();
        var blend = Assert.Single(items, i => i.IsBlend);
        var arc = Assert.IsType<CirclePath>(blend.Path);
        Assert.Equal(Math.PI / 2, arc.SweepRad, 9);
        // distance of the arc's midpoint from the corner (100, 0): R (sqrt 2 - 1) <= P
        var mid = arc.PointAt(arc.LengthMm / 2);
        Assert.True(mid.DistanceTo(new Vec3(100, 0, 0)) <= 0.1 + 1e-9, $"deviation {mid.DistanceTo(new Vec3(100, 0, 0))}");
        // tangent continuity: lines end/start where the arc does
        Assert.True(items[0].Path.End.DistanceTo(arc.Start) < 1e-9);
        Assert.True(arc.End.DistanceTo(items[2].Path.Start) < 1e-9);
        Assert.True(items.Sum(i => i.Path.LengthMm) < 200);
        // the arc is run no faster than its centripetal limit: v² / R <= 0.866 a
        Assert.True(blend.Profile.PeakMmPerS * blend.Profile.PeakMmPerS / arc.RadiusMm <= Math.Sqrt(3) / 2 * 1000 + 1e-6);
    }

    [Fact]
    public void RapidToFeedAlwaysStops()
    {
        var items = Plan("G21 G64 G0 X50\nG1 X100 F3000\nM2").Cast<PlannedMove>().ToList();
        Assert.Equal(0, items[0].Profile.ExitMmPerS, 9);
    }

    [Fact]
    public void ArcsAreLimitedByCentripetalAcceleration()
    {
        // R1 circle at F6000 (100 mm/s): v <= sqrt(0.866 * 1000 * 1) = 29.4 mm/s.
        var arc = Plan("G21 G0 X1 Y0\nG3 X1 Y0 I-1 J0 F6000\nM2").OfType<PlannedMove>().Single(m => m.Move is ArcFeed);
        Assert.Equal(Math.Sqrt(Math.Sqrt(3) / 2 * 1000), arc.Profile.PeakMmPerS, 6);
    }

    [Fact]
    public void DwellToolChangeAndSpindleWaitAreTimed()
    {
        var items = Plan("G21 T1 M6\nS3000 M3\nG1 X10 F600\nG4 P1.5\nM2");
        var pauses = items.OfType<PlannedPause>().ToList();
        Assert.Contains(pauses, p => p.Reason == "tool change" && p.Seconds == 3);
        Assert.Contains(pauses, p => p.Reason == "spindle at-speed wait" && Math.Abs(p.Seconds - 3) < 1e-9);
        Assert.Contains(pauses, p => p.Reason == "dwell" && p.Seconds == 1.5);
        // items are contiguous in time
        for (int i = 1; i < items.Count; i++) Assert.Equal(items[i - 1].EndS, items[i].StartS, 9);
    }
}
