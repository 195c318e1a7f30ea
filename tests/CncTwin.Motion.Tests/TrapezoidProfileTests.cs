namespace CncTwin.Motion.Tests;

/// <summary>The segment profile against hand-worked kinematics (v² = v0² + 2as, s = v0 t + at²/2).</summary>
public class TrapezoidProfileTests
{
    [Fact]
    public void LongMoveFromRestToRestCruisesAtTheCap()
    {
        // 100 mm at 30 mm/s cap, 500 mm/s²: 0.06 s up (0.9 mm), 0.06 s down (0.9 mm), 98.2 mm at 30 mm/s.
        var p = new TrapezoidProfile(100, 0, 0, 30, 500);
        Assert.Equal(0.06, p.AccelerateS, 12);
        Assert.Equal(0.06, p.DecelerateS, 12);
        Assert.Equal(98.2 / 30, p.CruiseS, 12);
        Assert.Equal(0.12 + 98.2 / 30, p.TotalS, 12);
        Assert.Equal(30, p.PeakMmPerS, 12);
    }

    [Fact]
    public void ShortMoveIsATriangle()
    {
        // 1 mm, 500 mm/s²: peak sqrt(a L) = sqrt(500) mm/s, time 2 sqrt(L/a).
        var p = new TrapezoidProfile(1, 0, 0, 30, 500);
        Assert.Equal(Math.Sqrt(500), p.PeakMmPerS, 9);
        Assert.Equal(0, p.CruiseS, 12);
        Assert.Equal(2 * Math.Sqrt(1.0 / 500), p.TotalS, 12);
    }

    [Fact]
    public void EntryAndExitSpeedsAreHonoured()
    {
        var p = new TrapezoidProfile(10, 10, 20, 30, 500);
        // up 10 -> 30: (900-100)/1000 = 0.8 mm in 0.04 s; down 30 -> 20: (900-400)/1000 = 0.5 mm in 0.02 s
        Assert.Equal(0.04, p.AccelerateS, 12);
        Assert.Equal(0.02, p.DecelerateS, 12);
        Assert.Equal((10 - 0.8 - 0.5) / 30, p.CruiseS, 12);
        Assert.Equal((10.0, 20.0), p.At(p.TotalS + 1));
    }

    [Fact]
    public void UnreachableExitSpeedIsClampedToWhatTheAccelerationAllows()
    {
        // From rest over 0.1 mm at 500 mm/s² the most one can reach is sqrt(2 a L) = 10 mm/s.
        var p = new TrapezoidProfile(0.1, 0, 25, 30, 500);
        Assert.Equal(10, p.ExitMmPerS, 9);
        Assert.Equal(0.02, p.TotalS, 9);
    }

    [Fact]
    public void PositionAndSpeedAreContinuousAndIntegrateToTheLength()
    {
        var p = new TrapezoidProfile(37, 4, 7, 25, 300);
        double dt = 1e-5, s = 0;
        var (prevD, prevV) = p.At(0);
        for (double t = dt; t <= p.TotalS; t += dt)
        {
            var (d, v) = p.At(t);
            Assert.True(Math.Abs(v - prevV) <= 300 * dt + 1e-9, $"speed jumps at t={t}");
            Assert.True(d >= prevD - 1e-12, "moving backwards");
            s += (v + prevV) / 2 * dt;
            (prevD, prevV) = (d, v);
        }
        Assert.Equal(37, s, 2);
        Assert.Equal(37, p.At(p.TotalS).DistanceMm, 9);
    }

    [Theory]
    [InlineData(-1, 0, 0, 10, 10)]
    [InlineData(1, 0, 0, 0, 10)]
    [InlineData(1, 0, 0, 10, 0)]
    [InlineData(double.NaN, 0, 0, 10, 10)]
    public void ImpossibleParametersAreRejected(double l, double v0, double v1, double vmax, double a)
    {
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new TrapezoidProfile(l, v0, v1, vmax, a));
    }
}
