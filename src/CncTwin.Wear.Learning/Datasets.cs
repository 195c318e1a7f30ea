using System.Globalization;
using System.IO.Compression;
using CsvHelper;

using CncTwin.Wear;

namespace CncTwin.Wear.Learning;

/// <summary>A dataset file that is missing, truncated or malformed: names the file and line.</summary>
public sealed class DatasetException(string message) : Exception(message);

/// <summary>Where the real datasets are: $CNCTWIN_DATA, else ../shared/data above the working directory or the program.</summary>
public static class DataLocation
{
    public static string? Find(string? explicitDir = null)
    {
        if (explicitDir != null) return Directory.Exists(explicitDir) ? Path.GetFullPath(explicitDir) : null;
        var env = Environment.GetEnvironmentVariable("CNCTWIN_DATA");
        if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? Path.GetFullPath(env) : null;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, "shared", "data");
                if (Directory.Exists(candidate) && d.Name != "shared") return candidate;
                candidate = Path.Combine(d.FullName, "..", "shared", "data");
                if (File.Exists(Path.Combine(d.FullName, "CncTwin.sln")) && Directory.Exists(candidate)) return Path.GetFullPath(candidate);
            }
        }
        return null;
    }

    public const string Help = "the datasets live in ../shared/data beside the checkout (PHM 2010, NASA milling, U-Mich CNC mill; see that folder's README for their origin), or set CNCTWIN_DATA to the folder";
}

internal static class Csv
{
    public static CsvReader Open(string path)
    {
        if (!File.Exists(path)) throw new DatasetException($"{path}: error: file not found ({DataLocation.Help})");
        return CsvReader.FromFile(path, new CsvReaderOptions { TrackLineNumbers = true, TrimWhitespace = true });
    }

    public static double Num(CsvReader csv, int index, string path, string name)
    {
        if (index >= csv.FieldCount) throw new DatasetException($"{path}:{csv.LineNumber}: error: row ends before column '{name}'");
        string s = csv.GetString(index);
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            throw new DatasetException($"{path}:{csv.LineNumber}:{index + 1}: error: '{name}' = '{s}' is not a number");
        return v;
    }

    public static int Col(IReadOnlyList<string> headers, string name, string path)
    {
        for (int i = 0; i < headers.Count; i++) if (string.Equals(headers[i].Trim(), name, StringComparison.OrdinalIgnoreCase)) return i;
        throw new DatasetException($"{path}:1: error: missing column '{name}'");
    }
}

/// <summary>One cut of a PHM 2010 cutter: its 196 sensor features and, for labelled cutters, the mean flank wear of its three flutes (µm).</summary>
public sealed record PhmCut(int Cut, float[] Features, double? WearUm);

/// <summary>
/// PHM Society 2010 data challenge (high-speed milling of hardened stainless steel with 3-flute ball-nose
/// carbide cutters; 315 cuts per cutter): c{n}_features.csv and, for c1 and c4, c{n}_wear.csv.
/// </summary>
public static class Phm2010
{
    public const int Cuts = 315;
    /// <summary>Cutting conditions of every PHM 2010 cut: 10 400 rpm, 1 555 mm/min, ae 0.125 mm, ap 0.2 mm, Ø6 mm 3-flute ball nose.</summary>
    public const double Rpm = 10_400, FeedMmPerMin = 1_555, RadialDepthMm = 0.125, AxialDepthMm = 0.2, DiameterMm = 6;

    public static (string[] Names, List<PhmCut> Cuts) Read(string dataDir, string cutter)
    {
        string dir = Path.Combine(dataDir, "phm2010");
        string fpath = Path.Combine(dir, $"{cutter}_features.csv");
        var cuts = new List<PhmCut>();
        string[] names;
        using (var csv = Csv.Open(fpath))
        {
            if (!csv.Read()) throw new DatasetException($"{fpath}: error: empty file");
            var headers = csv.Headers.ToArray();
            int cutCol = Csv.Col(headers, "cut", fpath);
            var featureCols = Enumerable.Range(0, headers.Length).Where(i => i != cutCol).ToArray();
            names = featureCols.Select(i => headers[i]).ToArray();
            do
            {
                var f = new float[featureCols.Length];
                for (int j = 0; j < f.Length; j++) f[j] = (float)Csv.Num(csv, featureCols[j], fpath, headers[featureCols[j]]);
                cuts.Add(new PhmCut((int)Csv.Num(csv, cutCol, fpath, "cut"), f, null));
            } while (csv.Read());
        }
        string wpath = Path.Combine(dir, $"{cutter}_wear.csv");
        if (File.Exists(wpath))
        {
            var wear = new Dictionary<int, double>();
            using var csv = Csv.Open(wpath);
            if (csv.Read())
            {
                var headers = csv.Headers.ToArray();
                int c = Csv.Col(headers, "cut", wpath);
                var flutes = headers.Select((h, i) => (h, i)).Where(x => x.h.StartsWith("flute", StringComparison.OrdinalIgnoreCase)).Select(x => x.i).ToArray();
                if (flutes.Length == 0) throw new DatasetException($"{wpath}:1: error: no flute_N columns");
                do wear[(int)Csv.Num(csv, c, wpath, "cut")] = flutes.Average(i => Csv.Num(csv, i, wpath, headers[i]));
                while (csv.Read());
            }
            cuts = cuts.Select(x => x with { WearUm = wear.TryGetValue(x.Cut, out var w) ? w : null }).ToList();
        }
        cuts.Sort((a, b) => a.Cut.CompareTo(b.Cut));
        return (names, cuts);
    }

