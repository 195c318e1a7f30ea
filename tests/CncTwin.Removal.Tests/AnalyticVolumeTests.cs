using CncTwin.Core;
using CncTwin.Removal;

namespace CncTwin.Removal.Tests;

/// <summary>
/// Removed volume against closed-form solids at 0.1 mm voxels. The issue asks for 1 % (goal 0.1 %); the bound
/// asserted is 0.2 %, and the measured errors are printed in the README.
/// </summary>
public class AnalyticVolumeTests
{
    private const double Cell = 0.1;
    private const double Bound = 0.002;

    private static VoxelStock Block() => VoxelStock.Box(new Vec3(-40, -40, -20), new Vec3(40, 40, 0), Cell);

    private static void AssertClose(double expected, double actual, double bound = Bound, [System.Runtime.CompilerServices.CallerMemberName] string test = "") =>
        Assert.True(Math.Abs(actual - expected) <= bound * expected, $"{test}: removed {actual:F3} mm³, analytic {expected:F3} mm³, error {(actual - expected) / expected:P3}");

    [Fact]
    public void FlatSlot_IsBoxPlusTwoHalfDiscs()
    {
        double r = 5, depth = 3, len = 40;
        var sim = Sim.Run("G21 G90 G0 X-20 Y0 Z5 S5000 M3\nG1 Z-3 F300\nG1 X20 F1000\nG0 Z5\nM30", Block(), Sim.One("flat", 2 * r));
        AssertClose(len * 2 * r * depth + Math.PI * r * r * depth, sim.RemovedMm3);
    }

    [Fact]
    public void BallSlot_IsCircularSegmentPlusSphericalCap()
    {
        double r = 5, d = 3, len = 40;
        var sim = Sim.Run("G21 G90 G0 X-20 Y0 Z5 S5000 M3\nG1 Z-3 F300\nG1 X20 F1000\nG0 Z5\nM30", Block(), Sim.One("ball", 2 * r));
        double segment = r * r * Math.Acos((r - d) / r) - (r - d) * Math.Sqrt(2 * r * d - d * d);
        double cap = Math.PI * d * d * (3 * r - d) / 3; // the two half-caps at the slot ends
        AssertClose(len * segment + cap, sim.RemovedMm3);
    }

    [Fact]
    public void FullCircleGroove_IsAnAnnulus()
    {
        double r = 3, rho = 20, depth = 2;
        var sim = Sim.Run("G21 G90 G17 G0 X20 Y0 Z5 S5000 M3\nG1 Z-2 F300\nG3 X20 Y0 I-20 J0 F1000\nG0 Z5\nM30", Block(), Sim.One("flat", 2 * r));
        AssertClose(Math.PI * ((rho + r) * (rho + r) - (rho - r) * (rho - r)) * depth, sim.RemovedMm3);
    }

    [Fact]
    public void HelicalGroove_MatchesTheSweptRamp()
    {
        // One helical turn from z=0 down to z=-2 followed by a flat turn at -2: an annulus 2 mm deep.
        double r = 3, rho = 20, depth = 2;
        var sim = Sim.Run("G21 G90 G17 G0 X20 Y0 Z1 S5000 M3\nG1 Z0 F300\nG3 X20 Y0 Z-2 I-20 J0 F1000\nG3 X20 Y0 I-20 J0\nG0 Z5\nM30", Block(), Sim.One("flat", 2 * r));
        AssertClose(Math.PI * ((rho + r) * (rho + r) - (rho - r) * (rho - r)) * depth, sim.RemovedMm3);
    }

    [Fact]
    public void DrilledHole_IsCylinderPlusCone()
    {
        double r = 4, depth = 10, tip = 118;
        var sim = Sim.Run("G21 G90 G0 X0 Y0 Z5 S3000 M3\nG1 Z-10 F100\nG0 Z5\nM30", Block(), Sim.One("drill", 2 * r, ",\"tip_angle_deg\":118"));
        double cone = r / Math.Tan(tip / 2 * Math.PI / 180);
        AssertClose(Math.PI * r * r * (depth - cone) + Math.PI * r * r * cone / 3, sim.RemovedMm3);
    }

    [Fact]
    public void FacePass_RemovesTheWholeTopLayer()
    {
        // 20 mm face mill, 12 mm stepover, passes run off the 80 x 80 block on both sides.
        var lines = new List<string> { "G21 G90 G0 X-55 Y-40 Z5 S3000 M3", "G0 Z-1" };
        for (double y = -40; y <= 44; y += 12) lines.Add($"G1 X55 Y{y} F2000\nG0 X-55 Y{y + 12}");
        lines.Add("G0 Z5\nM30");
        var sim = Sim.Run(string.Join('\n', lines), Block(), Sim.One("flat", 20));
        AssertClose(80 * 80 * 1, sim.RemovedMm3);
    }

