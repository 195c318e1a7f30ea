using System.Text.Json;
using System.Text.Json.Serialization;

namespace CncTwin.Twin;

/// <summary>Mean and spread of one figure over parts (Welford's running algorithm: one pass, no stored history).</summary>
public sealed class RunningStat
{
    [JsonPropertyName("n")] public int N { get; set; }
    [JsonPropertyName("mean")] public double Mean { get; set; }
    [JsonPropertyName("m2")] public double M2 { get; set; }

    public void Add(double x)
    {
        if (!double.IsFinite(x)) return;
        N++;
        double d = x - Mean;
        Mean += d / N;
        M2 += d * (x - Mean);
    }

    /// <summary>Sample standard deviation over the parts (0 below two parts).</summary>
    [JsonIgnore] public double Sd => N > 1 ? Math.Sqrt(Math.Max(0, M2) / (N - 1)) : 0;
}

/// <summary>One stretch of a section (a bin of its path length): the measured cutting share there, over the good parts.</summary>
public sealed class BinEnvelope
{
    /// <summary>Mean measured cutting load above idle in the bin, points of load %, as at the programmed feed (the physics' feed dependence divided out), one value per part.</summary>
    [JsonPropertyName("measured")] public RunningStat MeasuredPct { get; set; } = new();
}

/// <summary>
/// A monitoring section (one program line) as the good parts cut it: a tolerance tunnel along its path (Heidenhain
/// TNC process monitoring's idea) and the section's peak, area and measured/predicted ratio (Caron TMAC's figures).
/// </summary>
public sealed class LineEnvelope
{
    [JsonPropertyName("line")] public int Line { get; set; }
    [JsonPropertyName("tool")] public int Tool { get; set; }
    [JsonPropertyName("length_mm")] public double LengthMm { get; set; }
    [JsonPropertyName("bins")] public BinEnvelope[] Bins { get; set; } = [];
    /// <summary>Σ measured / Σ predicted cutting share over the section, per part.</summary>
    [JsonPropertyName("ratio")] public RunningStat Ratio { get; set; } = new();
    /// <summary>Peak of the smoothed measured cutting share, points of %.</summary>
    [JsonPropertyName("peak_pct")] public RunningStat PeakPct { get; set; } = new();
    /// <summary>Area: ∫ measured cutting share ds along the path, %·mm (by position, so feed override leaves it alone).</summary>
    [JsonPropertyName("area_pct_mm")] public RunningStat AreaPctMm { get; set; } = new();

    /// <summary>Bins a section of this length is split into: one per mm of path (the load ramps over a cutter's radius at entry and exit), 1 to 256.</summary>
    public static int BinCount(double lengthMm) => Math.Clamp((int)Math.Ceiling(lengthMm), 1, 256);
}

/// <summary>
/// What the good parts of one program (and starting tool) measured, section by section: the teach-in envelope
/// that later parts are monitored against. Kept in the history database as JSON.
/// </summary>
public sealed class ToolEnvelope
{
    [JsonPropertyName("program_key")] public string ProgramKey { get; set; } = "";
    [JsonPropertyName("tool")] public int Tool { get; set; }
    [JsonPropertyName("parts")] public int Parts { get; set; }
    /// <summary>Σ measured / Σ predicted cutting share over the whole part, per learned part: the reference for wear from the stream.</summary>
    [JsonPropertyName("part_ratio")] public RunningStat PartRatio { get; set; } = new();
    [JsonPropertyName("lines")] public Dictionary<int, LineEnvelope> Lines { get; set; } = new();

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads an envelope written by <see cref="ToJson"/>; null when the text is not one (a damaged row is relearned, not fatal).</summary>
    public static ToolEnvelope? FromJson(string json)
    {
        try { return JsonSerializer.Deserialize<ToolEnvelope>(json, Json); }
        catch (JsonException) { return null; }
    }

    /// <summary>Adds one good part's profile.</summary>
    public void Merge(PartProfile part)
    {
        Parts++;
        if (part.Ratio is double r) PartRatio.Add(r);
        foreach (var (line, acc) in part.Lines)
        {
            if (!Lines.TryGetValue(line, out var le))
            {
                le = new LineEnvelope { Line = line, Tool = acc.Tool, LengthMm = acc.LengthMm, Bins = new BinEnvelope[acc.Bins.Length] };
                for (int b = 0; b < le.Bins.Length; b++) le.Bins[b] = new BinEnvelope();
                Lines[line] = le;
            }
            if (le.Bins.Length != acc.Bins.Length) continue; // the program's geometry changed under the same key: keep what was learned
            for (int b = 0; b < acc.Bins.Length; b++)
            {
                var (m, n) = acc.Bins[b];
                if (n > 0) le.Bins[b].MeasuredPct.Add(m / n);
            }
            if (acc.PredictedSum > 0) le.Ratio.Add(acc.MeasuredSum / acc.PredictedSum);
            le.PeakPct.Add(acc.PeakPct);
            le.AreaPctMm.Add(acc.AreaPctMm);
        }
    }
}

/// <summary>One part's measurements per section, gathered as it is cut, for the teach-in and for wear from the stream.</summary>
public sealed class PartProfile
{
    public sealed class Section
    {
        public int Tool;
        public double LengthMm;
        public (double Measured, int N)[] Bins = [];
        public double MeasuredSum, PredictedSum, PeakPct, AreaPctMm;
        public int Samples;
    }

    public Dictionary<int, Section> Lines { get; } = new();
    public double MeasuredSum { get; private set; }
    public double PredictedSum { get; private set; }

    /// <summary>Σ measured / Σ predicted cutting share over the part's monitorable cutting; null if it cut nothing monitorable.</summary>
    public double? Ratio => PredictedSum > 0 ? MeasuredSum / PredictedSum : null;

    public Section Of(int line, int tool, double lengthMm)
    {
        if (!Lines.TryGetValue(line, out var sec))
            Lines[line] = sec = new Section { Tool = tool, LengthMm = lengthMm, Bins = new (double, int)[LineEnvelope.BinCount(lengthMm)] };
        return sec;
    }

    /// <summary>Adds a sample at a place along the section; monitorable samples also count into the part's ratio.</summary>
    public void Add(Section sec, double alongMm, double measuredPct, double predictedPct, double smoothedMeasuredPct, double dsMm, bool monitorable, double feedNorm = 1)
    {
        int b = sec.LengthMm > 0 ? Math.Clamp((int)(alongMm / sec.LengthMm * sec.Bins.Length), 0, sec.Bins.Length - 1) : 0;
        ref var bin = ref sec.Bins[b];
        // The bins hold shares as at the programmed feed (feedNorm from the physics): one tunnel for every override.
        bin.Measured += measuredPct * feedNorm; bin.N++;
        sec.Samples++;
        sec.PeakPct = Math.Max(sec.PeakPct, smoothedMeasuredPct);
        sec.AreaPctMm += measuredPct * dsMm;
        if (monitorable && predictedPct > 0)
        {
            sec.MeasuredSum += measuredPct; sec.PredictedSum += predictedPct;
            MeasuredSum += measuredPct; PredictedSum += predictedPct;
        }
    }
}
