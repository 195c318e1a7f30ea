namespace CncTwin.Removal;

/// <summary>
/// The cutting surface of a cutter as a surface of revolution about the tool axis, in the frame of the tool
/// tip: height of the cutting surface above the tip at radius r, the cutter radius at height h, and the one
/// question the voxel sweep asks. Implemented by small structs so the same generic sweep code runs in the
/// plain-CPU path and in ILGPU kernels (no virtual calls there): algorithms never switch on the cutter type.
/// </summary>
public interface ICutterProfile
{
    /// <summary>Cutter radius, mm.</summary>
    double RadiusMm { get; }
    /// <summary>Height of the cutting surface above the tip at radius r (0 &lt;= r &lt;= RadiusMm), mm.</summary>
    double HeightAt(double r);
    /// <summary>Radius of the cutter at height h above the tip (h &gt;= 0), mm.</summary>
    double RadiusAt(double h);
    /// <summary>
    /// The lowest point of the cutter, relative to the tip, over a straight sweep seen from one column: min over
    /// s in [a, b] of m·s + HeightAt(sqrt(s² + e²)), where e is the column's horizontal distance from the
    /// path line, s the distance along the path from the column's foot point and m the path slope dz/ds.
    /// Callers guarantee e &lt;= R and a² + e², b² + e² &lt;= R². Every profile here is convex and
    /// non-decreasing in r, so the function is convex in s and its clamped stationary point is the minimum.
    /// </summary>
    double LowestOnLine(double m, double e, double a, double b);
}

/// <summary>Flat end mill: the cutting surface is the end face, height 0 everywhere.</summary>
public readonly struct FlatProfile(double radiusMm) : ICutterProfile
{
    public double RadiusMm { get; } = radiusMm;
    public double HeightAt(double r) => 0;
    public double RadiusAt(double h) => RadiusMm;
    // A line of constant height: the lowest point is at the end of the covered stretch that lies downhill.
    public double LowestOnLine(double m, double e, double a, double b) => m >= 0 ? m * a : m * b;
}

/// <summary>Ball end mill: a hemisphere of the cutter radius, centre one radius above the tip.</summary>
public readonly struct BallProfile(double radiusMm) : ICutterProfile
{
    public double RadiusMm { get; } = radiusMm;
    public double HeightAt(double r) => RadiusMm - Math.Sqrt(Math.Max(0, RadiusMm * RadiusMm - r * r));
    public double RadiusAt(double h) => h >= RadiusMm ? RadiusMm : Math.Sqrt(Math.Max(0, h * (2 * RadiusMm - h)));
    public double LowestOnLine(double m, double e, double a, double b)
    {
        // d/ds [m s + R - sqrt(W² - s²)] = m + s / sqrt(W² - s²) = 0  =>  s = -m W / sqrt(1 + m²), W² = R² - e².
        double w = Math.Sqrt(Math.Max(0, RadiusMm * RadiusMm - e * e));
        double s = Convex.Clamp(-m * w / Math.Sqrt(1 + m * m), a, b);
        return m * s + RadiusMm - Math.Sqrt(Math.Max(0, w * w - s * s));
    }
}

/// <summary>
/// Cone with a flat tip of radius TipRadiusMm (0 for a drill point or V-bit): height rises by Slope (mm per
/// mm of radius, 1/tan of the half tip angle) outside the flat. Drills and chamfer/V cutters.
/// </summary>
public readonly struct ConeProfile(double radiusMm, double tipRadiusMm, double slope) : ICutterProfile
{
    public double RadiusMm { get; } = radiusMm;
    public double TipRadiusMm { get; } = tipRadiusMm;
    public double Slope { get; } = slope;
    public double HeightAt(double r) => r <= TipRadiusMm ? 0 : (r - TipRadiusMm) * Slope;
    public double RadiusAt(double h) => Math.Min(RadiusMm, TipRadiusMm + h / Slope);
    public double LowestOnLine(double m, double e, double a, double b)
    {
        if (TipRadiusMm > 0) return Convex.Minimise(this, m, e, a, b);
        // d/ds [m s + k sqrt(s² + e²)] = m + k s / d = 0  =>  s = -m e / sqrt(k² - m²) (when the path is
        // shallower than the cone; otherwise the lowest point is at the downhill end).
        double s = Math.Abs(m) < Slope ? -m * e / Math.Sqrt(Slope * Slope - m * m) : (m >= 0 ? a : b);
        s = Convex.Clamp(s, a, b);
        return m * s + Slope * Math.Sqrt(s * s + e * e);
    }
}

/// <summary>
/// Bull-nose (torus) end mill: flat centre of radius R - rc, then a quarter torus of corner radius rc. Its
/// stationary condition is a quartic, so the convex 1-D minimum is found by golden section instead.
/// </summary>
public readonly struct BullProfile(double radiusMm, double cornerRadiusMm) : ICutterProfile
{
    public double RadiusMm { get; } = radiusMm;
    public double CornerRadiusMm { get; } = cornerRadiusMm;
    public double HeightAt(double r)
    {
        double flat = RadiusMm - CornerRadiusMm;
        if (r <= flat) return 0;
        double x = r - flat;
        return CornerRadiusMm - Math.Sqrt(Math.Max(0, CornerRadiusMm * CornerRadiusMm - x * x));
    }
    public double RadiusAt(double h)
    {
        double rc = CornerRadiusMm;
        if (h >= rc) return RadiusMm;
        return RadiusMm - rc + Math.Sqrt(Math.Max(0, h * (2 * rc - h)));
    }
    public double LowestOnLine(double m, double e, double a, double b) => Convex.Minimise(this, m, e, a, b);
}

internal static class Convex
{
    /// <summary>Math.Clamp throws on a &gt; b, which GPU kernels cannot compile; callers guarantee a &lt;= b.</summary>
    public static double Clamp(double v, double a, double b) => Math.Min(Math.Max(v, a), b);

    /// <summary>
    /// Golden-section search of the convex function m·s + HeightAt(sqrt(s² + e²)) on [a, b]: 60 steps shrink the
    /// bracket by 0.618^60 ≈ 3e-13, far below a voxel, and the loop has a fixed length so a GPU warp stays together.
    /// </summary>
    public static double Minimise<TProfile>(TProfile p, double m, double e, double a, double b) where TProfile : struct, ICutterProfile
    {
        const double g = 0.6180339887498949;
        double lo = a, hi = b;
        double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
        double f1 = m * x1 + p.HeightAt(Math.Sqrt(x1 * x1 + e * e));
        double f2 = m * x2 + p.HeightAt(Math.Sqrt(x2 * x2 + e * e));
        for (int i = 0; i < 60; i++)
        {
            if (f1 <= f2) { hi = x2; x2 = x1; f2 = f1; x1 = hi - g * (hi - lo); f1 = m * x1 + p.HeightAt(Math.Sqrt(x1 * x1 + e * e)); }
            else { lo = x1; x1 = x2; f1 = f2; x2 = lo + g * (hi - lo); f2 = m * x2 + p.HeightAt(Math.Sqrt(x2 * x2 + e * e)); }
        }
        double best = Math.Min(f1, f2);
        // The ends too: a minimum on the boundary is only approached by the bracket.
        best = Math.Min(best, m * a + p.HeightAt(Math.Sqrt(a * a + e * e)));
        return Math.Min(best, m * b + p.HeightAt(Math.Sqrt(b * b + e * e)));
    }
}
