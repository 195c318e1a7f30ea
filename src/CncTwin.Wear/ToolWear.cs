using System.Reflection;
using System.Text.Json;
using CncTwin.Mechanics;

namespace CncTwin.Wear;

/// <summary>
/// Taylor and Usui parameters of one tool material cutting one work material. Taylor's extended law
/// T = (C / (v·(h/h0)^p))^(1/n) gives minutes of cutting to the end-of-life flank wear (ISO 8688-2: VB 0.3 mm)
/// at cutting speed v (m/min) and largest chip h (mm); C = v15·15^n so v15 is the speed that lasts 15 min at h0.
/// </summary>
public sealed record WearPair(string Tool, string Work, double N, double V15MPerMin, double P, string Source)
{
    public const double ReferenceChipMm = 0.1;
    public double C => V15MPerMin * Math.Pow(15, N);

    /// <summary>Taylor tool life, minutes of cutting (∞ at zero speed).</summary>
    public double TaylorLifeMin(double speedMPerMin, double chipMm)
    {
        if (!(speedMPerMin > 0)) return double.PositiveInfinity;
        double h = Math.Max(chipMm, 1e-4) / ReferenceChipMm;
        return Math.Pow(C / (speedMPerMin * Math.Pow(h, P)), 1 / N);
    }
}

/// <summary>Volumetric heat capacity (J/(m³·K)) and thermal diffusivity (m²/s) of a work material.</summary>
public sealed record WorkThermal(string Work, double RhoCJPerM3K, double AlphaM2PerS, string Source);

/// <summary>
/// The physics of flank wear: Taylor life, Cook's tool–chip interface temperature and a Usui-type wear rate.
/// Cook (1973, "Tool wear and tool life", J. Eng. Ind. 95): ΔT = 0.4·(u/ρc)·(v·h/α)^(1/3), u the specific cutting
/// energy of chip formation (Ktc). Usui et al. (1984): wear rate ∝ σn·v·exp(−B/θ). The rate constant is set so that at the pair's
/// reference condition (v15, h0) the flank reaches the VB limit in Taylor's 15 minutes: the two laws agree
/// there, and Usui's temperature term carries the rate to other speeds and chips.
/// </summary>
public sealed class WearLaw
{
    public const double RoomKelvin = 293.15;
    /// <summary>
    /// Tool-to-tool scatter of the rate constant A (log-normal sd): tool life under identical conditions scatters
    /// with a coefficient of variation of about 0.3 (Wager &amp; Barash, "Study of the distribution of the life of
    /// HSS tools", J. Eng. Ind. 93 (1971) 1044; similar spreads in later Taylor tests of carbide). Wear at a given
    /// rate scales with A, so it gives the band of a physics-only wear prediction, and the prior of the PHM filter.
    /// </summary>
    public const double RateConstantLogSd = 0.3;
    /// <summary>The standard normal's 95 % quantile: ± this many sd is a 90 % band.</summary>
    public const double Z90 = 1.6448536;
    public WearPair Pair { get; }
    public WorkThermal Thermal { get; }
    public CuttingCoefficients Coefficients { get; }
    public double UsuiBKelvin { get; }
    public double VbLimitUm { get; }
    private readonly double _refRateUmPerMin, _refThetaK, _refSigma;

    public WearLaw(WearPair pair, WorkThermal thermal, CuttingCoefficients k, double usuiBKelvin, double vbLimitUm = 300)
    {
        Pair = pair; Thermal = thermal; Coefficients = k; UsuiBKelvin = usuiBKelvin; VbLimitUm = vbLimitUm;
        _refThetaK = InterfaceKelvin(pair.V15MPerMin, WearPair.ReferenceChipMm);
        _refSigma = FlankStress(WearPair.ReferenceChipMm);
        _refRateUmPerMin = vbLimitUm / 15.0;
    }

