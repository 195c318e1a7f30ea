using CncTwin.Core.IO;
using CncTwin.Motion;
using CncTwin.Removal;

namespace CncTwin.Simulation;

/// <summary>
/// Where a run's results stream to. Every method has a default that ignores it: a sink implements what it uses.
/// Calls come one at a time, in order: Begin, then moves and samples as they are computed (a move before the
/// samples that fall in it) and warnings as found, all from the run's sink thread (not the stages' own), then
/// Complete (in sink order; those marked CompletesAlongside concurrently with the next ones) or Fail. A sink that
/// is IDisposable is disposed after Complete or Fail, also when the run is cancelled.
/// </summary>
public interface ISimulationSink
{
    void Begin(SimulationResult run) { }
    void OnMove(MoveResult move, ReadOnlySpan<double> values) { }
    void OnSample(in TimelineSample sample, ReadOnlySpan<double> values) { }
    void OnWarning(Diagnostic warning) { }
    /// <summary>The run reached the end of the program.</summary>
    void Complete(SimulationResult result) { }
    /// <summary>
    /// Complete may run on another thread alongside the sinks around it (it only reads the finished run and writes
    /// its own files): the stock meshes and the report. Sinks listed after it wait for it.
    /// </summary>
    bool CompletesAlongside => false;
    /// <summary>The run stopped at an error (<see cref="SimulationResult.Error"/>): what came before it is complete.</summary>
    void Fail(SimulationResult result) { }
}

/// <summary>
/// A file streamed while the run goes: opened under a temporary name at the start (an earlier run's file of that
/// name removed), renamed over the real name when the run ends (completed, or stopped at a program error: what
/// came before it is kept); a cancelled or crashed run leaves no partial file under the real name.
/// </summary>
public abstract class StreamedFileSink<TWriter>(string path) : ISimulationSink, IDisposable where TWriter : class, IDisposable
{
    private AtomicFile? _file;
    protected TWriter? Writer { get; private set; }

    /// <summary>The writer over the temporary file's stream (which it may close when disposed).</summary>
    protected abstract TWriter Open(Stream stream, SimulationResult run);

    public void Begin(SimulationResult run)
    {
        if (File.Exists(path)) File.Delete(path);
        _file = AtomicFile.Create(path);
        Writer = Open(_file.Stream, run);
    }

    public void Complete(SimulationResult result) => Commit();
    public void Fail(SimulationResult result) => Commit();

    private void Commit()
    {
        Writer?.Dispose();
        Writer = null;
        _file?.Commit();
    }

    public void Dispose()
    {
        Writer?.Dispose();
        _file?.Dispose();
        Writer = null; _file = null;
    }
}

/// <summary>timeline.csv: the planner's columns, then every stage's channels.</summary>
public sealed class TimelineCsvSink(string path) : StreamedFileSink<TimelineCsvWriter>(path), ISimulationSink // re-stated so OnSample maps here, not to the default
{
    protected override TimelineCsvWriter Open(Stream stream, SimulationResult run) => new(stream, run.TimelineLayout.Columns);
    public void OnSample(in TimelineSample sample, ReadOnlySpan<double> values) => Writer!.Write(sample, values);
}

/// <summary>moves.csv: one row per planned move with what it removed and each later stage's move channels.</summary>
public sealed class MovesCsvSink(string path) : StreamedFileSink<MovesCsvWriter>(path), ISimulationSink // re-stated so OnMove maps here
{
    protected override MovesCsvWriter Open(Stream stream, SimulationResult run) => new(stream, run.MoveLayout.Columns);
    public void OnMove(MoveResult move, ReadOnlySpan<double> values) => Writer!.Write(move.Removal, values);
}

/// <summary>
/// summary.json, written when the run ends: every figure, and after a program error an "error" object with its
/// file, line, column and message (the figures then cover the moves before it). A summary left from an earlier
/// run is removed at the start, so it never passes for this one.
/// </summary>
public sealed class SummaryJsonSink(string path) : ISimulationSink
{
    public void Begin(SimulationResult run) { if (File.Exists(path)) File.Delete(path); }
    public void Complete(SimulationResult result) => Write(result);
    public void Fail(SimulationResult result) => Write(result);

    private void Write(SimulationResult result) => result.Times.Time(Stages.Writing, () =>
    {
        using var file = AtomicFile.Create(path);
        result.WriteSummary(file.Stream);
        file.Commit();
    });
}

