using CncTwin.Removal;

namespace CncTwin.Mechanics;

/// <summary>
/// The cutting edges of a milling cutter cut into axial slices: per slice its height above the tip, local
/// radius R(z), lead angle κ(z) (between the tool axis and the surface normal: 90° on a cylindrical flank,
/// →0 at a ball's tip), edge length per slice db = dz / sin κ and helix lag ψ(z) = z·tan β / R0 (constant lead,
/// the usual ground helix). Heights and lengths in mm.
/// </summary>
public sealed class EdgeSlices
{
    public int Teeth { get; }
    public double PitchRad => 2 * Math.PI / Teeth;
    public double NominalRadiusMm { get; }
    public double[] HeightMm { get; }
    public double[] RadiusMm { get; }
    public double[] SinKappa { get; }
    public double[] CosKappa { get; }
    public double[] EdgeLengthMm { get; }
    public double[] LagRad { get; }
    public int Count => HeightMm.Length;

    private EdgeSlices(int teeth, double r0, int n)
    {
        if (teeth < 1) throw new ArgumentException("a cutter needs at least one tooth");
        Teeth = teeth; NominalRadiusMm = r0;
        HeightMm = new double[n]; RadiusMm = new double[n]; SinKappa = new double[n]; CosKappa = new double[n]; EdgeLengthMm = new double[n]; LagRad = new double[n];
    }

    /// <summary>
    /// Slices of thickness dz centred at z0 + (s + ½)·dz for s = 0..count−1 on a cutter profile. κ comes from the
    /// profile's slope: the surface normal is ∝ (1, −dR/dz) in (r, z), so tan κ = 1 / (dR/dz).
    /// </summary>
    public static EdgeSlices FromProfile(ICutterProfile profile, int teeth, double helixDeg, double z0, double dz, int count)
    {
        var e = new EdgeSlices(teeth, profile.RadiusMm, count);
        double tanB = Math.Tan(helixDeg * Math.PI / 180);
        for (int s = 0; s < count; s++)
        {
            double z = z0 + (s + 0.5) * dz;
            double zl = Math.Max(0, z - 0.5 * dz), zh = z + 0.5 * dz;
            double dr = profile.RadiusAt(zh) - profile.RadiusAt(zl);
            double kappa = Math.Atan2(zh - zl, dr); // atan(1 / (dR/dz)), also right where dR/dz → ∞
            e.HeightMm[s] = z;
            e.RadiusMm[s] = profile.RadiusAt(z);
            e.SinKappa[s] = Math.Sin(kappa);
            e.CosKappa[s] = Math.Cos(kappa);
            e.EdgeLengthMm[s] = Math.Sqrt(dr * dr + (zh - zl) * (zh - zl)) * dz / (zh - zl);
            e.LagRad[s] = profile.RadiusMm > 0 ? z * tanB / profile.RadiusMm : 0;
        }
        return e;
    }

    /// <summary>A cylindrical end mill's flank over the axial depth, in slices short enough that the helix lag per slice stays under 0.5°.</summary>
    public static EdgeSlices Cylinder(double diameterMm, int teeth, double helixDeg, double axialDepthMm)
    {
        if (!(diameterMm > 0) || !(axialDepthMm > 0)) throw new ArgumentException("diameter and axial depth must be positive");
        double r = diameterMm / 2, tanB = Math.Tan(helixDeg * Math.PI / 180);
        double maxDz = tanB > 1e-9 ? 0.5 * Math.PI / 180 * r / tanB : axialDepthMm;
        int n = Math.Clamp((int)Math.Ceiling(axialDepthMm / maxDz), 1, 2000);
        return FromProfile(new FlatProfile(r), teeth, helixDeg, 0, axialDepthMm / n, n);
    }
}

/// <summary>Where material is, as the force model asks it: is slice s engaged at immersion φ (rad, 0..2π, Altintas)?</summary>
public interface IEngagement
{
    bool Engaged(int slice, double phiRad);
}

