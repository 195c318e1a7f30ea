namespace CncTwin.Mechanics.Stability;

/// <summary>How a stability limit is computed: Altintas–Budak zero-order approximation or Insperger–Stépán semi-discretization.</summary>
public enum ChatterMethod { Zoa, Sdm }

public static class ChatterMethods
{
    /// <summary>The name used in files and on the command line: zoa or sdm.</summary>
    public static string WireName(this ChatterMethod m) => m == ChatterMethod.Zoa ? "zoa" : "sdm";

    public static ChatterMethod Parse(string name) => name switch
    {
        "zoa" => ChatterMethod.Zoa,
        "sdm" => ChatterMethod.Sdm,
        _ => throw new ArgumentException($"unknown method '{name}' (zoa or sdm)"),
    };
}

/// <summary>A stability chart over requested speeds, by the zero-order method or by semi-discretization.</summary>
public sealed record StabilityResult(string Method, LobePoint[] Points, int SdmSteps, double SdmConvergenceRel);

public static class StabilityChart
{
    public static StabilityResult Compute(string method, ToolDynamics dynamics, CuttingProcess process, IReadOnlyList<double> rpms, int sdmSteps = 40,
        IProgress<double>? progress = null) => Compute(ChatterMethods.Parse(method), dynamics, process, rpms, sdmSteps, progress);

    public static StabilityResult Compute(ChatterMethod method, ToolDynamics dynamics, CuttingProcess process, IReadOnlyList<double> rpms, int sdmSteps = 40,
        IProgress<double>? progress = null)
    {
        if (rpms.Count == 0) throw new ArgumentException("no spindle speeds given");
        if (rpms.Any(r => !(r > 0) || !double.IsFinite(r))) throw new ArgumentException("spindle speeds must be positive");
        var zoa = new ZeroOrderLobes(dynamics, process).Chart(rpms);
        if (method == ChatterMethod.Zoa) return new StabilityResult("zoa", zoa, 0, 0);
        double floor = zoa.Min(p => p.AlimMm);
        var sdm = new SemiDiscretization(dynamics, process, sdmSteps);
        var points = new LobePoint[rpms.Count];
        int done = 0;
        Parallel.For(0, rpms.Count, i =>
        {
            points[i] = new LobePoint(rpms[i], sdm.LimitingDepthExtrapolated(rpms[i], ScanTop(zoa[i].AlimMm, floor)));
            progress?.Report(Interlocked.Increment(ref done) / (double)rpms.Count);
        });
        // Convergence: the same chart with twice the steps at up to 5 of the speeds.
        var fine = new SemiDiscretization(dynamics, process, 2 * sdmSteps, 2 * sdm.StepsPerVibration);
        double worst = 0;
        var probe = Enumerable.Range(0, Math.Min(5, rpms.Count)).Select(k => rpms.Count == 1 ? 0 : k * (rpms.Count - 1) / Math.Max(1, Math.Min(5, rpms.Count) - 1)).Distinct().ToArray();
        var rel = new double[probe.Length];
        Parallel.For(0, probe.Length, k =>
        {
            int i = probe[k];
            double a = fine.LimitingDepthExtrapolated(rpms[i], ScanTop(zoa[i].AlimMm, floor));
            rel[k] = double.IsFinite(a) && double.IsFinite(points[i].AlimMm) ? Math.Abs(points[i].AlimMm - a) / a : 0;
        });
        foreach (var r in rel) worst = Math.Max(worst, r);
        return new StabilityResult("sdm", points, sdmSteps, worst);
    }

    /// <summary>
    /// The limiting depth (mm) at one speed, for the simulation's per-move chatter check: ZOA directly, or SDM
    /// scanned up to well above the zero-order limit (floor from a ZOA chart over a ±4× speed band).
    /// </summary>
    public static double LimitingDepthAt(ChatterMethod method, ToolDynamics dynamics, CuttingProcess process, double rpm)
    {
        if (!(rpm > 0)) throw new ArgumentException("spindle speed must be positive");
        var lobes = new ZeroOrderLobes(dynamics, process);
        double zoa = lobes.Chart([rpm])[0].AlimMm;
        if (method == ChatterMethod.Zoa) return zoa;
        var band = Enumerable.Range(0, 200).Select(i => rpm / 4 * Math.Pow(16, i / 199.0)).ToArray();
        double floor = lobes.Chart(band).Min(p => p.AlimMm);
        if (!double.IsFinite(floor)) floor = zoa;
        double top = double.IsFinite(zoa) ? ScanTop(zoa, floor) : 4 * floor;
        if (!double.IsFinite(top)) return double.PositiveInfinity;
        return new SemiDiscretization(dynamics, process).LimitingDepthExtrapolated(rpm, top);
    }

    /// <summary>Depths scanned for the first instability: well above the zero-order limit (flip lobes lie below it, never far above).</summary>
    private static double ScanTop(double zoaMm, double floorMm) => Math.Max(2.5 * zoaMm, 4 * floorMm);

    /// <summary>Speeds MIN:MAX:STEP.</summary>
    public static double[] Range(string spec)
    {
        var p = spec.Split(':');
        if (p.Length != 3 || !double.TryParse(p[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double lo)
            || !double.TryParse(p[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double hi)
            || !double.TryParse(p[2], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double step))
            throw new FormatException($"--rpm-range '{spec}': expected MIN:MAX:STEP");
        if (!(lo > 0) || !(hi >= lo) || !(step > 0)) throw new FormatException($"--rpm-range '{spec}': need 0 < MIN <= MAX and STEP > 0");
        int n = (int)Math.Floor((hi - lo) / step + 1e-9) + 1;
        if (n > 100_000) throw new FormatException($"--rpm-range '{spec}': {n} speeds is too many (at most 100000)");
        return Enumerable.Range(0, n).Select(i => lo + i * step).ToArray();
    }
}
