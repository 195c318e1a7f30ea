using System.Globalization;
using System.Text;
using CncTwin.Core;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Simulation;
using CsvHelper;

namespace CncTwin.Studies;

/// <summary>Predicted against measured spindle power for one U-Mich experiment.</summary>
public sealed record UmichPowerFold(int Experiment, bool Calibration, int Samples, double Correlation, double RmseW, double BaselineRmseW, double MeanMeasuredCutW, double MeanPredictedCutW,
    double MeanPredictedWithLibraryWaxW, double MeasuredStdW);

public sealed record UmichPowerStudy(double KtcNPerMm2, double KteNPerMm, IReadOnlyList<UmichPowerFold> Folds, string Assumptions);

/// <summary>
/// The U-Mich replay study: each experiment's toolpath rebuilt from the controller's command positions (one
/// G1 per 100 ms sample, at the speed that covers it in 100 ms), simulated on the 2"×2"×1.5" wax block (top
/// 1 mm above the first layer, centred on the machining area) with an assumed cutter, and the cutting power
/// predicted per sample from unit cutting and edge coefficients. The wax coefficients (Ktc, Kte) are fitted by
/// least squares on the calibration experiments (measured power minus the experiment's idle power, the median
/// while repositioning) and the prediction is compared with the measurement on the other experiments.
/// </summary>
public static class UmichPowerReplay
{
    public const double BlockMm = 50.8, BlockHeightMm = 38.1, AssumedToolDiameterMm = 6.35;
    public const int AssumedFlutes = 2;

    private sealed record Row(double X, double Y, double Z, double SpindleRevPerS, double PowerW, string Process);

