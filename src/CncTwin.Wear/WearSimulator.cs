using System.Text.Json;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Removal;

namespace CncTwin.Wear;

/// <summary>What one move did to its tool's flank: wear before and after, the rate and the Taylor life at its conditions.</summary>
public sealed record MoveWear(MoveLoads Loads, int Tool, double StartUm, double EndUm, double RateUmPerMin, double TaylorLifeMin, double SpeedMPerMin, double CuttingMin);

/// <summary>
/// The tool-wear stage: integrates each tool's flank wear VB (µm) over the program's cutting moves with the
/// Usui-type rate of <see cref="WearLaw"/> at each move's cutting speed (at the largest engaged radius) and
/// largest chip, counting only the share of the move the cutter is engaged; keeps Taylor's damage sum
/// (Palmgren–Miner: Σ t/T) beside it. Tools start at their given wear (0 = new).
/// </summary>
public sealed class ToolWearSimulator : CncTwin.Core.IO.ISummaryContributor
{
    private sealed class ToolState
    {
        public double StartUm, Um, CuttingMin, TaylorDamage;
        public int? LimitLine;
        public required WearLaw? Law;
    }

    private readonly Func<int, WearLaw?> _lawFor;
    private readonly Dictionary<int, ToolState> _tools = new();
    private readonly IReadOnlyDictionary<int, double> _initial;
    public double VbLimitUm { get; }
    public Action<string>? Warn { get; set; }

    public ToolWearSimulator(Func<int, WearLaw?> lawFor, double vbLimitUm = 300, IReadOnlyDictionary<int, double>? initialWearUm = null)
    {
        if (!(vbLimitUm > 0)) throw new ArgumentException("the VB limit must be positive");
        _lawFor = lawFor; VbLimitUm = vbLimitUm; _initial = initialWearUm ?? new Dictionary<int, double>();
    }

    private ToolState State(int tool)
    {
        if (_tools.TryGetValue(tool, out var s)) return s;
        double init = _initial.TryGetValue(tool, out var u) ? u : 0;
        s = new ToolState { Law = _lawFor(tool), StartUm = init, Um = init };
        _tools[tool] = s;
        return s;
    }

    public MoveWear Process(MoveLoads l)
    {
        var m = l.Removal.Move;
        int tool = m.Move.Tool;
        var st = State(tool);
        double start = st.Um;
        if (!l.Cutting || st.Law == null || !(l.Rpm > 0)) return new MoveWear(l, tool, start, start, 0, double.PositiveInfinity, 0, 0);
        // Engaged share of the move (probes touching material), the cutting speed at the largest engaged radius.
        int engaged = 0;
        foreach (var p in l.Probes) if (p.Engaged) engaged++;
        double share = l.Probes.Length == 0 ? 1 : engaged / (double)l.Probes.Length;
        double minutes = m.DurationS / 60 * share;
        double depth = l.Removal.Plunge ? double.PositiveInfinity : l.Removal.Peak.AxialDepthMm;
        double radius = l.Cutter.Profile.RadiusAt(Math.Min(depth, l.Cutter.FluteLengthMm));
        double v = Math.PI * 2 * radius * l.Rpm / 1000;
        double chip = l.MaxChipMm;
        double rate = st.Law.RateUmPerMin(v, chip);
        double life = st.Law.Pair.TaylorLifeMin(v, chip);
        st.Um += rate * minutes;
        st.CuttingMin += minutes;
        if (double.IsFinite(life) && life > 0) st.TaylorDamage += minutes / life;
        if (st.LimitLine == null && st.Um >= VbLimitUm) st.LimitLine = m.Source.Line;
        return new MoveWear(l, tool, start, st.Um, rate, life, v, minutes);
    }

    public static readonly IReadOnlyList<(string Name, string Format)> TimelineColumns = [("tool_wear_um", "0.###"), ("wear_rate_um_min", "0.####")];
    public static readonly IReadOnlyList<(string Name, string Format)> MoveColumns = [("wear_um", "0.###"), ("wear_rate_um_min", "0.####"), ("cutting_speed_m_min", "0.#"), ("taylor_life_min", "0.##")];

    /// <summary>VB at a timeline sample: linear over the move between its start and end wear.</summary>
    public void Fill(MoveWear? current, double timeS, int toolInSpindle, Span<double> values)
    {
        values.Clear();
        if (current == null)
        {
            values[0] = _tools.TryGetValue(toolInSpindle, out var s) ? s.Um : (_initial.TryGetValue(toolInSpindle, out var u) ? u : double.NaN);
            return;
        }
        var m = current.Loads.Removal.Move;
        double f = m.DurationS > 0 ? Math.Clamp((timeS - m.StartS) / m.DurationS, 0, 1) : 1;
        values[0] = current.StartUm + f * (current.EndUm - current.StartUm);
        values[1] = current.RateUmPerMin;
    }

