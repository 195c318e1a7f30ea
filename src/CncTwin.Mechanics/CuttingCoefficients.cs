namespace CncTwin.Mechanics;

/// <summary>
/// Linear-edge mechanistic cutting coefficients (Altintas, Manufacturing Automation, ch. 2): per unit edge
/// length b and chip thickness h, dFt = Ktc·h·db + Kte·db (tangential), dFr = Krc·h·db + Kre·db (radial),
/// dFa = Kac·h·db + Kae·db (axial). Cutting coefficients in N/mm², edge coefficients in N/mm.
/// </summary>
public sealed record CuttingCoefficients(double Ktc, double Krc, double Kac, double Kte, double Kre, double Kae)
{
    public static CuttingCoefficients Zero { get; } = new(0, 0, 0, 0, 0, 0);

    public double this[int k] => k switch { 0 => Ktc, 1 => Krc, 2 => Kac, 3 => Kte, 4 => Kre, 5 => Kae, _ => throw new ArgumentOutOfRangeException(nameof(k)) };
    public static readonly string[] Names = ["ktc", "krc", "kac", "kte", "kre", "kae"];

    public static CuttingCoefficients FromArray(ReadOnlySpan<double> k) => new(k[0], k[1], k[2], k[3], k[4], k[5]);

    /// <summary>Unit vector k (one coefficient 1, the rest 0): the model is linear in the coefficients, which calibration uses.</summary>
    public static CuttingCoefficients Unit(int k)
    {
        Span<double> v = stackalloc double[6];
        v[k] = 1;
        return FromArray(v);
    }

    /// <summary>Parses "ktc=796,krc=168.8,..." (missing names are 0). Throws FormatException naming the bad part.</summary>
    public static CuttingCoefficients Parse(string text)
    {
        Span<double> v = stackalloc double[6];
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq < 0) throw new FormatException($"coefficient '{part}': expected name=value (names: {string.Join(", ", Names)})");
            string name = part[..eq].Trim().ToLowerInvariant();
            int k = Array.IndexOf(Names, name);
            if (k < 0) throw new FormatException($"unknown coefficient '{name}' (names: {string.Join(", ", Names)})");
            if (!double.TryParse(part[(eq + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
                throw new FormatException($"coefficient {name}: '{part[(eq + 1)..]}' is not a number");
            v[k] = x;
        }
        var c = FromArray(v);
        if (c.Ktc <= 0) throw new FormatException("ktc must be given and positive (N/mm²)");
        return c;
    }

    /// <summary>
    /// Linear coefficients equivalent to a Kienzle law Fc = kc1.1·b·h^(1−mc) over a chip-thickness range: the
    /// straight line Ktc·h + Kte fitted by least squares (relative error) to the power law on [hMinMm, hMaxMm],
    /// the usual way to use handbook kc1.1/mc data in a linear-edge model. Radial and axial terms follow as
    /// fixed ratios of the tangential ones (Kr = Fr/Ft, Ka = Fa/Ft), which handbooks give or which default to
    /// typical end-milling values when only kc1.1/mc are known.
    /// </summary>
    public static CuttingCoefficients FromKienzle(double kc11, double mc, double radialRatio, double axialRatio, double hMinMm = 0.02, double hMaxMm = 0.2)
    {
        if (!(kc11 > 0) || !(mc >= 0 && mc < 1)) throw new ArgumentException("Kienzle: kc1.1 must be positive and 0 <= mc < 1");
        // Least squares of the relative error (weights 1/y²), so thin and thick chips are matched alike.
        const int n = 200;
        double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++)
        {
            double h = hMinMm + (hMaxMm - hMinMm) * i / (n - 1);
            double y = kc11 * Math.Pow(h, 1 - mc), w = 1 / (y * y);
            sw += w; sx += w * h; sy += w * y; sxx += w * h * h; sxy += w * h * y;
        }
        double slope = (sw * sxy - sx * sy) / (sw * sxx - sx * sx);
        double intercept = (sy - slope * sx) / sw;
        return new CuttingCoefficients(slope, radialRatio * slope, axialRatio * slope, intercept, radialRatio * intercept, axialRatio * intercept);
    }

    /// <summary>The same coefficients in SI (N/m² and N/m), as the stability analysis uses them.</summary>
    public (double KtcSi, double KrcSi) CuttingSi => (Ktc * 1e6, Krc * 1e6);

    public override string ToString() => FormattableString.Invariant($"ktc={Ktc:0.###},krc={Krc:0.###},kac={Kac:0.###},kte={Kte:0.###},kre={Kre:0.###},kae={Kae:0.###}");
}
