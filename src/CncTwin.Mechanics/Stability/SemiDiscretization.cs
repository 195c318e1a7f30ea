using MathNet.Numerics.LinearAlgebra;

namespace CncTwin.Mechanics.Stability;

/// <summary>
/// First-order semi-discretization (Insperger and Stépán, Int. J. Numer. Meth. Engng 61, 2004; Insperger,
/// Stépán and Turi, J. Sound Vib. 313, 2008) of the milling equation
///   M q̈ + C q̇ + K q = −a·Pᵀ·H(t)·P·(q(t) − q(t − τ)),
/// q the modal coordinates (every mode of x and y; x = Σ q of the x modes), τ the tooth period, H(t) the
/// periodic directional matrix of <see cref="CuttingProcess"/>. The period is cut into m steps; on each, H is
/// replaced by its average and the delayed state by linear interpolation between its two neighbouring samples,
/// and the step is solved exactly (matrix exponentials, by the augmented-matrix method). The resulting map of
/// z = [y_i, q_{i−1} … q_{i−m}] over one period is stable when its spectral radius is below 1.
/// </summary>
public sealed class SemiDiscretization
{
    private readonly ToolDynamics _dynamics;
    private readonly CuttingProcess _process;
    private readonly Mode[] _modes;
    private readonly int[] _dir; // 0 = x, 1 = y
    /// <summary>Fewest steps per tooth period.</summary>
    public int Steps { get; }
    /// <summary>Steps per period of the highest mode: at low speeds a tooth period spans many vibrations and needs more steps.</summary>
    public int StepsPerVibration { get; }

    /// <param name="steps">minimum steps per tooth period</param>
    /// <param name="stepsPerVibration">at least this many steps per period of the fastest mode (measured: 20 keeps the
    /// Insperger–Stépán benchmark within about 1 % of the m → ∞ limit; the error falls as 1/m²)</param>
    public SemiDiscretization(ToolDynamics dynamics, CuttingProcess process, int steps = 40, int stepsPerVibration = 20)
    {
        if (steps < 2) throw new ArgumentException("the semi-discretization needs at least 2 steps per period");
        _dynamics = dynamics; _process = process; Steps = steps; StepsPerVibration = stepsPerVibration;
        _modes = dynamics.X.Concat(dynamics.Y).ToArray();
        _dir = dynamics.X.Select(_ => 0).Concat(dynamics.Y.Select(_ => 1)).ToArray();
    }

