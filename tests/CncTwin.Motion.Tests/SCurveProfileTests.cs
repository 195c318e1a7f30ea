using CsCheck;

namespace CncTwin.Motion.Tests;

/// <summary>The jerk-limited profile against closed-form S-curve kinematics and its own limits.</summary>
public class SCurveProfileTests
{
    [Fact]
    public void LongMoveReachesBothPlateaus()
    {
        // Rest to rest with acceleration and speed plateaus: T = L/v + v/a + a/j (each ramp v/a + a/j, the
        // ramps' distance v·(v/a + a/j) replaced by cruising it).
        double l = 200, v = 100, a = 1000, j = 20_000;
        var p = new SCurveProfile(l, 0, 0, v, a, j);
        Assert.Equal(v, p.PeakMmPerS, 9);
        Assert.Equal(v / a + a / j, p.AccelerateS, 12);
        Assert.Equal(l / v + v / a + a / j, p.TotalS, 9);
    }

    [Fact]
    public void ShortMoveIsPureJerk()
    {
        // Rest to rest without plateaus: L = 2·v^1.5/√j, so v = (L√j/2)^(2/3) and T = 4·(L/(2j))^(1/3).
        double l = 0.5, j = 20_000;
        var p = new SCurveProfile(l, 0, 0, 1000, 1e6, j);
        Assert.Equal(Math.Pow(l * Math.Sqrt(j) / 2, 2.0 / 3), p.PeakMmPerS, 6);
        Assert.Equal(4 * Math.Cbrt(l / (2 * j)), p.TotalS, 9);
        Assert.Equal(0, p.CruiseS, 9);
    }

    [Fact]
    public void ClosedFormReachMatchesRampDistance()
    {
        foreach (var (c, d) in new[] { (0.0, 0.01), (0.0, 5.0), (20.0, 0.3), (50.0, 40.0), (0.0, 1000.0) })
        {
            double v = JerkLimited.MaxSpeedWithin(c, d, 1000, 20_000);
            Assert.Equal(d, JerkLimited.RampDistance(c, v, 1000, 20_000), 9);
        }
    }

    [Fact]
    public void BecomesTheTrapezoidAsJerkGrowsWithoutBound()
    {
        var s = new SCurveProfile(37, 4, 7, 25, 300, 1e12);
        var t = new TrapezoidProfile(37, 4, 7, 25, 300);
        Assert.Equal(t.TotalS, s.TotalS, 6);
        Assert.Equal(t.PeakMmPerS, s.PeakMmPerS, 6);
    }

    [Fact]
    public void NeverExceedsItsLimitsAndEndsWhereItShould()
    {
        // Random segments: distance runs 0 -> L monotonically, speed stays within the cap, and the speed's
        // numerical derivatives stay within the acceleration and jerk limits.
        Gen.Select(Gen.Double[0.05, 300], Gen.Double[0, 1], Gen.Double[0, 1], Gen.Double[5, 400], Gen.Double[100, 5000], Gen.Double[1000, 200_000])
            .Sample((l, f0, f1, vmax, a, j) =>
            {
                var p = new SCurveProfile(l, f0 * vmax, f1 * vmax, vmax, a, j);
                const int n = 4000;
                double dt = p.TotalS / n, prevS = 0, prevV = p.EntryMmPerS, prevA = 0;
                for (int i = 1; i <= n; i++)
                {
                    var (s, v) = p.At(i * dt);
                    if (s < prevS - 1e-9 || v > vmax + 1e-6 || v < -1e-9) return false;
                    double acc = (v - prevV) / dt;
                    if (Math.Abs(acc) > a * 1.001 + 1e-6) return false;
                    if (i > 1 && Math.Abs(acc - prevA) / dt > j * 1.01 + 1e-3 && Math.Abs(acc - prevA) > 1e-6 * a) return false;
                    prevS = s; prevV = v; prevA = acc;
                }
                return Math.Abs(prevS - l) < 1e-6 * Math.Max(1, l) && Math.Abs(prevV - p.ExitMmPerS) < 1e-6 * Math.Max(1, vmax);
            }, iter: 300);
    }

    [Fact]
    public void PlannerUsesSCurvesWhenTheMachineDeclaresJerk()
    {
        var machine = MachineProfile.DefaultVmc;
        var items = new MotionPlanner(machine).Plan(CncTwin.GCode.Interpreter.InterpretString("G21 G61 G1 X100 F6000\nM2")).ToList();
        var move = Assert.IsType<PlannedMove>(Assert.Single(items));
        var s = Assert.IsType<SCurveProfile>(move.Profile);
        // 100 mm at 100 mm/s (F6000), a = 4903, j = 50 000: a²/j = 481 mm/s > 100, so the ramps are pure
        // jerk, 2·sqrt(v/j) each, and T = L/v + 2·sqrt(v/j).
        Assert.Equal(100.0 / 100 + 2 * Math.Sqrt(100 / 50_000.0), s.TotalS, 9);
    }
}