    private static List<Row> ReadRows(string path)
    {
        using var csv = CsvReader.FromFile(path, new CsvReaderOptions { TrackLineNumbers = true, TrimWhitespace = true });
        var rows = new List<Row>();
        if (!csv.Read()) return rows;
        var h = csv.Headers.ToArray();
        int C(string n) => Array.FindIndex(h, x => x == n) is int i and >= 0 ? i : throw new FormatException($"{path}:1: error: missing column {n}");
        int x = C("X1_CommandPosition"), y = C("Y1_CommandPosition"), z = C("Z1_CommandPosition"), s = C("S1_ActualVelocity"), p = C("S1_OutputPower"), m = C("Machining_Process");
        double N(int i) => double.TryParse(csv.GetString(i), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new FormatException($"{path}:{csv.LineNumber}:{i + 1}: error: '{h[i]}' = '{csv.GetString(i)}' is not a number");
        do rows.Add(new Row(N(x), N(y), N(z), N(s), N(p) * 1000, csv.GetString(m).Trim()));
        while (csv.Read());
        return rows;
    }

    /// <summary>Per sample of one experiment: measured cutting power (W, idle removed), predicted power with unit Ktc and unit Kte, and whether it is a machining sample.</summary>
    private static List<(double Measured, double UnitCut, double UnitEdge, bool Machining)> Simulate(string path)
    {
        var rows = ReadRows(path);
        int first = rows.FindIndex(r => r.Process.StartsWith("Layer", StringComparison.OrdinalIgnoreCase));
        if (first < 1) return [];
        var layer = rows.Where(r => r.Process.StartsWith("Layer", StringComparison.OrdinalIgnoreCase)).ToList();
        double top = layer.Max(r => r.Z) + 1, cx = 0.5 * (layer.Min(r => r.X) + layer.Max(r => r.X)), cy = 0.5 * (layer.Min(r => r.Y) + layer.Max(r => r.Y));
        var stock = VoxelStock.Box(new Vec3(cx - BlockMm / 2, cy - BlockMm / 2, top - BlockHeightMm), new Vec3(cx + BlockMm / 2, cy + BlockMm / 2, top), 0.2);
        // Idle (no-cut) spindle power: the median while repositioning with the spindle turning. (A line in spindle
        // speed fitted on the no-cut samples was tried: it extrapolates to kW errors on experiments whose
        // machining speeds lie outside the repositioning speeds.)
        var reposIdle = rows.Where(r => r.Process.StartsWith("Repos", StringComparison.OrdinalIgnoreCase) && r.SpindleRevPerS > 10).Select(r => r.PowerW).OrderBy(v => v).ToList();
        double idle = reposIdle.Count > 0 ? reposIdle[reposIdle.Count / 2] : 0;
        double Idle(Row r) => idle;
        // The program: from the first machining sample's predecessor, one G1 per sample.
        var g = new StringBuilder("G21 G90 G94 G17\n");
        var start = rows[first - 1];
        g.Append(string.Create(CultureInfo.InvariantCulture, $"G0 X{start.X:0.###} Y{start.Y:0.###} Z{Math.Max(start.Z, top + 2):0.###}\nG0 Z{start.Z:0.###}\nM3 S3200\n"));
        var index = new List<int>();
        for (int i = first; i < rows.Count; i++)
        {
            var a = rows[i - 1]; var b = rows[i];
            double d = Math.Sqrt((b.X - a.X) * (b.X - a.X) + (b.Y - a.Y) * (b.Y - a.Y) + (b.Z - a.Z) * (b.Z - a.Z));
            if (d < 1e-6) continue;
            double rpm = Math.Max(60, b.SpindleRevPerS * 60);
            g.Append(string.Create(CultureInfo.InvariantCulture, $"S{rpm:0} G1 X{b.X:0.###} Y{b.Y:0.###} Z{b.Z:0.###} F{Math.Max(1, d / 0.1 * 60):0.###}\n"));
            index.Add(i);
        }
        g.Append("M2\n");
        var tools = new ToolLibrary();
        tools.Add(new ToolDefinition(1, new FlatEndMill(AssumedToolDiameterMm, AssumedFlutes, 19, 30, 40, AssumedToolDiameterMm, 20), 0, "assumed 1/4 in end mill"));
        var unitCut = new CuttingLoadSimulator(new CuttingLoadOptions { Coefficients = new CuttingCoefficients(1, 0, 0, 0, 0, 0), Spindle = MachineProfile.DefaultVmc.Spindle });
        var unitEdge = new CuttingLoadSimulator(new CuttingLoadOptions { Coefficients = new CuttingCoefficients(1e-9, 0, 0, 1, 0, 0), Spindle = MachineProfile.DefaultVmc.Spindle });
        // The pipeline up to removal; the two unit-coefficient load models run on each move's engagement.
        var context = SimulationContext.CreateOrThrow(new SimulationRequest
        {
            ProgramPath = Path.GetFileName(path), ProgramText = g.ToString(), Machine = MachineProfile.DefaultVmc, Tools = tools, InitialTool = 1,
            StockFactory = () => stock, HomeZ = HomeZ.Zero, Device = SweepDevice.Cpu,
        });
        var result = new List<(double, double, double, bool)>();
        int lineOffset = 5; // program lines before the first sample's G1
        using var pass = new SimulationPass(context, new PassOptions { Stages = PipelineStages.Removal, ReadAhead = false });
        foreach (var m in pass.Moves())
        {
            var pm = m.Planned;
            if (pm.IsBlend) continue;
            int k = pm.Source.Line - lineOffset;
            if (k < 0 || k >= index.Count || pm.Move.Kind == MotionKind.Rapid) continue;
            var lc = unitCut.Process(m.Removal, m.Cutter);
            var le = unitEdge.Process(m.Removal, m.Cutter);
            var row = rows[index[k]];
            result.Add((row.PowerW - Idle(row), lc.MaxPowerW, le.MaxPowerW, row.Process.StartsWith("Layer", StringComparison.OrdinalIgnoreCase)));
        }
        return result;
    }

    public static UmichPowerStudy Run(string dataDir, IReadOnlyCollection<int> calibrationExperiments)
    {
        string dir = Path.Combine(dataDir, "umich-cnc-mill");
        var data = new Dictionary<int, List<(double Measured, double UnitCut, double UnitEdge, bool Machining)>>();
        for (int e = 1; e <= 18; e++)
        {
            string f = Path.Combine(dir, $"experiment_{e:00}.csv");
            if (File.Exists(f)) data[e] = Simulate(f).Where(x => x.Machining).ToList();
        }
        var cal = calibrationExperiments.Where(data.ContainsKey).SelectMany(e => data[e]).ToList();
        if (cal.Count < 10) throw new ArgumentException("too few calibration samples");
        // Least squares for measured ≈ Ktc·P(unit Ktc) + Kte·P(unit Kte).
        double s11 = 0, s12 = 0, s22 = 0, b1 = 0, b2 = 0;
        foreach (var (m, c, ed, _) in cal) { s11 += c * c; s12 += c * ed; s22 += ed * ed; b1 += c * m; b2 += ed * m; }
        double det = s11 * s22 - s12 * s12;
        double ktc = Math.Abs(det) > 1e-12 ? (b1 * s22 - b2 * s12) / det : b1 / Math.Max(1e-12, s11);
        double kte = Math.Abs(det) > 1e-12 ? (s11 * b2 - s12 * b1) / det : 0;
        // Coefficients are physically non-negative: if one comes out negative, fit the other alone.
        if (ktc < 0) { ktc = 0; kte = Math.Max(0, b2 / Math.Max(1e-12, s22)); }
        else if (kte < 0) { kte = 0; ktc = Math.Max(0, b1 / Math.Max(1e-12, s11)); }
        double calMean = cal.Average(x => x.Measured);
        var folds = new List<UmichPowerFold>();
        foreach (var (e, rows) in data.OrderBy(kv => kv.Key))
        {
            if (rows.Count < 5) continue;
            var pred = rows.Select(r => ktc * r.UnitCut + kte * r.UnitEdge).ToArray();
            var meas = rows.Select(r => r.Measured).ToArray();
            double corr = Pearson(pred, meas);
            double rmse = Math.Sqrt(pred.Zip(meas, (p, m) => (p - m) * (p - m)).Average());
            double baseRmse = Math.Sqrt(meas.Average(m => (m - calMean) * (m - calMean)));
            var wax = MaterialLibrary.BuiltIn().Get("wax").Coefficients;
            double lib = rows.Average(r => wax.Ktc * r.UnitCut + wax.Kte * r.UnitEdge);
            double mm = meas.Average(), sd = Math.Sqrt(meas.Average(m => (m - mm) * (m - mm)));
            folds.Add(new UmichPowerFold(e, calibrationExperiments.Contains(e), rows.Count, corr, rmse, baseRmse, mm, pred.Average(), lib, sd));
        }
        return new UmichPowerStudy(ktc, kte, folds,
            $"cutter assumed Ø{AssumedToolDiameterMm} mm {AssumedFlutes}-flute flat (not published); spindle speed = S1_ActualVelocity × 60 rpm; block top 1 mm above the first layer; idle power = the median while repositioning; coefficients fitted non-negative; baseline = the calibration experiments' mean cutting power");
    }

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb); }
        return saa > 0 && sbb > 0 ? sab / Math.Sqrt(saa * sbb) : 0;
    }
}