    [Fact]
    public void BullNoseSlot_IsRectanglePlusCornerFilletsPlusCaps()
    {
        // Bull nose D 10, corner 2, slot depth 3: cross-section = flat-bottom width 6 x 3 + two (2x2 square minus
        // quarter disc removed... i.e. the fillet region) + 2 x 1 mm walls above the corner.
        double r = 5, rc = 2, d = 3, len = 40;
        var sim = Sim.Run("G21 G90 G0 X-20 Y0 Z5 S5000 M3\nG1 Z-3 F300\nG1 X20 F1000\nG0 Z5\nM30", Block(), Sim.One("bull", 2 * r, ",\"corner_radius_mm\":2"));
        double section = 2 * r * d - 2 * (rc * rc - Math.PI * rc * rc / 4);
        // End caps: the solid of revolution of the same profile, volume by Pappus on the half section.
        double inner = r - rc;
        double capVolume = Math.PI * r * r * d - (2 * Math.PI) * (rc * rc - Math.PI * rc * rc / 4) * (inner + Centroid(rc));
        AssertClose(len * section + capVolume, sim.RemovedMm3);
    }

    /// <summary>
    /// Slots and holes of random size, depth (not multiples of the voxel), direction and position against their
    /// closed forms, in exact stop so the plunge corner is not rounded by a blend: the issue's 1 %. Depths off the
    /// voxel grid once cost up to half a voxel layer (a 2.84 mm slot counted 2.8 or 2.9 mm: ±1.8 %); removal is now
    /// counted to the cutter's lowest point.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomSlotsAndHoles_MatchTheirClosedForms(int seed)
    {
        var rng = new Random(seed);
        var ic = System.Globalization.CultureInfo.InvariantCulture;
        string F(double v) => v.ToString("0.####", ic);
        for (int k = 0; k < 3; k++)
        {
            double r = 1.5 + 8 * rng.NextDouble(), len = 5 + 40 * rng.NextDouble(), ang = Math.PI * rng.NextDouble();
            double x0 = 10 * rng.NextDouble() - 5 - len / 2 * Math.Cos(ang), y0 = 10 * rng.NextDouble() - 5 - len / 2 * Math.Sin(ang);
            double x1 = x0 + len * Math.Cos(ang), y1 = y0 + len * Math.Sin(ang);
            double expected, removed;
            string what;
            if (k == 2)
            {
                double depth = 3 + 7 * rng.NextDouble(), cone = r / Math.Tan(59 * Math.PI / 180);
                removed = Sim.Run($"G21 G90 G61 G0 X{F(x0)} Y{F(y0)} Z5 S3000 M3\nG1 Z{F(-depth)} F100\nG0 Z5\nM30", Block(), Sim.One("drill", 2 * r, ",\"tip_angle_deg\":118")).RemovedMm3;
                expected = depth >= cone ? Math.PI * r * r * (depth - cone) + Math.PI * r * r * cone / 3 : Math.PI * Math.Pow(depth * Math.Tan(59 * Math.PI / 180), 2) * depth / 3;
                what = $"hole Ø{2 * r:F2} depth {depth:F3}";
            }
            else
            {
                bool ball = k == 1;
                double depth = ball ? 0.3 + (r - 0.3) * rng.NextDouble() : 0.5 + 7.5 * rng.NextDouble();
                removed = Sim.Run($"G21 G90 G61 G0 X{F(x0)} Y{F(y0)} Z5 S5000 M3\nG1 Z{F(-depth)} F300\nG1 X{F(x1)} Y{F(y1)} F1000\nG0 Z5\nM30", Block(), Sim.One(ball ? "ball" : "flat", 2 * r)).RemovedMm3;
                double d = Math.Round(depth, 4);
                expected = ball
                    ? len * (r * r * Math.Acos((r - d) / r) - (r - d) * Math.Sqrt(2 * r * d - d * d)) + Math.PI * d * d * (3 * r - d) / 3
                    : len * 2 * r * d + Math.PI * r * r * d;
                what = $"{(ball ? "ball" : "flat")} slot Ø{2 * r:F2} depth {d:F4} length {len:F1} at {ang * 180 / Math.PI:F0}°";
            }
            Assert.True(Math.Abs(removed - expected) <= 0.01 * expected, $"{what}: removed {removed:F3} mm³, analytic {expected:F3} mm³, error {(removed - expected) / expected:P3}");
        }
    }

    /// <summary>Distance from the inner edge of the corner square to the centroid of the region outside a quarter disc in it.</summary>
    private static double Centroid(double rc)
    {
        // Square [0, rc]² with the quarter disc centred at (0, rc) removed... the corner region lies at x in [0, rc]
        // outside a quarter disc centred at (0, rc): its x-centroid is (rc³/2 - rc³/3) / (rc² - π rc²/4).
        return (rc * rc * rc / 2 - rc * rc * rc / 3) / (rc * rc - Math.PI * rc * rc / 4);
    }
}
