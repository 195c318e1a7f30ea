using CncTwin.Mechanics;

namespace CncTwin.Mechanics.Tests;

public class ForceModelTests
{
    private static readonly CuttingCoefficients Al = new(796.1, 168.8, 222, 27.7, 30.8, 1.4);

    [Theory]
    [InlineData(2, 2.0, 0.1)]
    [InlineData(3, 5.0, 0.05)]
    [InlineData(4, 1.5, 0.2)]
    public void StraightFluteSlot_MatchesAltintasClosedForm(int teeth, double ap, double fz)
    {
        var k = new CuttingCoefficients(800, 240, 100, 0, 0, 0);
        var r = MillingForces.Revolution(EdgeSlices.Cylinder(10, teeth, 0, ap), k, fz, 5000, ImmersionEngagement.FromRadialDepth(10, 10, true));
        double fx = -teeth * ap * fz * k.Krc / 4, fy = teeth * ap * fz * k.Ktc / 4;
        Assert.True(Math.Abs(r.FxMeanN - fx) <= 1e-3 * Math.Abs(fx), $"Fx {r.FxMeanN} vs {fx}");
        Assert.True(Math.Abs(r.FyMeanN - fy) <= 1e-3 * Math.Abs(fy), $"Fy {r.FyMeanN} vs {fy}");
    }

    [Theory]
    [InlineData(0.0, 0.1, true)]
    [InlineData(30.0, 0.1, false)]
    [InlineData(30.0, 0.5, true)]
    [InlineData(45.0, 0.25, false)]
    [InlineData(30.0, 1.0, true)]
    public void MeanForces_WithHelixAndEdgeTerms_MatchClosedForm(double helix, double immersion, bool down)
    {
        double d = 12, ap = 6, fz = 0.08;
        var eng = ImmersionEngagement.FromRadialDepth(d, immersion * d, down);
        var r = MillingForces.Revolution(EdgeSlices.Cylinder(d, 3, helix, ap), Al, fz, 8000, eng, 1024);
        var (fx, fy, fz0) = MillingForces.ClosedFormMean(3, ap, fz, Al, eng.StartRad, eng.ExitRad);
        double scale = Math.Sqrt(fx * fx + fy * fy + fz0 * fz0);
        Assert.True(Math.Abs(r.FxMeanN - fx) <= 0.01 * scale, $"Fx {r.FxMeanN} vs {fx}");
        Assert.True(Math.Abs(r.FyMeanN - fy) <= 0.01 * scale, $"Fy {r.FyMeanN} vs {fy}");
        Assert.True(Math.Abs(r.FzMeanN - fz0) <= 0.01 * scale, $"Fz {r.FzMeanN} vs {fz0}");
    }

    /// <summary>
    /// An independent integration of the same physics: per tooth, the helical edge is integrated over z with
    /// Gauss–Legendre between the heights where it crosses entry/exit (so the discontinuities are exact), and
    /// the rotation is sampled 4000 times per pitch. Mean and peak must agree within 2 % (the bound).
    /// </summary>
    [Theory]
    [InlineData(30.0, 0.3, true, 4)]
    [InlineData(30.0, 1.0, false, 3)]
    [InlineData(45.0, 0.05, true, 2)]
    [InlineData(10.0, 0.6, false, 4)]
    public void MeanAndPeak_MatchAnIndependentNumericalIntegration(double helix, double immersion, bool down, int teeth)
    {
        double d = 16, ap = 8, fz = 0.1, rpm = 6000;
        var eng = ImmersionEngagement.FromRadialDepth(d, immersion * d, down);
        var model = MillingForces.Revolution(EdgeSlices.Cylinder(d, teeth, helix, ap), Al, fz, rpm, eng, 720);
        var reference = Independent(d / 2, teeth, helix, ap, fz, eng.StartRad, eng.ExitRad, Al, 4000);
        void Close(double a, double b, double scale, string what) => Assert.True(Math.Abs(a - b) <= 0.02 * Math.Max(Math.Abs(b), 0.05 * scale), $"{what}: model {a:F3}, independent {b:F3}");
        double s = reference.fxyMax;
        Close(model.FxMeanN, reference.mean[0], s, "Fx mean");
        Close(model.FyMeanN, reference.mean[1], s, "Fy mean");
        Close(model.FzMeanN, reference.mean[2], s, "Fz mean");
        Close(model.TorqueMeanNm, reference.mean[3], reference.tMax, "torque mean");
        Close(model.FxMaxN, reference.max[0], s, "Fx peak");
        Close(model.FyMaxN, reference.max[1], s, "Fy peak");
        Close(model.FzMaxN, reference.max[2], s, "Fz peak");
        Close(model.FxyMaxN, reference.fxyMax, s, "Fxy peak");
        Close(model.TorqueMaxNm, reference.tMax, reference.tMax, "torque peak");
    }

