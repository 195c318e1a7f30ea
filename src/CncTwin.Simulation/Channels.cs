namespace CncTwin.Simulation;

/// <summary>One named value per timeline sample or per move (name as in the CSV header, .NET number format).</summary>
public readonly record struct OutputChannel(string Name, string Format, int Index);

/// <summary>
/// The values each stage adds to a timeline row (or a move row), in pipeline order: removal, then loads, then
/// wear. Readers look a channel up by name once (<see cref="IndexOf"/>) and index the row's span with it, so
/// adding a column to a stage moves nobody else's reads.
/// </summary>
public sealed class ChannelLayout
{
    private readonly List<OutputChannel> _channels = new();
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly List<(string Stage, int Start, int Count)> _stages = new();

    public IReadOnlyList<OutputChannel> Channels => _channels;
    public int Count => _channels.Count;

    /// <summary>The (name, format) pairs, for the CSV writers.</summary>
    public IReadOnlyList<(string Name, string Format)> Columns => _channels.Select(c => (c.Name, c.Format)).ToList();

    /// <summary>Adds a stage's columns; returns where they start in the row.</summary>
    public int AddStage(string stage, IReadOnlyList<(string Name, string Format)> columns)
    {
        int start = _channels.Count;
        foreach (var (name, format) in columns)
        {
            // The first stage to use a name owns it (names are unique in the layouts CncTwin builds).
            _byName.TryAdd(name, _channels.Count);
            _channels.Add(new OutputChannel(name, format, _channels.Count));
        }
        _stages.Add((stage, start, columns.Count));
        return start;
    }

    /// <summary>The slice of a row a stage fills.</summary>
    public Range StageRange(string stage)
    {
        foreach (var (s, start, count) in _stages) if (s == stage) return new Range(start, start + count);
        throw new KeyNotFoundException($"no stage '{stage}' in this layout");
    }

    /// <summary>Index of a channel by its column name, or -1.</summary>
    public int IndexOf(string name) => _byName.TryGetValue(name, out int i) ? i : -1;

    /// <summary>Index of a channel that must exist.</summary>
    public int Require(string name) => IndexOf(name) is int i and >= 0 ? i : throw new KeyNotFoundException($"no channel '{name}' in this layout");
}

/// <summary>Names of the timeline channels other stages and the outputs read (the CSV column names).</summary>
public static class TimelineChannels
{
    public const string MrrMm3PerS = "mrr_mm3_s", AxialDepthMm = "axial_depth_mm", RadialDepthMm = "radial_depth_mm", Tool = "tool";
    public const string ForceN = "force_n", TorqueNm = "torque_nm", SpindlePowerW = "spindle_power_w", SpindleLoadPct = "spindle_load_pct", Chatter = "chatter";
    public const string ToolWearUm = "tool_wear_um", WearRateUmPerMin = "wear_rate_um_min";
}

/// <summary>The stage names used in layouts and stage times.</summary>
public static class Stages
{
    public const string Interpret = "interpret", Plan = "plan", Removal = "removal", Engagement = "engagement", Forces = "forces", Wear = "wear", Timeline = "timeline",
        Meshes = "meshes", Report = "report", Writing = "writing";
}