    public static bool IsLabelled(string dataDir, string cutter) => File.Exists(Path.Combine(dataDir, "phm2010", $"{cutter}_wear.csv"));
}

/// <summary>One run of the NASA milling data: conditions, measured VB (mm, if measured) and features of its signals.</summary>
public sealed record NasaRun(int Idx, int Case, int Run, double? VbMm, double TimeMin, double DocMm, double FeedMmPerRev, int Material, float[] SignalFeatures);

/// <summary>
/// NASA Ames / UC Berkeley milling data (Agogino and Goebel 2007): 16 cases of a 70 mm 6-insert face mill at 826 rpm;
/// mill_runs.csv and the gzip'd signals (spindle motor current AC/DC, table and spindle vibration, table AE at 250 Hz).
/// Signals are streamed (GZipStream + CsvHelper) and reduced per run to RMS, mean and standard deviation.
/// </summary>
public static class NasaMill
{
    public const double Rpm = 826, CutterDiameterMm = 70, Inserts = 6;
    public static readonly string[] SignalNames = ["smcAC", "smcDC", "vib_table", "vib_spindle", "AE_table"];
    public static readonly string[] FeatureNames = SignalNames.SelectMany(s => new[] { s + "_rms", s + "_mean", s + "_std" }).ToArray();

    public static List<NasaRun> Read(string dataDir)
    {
        string dir = Path.Combine(dataDir, "nasa-mill");
        string rpath = Path.Combine(dir, "mill_runs.csv");
        var runs = new List<(int Idx, int Case, int Run, double? Vb, double Time, double Doc, double Feed, int Mat, bool Corrupt)>();
        using (var csv = Csv.Open(rpath))
        {
            if (!csv.Read()) throw new DatasetException($"{rpath}: error: empty file");
            var h = csv.Headers.ToArray();
            int ci = Csv.Col(h, "idx", rpath), cc = Csv.Col(h, "case", rpath), cr = Csv.Col(h, "run", rpath), cv = Csv.Col(h, "VB_mm", rpath), ct = Csv.Col(h, "time", rpath),
                cd = Csv.Col(h, "DOC_mm", rpath), cf = Csv.Col(h, "feed", rpath), cm = Csv.Col(h, "material", rpath), cx = Csv.Col(h, "corrupt", rpath);
            do
            {
                string vb = cv < csv.FieldCount ? csv.GetString(cv).Trim() : "";
                runs.Add(((int)Csv.Num(csv, ci, rpath, "idx"), (int)Csv.Num(csv, cc, rpath, "case"), (int)Csv.Num(csv, cr, rpath, "run"),
                    vb.Length == 0 ? null : Csv.Num(csv, cv, rpath, "VB_mm"), Csv.Num(csv, ct, rpath, "time"), Csv.Num(csv, cd, rpath, "DOC_mm"),
                    Csv.Num(csv, cf, rpath, "feed"), (int)Csv.Num(csv, cm, rpath, "material"), Csv.Num(csv, cx, rpath, "corrupt") != 0));
            } while (csv.Read());
        }
        // Per-run sums for RMS/mean/std of each signal, streamed from the gzip'd CSV.
        var sums = new Dictionary<int, double[]>();
        string spath = Path.Combine(dir, "mill_signals.csv.gz");
        if (!File.Exists(spath)) throw new DatasetException($"{spath}: error: file not found ({DataLocation.Help})");
        using (var gz = new GZipStream(File.OpenRead(spath), CompressionMode.Decompress))
        using (var reader = new StreamReader(gz))
        using (var csv = CsvReader.Create(reader, new CsvReaderOptions { TrackLineNumbers = true }))
        {
            try
            {
                if (!csv.Read()) throw new DatasetException($"{spath}: error: empty file");
                var h = csv.Headers.ToArray();
                int ci = Csv.Col(h, "idx", spath);
                var cols = SignalNames.Select(n => Csv.Col(h, n, spath)).ToArray();
                do
                {
                    int idx = (int)Csv.Num(csv, ci, spath, "idx");
                    if (!sums.TryGetValue(idx, out var s)) sums[idx] = s = new double[1 + 2 * cols.Length];
                    s[0]++;
                    for (int k = 0; k < cols.Length; k++)
                    {
                        double v = Csv.Num(csv, cols[k], spath, SignalNames[k]);
                        s[1 + 2 * k] += v; s[2 + 2 * k] += v * v;
                    }
                } while (csv.Read());
            }
            catch (InvalidDataException ex) { throw new DatasetException($"{spath}: error: truncated or corrupt gzip ({ex.Message})"); }
        }
        var result = new List<NasaRun>();
        foreach (var r in runs)
        {
            if (r.Corrupt || !sums.TryGetValue(r.Idx, out var s) || s[0] < 2) continue;
            var f = new float[FeatureNames.Length];
            for (int k = 0; k < SignalNames.Length; k++)
            {
                double n = s[0], mean = s[1 + 2 * k] / n, ms = s[2 + 2 * k] / n;
                f[3 * k] = (float)Math.Sqrt(ms); f[3 * k + 1] = (float)mean; f[3 * k + 2] = (float)Math.Sqrt(Math.Max(0, ms - mean * mean));
            }
            result.Add(new NasaRun(r.Idx, r.Case, r.Run, r.Vb, r.Time, r.Doc, r.Feed, r.Mat, f));
        }
        return result;
    }
}