    /// <summary>Largest |eigenvalue| of the one-period map at this speed and depth (mm): &lt; 1 is stable.</summary>
    public double SpectralRadius(double rpm, double depthMm)
    {
        double tau = 60 / (rpm * _process.Teeth);
        int nm = _modes.Length, n = 2 * nm, m = StepsFor(rpm), dim = n + m * nm;
        double dt = tau / m, a = depthMm / 1000;
        double omega = 2 * Math.PI * rpm / 60;
        var z = MatrixExponential.Identity(dim);
        Span<double> hSum = stackalloc double[4], hOne = stackalloc double[4];
        var aug = new double[3 * n, 3 * n];
        for (int i = 0; i < m; i++)
        {
            // Average of H over the step (sub-sampled: entry and exit make H jump inside a step).
            hSum.Clear();
            const int sub = 8;
            for (int k = 0; k < sub; k++)
            {
                _process.Matrix(omega * (i * dt + (k + 0.5) * dt / sub), hOne);
                for (int q = 0; q < 4; q++) hSum[q] += hOne[q] / sub;
            }
            // Modal cutting stiffness Kc = Pᵀ·H·P (nm × nm) and the step matrices.
            Array.Clear(aug);
            for (int r = 0; r < nm; r++)
            {
                var mode = _modes[r];
                double mass = mode.MassKg;
                aug[r, nm + r] = 1;
                for (int c = 0; c < nm; c++)
                {
                    double kc = a * hSum[_dir[r] * 2 + _dir[c]];
                    aug[nm + r, c] = -kc / mass - (r == c ? mode.StiffnessNPerM / mass : 0);
                }
                aug[nm + r, nm + r] -= mode.DampingNsPerM / mass;
            }
            // Augmented matrix [[A, I, 0], [0, 0, I], [0, 0, 0]]·dt: exp gives e^(A dt), Φ0 = ∫e^(A(dt−s))ds, dt·Φ1 = ∫e^(A(dt−s))·s ds.
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++) aug[r, c] *= dt;
            for (int r = 0; r < n; r++) { aug[r, n + r] = dt; aug[n + r, 2 * n + r] = dt; }
            var e = MatrixExponential.Exp(aug);
            // W0 = (Φ0 − Φ1)·B, W1 = Φ1·B with B = [0; M⁻¹·Kc] (n × nm): only the velocity rows of B are non-zero.
            var w0 = new double[n, nm];
            var w1 = new double[n, nm];
            for (int r = 0; r < n; r++)
                for (int c = 0; c < nm; c++)
                {
                    double s0 = 0, s1 = 0;
                    for (int k = 0; k < nm; k++)
                    {
                        double b = a * hSum[_dir[k] * 2 + _dir[c]] / _modes[k].MassKg;
                        double phi0 = e[r, n + nm + k], phi1 = e[r, 2 * n + nm + k] / dt;
                        s0 += (phi0 - phi1) * b;
                        s1 += phi1 * b;
                    }
                    w0[r, c] = s0; w1[r, c] = s1;
                }
            z = Step(z, e, w0, w1, n, nm, m);
        }
        var evd = Matrix<double>.Build.DenseOfArray(z).Evd(Symmetricity.Asymmetric);
        double rho = 0;
        foreach (var l in evd.EigenValues) rho = Math.Max(rho, l.Magnitude);
        return rho;
    }

    /// <summary>Steps per tooth period used at this speed.</summary>
    public int StepsFor(double rpm)
    {
        double tau = 60 / (rpm * _process.Teeth);
        double fMax = _modes.Max(x => x.FnHz);
        int m = Math.Clamp(Math.Max(Steps, (int)Math.Ceiling(StepsPerVibration * tau * fMax)), 2, 2000);
        return m + (m & 1); // even, so that half the steps is an exact halving (Richardson extrapolation)
    }

    /// <summary>Applies one step of the map to the accumulated product z (rows = state components).</summary>
    private static double[,] Step(double[,] z, double[,] e, double[,] w0, double[,] w1, int n, int nm, int m)
    {
        int dim = z.GetLength(0), cols = z.GetLength(1);
        var r = new double[dim, cols];
        // Row block of q_{i−m} and q_{i−m+1} (the latter is q_i itself when m = 1).
        int rowOld = n + (m - 1) * nm, rowNext = m >= 2 ? n + (m - 2) * nm : 0;
        for (int row = 0; row < n; row++)
            for (int col = 0; col < cols; col++)
            {
                double v = 0;
                for (int k = 0; k < n; k++) v += e[row, k] * z[k, col];
                for (int k = 0; k < nm; k++) v += w0[row, k] * z[rowOld + k, col] + w1[row, k] * z[rowNext + k, col];
                r[row, col] = v;
            }
        // q_i (the first nm rows of y_i) becomes the newest delayed sample; the rest shift by one.
        for (int k = 0; k < nm; k++)
            for (int col = 0; col < cols; col++) r[n + k, col] = z[k, col];
        for (int j = 1; j < m; j++)
            for (int k = 0; k < nm; k++)
                for (int col = 0; col < cols; col++) r[n + j * nm + k, col] = z[n + (j - 1) * nm + k, col];
        return r;
    }

    /// <summary>
    /// The smallest depth (mm) at which this speed is unstable: scanned upward in `scan` steps to aMaxMm, then
    /// bisected to relative tolerance tol. +∞ when stable all the way to aMaxMm.
    /// </summary>
    public double LimitingDepth(double rpm, double aMaxMm, int scan = 24, double tol = 1e-3) => Bisect(rpm, aMaxMm, scan, tol);

    /// <summary>
    /// The limiting depth Richardson-extrapolated from this discretization and one with half the steps: the
    /// first-order method's error falls as 1/m², so a + (a − a½)/3 removes its leading term. Used only when
    /// the two agree within 20 % (same lobe found by both).
    /// </summary>
    public double LimitingDepthExtrapolated(double rpm, double aMaxMm, int scan = 24, double tol = 1e-4)
    {
        double a = Bisect(rpm, aMaxMm, scan, tol);
        if (!double.IsFinite(a)) return a;
        var coarse = new SemiDiscretization(_dynamics, _process, Math.Max(2, Steps / 2), Math.Max(1, StepsPerVibration / 2));
        // The two resolutions must be exactly 2:1 for the extrapolation.
        if (coarse.StepsFor(rpm) * 2 != StepsFor(rpm)) return a;
        double half = coarse.Bisect(rpm, aMaxMm, scan, tol);
        if (!double.IsFinite(half) || Math.Abs(a - half) > 0.2 * a) return a;
        return a + (a - half) / 3;
    }

    private double Bisect(double rpm, double aMaxMm, int scan, double tol)
    {
        double lo = 0, hi = double.NaN;
        for (int k = 1; k <= scan; k++)
        {
            double a = aMaxMm * k / scan;
            if (SpectralRadius(rpm, a) > 1) { hi = a; break; }
            lo = a;
        }
        if (double.IsNaN(hi)) return double.PositiveInfinity;
        while (hi - lo > tol * hi)
        {
            double mid = 0.5 * (lo + hi);
            if (SpectralRadius(rpm, mid) > 1) hi = mid; else lo = mid;
        }
        return 0.5 * (lo + hi);
    }
}