/// <summary>
/// stock.stl and stock.glb of the final stock (and, with a design part in the request, the gouge/leftover maps
/// beside them). Listed before the summary and the report, whose mesh figures it provides.
/// </summary>
public sealed class StockMeshSink(string? stlPath, string? glbPath, string? designFolder = null) : ISimulationSink
{
    public bool CompletesAlongside => true;

    /// <summary>Stale meshes of an earlier run go first: until this run writes its own, none is shown as its result.</summary>
    public void Begin(SimulationResult run)
    {
        foreach (var p in new[] { stlPath, glbPath }) if (p != null && File.Exists(p)) File.Delete(p);
    }

    /// <summary>After a program error: the stock as cut up to it (the design comparison only for a complete run).</summary>
    public void Fail(SimulationResult result) => result.Times.Time(Stages.Meshes, () => WriteMeshes(result));

    public void Complete(SimulationResult result) => result.Times.Time(Stages.Meshes, () =>
    {
        WriteMeshes(result);
        var stock = result.Stock;
        var req = result.Context.Request;
        if (req.DesignPath != null)
        {
            try { result.Design = DesignComparison.Run(stock, req.DesignPath, designFolder ?? Path.GetDirectoryName(Path.GetFullPath(stlPath ?? glbPath ?? "."))!); }
            catch (CncTwin.Geometry.MeshFormatException ex) { throw new SimulationSetupException([Diagnostic.Preformatted(DiagnosticKind.InvalidRequest, ex.Message)]); }
        }
    });

    private void WriteMeshes(SimulationResult result)
    {
        var stock = result.Stock;
        var req = result.Context.Request;
        int factor = req.MeshResolutionMm > 0 ? Math.Max(1, (int)Math.Round(req.MeshResolutionMm / stock.CellMm)) : StockField.AutoFactor(stock);
        // Each file under a temporary name, renamed when whole.
        string? stlTemp = stlPath != null ? TempBeside(stlPath) : null, glbTemp = glbPath != null ? TempBeside(glbPath) : null;
        try
        {
            result.Mesh = StockMesh.Write(stock, factor, stlTemp, glbTemp);
            if (stlTemp != null) File.Move(stlTemp, stlPath!, overwrite: true);
            if (glbTemp != null) File.Move(glbTemp, glbPath!, overwrite: true);
        }
        finally
        {
            foreach (var t in new[] { stlTemp, glbTemp }) if (t != null && File.Exists(t)) File.Delete(t);
        }
    }

    private static string TempBeside(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
}

/// <summary>Keeps every move (and optionally every sample with its channel values) in memory: for tests, the twin and the dashboard.</summary>
public sealed class MemorySink(bool keepSamples = false) : ISimulationSink
{
    public List<MoveResult> Moves { get; } = new();
    public List<(TimelineSample Sample, double[] Values)> Samples { get; } = new();
    public List<Diagnostic> Warnings { get; } = new();
    public SimulationResult? Result { get; private set; }

    public void OnMove(MoveResult move, ReadOnlySpan<double> values) => Moves.Add(move);
    public void OnSample(in TimelineSample sample, ReadOnlySpan<double> values) { if (keepSamples) Samples.Add((sample, values.ToArray())); }
    public void OnWarning(Diagnostic warning) => Warnings.Add(warning);
    public void Complete(SimulationResult result) => Result = result;
    public void Fail(SimulationResult result) => Result = result;
}

public static class SimulationSinks
{
    /// <summary>The standard files in a folder, in the order they must complete (meshes before the report, the summary last).</summary>
    public static List<ISimulationSink> ForFolder(string folder, SimulationOutputs outputs = SimulationOutputs.All)
    {
        Directory.CreateDirectory(folder);
        var sinks = new List<ISimulationSink>();
        if (outputs.HasFlag(SimulationOutputs.Timeline)) sinks.Add(new TimelineCsvSink(Path.Combine(folder, "timeline.csv")));
        if (outputs.HasFlag(SimulationOutputs.Moves)) sinks.Add(new MovesCsvSink(Path.Combine(folder, "moves.csv")));
        if (outputs.HasFlag(SimulationOutputs.Meshes)) sinks.Add(new StockMeshSink(Path.Combine(folder, "stock.stl"), Path.Combine(folder, "stock.glb"), folder));
        if (outputs.HasFlag(SimulationOutputs.Report)) sinks.Add(new ReportSink(Path.Combine(folder, "report.html")));
        // Last, so that it carries every other output's figures and wall time.
        if (outputs.HasFlag(SimulationOutputs.Summary)) sinks.Add(new SummaryJsonSink(Path.Combine(folder, "summary.json")));
        return sinks;
    }
}
