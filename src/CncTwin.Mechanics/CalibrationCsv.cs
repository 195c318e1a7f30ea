using System.Globalization;
using CsvHelper;

namespace CncTwin.Mechanics;

/// <summary>A calibration file that cannot be used: names the file, line and column.</summary>
public sealed class CalibrationDataException(string message) : Exception(message);

/// <summary>
/// Reads calibration cuts from CSV (CsvHelper). Header names (any order; extra columns ignored):
/// <c>diameter_mm, flutes, helix_deg, radial_depth_mm, axial_depth_mm, mode (up|down), rpm, feed_per_tooth_mm</c>
/// and at least one measured average: <c>fx_mean_n, fy_mean_n, fz_mean_n</c> (dynamometer, Altintas' axes:
/// feed along +X) or <c>power_w</c> (spindle power while cutting). Empty cells are "not measured". A power
/// column measured at the motor includes the idle power; give <c>idle_power_w</c> per row (or the command's
/// --idle-power-w) to subtract it. Lines starting with '#' are comments.
/// </summary>
public static class CalibrationCsv
{
    private static readonly string[] Required = ["diameter_mm", "flutes", "radial_depth_mm", "axial_depth_mm", "rpm", "feed_per_tooth_mm"];
    private static readonly string[] Measured = ["fx_mean_n", "fy_mean_n", "fz_mean_n", "power_w"];

    public static List<CalibrationCut> Read(string path, double idlePowerW = 0)
    {
        if (!File.Exists(path)) throw new CalibrationDataException($"{path}: error: file not found");
        var cuts = new List<CalibrationCut>();
        try
        {
            using var csv = CsvReader.FromFile(path, new CsvReaderOptions { CommentPrefix = '#', TrackLineNumbers = true, TrimWhitespace = true });
            if (!csv.Read()) throw new CalibrationDataException($"{path}:1: error: no calibration cuts (a header line and one row per cut)");
            var headers = csv.Headers.Select(h => h.Trim().ToLowerInvariant()).ToList();
            int Col(string name) => headers.IndexOf(name);
            foreach (var r in Required)
                if (Col(r) < 0) throw new CalibrationDataException($"{path}:1: error: missing column '{r}' (need {string.Join(", ", Required)} and one of {string.Join(", ", Measured)})");
            if (!Measured.Any(m => Col(m) >= 0)) throw new CalibrationDataException($"{path}:1: error: no measured column (one of {string.Join(", ", Measured)})");
            do
            {
                long line = csv.LineNumber;
                double Num(string name, bool required, double fallback = double.NaN)
                {
                    int i = Col(name);
                    if (i < 0 || i >= csv.FieldCount) return required ? throw new CalibrationDataException($"{path}:{line}: error: missing value '{name}'") : fallback;
                    string text = csv.GetString(i).Trim();
                    if (text.Length == 0) return required ? throw new CalibrationDataException($"{path}:{line}:{i + 1}: error: empty '{name}'") : fallback;
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                        throw new CalibrationDataException($"{path}:{line}:{i + 1}: error: '{name}' = '{text}' is not a number");
                    return v;
                }
                double d = Num("diameter_mm", true), n = Num("flutes", true), ae = Num("radial_depth_mm", true), ap = Num("axial_depth_mm", true);
                double rpm = Num("rpm", true), fz = Num("feed_per_tooth_mm", true), helix = Num("helix_deg", false, 30);
                if (!(d > 0) || !(n >= 1) || n != Math.Floor(n) || !(ae > 0) || !(ap > 0) || !(rpm > 0) || !(fz > 0) || !(helix >= 0 && helix < 89))
                    throw new CalibrationDataException($"{path}:{line}: error: impossible cut (diameter, radial and axial depth, rpm, feed per tooth must be positive, flutes a whole number >= 1, helix in [0, 89))");
                int mi = Col("mode");
                string mode = mi >= 0 && mi < csv.FieldCount ? csv.GetString(mi).Trim().ToLowerInvariant() : "down";
                if (mode is not ("up" or "down" or "")) throw new CalibrationDataException($"{path}:{line}:{mi + 1}: error: mode '{mode}' (up or down)");
                double power = Num("power_w", false);
                if (double.IsFinite(power)) power -= Num("idle_power_w", false, idlePowerW);
                cuts.Add(new CalibrationCut(d, (int)n, helix, Math.Min(ae, d), ap, mode != "up", rpm, fz,
                    Num("fx_mean_n", false), Num("fy_mean_n", false), Num("fz_mean_n", false), power));
            } while (csv.Read());
        }
        catch (CsvFormatException ex) { throw new CalibrationDataException($"{path}: error: malformed CSV: {ex.Message}"); }
        return cuts;
    }
}