/// <summary>Constant radial immersion over every slice: engaged for φst ≤ φ ≤ φex.</summary>
public readonly struct ImmersionEngagement(double startRad, double exitRad) : IEngagement
{
    public double StartRad { get; } = startRad;
    public double ExitRad { get; } = exitRad;
    public bool Engaged(int slice, double phiRad) => phiRad >= StartRad && phiRad <= ExitRad;

    /// <summary>
    /// Altintas: up milling enters at 0 and exits at acos(1 − 2·ae/D); down milling enters at π − acos(1 − 2·ae/D)
    /// and exits at π; ae ≥ D is a slot (0..π).
    /// </summary>
    public static ImmersionEngagement FromRadialDepth(double diameterMm, double radialDepthMm, bool downMilling)
    {
        if (!(radialDepthMm > 0) || !(diameterMm > 0)) throw new ArgumentException("radial depth and diameter must be positive");
        double a = Math.Acos(Math.Clamp(1 - 2 * radialDepthMm / diameterMm, -1, 1));
        return downMilling ? new ImmersionEngagement(Math.PI - a, Math.PI) : new ImmersionEngagement(0, a);
    }
}

/// <summary>An engagement map from the voxel stock: per slice, 64 angle bins over [0, π].</summary>
public readonly struct MaskEngagement(ulong[] masks) : IEngagement
{
    public bool Engaged(int slice, double phiRad)
    {
        if ((uint)slice >= (uint)masks.Length || phiRad >= Math.PI) return false;
        int bin = (int)(phiRad / EngagementProbe.BinRad);
        return (masks[slice] >> bin & 1) != 0;
    }
}

/// <summary>Forces on the tool at one rotation angle: N and N·m.</summary>
public struct ForceSample
{
    public double Fx, Fy, Fz, TorqueNm;
    public readonly double Fxy => Math.Sqrt(Fx * Fx + Fy * Fy);
    public readonly double Resultant => Math.Sqrt(Fx * Fx + Fy * Fy + Fz * Fz);
}

