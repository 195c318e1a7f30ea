namespace CncTwin.Mechanics.Stability;

/// <summary>
/// Matrix exponential of a small dense matrix by scaling and squaring with a [6/6] Padé approximant (Moler and
/// Van Loan, "Nineteen dubious ways...", method 3): scale so ‖A/2^s‖∞ ≤ ½, approximate, square s times.
/// </summary>
public static class MatrixExponential
{
    public static double[,] Exp(double[,] a)
    {
        int n = a.GetLength(0);
        double norm = 0;
        for (int i = 0; i < n; i++)
        {
            double row = 0;
            for (int j = 0; j < n; j++) row += Math.Abs(a[i, j]);
            norm = Math.Max(norm, row);
        }
        int s = norm > 0.5 ? (int)Math.Ceiling(Math.Log2(norm / 0.5)) : 0;
        double scale = Math.Pow(2, -s);
        var x = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) x[i, j] = a[i, j] * scale;
        const int q = 6;
        double c = 0.5;
        var e = Identity(n); var d = Identity(n);
        var power = Identity(n);
        for (int k = 1; k <= q; k++)
        {
            if (k > 1) c = c * (q - k + 1) / (k * (2.0 * q - k + 1));
            power = Multiply(power, x);
            double sign = (k & 1) == 1 ? -1 : 1;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) { e[i, j] += c * power[i, j]; d[i, j] += sign * c * power[i, j]; }
        }
        var r = Solve(d, e);
        for (int k = 0; k < s; k++) r = Multiply(r, r);
        return r;
    }

    public static double[,] Identity(int n)
    {
        var m = new double[n, n];
        for (int i = 0; i < n; i++) m[i, i] = 1;
        return m;
    }

    public static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), p = a.GetLength(1), m = b.GetLength(1);
        var r = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < p; k++)
            {
                double v = a[i, k];
                if (v == 0) continue;
                for (int j = 0; j < m; j++) r[i, j] += v * b[k, j];
            }
        return r;
    }

    /// <summary>D⁻¹·E by Gaussian elimination with partial pivoting (D is well conditioned after scaling).</summary>
    private static double[,] Solve(double[,] d, double[,] e)
    {
        int n = d.GetLength(0);
        var a = (double[,])d.Clone();
        var b = (double[,])e.Clone();
        for (int col = 0; col < n; col++)
        {
            int piv = col;
            for (int i = col + 1; i < n; i++) if (Math.Abs(a[i, col]) > Math.Abs(a[piv, col])) piv = i;
            if (piv != col)
                for (int j = 0; j < n; j++) { (a[col, j], a[piv, j]) = (a[piv, j], a[col, j]); (b[col, j], b[piv, j]) = (b[piv, j], b[col, j]); }
            double inv = 1 / a[col, col];
            for (int i = col + 1; i < n; i++)
            {
                double f = a[i, col] * inv;
                if (f == 0) continue;
                for (int j = col; j < n; j++) a[i, j] -= f * a[col, j];
                for (int j = 0; j < n; j++) b[i, j] -= f * b[col, j];
            }
        }
        for (int col = n - 1; col >= 0; col--)
        {
            double inv = 1 / a[col, col];
            for (int j = 0; j < n; j++)
            {
                double v = b[col, j];
                for (int k = col + 1; k < n; k++) v -= a[col, k] * b[k, j];
                b[col, j] = v * inv;
            }
        }
        return b;
    }
}
