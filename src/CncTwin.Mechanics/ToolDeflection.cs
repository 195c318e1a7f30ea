using CncTwin.Motion;
using CncTwin.Removal;

namespace CncTwin.Mechanics;

/// <summary>
/// Static bending of the tool as a stepped cantilever clamped at the holder face: the shank (its own diameter)
/// from the holder to the flutes, then the fluted part with an equivalent solid diameter. The lateral force acts
/// at the engaged edge's centroid; deflection there is P·∫(c − x)²/(E·I(x)) dx over the clamp→load span
/// (unit-load method). Holder and spindle compliance are not included (they add typically 10–30 % on stiff
/// holders), so the figure is a lower bound of the real tool-tip deflection.
/// </summary>
public static class ToolDeflection
{
    /// <summary>
    /// Young's modulus of cemented carbide (WC–Co, 6–12 % Co): 550–650 GPa in makers' data sheets (e.g. Sandvik
    /// Hyperion grade tables); 580 GPa, N/mm².
    /// </summary>
    public const double CarbideModulusNPerMm2 = 580_000;

    /// <summary>
    /// Equivalent solid diameter of the fluted part / nominal diameter: ≈ 0.8 for 2–4 flute end mills (Kops and
    /// Vo, "Determination of the equivalent diameter of an end mill based on its compliance", CIRP Annals 39,
    /// 1990).
    /// </summary>
    public const double FlutedDiameterRatio = 0.8;

    /// <summary>Lateral compliance at a height above the tip (mm/N).</summary>
    public static double ComplianceMmPerN(ICutter cutter, double loadHeightMm, double modulusNPerMm2 = CarbideModulusNPerMm2)
    {
        double l = cutter.StickoutMm, lf = Math.Min(cutter.FluteLengthMm, l);
        double c = l - Math.Clamp(loadHeightMm, 0, l);            // clamp → load distance
        double iShank = Math.PI * Math.Pow(cutter.ShankDiameterMm, 4) / 64;
        double iFlute = Math.PI * Math.Pow(FlutedDiameterRatio * cutter.DiameterMm, 4) / 64;
        static double Span(double c, double a, double b) // ∫_a^b (c − x)² dx with b ≤ c
        {
            if (b <= a) return 0;
            return (Math.Pow(c - a, 3) - Math.Pow(c - b, 3)) / 3;
        }
        double shankEnd = Math.Min(l - lf, c);
        return (Span(c, 0, shankEnd) / iShank + Span(c, l - lf, c) / iFlute) / modulusNPerMm2;
    }
}

/// <summary>What the spindle drive can deliver at a speed: the lower of the rated power and the torque curve × ω.</summary>
public static class SpindleCapacity
{
    /// <summary>Available torque at rpm from the torque curve (linear interpolation, held flat beyond its ends), N·m; NaN without a curve.</summary>
    public static double TorqueNm(SpindleModel spindle, double rpm)
    {
        var c = spindle.TorqueCurveRpmNm;
        if (c.Count == 0) return double.NaN;
        if (rpm <= c[0][0]) return c[0][1];
        for (int i = 1; i < c.Count; i++)
            if (rpm <= c[i][0]) return c[i - 1][1] + (c[i][1] - c[i - 1][1]) * (rpm - c[i - 1][0]) / (c[i][0] - c[i - 1][0]);
        return c[^1][1];
    }

    /// <summary>Available power at rpm, W; NaN when the machine declares neither rated power nor a torque curve.</summary>
    public static double PowerW(SpindleModel spindle, double rpm)
    {
        double fromTorque = TorqueNm(spindle, rpm) * rpm * 2 * Math.PI / 60;
        double rated = spindle.RatedPowerW > 0 ? spindle.RatedPowerW : double.NaN;
        if (double.IsNaN(fromTorque)) return rated;
        if (double.IsNaN(rated)) return fromTorque;
        return Math.Min(rated, fromTorque);
    }

    /// <summary>Spindle load, % of what the drive can deliver at this speed (cutting power / available power).</summary>
    public static double LoadPct(SpindleModel spindle, double rpm, double powerW)
    {
        double available = PowerW(spindle, rpm);
        return available > 0 ? 100 * powerW / available : double.NaN;
    }
}
