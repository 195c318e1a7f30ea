using CncTwin.Motion;
using CncTwin.Removal;

namespace CncTwin.Simulation;

/// <summary>
/// Where a run's results stream to. Every method has a default that ignores it: a sink implements what it uses.
/// Calls come from the run's own thread, in order: Begin, then moves and samples as they are computed (a move
/// before the samples that fall in it), warnings as found, then Complete (in sink order) or Fail. A sink that is
/// IDisposable is disposed after Complete or Fail, also when the run is cancelled.
/// </summary>
public interface ISimulationSink
{
    void Begin(SimulationResult run) { }
    void OnMove(MoveResult move, ReadOnlySpan<double> values) { }
    void OnSample(in TimelineSample sample, ReadOnlySpan<double> values) { }
    void OnWarning(Diagnostic warning) { }
    /// <summary>The run reached the end of the program.</summary>
    void Complete(SimulationResult result) { }
    /// <summary>The run stopped at an error (<see cref="SimulationResult.Error"/>): what came before it is complete.</summary>
    void Fail(SimulationResult result) { }
}

/// <summary>timeline.csv: the planner's columns, then every stage's channels.</summary>
public sealed class TimelineCsvSink(string path) : ISimulationSink, IDisposable
{
    private FileStream? _stream;
    private TimelineCsvWriter? _writer;

    public void Begin(SimulationResult run)
    {
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _writer = new TimelineCsvWriter(_stream, run.TimelineLayout.Columns);
    }

    public void OnSample(in TimelineSample sample, ReadOnlySpan<double> values) => _writer!.Write(sample, values);

    public void Dispose()
    {
        _writer?.Dispose();
        _stream?.Dispose();
        _writer = null; _stream = null;
    }
}

/// <summary>moves.csv: one row per planned move with what it removed and each later stage's move channels.</summary>
public sealed class MovesCsvSink(string path) : ISimulationSink, IDisposable
{
    private MovesCsvWriter? _writer;
    public void Begin(SimulationResult run) => _writer = new MovesCsvWriter(path, run.MoveLayout.Columns);
    public void OnMove(MoveResult move, ReadOnlySpan<double> values) => _writer!.Write(move.Removal, values);
    public void Dispose() { _writer?.Dispose(); _writer = null; }
}

/// <summary>summary.json, written when the run completes; a summary left from an earlier run is removed first so it never passes for this one.</summary>
public sealed class SummaryJsonSink(string path) : ISimulationSink
{
    public void Begin(SimulationResult run) { if (File.Exists(path)) File.Delete(path); }
    public void Complete(SimulationResult result) => result.Times.Time(Stages.Writing, () =>
    {
        using var stream = File.Create(path);
        result.WriteSummary(stream);
    });
}

/// <summary>
/// stock.stl and stock.glb of the final stock (and, with a design part in the request, the gouge/leftover maps
/// beside them). Listed before the summary and the report, whose mesh figures it provides.
/// </summary>
public sealed class StockMeshSink(string? stlPath, string? glbPath, string? designFolder = null) : ISimulationSink
{
    public void Complete(SimulationResult result) => result.Times.Time(Stages.Meshes, () =>
    {
        var stock = result.Stock;
        var req = result.Context.Request;
        int factor = req.MeshResolutionMm > 0 ? Math.Max(1, (int)Math.Round(req.MeshResolutionMm / stock.CellMm)) : StockField.AutoFactor(stock);
        result.Mesh = StockMesh.Write(stock, factor, stlPath, glbPath);
        if (req.DesignPath != null)
        {
            try { result.Design = DesignComparison.Run(stock, req.DesignPath, designFolder ?? Path.GetDirectoryName(Path.GetFullPath(stlPath ?? glbPath ?? "."))!); }
            catch (CncTwin.Geometry.MeshFormatException ex) { throw new SimulationSetupException([Diagnostic.Preformatted(DiagnosticKind.InvalidRequest, ex.Message)]); }
        }
    });
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
