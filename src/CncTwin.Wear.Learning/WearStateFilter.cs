namespace CncTwin.Wear.Learning;

/// <summary>
/// Settings of the wear state-space filter. Every number has a stated origin:
/// <list type="bullet">
/// <item>RateUmPerCut: the steady physics rate (the Usui law of <see cref="WearLaw"/> at the cutting conditions)
/// times a rate constant calibrated on the training cutters' labels (the law's A is set for a much softer steel,
/// so the scale has to come from data; the law gives the form: constant conditions, constant rate).</item>
/// <item>RateRelSd: the per-cutter uncertainty of that rate constant, relative: tool-to-tool life scatter.</item>
/// <item>RateWalkSd: how fast the steady rate may drift per cut, relative to it (random walk), which lets the
/// same law follow a plateau or accelerating wear late in life.</item>
/// <item>BreakInUmPerCut/BreakInRelSd/BreakInCuts: the extra rate of a fresh edge (rapid initial wear, outside
/// Usui's steady-state law), decaying as exp(−cut/BreakInCuts); its size from the training cutters' first cuts.</item>
/// <item>InitialUm/InitialSd: the wear after the first cut, from the training cutters.</item>
/// <item>StepSd: cut-to-cut scatter of the wear increments around the rate (from the training labels).</item>
/// <item>BiasSd/BiasPerUm/NoiseSd: the sensor estimate's error on a cutter it was not trained on: a per-cutter
/// offset (a constant plus a part proportional to the wear grown since the first cut: the sensors' sensitivity to
/// wear differs between cutters) and a cut-to-cut part, from the inner cross-validation residuals, never the test
/// fold.</item>
/// </list>
/// </summary>
public sealed record WearFilterSettings(double RateUmPerCut, double RateRelSd, double RateWalkSd, double BreakInUmPerCut, double BreakInRelSd, double BreakInCuts,
    double InitialUm, double InitialSd, double StepSd, double BiasSd, double NoiseSd, double BiasPerUm);

/// <summary>The filter's estimate after one cut: posterior mean and the 5 %/95 % quantiles (a 90 % band).</summary>
public readonly record struct WearEstimate(double WearUm, double LowUm, double HighUm);

/// <summary>
/// Wear as a hidden state, estimated cut by cut by a Kalman filter. State: the wear as the sensors see it,
/// y = w + b (w the true wear, b the sensor model's offset on this cutter), the steady wear rate r (µm per cut)
/// and the break-in excess rate c. Process: y ← y + r + c·exp(−k/BreakInCuts) + StepSd·ξ (b is constant, so y
/// grows as w does), r ← r + RateWalkSd·RateUmPerCut·ξ, c constant; the priors of r and c are the calibrated
/// physics rate and break-in rate with their per-cutter uncertainty. Measurement: z = y + v, z the sensor model's
/// estimate for the cut, v white with NoiseSd. The offset b is what a new cutter's labels would reveal and no
/// signal can: it is not estimated (no cut separates it from w; letting the training cutters' start decide would
/// bend a new cutter towards their curves), so w = y − b and the band's variance is Var(y) + BiasSd² + (BiasPerUm·(y − InitialUm))². Without
/// that term 300 cuts would average the offset away as if it were noise and the band would be far too narrow.
/// Linear-Gaussian, so the Kalman filter is exact and deterministic (a particle filter with these near-static
/// parameters degenerated onto a few particles). Causal: the estimate after cut k uses cuts 1..k only, so it
/// runs live. Wear never shrinks: the caller takes the running maximum of the estimates.
/// </summary>
public static class WearStateFilter
{
    /// <summary>The standard normal's 95 % quantile: mean ± 1.645 sd is the 90 % band.</summary>
    public const double Z90 = 1.6448536;

    public static WearEstimate[] Run(IReadOnlyList<double> measurements, WearFilterSettings s)
    {
        const int n = 3; // y, r, c
        var x = new[] { s.InitialUm, s.RateUmPerCut, s.BreakInUmPerCut };
        var p = new double[n, n];
        p[0, 0] = s.InitialSd * s.InitialSd + s.BiasSd * s.BiasSd;
        p[1, 1] = Sq(s.RateRelSd * s.RateUmPerCut);
        p[2, 2] = Sq(s.BreakInRelSd * s.BreakInUmPerCut);
        double qw = s.StepSd * s.StepSd, qr = Sq(s.RateWalkSd * s.RateUmPerCut), rv = s.NoiseSd * s.NoiseSd;
        var result = new WearEstimate[measurements.Count];
        for (int k = 0; k < measurements.Count; k++)
        {
            if (k > 0)
            {
                // x ← F x with F = [[1, 1, e], [0, 1, 0], [0, 0, 1]], P ← F P Fᵀ + Q.
                double e = Math.Exp(-k / s.BreakInCuts);
                x[0] += x[1] + e * x[2];
                var f = new double[n, n];
                for (int i = 0; i < n; i++) f[i, i] = 1;
                f[0, 1] = 1; f[0, 2] = e;
                p = Mul(Mul(f, p), Transpose(f));
                p[0, 0] += qw;
                p[1, 1] += qr;
            }
            // Measurement H = [1, 0, 0]; a NaN measurement (no sensor information for this cut) leaves the prediction.
            if (double.IsNaN(measurements[k]))
            {
                if (x[1] < 0) x[1] = 0;
                double sp = Math.Sqrt(Math.Max(p[0, 0], 0) + Sq(s.BiasPerUm * Math.Max(0, x[0] - s.InitialUm)));
                result[k] = new WearEstimate(x[0], x[0] - Z90 * sp, x[0] + Z90 * sp);
                continue;
            }
            double innov = measurements[k] - x[0];
            double sInnov = p[0, 0] + rv;
            var gain = new double[n];
            for (int i = 0; i < n; i++) gain[i] = p[i, 0] / sInnov;
            for (int i = 0; i < n; i++) x[i] += gain[i] * innov;
            var hp = new double[n];
            for (int j = 0; j < n; j++) hp[j] = p[0, j];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) p[i, j] -= gain[i] * hp[j];
            // The rate of a wearing edge is not negative; project the mean back if an innovation pushed it below 0.
            if (x[1] < 0) x[1] = 0;
            double grown = Math.Max(0, x[0] - s.InitialUm);
            double sd = Math.Sqrt(Math.Max(p[0, 0], 0) + s.BiasSd * s.BiasSd + Sq(s.BiasPerUm * grown));
            result[k] = new WearEstimate(x[0], x[0] - Z90 * sd, x[0] + Z90 * sd);
        }
        return result;
    }

    private static double Sq(double v) => v * v;

    private static double[,] Mul(double[,] a, double[,] b)
    {
        int n = a.GetLength(0);
        var c = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += a[i, k] * b[k, j];
                c[i, j] = s;
            }
        return c;
    }

    private static double[,] Transpose(double[,] a)
    {
        int n = a.GetLength(0);
        var t = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) t[j, i] = a[i, j];
        return t;
    }
}
