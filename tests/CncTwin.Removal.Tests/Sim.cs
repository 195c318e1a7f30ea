using CncTwin.Removal;
using CncTwin.Simulation;

namespace CncTwin.Removal.Tests;

/// <summary>Runs G-code through the real interpreter and planner into a removal simulator (the pipeline library, stopped after removal).</summary>
internal static class Sim
{
    public static MaterialRemovalSimulator Run(string gcode, VoxelStock stock, ToolLibrary tools, SweepDevice device = SweepDevice.Cpu,
        List<MoveRemoval>? moves = null, int initialTool = 1)
    {
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(gcode, tools, () => stock) with { Device = device, InitialTool = initialTool });
        // The pass is not disposed: the tests read the simulator (and its stock) after the run.
        var pass = new SimulationPass(context, new PassOptions { Stages = PipelineStages.Removal });
        foreach (var r in pass.Moves()) moves?.Add(r.Removal);
        return pass.Removal;
    }

    /// <summary>gcode-samples/ of this checkout (the folder above the test binaries that holds CncTwin.sln).</summary>
    public static string Samples
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "CncTwin.sln"))) dir = dir.Parent;
            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("CncTwin.sln not found"), "gcode-samples");
        }
    }

    public static ToolLibrary Tools(string json) => ToolLibrary.ParseJson(json, "tools.json");

    public static ToolLibrary One(string type, double d, string extra = "") =>
        Tools($$"""{"tools":[{"number":1,"type":"{{type}}","diameter_mm":{{d}}{{extra}}}]}""");
}