/// <summary>A window of U-Mich controller telemetry during active machining, with its experiment's label.</summary>
public sealed record UmichWindow(int Experiment, bool Worn, double FeedrateMmPerS, double ClampPressureBar, float[] Features);

/// <summary>
/// University of Michigan SMART lab CNC mill (18 experiments on wax, 100 ms controller samples; worn/unworn per
/// experiment). Only active machining rows count (Machining_Process "Layer …", and not the rows the dataset's notes
/// mark as not machining: M1_CURRENT_FEEDRATE = 50 or X1 = 198); each experiment is cut into windows of consecutive samples and every
/// window reduced to means and standard deviations of the spindle and axis drive signals.
/// </summary>
public static class UmichMill
{
    public static readonly string[] Signals =
    [
        "S1_OutputPower", "S1_OutputCurrent", "S1_CurrentFeedback", "S1_ActualVelocity", "X1_OutputCurrent", "Y1_OutputCurrent", "Z1_OutputCurrent",
        "X1_OutputPower", "Y1_OutputPower", "X1_CurrentFeedback", "Y1_CurrentFeedback",
    ];
    public static readonly string[] FeatureNames = Signals.SelectMany(s => new[] { s + "_mean", s + "_std" }).Append("feedrate_mm_s").ToArray();

    /// <summary>train.csv: per experiment the tool condition, feed rate (mm/s) and clamp pressure (bar).</summary>
    public static SortedDictionary<int, (bool Worn, double Feed, double Clamp)> ReadConditions(string dir)
    {
        string tpath = Path.Combine(dir, "train.csv");
        var meta = new SortedDictionary<int, (bool Worn, double Feed, double Clamp)>();
        using var csv = Csv.Open(tpath);
        if (!csv.Read()) throw new DatasetException($"{tpath}: error: empty file");
        var h = csv.Headers.ToArray();
        int cn = Csv.Col(h, "No", tpath), cf = Csv.Col(h, "feedrate", tpath), cp = Csv.Col(h, "clamp_pressure", tpath), cw = Csv.Col(h, "tool_condition", tpath);
        do
        {
            string cond = csv.GetString(cw).Trim().ToLowerInvariant();
            if (cond is not ("worn" or "unworn")) throw new DatasetException($"{tpath}:{csv.LineNumber}:{cw + 1}: error: tool_condition '{cond}' (worn or unworn)");
            meta[(int)Csv.Num(csv, cn, tpath, "No")] = (cond == "worn", Csv.Num(csv, cf, tpath, "feedrate"), Csv.Num(csv, cp, tpath, "clamp_pressure"));
        } while (csv.Read());
        return meta;
    }

