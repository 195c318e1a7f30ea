using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CncTwin.Mechanics;
using CncTwin.Mechanics.Stability;
using CncTwin.Report;

namespace CncTwin.Cli;

/// <summary><c>cnctwin forces</c> and <c>cnctwin lobes</c>: the force model and stability charts on their own.</summary>
internal static class MechanicsCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command BuildForces()
    {
        var diameter = new Option<double>("--diameter") { Description = "cutter diameter, mm", Required = true };
        var flutes = new Option<int>("--flutes") { Description = "number of teeth", Required = true };
        var helix = new Option<double>("--helix") { Description = "helix angle, degrees", DefaultValueFactory = _ => 30 };
        var rpm = new Option<double>("--rpm") { Description = "spindle speed, rpm", Required = true };
        var fz = new Option<double>("--feed-per-tooth") { Description = "feed per tooth, mm", Required = true };
        var ae = new Option<double>("--radial-depth") { Description = "radial depth of cut (width), mm; >= diameter is a slot", Required = true };
        var ap = new Option<double>("--axial-depth") { Description = "axial depth of cut, mm", Required = true };
        var mode = new Option<string>("--mode") { Description = "up or down milling", DefaultValueFactory = _ => "down" };
        mode.AcceptOnlyFromAmong("up", "down");
        var material = new Option<string?>("--material") { Description = "work material from the library (see --list-materials)" };
        var coefficients = new Option<string?>("--coefficients") { Description = "ktc=..,krc=..,kac=.. (N/mm²),kte=..,kre=..,kae=.. (N/mm) instead of --material" };
        var materials = new Option<string?>("--materials") { Description = "extra material library JSON (adds to / replaces built-in entries)" };
        var format = new Option<string>("--format") { Description = "json or table", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("json", "table");
        var steps = new Option<int>("--steps") { Description = "rotation angles sampled per tooth period", DefaultValueFactory = _ => 720 };
        var cmd = new Command("forces", "Milling forces (Altintas mechanistic model) for one cut: mean and peak over a revolution.")
        {
            diameter, flutes, helix, rpm, fz, ae, ap, mode, material, coefficients, materials, format, steps,
        };
        cmd.SetAction(pr =>
        {
            try
            {
                double d = pr.GetValue(diameter), s = pr.GetValue(rpm), f = pr.GetValue(fz), a = pr.GetValue(ae), z = pr.GetValue(ap), h = pr.GetValue(helix);
                int n = pr.GetValue(flutes);
                // Finite and bounded: the work grows with steps x axial slices, and 1e308 mm is no cutter.
                static bool Ok(double v, double max) => v > 0 && v <= max;
                if (!Ok(d, 10_000) || n < 1 || n > 1000 || !Ok(s, 1e6) || !Ok(f, 100) || !Ok(a, 10_000) || !Ok(z, 10_000) || !(h >= 0 && h < 89)
                    || pr.GetValue(steps) < 8 || pr.GetValue(steps) > 100_000)
                    throw new ArgumentException("diameter, flutes, rpm, feed per tooth, radial and axial depth must be positive and finite (diameter and depths up to 10 000 mm, flutes up to 1 000, rpm up to 1e6, feed per tooth up to 100 mm), helix in [0, 89) degrees, steps in [8, 100 000]");
                var (k, label) = Coefficients(pr.GetValue(material), pr.GetValue(coefficients), pr.GetValue(materials));
                var edge = EdgeSlices.Cylinder(d, n, h, z);
                var eng = ImmersionEngagement.FromRadialDepth(d, Math.Min(a, d), pr.GetValue(mode) == "down");
                var r = MillingForces.Revolution(edge, k, f, s, eng, pr.GetValue(steps));
                var fields = new (string, double)[]
                {
                    ("fx_mean_n", r.FxMeanN), ("fy_mean_n", r.FyMeanN), ("fz_mean_n", r.FzMeanN), ("torque_mean_nm", r.TorqueMeanNm), ("power_mean_w", r.PowerMeanW),
                    ("fx_max_n", r.FxMaxN), ("fy_max_n", r.FyMaxN), ("fz_max_n", r.FzMaxN), ("fxy_max_n", r.FxyMaxN), ("torque_max_nm", r.TorqueMaxNm),
                    ("entry_deg", eng.StartRad * 180 / Math.PI), ("exit_deg", eng.ExitRad * 180 / Math.PI), ("mrr_mm3_min", Math.Min(a, d) * z * f * n * s),
                };
                if (pr.GetValue(format) == "json")
                {
                    using var w = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
                    w.WriteStartObject();
                    foreach (var (name, v) in fields) w.WriteNumber(name, Math.Round(v, 6));
                    w.WriteString("coefficients", k.ToString());
                    w.WriteString("material", label);
                    w.WriteEndObject();
                    w.Flush();
                    Console.WriteLine();
                }
                else
                {
                    Console.WriteLine($"material: {label}   ({k})");
                    foreach (var (name, v) in fields) Console.WriteLine($"{name,-16} {v.ToString("0.###", Inv),12}");
                }
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or FileNotFoundException)
            {
                Console.Error.WriteLine($"forces: error: {e.Message}");
                return CliApp.ExitUsage;
            }
        });
        return cmd;
    }

    /// <summary>The library's rule (a material or coefficients, not both), with its words for them put as this command's flags.</summary>
    internal static (CuttingCoefficients, string) Coefficients(string? material, string? coefficients, string? materialsFile)
    {
        try { return CncTwin.Simulation.SimulationContext.ResolveCoefficients(material, coefficients, materialsFile); }
        catch (ArgumentException ex) when (ex.Message.StartsWith("give ", StringComparison.Ordinal))
        {
            throw new ArgumentException(coefficients != null ? "give --material or --coefficients, not both" : "give --material NAME or --coefficients ktc=..,krc=..");
        }
    }

    public static Command BuildLobes()
    {
        var method = new Option<string>("--method") { Description = "zoa (Altintas–Budak zero-order) or sdm (Insperger–Stépán semi-discretization)", DefaultValueFactory = _ => "zoa" };
        method.AcceptOnlyFromAmong("zoa", "sdm");
        var dynamics = new Option<string>("--dynamics") { Description = "tool-tip modes JSON: {\"x\":[{\"fn_hz\":..,\"zeta\":..,\"k_n_per_m\":..}],\"y\":[...]}", Required = true };
        var teeth = new Option<int>("--teeth") { Description = "number of teeth", Required = true };
        var material = new Option<string?>("--material") { Description = "work material (its ktc and krc)" };
        var materials = new Option<string?>("--materials") { Description = "extra material library JSON" };
        var ktc = new Option<double?>("--ktc") { Description = "tangential cutting coefficient, N/mm²" };
        var krc = new Option<double?>("--krc") { Description = "radial cutting coefficient, N/mm²" };
        var immersion = new Option<double>("--radial-immersion") { Description = "radial immersion a/D in (0, 1]", Required = true };
        var mode = new Option<string>("--mode") { Description = "up or down milling", DefaultValueFactory = _ => "down" };
        mode.AcceptOnlyFromAmong("up", "down");
        var rpm = new Option<string?>("--rpm") { Description = "spindle speeds, comma separated" };
        var range = new Option<string?>("--rpm-range") { Description = "spindle speeds MIN:MAX:STEP" };
        var format = new Option<string>("--format") { Description = "csv, json or svg", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json", "svg");
        var steps = new Option<int>("--steps") { Description = "sdm: time steps per tooth period", DefaultValueFactory = _ => 40 };
        var cmd = new Command("lobes", "Stability lobes: limiting axial depth of cut against spindle speed.")
        {
            method, dynamics, teeth, material, materials, ktc, krc, immersion, mode, rpm, range, format, steps,
        };
        cmd.SetAction(pr =>
        {
            try
            {
                double kt, kr;
                if (pr.GetValue(material) is string mat)
                {
                    if (pr.GetValue(ktc) != null || pr.GetValue(krc) != null) throw new ArgumentException("give --material or --ktc/--krc, not both");
                    var k = MaterialLibrary.Load(pr.GetValue(materials)).Get(mat).Coefficients;
                    kt = k.Ktc; kr = k.Krc;
                }
                else
                {
                    kt = pr.GetValue(ktc) ?? throw new ArgumentException("give --material NAME or --ktc and --krc (N/mm²)");
                    kr = pr.GetValue(krc) ?? throw new ArgumentException("--krc is required with --ktc");
                }
                double[] rpms = pr.GetValue(rpm) is string list
                    ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => double.TryParse(s, NumberStyles.Float, Inv, out double v) ? v : throw new FormatException($"--rpm: '{s}' is not a number")).ToArray()
                    : pr.GetValue(range) is string spec ? StabilityChart.Range(spec) : throw new ArgumentException("give --rpm S1,S2,... or --rpm-range MIN:MAX:STEP");
                var dyn = ToolDynamics.Load(pr.GetValue(dynamics)!);
                var process = CuttingProcess.FromImmersion(pr.GetValue(teeth), kt, kr, pr.GetValue(immersion), pr.GetValue(mode) == "down");
                // The semi-discretization's work grows as steps³ per speed (200 steps: ~8 s, 400: ~1 min, and the
                // convergence check runs twice the steps); 40 is already within ~1 % of the limit.
                if (pr.GetValue(method) == "sdm" && pr.GetValue(steps) > 200) throw new ArgumentException($"--steps {pr.GetValue(steps)}: at most 200 steps per period (40 is within ~1 % of the converged limit)");
                // SDM over many speeds takes minutes: a bar on a terminal, a plain line every 10 s in a pipe or log.
                var clock = System.Diagnostics.Stopwatch.StartNew();
                long nextLine = 10_000;
                double done = 0;
                IProgress<double> report = new SyncProgress<double>(f =>
                {
                    Interlocked.Exchange(ref done, f);
                    if (!Console.IsErrorRedirected || clock.ElapsedMilliseconds < Interlocked.Read(ref nextLine)) return;
                    Interlocked.Exchange(ref nextLine, clock.ElapsedMilliseconds + 10_000);
                    Console.Error.WriteLine(string.Create(Inv, $"lobes: {100 * f:0} % of {rpms.Length} speeds, {clock.Elapsed.TotalSeconds:0} s elapsed"));
                });
                StabilityResult result;
                using (pr.GetValue(method) == "sdm" && !Console.IsErrorRedirected && rpms.Length > 20 ? new ProgressDisplay("lobes (sdm)", 1000, () => (long)(1000 * Interlocked.CompareExchange(ref done, 0, 0))) : null)
                    result = StabilityChart.Compute(pr.GetValue(method)!, dyn, process, rpms, pr.GetValue(steps), report);
                WriteChart(Console.Out, result, pr.GetValue(format)!, $"{pr.GetValue(method)!.ToUpperInvariant()} lobes, {pr.GetValue(teeth)} teeth, a/D {pr.GetValue(immersion).ToString(Inv)}, {pr.GetValue(mode)} milling");
                if (result.Method == "sdm") Console.Error.WriteLine($"sdm: {result.SdmSteps} steps per period; limits change by at most {result.SdmConvergenceRel:P2} with {2 * result.SdmSteps} steps");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or FileNotFoundException or DirectoryNotFoundException)
            {
                Console.Error.WriteLine($"lobes: error: {e.Message}");
                return CliApp.ExitUsage;
            }
        });
        return cmd;
    }

    public static void WriteChart(TextWriter w, StabilityResult r, string format, string title)
    {
        static string N(double v) => double.IsFinite(v) ? v.ToString("0.#####", Inv) : "inf";
        switch (format)
        {
            case "csv":
                w.Write("rpm,alim_mm\n");
                foreach (var p in r.Points) w.Write($"{N(p.Rpm)},{N(p.AlimMm)}\n");
                break;
            case "json":
                var sb = new StringBuilder();
                sb.Append("{\"method\":\"").Append(r.Method).Append("\",");
                if (r.Method == "sdm") sb.Append("\"sdm_steps\":").Append(r.SdmSteps).Append(",\"sdm_convergence_rel\":").Append(N(r.SdmConvergenceRel)).Append(',');
                sb.Append("\"points\":[");
                for (int i = 0; i < r.Points.Length; i++)
                {
                    if (i > 0) sb.Append(',');
                    var p = r.Points[i];
                    sb.Append("{\"rpm\":").Append(N(p.Rpm)).Append(",\"alim_mm\":").Append(double.IsFinite(p.AlimMm) ? N(p.AlimMm) : "null").Append('}');
                }
                sb.Append("]}");
                w.WriteLine(sb.ToString());
                break;
            default:
                w.Write(LobeSvg.Render(r.Points, title, []));
                break;
        }
    }
    private static string NotIdentified(CalibrationResult fit)
    {
        var names = Enumerable.Range(0, 6).Where(j => !fit.Identified[j]).Select(j => CuttingCoefficients.Names[j]).ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    public static Command BuildCalibrate()
    {
        var data = new Option<string>("--data") { Description = "CSV of calibration cuts: diameter_mm, flutes, helix_deg, radial_depth_mm, axial_depth_mm, mode, rpm, feed_per_tooth_mm, and measured fx_mean_n/fy_mean_n/fz_mean_n and/or power_w (see README)", Required = true };
        var idle = new Option<double>("--idle-power-w") { Description = "spindle power with the spindle turning in air, subtracted from power_w (unless a row gives idle_power_w)", DefaultValueFactory = _ => 0 };
        var name = new Option<string>("--name") { Description = "material name for --out", DefaultValueFactory = _ => "calibrated" };
        var outFile = new Option<string?>("--out") { Description = "write the fitted coefficients as a material library JSON (use with --materials FILE --material NAME)" };
        var format = new Option<string>("--format") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var cmd = new Command("calibrate", "Fit cutting coefficients (ktc, krc, kac, kte, kre, kae) to measured average forces or spindle power over several feeds (linear least squares).")
        {
            data, idle, name, outFile, format,
        };
        cmd.SetAction(pr =>
        {
            string path = pr.GetValue(data)!;
            // An output that is the input would replace the measurements with the fit.
            if (pr.GetValue(outFile) is { } target && CncTwin.Core.IO.AtomicFile.SameFile(target, path))
            {
                Console.Error.WriteLine($"--out {target}: error: this is the --data file; write the material to another file");
                return CliApp.ExitUsage;
            }
            try
            {
                if (!(pr.GetValue(idle) >= 0) || double.IsInfinity(pr.GetValue(idle)))
                    throw new CalibrationDataException($"--idle-power-w {pr.GetValue(idle).ToString(Inv)}: error: the spindle's idle power is a finite number of W, 0 or more");
                var cuts = CalibrationCsv.Read(path, pr.GetValue(idle));
                var fit = Calibration.Fit(cuts);
                var k = fit.Coefficients;
                // Predicted vs measured per cut, so a bad row stands out.
                var rows = cuts.Select(c =>
                {
                    var r = MillingForces.Revolution(EdgeSlices.Cylinder(c.DiameterMm, c.Flutes, c.HelixDeg, c.AxialDepthMm), k, c.FeedPerToothMm, c.Rpm,
                        ImmersionEngagement.FromRadialDepth(c.DiameterMm, c.RadialDepthMm, c.DownMilling), 360);
                    return (c, r);
                }).ToList();
                // Relative rms error of the fit over every measurement (what a user compares with the noise of their dynamometer).
                var rel = rows.SelectMany(x => new[] { (x.c.FxMeanN, x.r.FxMeanN), (x.c.FyMeanN, x.r.FyMeanN), (x.c.FzMeanN, x.r.FzMeanN), (x.c.PowerMeanW, x.r.PowerMeanW) })
                    .Where(t => double.IsFinite(t.Item1) && Math.Abs(t.Item1) > 1e-9).Select(t => (t.Item2 - t.Item1) / Math.Abs(t.Item1)).ToList();
                double relRms = rel.Count == 0 ? 0 : Math.Sqrt(rel.Average(v => v * v));
                if (pr.GetValue(outFile) is { } o)
                {
                    // Written whole under a temporary name, then renamed: a failure never leaves a half-written material file.
                    using var file = CncTwin.Core.IO.AtomicFile.Create(o);
                    using (var w = new Utf8JsonWriter(file.Stream, new JsonWriterOptions { Indented = true }))
                    {
                    w.WriteStartObject();
                    w.WriteStartArray("materials");
                    w.WriteStartObject();
                    w.WriteString("name", pr.GetValue(name));
                    w.WriteString("description", $"calibrated with cnctwin calibrate from {Path.GetFileName(path)}");
                    w.WriteStartObject("coefficients");
                    for (int j = 0; j < 6; j++) w.WriteNumber(CuttingCoefficients.Names[j], Math.Round(k[j], 4));
                    w.WriteEndObject();
                    w.WriteString("source", string.Create(Inv, $"least-squares fit to {cuts.Count} cuts ({fit.Equations} measurements, rms relative error {relRms:0.####}) in {Path.GetFullPath(path)}; not identified by the data (set from typical ratios): {NotIdentified(fit)}"));
                    w.WriteEndObject();
                    w.WriteEndArray();
                    w.WriteEndObject();
                    }
                    file.Commit();
                }
                if (pr.GetValue(format) == "json")
                {
                    using var w = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
                    w.WriteStartObject();
                    for (int j = 0; j < 6; j++) w.WriteNumber(CuttingCoefficients.Names[j], Math.Round(k[j], 4));
                    w.WriteStartArray("identified");
                    for (int j = 0; j < 6; j++) if (fit.Identified[j]) w.WriteStringValue(CuttingCoefficients.Names[j]);
                    w.WriteEndArray();
                    w.WriteNumber("cuts", cuts.Count);
                    w.WriteNumber("measurements", fit.Equations);
                    w.WriteNumber("rms_relative_error", Math.Round(relRms, 6));
                    w.WriteString("coefficients", k.ToString());
                    w.WriteEndObject();
                    w.Flush();
                    Console.WriteLine();
                }
                else
                {
                    Console.WriteLine($"fitted from {cuts.Count} cuts, {fit.Equations} measurements (rms relative error {(100 * relRms).ToString("0.##", Inv)} %):");
                    for (int j = 0; j < 6; j++)
                        Console.WriteLine($"  {CuttingCoefficients.Names[j]} = {k[j].ToString("0.###", Inv),10} {(j < 3 ? "N/mm²" : "N/mm ")}{(fit.Identified[j] ? "" : "   (not in the data: typical ratio)")}");
                    Console.WriteLine($"--coefficients {k}");
                    Console.WriteLine("cut  fz_mm   fx meas/pred     fy meas/pred     fz meas/pred     power meas/pred (W)");
                    int n = 0;
                    foreach (var (c, r) in rows)
                    {
                        static string P(double m, double p) => double.IsFinite(m) ? string.Create(CultureInfo.InvariantCulture, $"{m,7:0.#}/{p,-7:0.#}") : "      -/-      ";
                        Console.WriteLine(string.Create(Inv, $"{++n,3}  {c.FeedPerToothMm,5:0.###}  {P(c.FxMeanN, r.FxMeanN)}  {P(c.FyMeanN, r.FyMeanN)}  {P(c.FzMeanN, r.FzMeanN)}  {P(c.PowerMeanW, r.PowerMeanW)}"));
                    }
                }
                return 0;
            }
            catch (CalibrationDataException e) { Console.Error.WriteLine(e.Message); return CliApp.ExitUsage; }
            catch (ArgumentException e) { Console.Error.WriteLine($"{path}: error: {e.Message}"); return CliApp.ExitUsage; }
            catch (IOException e) { Console.Error.WriteLine($"calibrate: error: {e.Message}"); return CliApp.ExitUsage; }
        });
        return cmd;
    }
}

/// <summary>An IProgress that reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool, out of order).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
