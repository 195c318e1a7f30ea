using System.Globalization;
using CncTwin.Mechanics.Stability;
using CncTwin.Removal;
using CncTwin.Simulation;

namespace CncTwin.Cli;

/// <summary>The command line's side of the simulation library: options into a request, diagnostics into one-line messages and exit codes.</summary>
internal static class CliSimulation
{
    /// <summary>The flag that sets each request field.</summary>
    public static string Flag(RequestField f) => f switch
    {
        RequestField.Program => "program",
        RequestField.Machine => "--machine",
        RequestField.Tools => "--tools",
        RequestField.Stock => "--stock",
        RequestField.ResolutionMm => "--resolution",
        RequestField.Device => "--device",
        RequestField.Design => "--design",
        RequestField.MeshResolutionMm => "--mesh-resolution",
        RequestField.HomeZ => "--home-z",
        RequestField.Material => "--material",
        RequestField.Materials => "--materials",
        RequestField.Coefficients => "--coefficients",
        RequestField.Dynamics => "--dynamics",
        RequestField.ChatterMethod => "--chatter-method",
        RequestField.VbLimitUm => "--vb-limit",
        RequestField.InitialWear => "--initial-wear",
        RequestField.SpindlePowerW => "--spindle-power-w",
        RequestField.TimelineStepS => "--dt",
        RequestField.MaxTimelineRows => "--max-timeline-rows",
        RequestField.InitialTool => "--tool",
        RequestField.OutputFolder => "--out",
        _ => f.ToString(),
    };

    /// <summary>Prints each diagnostic on standard error; returns the exit code they mean (1 for a program or environment error, 2 for usage).</summary>
    public static int Report(IEnumerable<Diagnostic> diagnostics, string command)
    {
        int code = CliApp.ExitOk;
        foreach (var d in diagnostics)
        {
            Console.Error.WriteLine(d.Format(Flag, command));
            if (d.IsError) code = Math.Max(code, d.Kind is DiagnosticKind.ProgramError or DiagnosticKind.Environment ? CliApp.ExitProgramError : CliApp.ExitUsage);
        }
        return code;
    }

    /// <summary>A request from simulate's (and optimize's, watch's) options; null after printing a usage error.</summary>
    public static SimulationRequest? Request(string program, string? machine, string? tools, int initialTool, bool blockDelete,
        SimulateCommand.RemovalArgs removal, SimulateCommand.MechanicsArgs mechanics, string command)
    {
        var home = HomeZ.Parse(removal.HomeZ);
        if (home == null) { Console.Error.WriteLine($"--home-z {removal.HomeZ}: error: expected a height in mm (>= 0), zero or auto"); return null; }
        Dictionary<int, double> initialWear;
        try { initialWear = SimulationRequest.ParseInitialWear(mechanics.InitialWear); }
        catch (FormatException ex) { Console.Error.WriteLine($"{command}: error: --initial-wear {ex.Message}"); return null; }
        return new SimulationRequest
        {
            ProgramPath = program, MachinePath = machine, ToolsPath = tools, InitialTool = initialTool, BlockDelete = blockDelete,
            Stock = removal.Stock, ResolutionMm = removal.ResolutionMm, Device = ParseDevice(removal.Device), DesignPath = removal.Design, MeshResolutionMm = removal.MeshResolutionMm,
            HomeZ = home.Value, Material = mechanics.Material, MaterialsPath = mechanics.Materials, Coefficients = mechanics.Coefficients, DynamicsPath = mechanics.Dynamics,
            ChatterMethod = ChatterMethods.Parse(mechanics.ChatterMethod), VbLimitUm = mechanics.VbLimitUm, InitialWearUm = initialWear, SpindlePowerW = mechanics.SpindlePowerW,
        };
    }

    public static SweepDevice ParseDevice(string name) => name switch { "cpu" => SweepDevice.Cpu, "gpu" => SweepDevice.Gpu, "ilgpu-cpu" => SweepDevice.IlgpuCpu, _ => SweepDevice.Auto };

    /// <summary>Sets up the request; on a problem prints it and returns the exit code (context null).</summary>
    public static int Setup(SimulationRequest request, string command, out SimulationContext? context)
    {
        (context, var diagnostics) = SimulationContext.Create(request);
        return context != null ? CliApp.ExitOk : Report(diagnostics, command);
    }

    public static string Number(double v) => v.ToString(CultureInfo.InvariantCulture);
}
