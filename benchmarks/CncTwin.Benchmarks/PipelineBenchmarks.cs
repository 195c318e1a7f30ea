using BenchmarkDotNet.Attributes;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Simulation;

namespace CncTwin.Benchmarks;

/// <summary>
/// The whole pipeline through the library (<see cref="Simulator.RunAsync"/>) on the bundled pocket.ngc with the
/// command line's defaults (0.2 mm voxels, 10 ms timeline) on the CPU: into memory only, and into the files
/// simulate writes. Baseline (same run): interpreting and planning the program alone. Stage times of one run:
/// `dotnet run -c Release --project benchmarks/CncTwin.Benchmarks -- pipeline-stages`.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class PipelineBenchmarks
{
    private SimulationRequest _request = null!;
    private string _out = "";

    public static SimulationRequest Request(string program) => new()
    {
        ProgramPath = Path.Combine(TwinBenchmarks.FindRepo(), "gcode-samples", program), Device = SweepDevice.Cpu,
    };

    [GlobalSetup]
    public void Setup()
    {
        _request = Request("pocket.ngc");
        _out = Path.Combine(Path.GetTempPath(), "cnctwin-pipeline-bench");
    }

    [Benchmark(Baseline = true)]
    public double InterpretAndPlan()
    {
        var context = SimulationContext.CreateOrThrow(_request);
        double t = 0;
        foreach (var item in context.Plan()) t = item.EndS;
        return t;
    }

    [Benchmark]
    public async Task<double> RunIntoMemory()
    {
        var context = SimulationContext.CreateOrThrow(_request);
        var r = await Simulator.RunAsync(context, [new MemorySink()]);
        return r.Removal.RemovedMm3;
    }

    [Benchmark]
    public async Task<double> RunIntoFiles()
    {
        var context = SimulationContext.CreateOrThrow(_request);
        var r = await Simulator.RunAsync(context, SimulationSinks.ForFolder(_out));
        return r.Removal.RemovedMm3;
    }

    /// <summary>One default run per bundled sample into files: wall time of each stage (the interpreter, the planner with the removal, the writers and the meshes/report run on threads of their own, so stages overlap).</summary>
    public static void PrintStageTimes(TextWriter w)
    {
        foreach (var program in new[] { "pocket.ngc", "pocket-deep.ngc", "ballend-finish.ngc", "contour.ngc", "drilling.ngc" })
        {
            var request = program is "pocket-deep.ngc" or "ballend-finish.ngc" ? SimulateDefaultsBenchmarks.Request(program) : Request(program);
            var context = SimulationContext.CreateOrThrow(request);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var r = Simulator.RunAsync(context, SimulationSinks.ForFolder(Path.Combine(Path.GetTempPath(), "cnctwin-stages-" + program))).GetAwaiter().GetResult();
            double total = clock.Elapsed.TotalSeconds;
            w.WriteLine(FormattableString.Invariant($"{program}: {total:0.00} s wall, {r.TimelineRows:N0} timeline rows, {r.Removal.Moves:N0} moves"));
            foreach (var (stage, s) in r.Times.All) w.WriteLine(FormattableString.Invariant($"  {stage,-10} {s,8:0.000} s"));
        }
    }
}