    private static (double[] mean, double[] max, double fxyMax, double tMax) Independent(double r, int n, double helixDeg, double ap, double fz,
        double st, double ex, CuttingCoefficients k, int steps)
    {
        double tanB = Math.Tan(helixDeg * Math.PI / 180), pitch = 2 * Math.PI / n;
        // 16-point Gauss–Legendre nodes on [-1, 1].
        double[] x = [-0.9894009349916499, -0.9445750230732326, -0.8656312023878318, -0.7554044083550030, -0.6178762444026438, -0.4580167776572274, -0.2816035507792589, -0.0950125098376374,
                      0.0950125098376374, 0.2816035507792589, 0.4580167776572274, 0.6178762444026438, 0.7554044083550030, 0.8656312023878318, 0.9445750230732326, 0.9894009349916499];
        double[] w = [0.0271524594117541, 0.0622535239386479, 0.0951585116824928, 0.1246289712555339, 0.1495959888165767, 0.1691565193950025, 0.1826034150449236, 0.1894506104550685,
                      0.1894506104550685, 0.1826034150449236, 0.1691565193950025, 0.1495959888165767, 0.1246289712555339, 0.0951585116824928, 0.0622535239386479, 0.0271524594117541];
        var mean = new double[4];
        var max = new double[3];
        double fxyMax = 0, tMax = 0;
        for (int i = 0; i < steps; i++)
        {
            double theta = pitch * i / steps;
            double fx = 0, fy = 0, fzz = 0, t = 0;
            for (int j = 0; j < n; j++)
            {
                // Breakpoints in z: where φ(z) = θ + j·pitch − z·tanβ/r crosses st or ex (+2πk).
                var cuts = new List<double> { 0, ap };
                if (tanB > 0)
                    for (int kk = -3; kk <= 3; kk++)
                        foreach (double b in new[] { st, ex })
                        {
                            double z = (theta + j * pitch - b - 2 * Math.PI * kk) * r / tanB;
                            if (z > 0 && z < ap) cuts.Add(z);
                        }
                cuts.Sort();
                for (int c = 0; c + 1 < cuts.Count; c++)
                {
                    double z0 = cuts[c], z1 = cuts[c + 1], half = 0.5 * (z1 - z0);
                    for (int g = 0; g < 16; g++)
                    {
                        double z = z0 + half * (1 + x[g]);
                        double phi = theta + j * pitch - z * tanB / r;
                        phi -= 2 * Math.PI * Math.Floor(phi / (2 * Math.PI));
                        if (phi < st || phi > ex) continue;
                        double h = fz * Math.Sin(phi);
                        if (h <= 0) continue;
                        double dz = w[g] * half;
                        double ft = (k.Ktc * h + k.Kte) * dz, fr = (k.Krc * h + k.Kre) * dz, fa = (k.Kac * h + k.Kae) * dz;
                        fx += -ft * Math.Cos(phi) - fr * Math.Sin(phi);
                        fy += ft * Math.Sin(phi) - fr * Math.Cos(phi);
                        fzz += fa;
                        t += ft * r / 1000;
                    }
                }
            }
            mean[0] += fx / steps; mean[1] += fy / steps; mean[2] += fzz / steps; mean[3] += t / steps;
            max[0] = Math.Max(max[0], Math.Abs(fx)); max[1] = Math.Max(max[1], Math.Abs(fy)); max[2] = Math.Max(max[2], Math.Abs(fzz));
            fxyMax = Math.Max(fxyMax, Math.Sqrt(fx * fx + fy * fy)); tMax = Math.Max(tMax, Math.Abs(t));
        }
        return (mean, max, fxyMax, tMax);
    }

    [Fact]
    public void BallEndMill_BelowItsEquator_CutsWithLessForceThanAFlatOne_AndPushesUp()
    {
        // Axial depth 2 mm with a Ø10 ball: edges are inclined (κ < 90°): chips are thinner by sin κ over edges
        // longer by 1/sin κ, so the cutting term per height is the flat one's, but at radii 0–4 mm instead of
        // 5 mm (mean ≈ 3.3): torque well below the flat cutter's; and the radial force pushes the tool up.
        var ball = EdgeSlices.FromProfile(new CncTwin.Removal.BallProfile(5), 2, 30, 0, 0.05, 40);
        var flat = EdgeSlices.Cylinder(10, 2, 30, 2);
        var eng = ImmersionEngagement.FromRadialDepth(10, 10, true);
        var b = MillingForces.Revolution(ball, Al, 0.1, 6000, eng);
        var f = MillingForces.Revolution(flat, Al, 0.1, 6000, eng);
        Assert.True(b.TorqueMeanNm < 0.8 * f.TorqueMeanNm, $"ball {b.TorqueMeanNm} vs flat {f.TorqueMeanNm} N·m");
        Assert.True(b.FzMeanN > f.FzMeanN, $"ball Fz {b.FzMeanN} vs flat {f.FzMeanN}");
        Assert.True(ball.SinKappa[0] < 0.2 && ball.SinKappa[^1] > 0.75);
    }

    [Fact]
    public void Power_IsTorqueTimesSpeed()
    {
        var r = MillingForces.Revolution(EdgeSlices.Cylinder(10, 4, 30, 5), Al, 0.05, 12000, ImmersionEngagement.FromRadialDepth(10, 3, false));
        Assert.Equal(r.TorqueMeanNm * 12000 * 2 * Math.PI / 60, r.PowerMeanW, 6);
    }
}