/// <summary>Mean and peak of the forces over one tooth period (= one revolution for evenly pitched teeth).</summary>
public sealed record RevolutionForces(
    double FxMeanN, double FyMeanN, double FzMeanN, double TorqueMeanNm, double PowerMeanW,
    double FxMaxN, double FyMaxN, double FzMaxN, double FxyMaxN, double ResultantMaxN, double TorqueMaxNm)
{
    public static RevolutionForces None { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    public double ResultantMeanN => Math.Sqrt(FxMeanN * FxMeanN + FyMeanN * FyMeanN + FzMeanN * FzMeanN);
}

/// <summary>
/// The mechanistic milling force model (Altintas, Manufacturing Automation 2nd ed., ch. 2; Engin &amp; Altintas
/// 2001 for general helical end mills). Feed along +X, immersion φ measured clockwise from +Y (the way an M3
/// spindle turns seen from above), tooth j at height z: φ = θ + j·2π/N − ψ(z). Chip h = fz·sin φ·sin κ. On the
/// tool, with r̂ = (sin φ, cos φ), t̂ = (cos φ, −sin φ) and the edge's axial direction (cos κ·r̂, sin κ):
///   Fx = −dFt·cos φ − dFr·sin κ·sin φ + dFa·cos κ·sin φ
///   Fy = +dFt·sin φ − dFr·sin κ·cos φ + dFa·cos κ·cos φ
///   Fz = dFr·cos κ + dFa·sin κ
/// which for a flat end mill (κ = 90°) is Altintas' Fx = −Ft cos φ − Fr sin φ, Fy = Ft sin φ − Fr cos φ, Fz = Fa,
/// so a straight slot averages Fx = −N·a·fz·Krc/4, Fy = N·a·fz·Ktc/4.
/// </summary>
public static class MillingForces
{
    /// <summary>Forces at rotation angle θ (rad). fz: feed per tooth, mm.</summary>
    public static ForceSample At<TEngagement>(EdgeSlices edge, CuttingCoefficients k, double feedPerToothMm, in TEngagement engagement, double thetaRad)
        where TEngagement : struct, IEngagement
    {
        var f = new ForceSample();
        double pitch = edge.PitchRad, twoPi = 2 * Math.PI;
        double torqueNmm = 0;
        for (int s = 0; s < edge.Count; s++)
        {
            double sk = edge.SinKappa[s], ck = edge.CosKappa[s], db = edge.EdgeLengthMm[s];
            for (int j = 0; j < edge.Teeth; j++)
            {
                double phi = thetaRad + j * pitch - edge.LagRad[s];
                phi -= twoPi * Math.Floor(phi / twoPi);
                if (!engagement.Engaged(s, phi)) continue;
                double sp = Math.Sin(phi), cp = Math.Cos(phi);
                double h = feedPerToothMm * sp * sk;
                if (h <= 0) continue;
                double ft = (k.Ktc * h + k.Kte) * db, fr = (k.Krc * h + k.Kre) * db, fa = (k.Kac * h + k.Kae) * db;
                f.Fx += -ft * cp - fr * sk * sp + fa * ck * sp;
                f.Fy += ft * sp - fr * sk * cp + fa * ck * cp;
                f.Fz += fr * ck + fa * sk;
                torqueNmm += ft * edge.RadiusMm[s];
            }
        }
        f.TorqueNm = torqueNmm / 1000;
        return f;
    }

    /// <summary>
    /// Mean and peak over one tooth period sampled at stepsPerPitch rotation angles (the forces repeat every
    /// tooth pitch for evenly spaced teeth). Power = mean torque × spindle speed. Peaks are of magnitudes.
    /// </summary>
    public static RevolutionForces Revolution<TEngagement>(EdgeSlices edge, CuttingCoefficients k, double feedPerToothMm, double rpm,
        in TEngagement engagement, int stepsPerPitch = 256) where TEngagement : struct, IEngagement
    {
        double mx = 0, my = 0, mz = 0, mt = 0, px = 0, py = 0, pz = 0, pxy = 0, pr = 0, pt = 0;
        double dTheta = edge.PitchRad / stepsPerPitch;
        for (int i = 0; i < stepsPerPitch; i++)
        {
            var f = At(edge, k, feedPerToothMm, engagement, i * dTheta);
            mx += f.Fx; my += f.Fy; mz += f.Fz; mt += f.TorqueNm;
            px = Math.Max(px, Math.Abs(f.Fx)); py = Math.Max(py, Math.Abs(f.Fy)); pz = Math.Max(pz, Math.Abs(f.Fz));
            pxy = Math.Max(pxy, f.Fxy); pr = Math.Max(pr, f.Resultant); pt = Math.Max(pt, Math.Abs(f.TorqueNm));
        }
        double n = stepsPerPitch;
        double torque = mt / n;
        return new RevolutionForces(mx / n, my / n, mz / n, torque, torque * rpm * 2 * Math.PI / 60, px, py, pz, pxy, pr, pt);
    }

    /// <summary>
    /// Altintas' closed-form mean forces for a cylindrical end mill at constant immersion (any helix: the
    /// average over a revolution does not depend on it), N.
    /// </summary>
    public static (double Fx, double Fy, double Fz) ClosedFormMean(int teeth, double axialDepthMm, double feedPerToothMm, CuttingCoefficients k, double startRad, double exitRad)
    {
        double F(Func<double, double> g) => g(exitRad) - g(startRad);
        double n = teeth, a = axialDepthMm, c = feedPerToothMm;
        double fx = n * a * c / (8 * Math.PI) * F(p => k.Ktc * Math.Cos(2 * p) - k.Krc * (2 * p - Math.Sin(2 * p)))
                  + n * a / (2 * Math.PI) * F(p => -k.Kte * Math.Sin(p) + k.Kre * Math.Cos(p));
        double fy = n * a * c / (8 * Math.PI) * F(p => k.Ktc * (2 * p - Math.Sin(2 * p)) + k.Krc * Math.Cos(2 * p))
                  - n * a / (2 * Math.PI) * F(p => k.Kte * Math.Cos(p) + k.Kre * Math.Sin(p));
        double fz = n * a / (2 * Math.PI) * F(p => -k.Kac * c * Math.Cos(p) + k.Kae * p);
        return (fx, fy, fz);
    }
}
