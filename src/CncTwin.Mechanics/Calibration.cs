using MathNet.Numerics.LinearAlgebra;

namespace CncTwin.Mechanics;

/// <summary>
/// One calibration cut: a cylindrical end mill at constant immersion and the measured averages (N, W) that were
/// recorded for it; any measurement may be missing (NaN).
/// </summary>
public sealed record CalibrationCut(double DiameterMm, int Flutes, double HelixDeg, double RadialDepthMm, double AxialDepthMm, bool DownMilling,
    double Rpm, double FeedPerToothMm, double FxMeanN = double.NaN, double FyMeanN = double.NaN, double FzMeanN = double.NaN, double PowerMeanW = double.NaN);

public sealed record CalibrationResult(CuttingCoefficients Coefficients, bool[] Identified, double RmsResidual, int Equations);

/// <summary>
/// Fits the six coefficients to measured average forces and/or spindle power by linear least squares (QR,
/// MathNet). The model is linear in the coefficients, so each measurement's row of the design matrix is the
/// model's prediction with one coefficient set to 1 and the rest 0: this works for any immersion, helix and
/// mix of cuts, and reduces to Altintas' slot-cut regression (mean force against feed per tooth: slope → Kc,
/// intercept → Ke) for slots. Coefficients the data cannot determine (e.g. Krc from spindle power alone) are
/// reported as not identified and set from typical ratios to Ktc/Kte (radial 0.35, axial 0.1).
/// </summary>
public static class Calibration
{
    public static CalibrationResult Fit(IReadOnlyList<CalibrationCut> cuts)
    {
        if (cuts.Count == 0) throw new ArgumentException("no calibration cuts");
        var rows = new List<double[]>();
        var rhs = new List<double>();
        // Row scaling: each equation divided by its measured magnitude scale so forces and power weigh alike.
        foreach (var c in cuts)
        {
            var edge = EdgeSlices.Cylinder(c.DiameterMm, c.Flutes, c.HelixDeg, c.AxialDepthMm);
            var eng = ImmersionEngagement.FromRadialDepth(c.DiameterMm, Math.Min(c.RadialDepthMm, c.DiameterMm), c.DownMilling);
            var unit = new RevolutionForces[6];
            for (int k = 0; k < 6; k++) unit[k] = MillingForces.Revolution(edge, CuttingCoefficients.Unit(k), c.FeedPerToothMm, c.Rpm, eng, 360);
            void Add(double measured, Func<RevolutionForces, double> pick)
            {
                if (!double.IsFinite(measured)) return;
                var row = new double[6];
                for (int k = 0; k < 6; k++) row[k] = pick(unit[k]);
                double scale = Math.Max(1e-9, row.Max(Math.Abs));
                rows.Add(row.Select(v => v / scale).ToArray());
                rhs.Add(measured / scale);
            }
            Add(c.FxMeanN, r => r.FxMeanN);
            Add(c.FyMeanN, r => r.FyMeanN);
            Add(c.FzMeanN, r => r.FzMeanN);
            Add(c.PowerMeanW, r => r.PowerMeanW);
        }
        // Columns with no information are dropped from the fit.
        var identified = new bool[6];
        for (int k = 0; k < 6; k++) identified[k] = rows.Any(r => Math.Abs(r[k]) > 1e-9);
        var cols = Enumerable.Range(0, 6).Where(k => identified[k]).ToArray();
        if (rows.Count < cols.Length)
            throw new ArgumentException($"{rows.Count} measurements cannot determine {cols.Length} coefficients: measure more feeds per tooth (at least two per force component)");
        var a = Matrix<double>.Build.Dense(rows.Count, cols.Length, (i, j) => rows[i][cols[j]]);
        var b = Vector<double>.Build.DenseOfEnumerable(rhs);
        var x = a.QR().Solve(b);
        if (x.Any(v => !double.IsFinite(v))) throw new ArgumentException("the measurements do not determine the coefficients (vary the feed per tooth)");
        // Rank check: a nearly singular fit (e.g. one feed only) would give arbitrary edge/cutting splits.
        var sv = a.Svd(false).S;
        if (sv[sv.Count - 1] < 1e-9 * sv[0])
            throw new ArgumentException("the measurements do not separate cutting and edge coefficients: use at least two different feeds per tooth");
        var k6 = new double[6];
        for (int j = 0; j < cols.Length; j++) k6[cols[j]] = x[j];
        if (!identified[1]) k6[1] = MaterialLibrary.DefaultRadialRatio * k6[0];
        if (!identified[4]) k6[4] = MaterialLibrary.DefaultRadialRatio * k6[3];
        if (!identified[2]) k6[2] = MaterialLibrary.DefaultAxialRatio * k6[0];
        if (!identified[5]) k6[5] = MaterialLibrary.DefaultAxialRatio * k6[3];
        double rms = Math.Sqrt((a * x - b).Select(v => v * v).Average());
        return new CalibrationResult(CuttingCoefficients.FromArray(k6), identified, rms, rows.Count);
    }
}