    public static List<UmichWindow> Read(string dataDir, int windowSamples = 50)
    {
        string dir = Path.Combine(dataDir, "umich-cnc-mill");
        var meta = UmichMill.ReadConditions(dir);
        var windows = new List<UmichWindow>();
        foreach (var (exp, m) in meta)
        {
            string path = Path.Combine(dir, $"experiment_{exp:00}.csv");
            using var csv = Csv.Open(path);
            if (!csv.Read()) continue;
            var h = csv.Headers.ToArray();
            var cols = Signals.Select(s => Csv.Col(h, s, path)).ToArray();
            int proc = Csv.Col(h, "Machining_Process", path), feed = Csv.Col(h, "M1_CURRENT_FEEDRATE", path), x1 = Csv.Col(h, "X1_ActualPosition", path);
            var acc = new List<double[]>();
            void Flush()
            {
                if (acc.Count < windowSamples / 2) { acc.Clear(); return; }
                var f = new float[FeatureNames.Length];
                for (int k = 0; k < cols.Length; k++)
                {
                    double mean = acc.Average(r => r[k]);
                    f[2 * k] = (float)mean;
                    f[2 * k + 1] = (float)Math.Sqrt(acc.Average(r => (r[k] - mean) * (r[k] - mean)));
                }
                f[^1] = (float)m.Feed;
                windows.Add(new UmichWindow(exp, m.Worn, m.Feed, m.Clamp, f));
                acc.Clear();
            }
            do
            {
                string p = csv.GetString(proc).Trim();
                if (!p.StartsWith("Layer", StringComparison.OrdinalIgnoreCase)) { Flush(); continue; }
                // Rows the dataset's notes mark as not reflecting the machine come in blocks of about ten between
                // good ones: skip them without closing the window (closing it threw away most of the fast runs).
                if (Csv.Num(csv, feed, path, "M1_CURRENT_FEEDRATE") == 50 || Csv.Num(csv, x1, path, "X1_ActualPosition") == 198) continue;
                acc.Add(cols.Select((c, k) => Csv.Num(csv, c, path, Signals[k])).ToArray());
                if (acc.Count == windowSamples) Flush();
            } while (csv.Read());
            Flush();
        }
        return windows;
    }
}

/// <summary>
/// What one U-Mich run's telemetry says about its cutting, for the model card's "why not every fold": spindle power
/// while cutting against spindle power spinning in air in the same run, and the highest machine Z it cuts at.
/// </summary>
public sealed record UmichRunCheck(int Experiment, bool Worn, double FeedMmPerS, int CutSamples, int AirSamples, double CutPowerW, double AirPowerW,
    double AirStdErrW, double TopCutZMm)
{
    public double CuttingPowerW => CutPowerW - AirPowerW;
}

public static class UmichRunChecks
{
    /// <summary>
    /// Rows that reflect the machine (not feed 50 or X1 198) with the spindle at its commanded speed (within 1.5
    /// of S1_CommandVelocity, above 50). Cutting: tool at or below machine Z 30 mm (the block's top layers are at
    /// 29.5-29.7) moving at 0.6-1.4 x the programmed feed. Air: tool at or above Z 31 mm, or moving faster than
    /// 1.5 x the feed (rapids). Power means in W; the air mean's standard error from its sample spread.
    /// </summary>
    public static List<UmichRunCheck> Read(string dataDir)
    {
        string dir = Path.Combine(dataDir, "umich-cnc-mill");
        var result = new List<UmichRunCheck>();
        foreach (var (exp, (worn, feed, _)) in UmichMill.ReadConditions(dir))
        {
            string path = Path.Combine(dir, $"experiment_{exp:00}.csv");
            using var csv = Csv.Open(path);
            if (!csv.Read()) continue;
            var h = csv.Headers.ToArray();
            string[] names = ["M1_CURRENT_FEEDRATE", "X1_ActualPosition", "S1_ActualVelocity", "S1_CommandVelocity", "Z1_CommandPosition", "X1_CommandVelocity", "Y1_CommandVelocity", "S1_OutputPower"];
            int[] c = names.Select(n => Csv.Col(h, n, path)).ToArray();
            double cutSum = 0, airSum = 0, airSq = 0, top = double.NegativeInfinity;
            int nCut = 0, nAir = 0;
            do
            {
                double V(int k) => Csv.Num(csv, c[k], path, names[k]);
                if (V(0) == 50 || V(1) == 198) continue;
                double sAct = V(2), sCmd = V(3);
                if (!(sCmd > 50) || Math.Abs(sAct - sCmd) >= 1.5) continue;
                double z = V(4), vxy = Math.Sqrt(V(5) * V(5) + V(6) * V(6)), p = V(7) * 1000;
                if (z <= 30 && vxy > 0.6 * feed && vxy < 1.4 * feed) { cutSum += p; nCut++; top = Math.Max(top, z); }
                else if (z >= 31 || vxy > 1.5 * feed) { airSum += p; airSq += p * p; nAir++; }
            } while (csv.Read());
            double airMean = nAir > 0 ? airSum / nAir : double.NaN;
            double airSe = nAir > 1 ? Math.Sqrt(Math.Max(0, airSq / nAir - airMean * airMean) * nAir / (nAir - 1) / nAir) : double.NaN;
            result.Add(new UmichRunCheck(exp, worn, feed, nCut, nAir, nCut > 0 ? cutSum / nCut : double.NaN, airMean, airSe, nCut > 0 ? top : double.NaN));
        }
        return result;
    }
}
