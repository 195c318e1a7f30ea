namespace CncTwin.Mechanics.Stability;

/// <summary>
/// The cutting process as the stability analysis sees it: N teeth, tangential and radial cutting coefficients
/// (N/m²), and the immersion [φst, φex] (Altintas, φ clockwise from +Y, feed along +X).
/// </summary>
public sealed record CuttingProcess(int Teeth, double KtNPerM2, double KrNPerM2, double StartRad, double ExitRad)
{
    /// <summary>
    /// The directional matrix H(φ) of one tooth: the dynamic chip is r̂·(d(t) − d(t−τ)) with r̂ = (sin φ, cos φ),
    /// and its force on the tool is −a·h·(Kt·t̂ + Kr·r̂), t̂ = (cos φ, −sin φ); so F = −a·H·(d(t) − d(t−τ)) with
    /// H = (Kt·t̂ + Kr·r̂)·r̂ᵀ. Its xx entry sin φ·(Kt cos φ + Kr sin φ) is Insperger and Stépán's h(t).
    /// </summary>
    public void ToothMatrix(double phi, Span<double> h)
    {
        double s = Math.Sin(phi), c = Math.Cos(phi);
        double ux = KtNPerM2 * c + KrNPerM2 * s, uy = -KtNPerM2 * s + KrNPerM2 * c;
        h[0] = ux * s; h[1] = ux * c; h[2] = uy * s; h[3] = uy * c;
    }

    public bool InCut(double phi)
    {
        double p = phi - 2 * Math.PI * Math.Floor(phi / (2 * Math.PI));
        return p >= StartRad && p <= ExitRad;
    }

    /// <summary>H(t) summed over the teeth in cut at rotation angle θ.</summary>
    public void Matrix(double theta, Span<double> h)
    {
        h.Clear();
        Span<double> one = stackalloc double[4];
        for (int j = 0; j < Teeth; j++)
        {
            double phi = theta + j * 2 * Math.PI / Teeth;
            if (!InCut(phi)) continue;
            ToothMatrix(phi, one);
            for (int q = 0; q < 4; q++) h[q] += one[q];
        }
    }

    /// <summary>
    /// The average of H over a revolution (zero-order approximation): (N/2π)·∫ H dφ over the immersion, in
    /// closed form. Equal to −(N·Kt/4π)·[α] with Altintas and Budak's directional coefficients.
    /// </summary>
    public void Average(Span<double> h0)
    {
        double kt = KtNPerM2, kr = KrNPerM2;
        // ∫ s·c = sin²/2, ∫ s² = φ/2 − sin2φ/4, ∫ c² = φ/2 + sin2φ/4.
        static double Sc(double p) => 0.5 * Math.Sin(p) * Math.Sin(p);
        static double Ss(double p) => 0.5 * p - 0.25 * Math.Sin(2 * p);
        static double Cc(double p) => 0.5 * p + 0.25 * Math.Sin(2 * p);
        double a = StartRad, b = ExitRad;
        double sc = Sc(b) - Sc(a), ss = Ss(b) - Ss(a), cc = Cc(b) - Cc(a);
        double f = Teeth / (2 * Math.PI);
        h0[0] = f * (kt * sc + kr * ss);
        h0[1] = f * (kt * cc + kr * sc);
        h0[2] = f * (-kt * ss + kr * sc);
        h0[3] = f * (-kt * sc + kr * cc);
    }

    public static CuttingProcess FromImmersion(int teeth, double ktcNPerMm2, double krcNPerMm2, double radialImmersion, bool downMilling)
    {
        if (teeth < 1) throw new ArgumentException("--teeth must be at least 1");
        if (!(radialImmersion > 0 && radialImmersion <= 1)) throw new ArgumentException("--radial-immersion (a/D) must be in (0, 1]");
        if (!(ktcNPerMm2 > 0) || !(krcNPerMm2 >= 0)) throw new ArgumentException("ktc must be positive and krc non-negative");
        double w = Math.Acos(1 - 2 * radialImmersion);
        return downMilling
            ? new CuttingProcess(teeth, ktcNPerMm2 * 1e6, krcNPerMm2 * 1e6, Math.PI - w, Math.PI)
            : new CuttingProcess(teeth, ktcNPerMm2 * 1e6, krcNPerMm2 * 1e6, 0, w);
    }
}
