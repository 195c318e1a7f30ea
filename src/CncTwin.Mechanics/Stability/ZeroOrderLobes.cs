using System.Numerics;

namespace CncTwin.Mechanics.Stability;

/// <summary>One point of a stability chart: spindle speed and the limiting axial depth of cut.</summary>
public readonly record struct LobePoint(double Rpm, double AlimMm);

/// <summary>
/// Zero-order (average tooth-passing) stability solution of Altintas and Budak (CIRP Annals 1995): the periodic
/// directional matrix H(t) is replaced by its average H0, and at each chatter frequency ω the eigenvalues μ of
/// G(iω)·H0 give the depth: a·(1 − e^(−iωτ))·μ = −1. With X = −1/μ and ε = ωτ − 2kπ, a real positive depth needs
/// arg X = π/2 − ε/2 (possible only where Re X > 0), so ε = π − 2·arg X and a = |X| / (2·sin(ε/2)); tooth period τ = (ε + 2kπ)/ω gives the
/// speed n = 60/(N·τ) of lobe k. Works for any number of modes in x and y and for cross-coupled H0.
/// </summary>
public sealed class ZeroOrderLobes(ToolDynamics dynamics, CuttingProcess process)
{
    /// <summary>The lobe curves: for lobe k = 0.. and each eigenvalue, (rpm, alim) over a chatter-frequency grid.</summary>
    public List<List<LobePoint>> Curves(double minRpm, int frequencies = 4000)
    {
        Span<double> h0 = stackalloc double[4];
        process.Average(h0);
        var modes = dynamics.AllModes.ToList();
        double fLo = 0.5 * modes.Min(m => m.FnHz), fHi = 2.5 * modes.Max(m => m.FnHz);
        int lobes = Math.Clamp((int)Math.Ceiling(60 * 2 * Math.PI * fHi / (process.Teeth * Math.Max(minRpm, 1)) / (2 * Math.PI)) + 1, 1, 400);
        var curves = new List<List<LobePoint>>();
        for (int k = 0; k < lobes; k++) { curves.Add(new List<LobePoint>(frequencies)); curves.Add(new List<LobePoint>(frequencies)); }
        for (int i = 0; i < frequencies; i++)
        {
            double f = fLo * Math.Pow(fHi / fLo, i / (frequencies - 1.0));
            double w = 2 * Math.PI * f;
            Complex gx = dynamics.X.Count > 0 ? ToolDynamics.Receptance(dynamics.X, w) : 0;
            Complex gy = dynamics.Y.Count > 0 ? ToolDynamics.Receptance(dynamics.Y, w) : 0;
            // G·H0 with G = diag(gx, gy).
            Complex m00 = gx * h0[0], m01 = gx * h0[1], m10 = gy * h0[2], m11 = gy * h0[3];
            Complex tr = m00 + m11, det = m00 * m11 - m01 * m10;
            Complex disc = Complex.Sqrt(tr * tr - 4 * det);
            Complex[] mus = [(tr + disc) / 2, (tr - disc) / 2];
            for (int e = 0; e < 2; e++)
            {
                var mu = mus[e];
                if (mu.Magnitude < 1e-300) continue;
                Complex x = -1 / mu;
                // arg X = π/2 − ε/2 with ε/2 in (0, π) needs Re X > 0 (Re μ < 0): other frequencies cannot chatter.
                if (x.Real <= 0) continue;
                double eps = Math.PI - 2 * x.Phase;
                double a = x.Magnitude / (2 * Math.Sin(eps / 2));
                for (int k = 0; k < lobes; k++)
                {
                    double tau = (eps + 2 * k * Math.PI) / w;
                    curves[2 * k + e].Add(new LobePoint(60 / (process.Teeth * tau), a * 1000));
                }
            }
        }
        return curves;
    }

    /// <summary>The limiting depth at each speed: the lowest lobe curve crossing it (linear interpolation in rpm).</summary>
    public LobePoint[] Chart(IReadOnlyList<double> rpms)
    {
        var curves = Curves(rpms.Min());
        double floor = curves.SelectMany(c => c).Select(p => p.AlimMm).DefaultIfEmpty(double.PositiveInfinity).Min();
        var result = new LobePoint[rpms.Count];
        for (int q = 0; q < rpms.Count; q++)
        {
            double n = rpms[q], best = double.PositiveInfinity;
            foreach (var c in curves)
                for (int i = 1; i < c.Count; i++)
                {
                    var p0 = c[i - 1]; var p1 = c[i];
                    if ((p0.Rpm - n) * (p1.Rpm - n) > 0 || p0.Rpm == p1.Rpm) continue;
                    double t = (n - p0.Rpm) / (p1.Rpm - p0.Rpm);
                    best = Math.Min(best, p0.AlimMm + t * (p1.AlimMm - p0.AlimMm));
                }
            result[q] = new LobePoint(n, double.IsFinite(best) ? best : floor);
        }
        return result;
    }
}