    public static void FillMove(MoveWear w, Span<double> values)
    {
        values[0] = w.EndUm; values[1] = w.RateUmPerMin; values[2] = w.SpeedMPerMin > 0 ? w.SpeedMPerMin : double.NaN;
        values[3] = double.IsFinite(w.TaylorLifeMin) ? w.TaylorLifeMin : double.NaN;
    }

    /// <summary>Remaining cutting minutes of a tool at this program's average wear rate (∞ if it did not wear).</summary>
    public double RemainingLifeMin(int tool)
    {
        var s = State(tool);
        double rate = s.CuttingMin > 0 ? (s.Um - s.StartUm) / s.CuttingMin : 0;
        return rate > 0 ? Math.Max(0, VbLimitUm - s.Um) / rate : double.PositiveInfinity;
    }

    /// <summary>How many more runs of this program the tool lasts (∞ if it did not wear).</summary>
    public double RemainingParts(int tool)
    {
        var s = State(tool);
        double perPart = s.Um - s.StartUm;
        return perPart > 0 ? Math.Max(0, VbLimitUm - s.Um) / perPart : double.PositiveInfinity;
    }

    public IReadOnlyCollection<int> Tools => _tools.Keys;
    public double WearUm(int tool) => State(tool).Um;

    /// <summary>
    /// 90 % band of a tool's wear from the physics alone: the wear grown in this run scales with the rate constant,
    /// whose tool-to-tool scatter is log-normal (<see cref="WearLaw.RateConstantLogSd"/>); the given initial wear is
    /// taken as known. It is what the PHM state-space filter reduces to when no sensor reading updates it.
    /// </summary>
    public (double LowUm, double HighUm) WearBandUm(int tool)
    {
        var s = State(tool);
        double grown = s.Um - s.StartUm, f = Math.Exp(WearLaw.Z90 * WearLaw.RateConstantLogSd);
        return (s.StartUm + grown / f, s.StartUm + grown * f);
    }


    public void WriteSummary(Utf8JsonWriter w)
    {
        w.WriteNumber("vb_limit_um", VbLimitUm);
        w.WriteStartObject("tool_wear_um");
        foreach (var t in _tools.Keys.Order()) w.WriteNumber(t.ToString(System.Globalization.CultureInfo.InvariantCulture), Math.Round(_tools[t].Um, 3));
        w.WriteEndObject();
        // The physics-only 90 % band (rate-constant scatter), beside tool_wear_um.
        w.WriteStartObject("tool_wear_low_um");
        foreach (var t in _tools.Keys.Order()) w.WriteNumber(t.ToString(System.Globalization.CultureInfo.InvariantCulture), Math.Round(WearBandUm(t).LowUm, 3));
        w.WriteEndObject();
        w.WriteStartObject("tool_wear_high_um");
        foreach (var t in _tools.Keys.Order()) w.WriteNumber(t.ToString(System.Globalization.CultureInfo.InvariantCulture), Math.Round(WearBandUm(t).HighUm, 3));
        w.WriteEndObject();
        double least = double.PositiveInfinity;
        w.WriteStartObject("remaining_life_min_per_tool");
        foreach (var t in _tools.Keys.Order())
        {
            double r = RemainingLifeMin(t);
            least = Math.Min(least, r);
            if (double.IsFinite(r)) w.WriteNumber(t.ToString(System.Globalization.CultureInfo.InvariantCulture), Math.Round(r, 3));
            else w.WriteNull(t.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        w.WriteEndObject();
        // The tool that runs out first sets the figure a machinist asks for; null when nothing wore.
        if (double.IsFinite(least)) w.WriteNumber("remaining_life_min", Math.Round(least, 3)); else w.WriteNull("remaining_life_min");
        w.WriteStartObject("remaining_parts");
        foreach (var t in _tools.Keys.Order())
        {
            double r = RemainingParts(t);
            if (double.IsFinite(r)) w.WriteNumber(t.ToString(System.Globalization.CultureInfo.InvariantCulture), Math.Round(r, 2));
            else w.WriteNull(t.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        w.WriteEndObject();
        w.WriteStartObject("taylor_damage");
        foreach (var t in _tools.Keys.Order()) w.WriteNumber(t.ToString(System.Globalization.CultureInfo.InvariantCulture), Math.Round(_tools[t].TaylorDamage, 5));
        w.WriteEndObject();
        w.WriteStartArray("tool_life_exceeded");
        foreach (var t in _tools.Keys.Order())
            if (_tools[t].LimitLine is int line)
            {
                w.WriteStartObject(); w.WriteNumber("tool", t); w.WriteNumber("line", line); w.WriteEndObject();
            }
        w.WriteEndArray();
        w.WriteStartArray("tools_without_wear_model");
        foreach (var t in _tools.Keys.Order()) if (_tools[t].Law == null) w.WriteNumberValue(t);
        w.WriteEndArray();
    }
}
