using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace CncTwin.Fleet;

/// <summary>A fleet file that cannot be used: the file, where in it (line and column when the JSON parser knows), and why.</summary>
public sealed class FleetConfigException(string file, int line, int column, string reason)
    : Exception(line > 0 ? $"{file}:{line}:{column}: {reason}" : $"{file}: {reason}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public int Column { get; } = column;
    public string Reason { get; } = reason;
}

/// <summary>
/// One machine of the fleet, with the same meanings as <c>watch</c>'s options: its machine file, telemetry source,
/// data-item mapping, the program followed when the stream names none, the programs by the names the controller
/// streams, tools, starting tool, material and stock. Paths are absolute once loaded (relative ones are taken from
/// the fleet file's folder).
/// </summary>
public sealed record FleetMachine
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("machine")] public string? Machine { get; init; }
    [JsonPropertyName("source")] public string Source { get; init; } = "";
    [JsonPropertyName("mapping")] public string? Mapping { get; init; }
    [JsonPropertyName("program")] public string? Program { get; init; }
    [JsonPropertyName("programs")] public Dictionary<string, string> Programs { get; init; } = new();
    [JsonPropertyName("tools")] public string? Tools { get; init; }
    [JsonPropertyName("tool")] public int Tool { get; init; }
    [JsonPropertyName("material")] public string? Material { get; init; }
    [JsonPropertyName("stock")] public string? Stock { get; init; }
    /// <summary>The spindle's rated power, W, for machine files that do not give it (watch's --spindle-power-w).</summary>
    [JsonPropertyName("spindle_power_w")] public double? SpindlePowerW { get; init; }

    /// <summary>The program file to follow: the one registered for the name the stream gives, else <see cref="Program"/>; null when neither.</summary>
    public string? ProgramFor(string? streamedName) =>
        streamedName != null && Programs.TryGetValue(streamedName, out var file) ? file : Program;
}

/// <summary><c>FLEET.json</c>: <c>{"machines":[{"id":"vmc-01", ...}]}</c>, read and checked as a whole before anything starts.</summary>
public sealed record FleetConfig
{
    [JsonPropertyName("machines")] public List<FleetMachine> Machines { get; init; } = new();

    private static readonly JsonSerializerOptions Json = new()
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Ids are what URLs and the history name a machine by: letters, digits, '.', '_' and '-', 1 to 64 of them.</summary>
    public static readonly Regex IdPattern = new("^[A-Za-z0-9._-]{1,64}$", RegexOptions.CultureInvariant);

    public static FleetConfig Load(string path)
    {
        if (!System.IO.File.Exists(path)) throw new FleetConfigException(path, 0, 0, "fleet file not found");
        return Parse(System.IO.File.ReadAllText(path), path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Parses and checks a fleet; relative paths are resolved against baseFolder.</summary>
    public static FleetConfig Parse(string json, string fileName, string baseFolder)
    {
        FleetConfig? cfg;
        try { cfg = JsonSerializer.Deserialize<FleetConfig>(json, Json); }
        catch (JsonException ex)
        {
            throw new FleetConfigException(fileName, (int)(ex.LineNumber ?? -1) + 1, (int)(ex.BytePositionInLine ?? -1) + 1, CncTwin.Core.IO.JsonErrors.Reason(ex));
        }
        if (cfg == null) throw new FleetConfigException(fileName, 0, 0, "empty fleet file");
        var machines = new List<FleetMachine>();
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var m in cfg.Machines)
        {
            var c = Check(m, fileName, baseFolder);
            if (!ids.Add(c.Id)) throw new FleetConfigException(fileName, 0, 0, $"machine '{c.Id}': the id is used twice");
            machines.Add(c);
        }
        return new FleetConfig { Machines = machines };
    }

    /// <summary>Checks one machine (also for machines added through the HTTP API) and makes its paths absolute.</summary>
    public static FleetMachine Check(FleetMachine? m, string fileName, string baseFolder)
    {
        if (m == null) throw new FleetConfigException(fileName, 0, 0, "a machine entry is null");
        string who = $"machine '{m.Id}'";
        if (!IdPattern.IsMatch(m.Id)) throw new FleetConfigException(fileName, 0, 0, $"{who}: id must be 1-64 letters, digits, '.', '_' or '-'");
        if (!(m.Source.StartsWith("shdr://", StringComparison.OrdinalIgnoreCase) || m.Source.StartsWith("mtconnect://", StringComparison.OrdinalIgnoreCase)
              || m.Source.StartsWith("csv:", StringComparison.OrdinalIgnoreCase)))
            throw new FleetConfigException(fileName, 0, 0, $"{who}: source must be shdr://host:port, mtconnect://host:port[/device] or csv:FILE (got '{m.Source}')");
        if (m.Program == null && m.Programs.Count == 0) throw new FleetConfigException(fileName, 0, 0, $"{who}: give a program, or programs by the names the controller streams");
        if (m.SpindlePowerW is double w && !(w > 0 && double.IsFinite(w))) throw new FleetConfigException(fileName, 0, 0, $"{who}: spindle_power_w is the rated power in W, above 0");
        if (m.Tool < 0) throw new FleetConfigException(fileName, 0, 0, $"{who}: tool is 0 (none) or a tool number");
        string? Abs(string? p, string field)
        {
            if (p == null) return null;
            if (p.Trim().Length == 0) throw new FleetConfigException(fileName, 0, 0, $"{who}: {field} is empty");
            string full = Path.GetFullPath(Path.IsPathRooted(p) ? p : Path.Combine(baseFolder, p));
            if (!System.IO.File.Exists(full)) throw new FleetConfigException(fileName, 0, 0, $"{who}: {field} '{p}' not found ({full})");
            return full;
        }
        string source = m.Source.StartsWith("csv:", StringComparison.OrdinalIgnoreCase) ? "csv:" + Abs(m.Source[4..], "source") : m.Source;
        return m with
        {
            Source = source, Machine = Abs(m.Machine, "machine"), Mapping = Abs(m.Mapping, "mapping"), Program = Abs(m.Program, "program"), Tools = Abs(m.Tools, "tools"),
            Programs = m.Programs.ToDictionary(kv => kv.Key, kv => Abs(kv.Value, $"programs['{kv.Key}']")!),
        };
    }
}
