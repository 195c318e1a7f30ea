using CncTwin.GCode;
using CncTwin.Motion;
using CncTwin.Removal;

namespace CncTwin.Removal.Tests;

/// <summary>Runs G-code through the real interpreter and planner into a removal simulator.</summary>
internal static class Sim
{
    public static MaterialRemovalSimulator Run(string gcode, VoxelStock stock, ToolLibrary tools, SweepDevice device = SweepDevice.Cpu,
        List<MoveRemoval>? moves = null, int initialTool = 1)
    {
        var sim = new MaterialRemovalSimulator(stock, tools, device);
        using var interp = new Interpreter(LineSource.FromString(gcode, "test.ngc"), new InterpreterOptions { InitialTool = initialTool });
        foreach (var item in new MotionPlanner(MachineProfile.DefaultVmc).Plan(interp.Run()))
            if (item is PlannedMove m)
            {
                var r = sim.Process(m);
                moves?.Add(r);
            }
        sim.Finish();
        return sim;
    }

    public static ToolLibrary Tools(string json) => ToolLibrary.ParseJson(json, "tools.json");

    public static ToolLibrary One(string type, double d, string extra = "") =>
        Tools($$"""{"tools":[{"number":1,"type":"{{type}}","diameter_mm":{{d}}{{extra}}}]}""");
}
