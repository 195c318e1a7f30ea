using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace CncTwin.Web;

/// <summary>
/// One simulation or replay of the dashboard, as run.json in its folder (id, kind, the uploaded names, status,
/// times, error): the workspace is the record, so a restarted server lists what an earlier one ran.
/// </summary>
public sealed class RunRecord
{
    public const string Simulation = "simulation", Replay = "replay";
    public const string Queued = "queued", Running = "running", Done = "done", Failed = "failed", Cancelled = "cancelled";

    public required string Id { get; init; }
    public required string Kind { get; init; }
    /// <summary>The uploaded program's own name (shown, never used as a path).</summary>
    public required string Program { get; init; }
    public string? Tools { get; init; }
    public string? Telemetry { get; init; }
    public string Status { get; set; } = Queued;
    public DateTimeOffset Started { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? Finished { get; set; }
    /// <summary>What stopped it, in the machinist's terms: the upload's name, line and column, never a server path.</summary>
    public string? Error { get; set; }
    public double? CycleTimeS { get; set; }
    /// <summary>A replay's run in the twin history (its telemetry chart and alarms).</summary>
    public long? HistoryRun { get; set; }
    public long? Samples { get; set; }
    public int? Alarms { get; set; }

    [JsonIgnore] public string Dir { get; set; } = "";
    [JsonIgnore] public CancellationTokenSource Cancel { get; } = new();
    [JsonIgnore] public bool Finals => Status is Done or Failed or Cancelled;
}

/// <summary>The run records of a workspace: loaded from its folders at start, each change written back to run.json.</summary>
public sealed class RunStore
{
    internal static readonly Regex SimulationDir = new("^[0-9a-f]{32}$", RegexOptions.Compiled), ReplayDir = new("^replay-([0-9a-f]{32})$", RegexOptions.Compiled);
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
    private readonly ConcurrentDictionary<string, RunRecord> _runs = new();
    public string Workspace { get; }

    public RunStore(string workspace)
    {
        Workspace = workspace;
        foreach (var dir in Directory.EnumerateDirectories(workspace))
            if (Load(dir) is { } r) _runs[r.Id] = r;
    }

    public string DirFor(string id, string kind) => Path.Combine(Workspace, kind == RunRecord.Replay ? "replay-" + id : id);

    public bool TryGet(string id, out RunRecord run) => _runs.TryGetValue(id, out run!);
    public IEnumerable<RunRecord> All => _runs.Values;

    public void Add(RunRecord r) { _runs[r.Id] = r; Save(r); }
    public void Remove(RunRecord r) => _runs.TryRemove(r.Id, out _);

    /// <summary>Changes a run under its lock and writes run.json (to a temporary name, then moved over it, so a crash never leaves half a record).</summary>
    public void Update(RunRecord r, Action<RunRecord> change)
    {
        lock (r)
        {
            change(r);
            Save(r);
        }
    }

    private static void Save(RunRecord r)
    {
        lock (r)
        {
            string path = Path.Combine(r.Dir, "run.json"), tmp = path + ".tmp";
            File.WriteAllText(tmp, JsonSerializer.Serialize(r, Json));
            File.Move(tmp, path, overwrite: true);
        }
    }

    /// <summary>
    /// A run folder's record. Folders of an earlier server that had no run.json yet are listed from what they hold;
    /// a run that was queued or running when its server stopped is marked failed, since nothing will finish it now.
    /// </summary>
    private RunRecord? Load(string dir)
    {
        string name = Path.GetFileName(dir);
        string? kind = SimulationDir.IsMatch(name) ? RunRecord.Simulation : ReplayDir.IsMatch(name) ? RunRecord.Replay : null;
        if (kind == null) return null;
        string id = kind == RunRecord.Replay ? ReplayDir.Match(name).Groups[1].Value : name;
        RunRecord? r = null;
        string file = Path.Combine(dir, "run.json");
        if (File.Exists(file))
        {
            try { r = JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(file), Json); }
            catch (Exception ex) when (ex is JsonException or IOException) { r = null; }
        }
        if (r != null && (r.Id != id || r.Kind != kind)) r = null;
        bool changed = r == null;
        if (r == null)
        {
            bool done = File.Exists(Path.Combine(dir, "out", "summary.json"));
            r = new RunRecord
            {
                Id = id, Kind = kind, Program = "program.ngc", Started = Directory.GetCreationTimeUtc(dir), Status = done ? RunRecord.Done : RunRecord.Failed,
                Error = done ? null : "no record of how this run ended",
            };
        }
        r.Dir = dir;
        if (!r.Finals)
        {
            r.Status = RunRecord.Failed;
            r.Error = "the server stopped before this run finished";
            changed = true;
        }
        if (changed)
            try { Save(r); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        return r;
    }
}