    /// <summary>Cook's interface temperature, K, at speed v (m/min) and chip h (mm).</summary>
    public double InterfaceKelvin(double speedMPerMin, double chipMm)
    {
        double h = Math.Max(chipMm, 1e-4);
        // Chip-formation energy only: the edge (ploughing) term rubs the new surface and heats the work, not the chip.
        double u = Coefficients.Ktc * 1e6;                             // J/m³
        double vh = speedMPerMin / 60 * h * 1e-3;                      // m²/s
        return RoomKelvin + 0.4 * u / Thermal.RhoCJPerM3K * Math.Cbrt(vh / Thermal.AlphaM2PerS);
    }

    /// <summary>Flank normal stress, relative units: the radial (ploughing) force per edge length at chip h.</summary>
    private double FlankStress(double chipMm) => Coefficients.Krc * Math.Max(chipMm, 0) + Coefficients.Kre + 1e-9;

    /// <summary>Flank wear rate, µm per minute of cutting, at speed v (m/min) and largest chip h (mm).</summary>
    public double RateUmPerMin(double speedMPerMin, double chipMm)
    {
        if (!(speedMPerMin > 0) || !(chipMm > 0)) return 0;
        double theta = InterfaceKelvin(speedMPerMin, chipMm);
        return _refRateUmPerMin * (FlankStress(chipMm) / _refSigma) * (speedMPerMin / Pair.V15MPerMin)
            * Math.Exp(UsuiBKelvin / _refThetaK - UsuiBKelvin / theta);
    }
}

/// <summary>The built-in wear parameters (src/CncTwin.Wear/wear.json) with their sources.</summary>
public sealed class WearLibrary
{
    private readonly Dictionary<(string, string), WearPair> _pairs = new();
    private readonly Dictionary<string, WorkThermal> _thermal = new(StringComparer.OrdinalIgnoreCase);
    public double UsuiBKelvin { get; private set; }
    public string UsuiSource { get; private set; } = "";
    public IEnumerable<WearPair> Pairs => _pairs.Values;

    public static WearLibrary BuiltIn()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("CncTwin.Wear.wear.json")
            ?? throw new InvalidOperationException("built-in wear.json missing from the assembly");
        using var doc = JsonDocument.Parse(s);
        var lib = new WearLibrary();
        var root = doc.RootElement;
        lib.UsuiBKelvin = root.GetProperty("usui_b_kelvin").GetDouble();
        lib.UsuiSource = root.GetProperty("usui_source").GetString() ?? "";
        foreach (var p in root.GetProperty("pairs").EnumerateArray())
        {
            var pair = new WearPair(p.GetProperty("tool").GetString()!, p.GetProperty("work").GetString()!, p.GetProperty("n").GetDouble(),
                p.GetProperty("v15_m_min").GetDouble(), p.GetProperty("p").GetDouble(), p.GetProperty("source").GetString() ?? "");
            lib._pairs[(pair.Tool.ToLowerInvariant(), pair.Work.ToLowerInvariant())] = pair;
        }
        foreach (var t in root.GetProperty("thermal").EnumerateArray())
        {
            var th = new WorkThermal(t.GetProperty("work").GetString()!, t.GetProperty("rho_c_j_m3k").GetDouble(), t.GetProperty("alpha_m2_s").GetDouble(), t.GetProperty("source").GetString() ?? "");
            lib._thermal[th.Work] = th;
        }
        return lib;
    }

    /// <summary>The wear law of a tool material on a work material (library name), or null when the pair is not known.</summary>
    public WearLaw? Law(string toolMaterial, string workMaterial, CuttingCoefficients k, double vbLimitUm = 300)
    {
        if (!_pairs.TryGetValue((toolMaterial.ToLowerInvariant(), workMaterial.ToLowerInvariant()), out var pair)) return null;
        if (!_thermal.TryGetValue(workMaterial, out var th)) return null;
        return new WearLaw(pair, th, k, UsuiBKelvin, vbLimitUm);
    }
}
