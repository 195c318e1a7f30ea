using System.Text.Json;
using CncTwin.Core;
using CncTwin.Core.IO;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Wear;

namespace CncTwin.Simulation;

/// <summary>Progress of a run: moves done of the program's moves (0 when not counted), machine time reached.</summary>
public readonly record struct SimulationProgress(string Stage, long MovesDone, long TotalMoves, double MachineTimeS);

/// <summary>What a run produced: every stage's totals, the outputs' results, and the error that stopped it if one did.</summary>
public sealed class SimulationResult
{
    public required SimulationContext Context { get; init; }
    public required SimulationPass Pass { get; init; }
    public PlanSummary Plan => Pass.Plan;
    public ToolpathSummary Toolpath => Pass.Toolpath;
    public TravelCheck Travel => Pass.Travel;
    public MaterialRemovalSimulator Removal => Pass.Removal;
    public CuttingLoadSimulator Loads => Pass.Loads;
    public ToolWearSimulator Wear => Pass.Wear;
    public VoxelStock Stock => Pass.Stock;
    public StageTimes Times => Pass.Times;
    public ChannelLayout TimelineLayout { get; init; } = new();
    public ChannelLayout MoveLayout { get; init; } = new();

    public long TimelineRows { get; internal set; }
    /// <summary>Only when the row cap cut the timeline: the time of the first sample not written; else NaN.</summary>
    public double TimelineTruncatedAtS { get; internal set; } = double.NaN;
    public StockMesh.Result? Mesh { get; internal set; }
    public DesignComparison.Result? Design { get; internal set; }
    /// <summary>The error that stopped the run (a program error at its line), or null when it ran to the end.</summary>
    public Diagnostic? Error { get; internal set; }
    public List<Diagnostic> Warnings { get; } = new();
    public bool Succeeded => Error == null;

    /// <summary>summary.json's parts in order: the program, each stage, the outputs, the stage times.</summary>
    public IEnumerable<ISummaryContributor> SummaryContributors()
    {
        yield return new ProgramSummary(this);
        yield return Plan;
        yield return Travel;
        yield return new TimelineSummary(this);
        yield return new RemovalSummary(Removal, Context.StockDescription, Mesh, Design);
        yield return new StockReasonSummary(Context.StockReason);
        yield return Loads;
        yield return Wear;
        yield return Pass.Energy;
        if (Error != null) yield return new ErrorSummary(Error);
        yield return Times;
    }

    /// <summary>"error": where and why the run stopped (the figures before it cover the program up to that line).</summary>
    private sealed class ErrorSummary(Diagnostic e) : ISummaryContributor
    {
        public void WriteSummary(Utf8JsonWriter w)
        {
            w.WriteStartObject("error");
            if (e.File != null) w.WriteString("file", e.File); else w.WriteNull("file");
            w.WriteNumber("line", e.Line);
            w.WriteNumber("column", e.Column);
            w.WriteString("message", e.Message);
            w.WriteEndObject();
        }
    }

    /// <summary>Writes summary.json (one object).</summary>
    public void WriteSummary(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        foreach (var c in SummaryContributors()) c.WriteSummary(w);
        w.WriteEndObject();
    }

    private sealed class ProgramSummary(SimulationResult r) : ISummaryContributor
    {
        public void WriteSummary(Utf8JsonWriter w)
        {
            w.WriteString("program", Path.GetFullPath(r.Context.ProgramPath));
            w.WriteString("machine", r.Context.Machine.Name);
            if (r.Context.Request.MachinePath != null) w.WriteString("machine_file", Path.GetFullPath(r.Context.Request.MachinePath));
        }
    }

    /// <summary>"stock_reason": how the stock was chosen (given, or which rule made the automatic block).</summary>
    private sealed class StockReasonSummary(string? reason) : ISummaryContributor
    {
        public void WriteSummary(Utf8JsonWriter w) { if (reason != null) w.WriteString("stock_reason", reason); }
    }

    private sealed class TimelineSummary(SimulationResult r) : ISummaryContributor
    {
        public void WriteSummary(Utf8JsonWriter w)
        {
            w.WriteNumber("moves", r.Toolpath.Moves);
            w.WriteStartArray("tools");
            foreach (var t in r.Toolpath.Tools) w.WriteNumberValue(t);
            w.WriteEndArray();
            w.WriteNumber("timeline_step_s", r.Context.Request.TimelineStepS);
            w.WriteNumber("timeline_rows", r.TimelineRows);
            // Only when the cap cut the timeline: the time of the first sample not written.
            if (double.IsFinite(r.TimelineTruncatedAtS)) w.WriteNumber("timeline_truncated_at_s", Math.Round(r.TimelineTruncatedAtS, 6));
        }
    }
}
