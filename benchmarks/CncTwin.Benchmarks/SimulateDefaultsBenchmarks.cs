using BenchmarkDotNet.Attributes;
using CncTwin.Core;
using CncTwin.Removal;
using CncTwin.Simulation;

namespace CncTwin.Benchmarks;

/// <summary>
/// The whole default `simulate` (summary, timeline, moves, stock meshes, report) at 0.2 mm voxels on the CPU, on the
/// two programs of the issue: the 2,036-line deep pocket (gcode-samples/pocket-deep.ngc, 100 × 100 × 30 block) and
/// ballend-finish.ngc (80 × 80 × 30 block). Baseline, in the same run: the same simulation with the 1 ms timeline
/// every pause in full (`--dt 0.001 --timeline-pauses full`, the output of earlier versions). Warm, in-process
/// figures: the command line adds ~1.3 s of start-up and JIT (measured with /usr/bin/time in the README).
/// Stage times of one run: `pipeline-stages`.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class SimulateDefaultsBenchmarks
{
    [Params("pocket-deep.ngc", "ballend-finish.ngc")]
    public string Program { get; set; } = "pocket-deep.ngc";

    private string _out = "";

    public static SimulationRequest Request(string program)
    {
        string samples = Path.Combine(TwinBenchmarks.FindRepo(), "gcode-samples");
        string stock = program == "pocket-deep.ngc" ? "box:0,0,-30,100,100,0" : "box:-40,-40,-30,40,40,0";
        return new SimulationRequest { ProgramPath = Path.Combine(samples, program), Stock = stock, Device = SweepDevice.Cpu };
    }

    [GlobalSetup]
    public void Setup() => _out = Path.Combine(Path.GetTempPath(), "cnctwin-simulate-bench-" + Program);

    private async Task<double> Run(SimulationRequest request)
    {
        var context = SimulationContext.CreateOrThrow(request);
        var r = await Simulator.RunAsync(context, SimulationSinks.ForFolder(_out));
        return r.Removal.RemovedMm3;
    }

    [Benchmark(Baseline = true)]
    public Task<double> OneMillisecondTimeline() => Run(Request(Program) with { TimelineStepS = 0.001, CompressTimelinePauses = false });

    [Benchmark]
    public Task<double> Defaults() => Run(Request(Program));
}
