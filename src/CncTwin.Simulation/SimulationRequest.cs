using System.Globalization;
using CncTwin.Mechanics;
using CncTwin.Mechanics.Stability;
using CncTwin.Motion;
using CncTwin.Removal;

namespace CncTwin.Simulation;

/// <summary>Where machine Z0 (where the program starts, and where G28/G53 Z0 go) lies above work Z0.</summary>
public readonly record struct HomeZ(HomeZMode Mode, double AboveWorkMm = 0)
{
    /// <summary>Zero for a LinuxCNC INI machine (its positions are work positions), else stock top + longest tool + 25 mm.</summary>
    public static readonly HomeZ Auto = new(HomeZMode.Auto);
    /// <summary>LinuxCNC's convention: machine = work coordinates.</summary>
    public static readonly HomeZ Zero = new(HomeZMode.Fixed, 0);

    public static HomeZ At(double mm) => new(HomeZMode.Fixed, mm);

    /// <summary>auto, zero or a height in mm (&gt;= 0); null if the text is none of these.</summary>
    public static HomeZ? Parse(string text)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "auto": return Auto;
            case "zero": return Zero;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double h) && double.IsFinite(h) && h >= 0 ? At(h) : null;
    }
}

public enum HomeZMode { Auto, Fixed }

/// <summary>Which files a run to a folder writes.</summary>
[Flags]
public enum SimulationOutputs
{
    None = 0,
    Summary = 1, Timeline = 2, Moves = 4, Meshes = 8, Report = 16,
    All = Summary | Timeline | Moves | Meshes | Report,
}

/// <summary>
/// Everything one simulation is asked to do, typed. Files are named by path (as a user gives them); tests and
/// services may give the loaded objects instead (Machine, Tools, Coefficients), which win over the paths.
/// Setup (<see cref="SimulationContext.Create"/>) checks every value and reports what is wrong as diagnostics.
/// </summary>
public sealed record SimulationRequest
{
    /// <summary>The G-code program (RS274/NGC or Fanuc dialect).</summary>
    public required string ProgramPath { get; init; }
    /// <summary>The program's text, when it is not read from ProgramPath (which then only names it in messages).</summary>
    public string? ProgramText { get; init; }
    /// <summary>A LinuxCNC INI (.ini) or CncTwin machine profile (.json); null: the built-in generic VMC.</summary>
    public string? MachinePath { get; init; }
    public MachineProfile? Machine { get; init; }
    /// <summary>Tool library: CncTwin JSON (cutter geometry) or LinuxCNC .tbl (flat cutters), mm; null: tools.json or tools.tbl beside the program, else none.</summary>
    public string? ToolsPath { get; init; }
    public ToolLibrary? Tools { get; init; }
    /// <summary>Tool in the spindle at program start.</summary>
    public int InitialTool { get; init; }
    public bool BlockDelete { get; init; }
    /// <summary>The language the program is read in: auto (Fanuc when it starts with its O number), LinuxCNC's RS274/NGC, or Fanuc with Macro B.</summary>
    public CncTwin.GCode.GCodeDialect Dialect { get; init; } = CncTwin.GCode.GCodeDialect.Auto;

    /// <summary>box:xmin,ymin,zmin,xmax,ymax,zmax | cylinder:cx,cy,zmin,zmax,radius | FILE.stl (mm, work coordinates); null: a block around the feed moves.</summary>
    public string? Stock { get; init; }
    /// <summary>Builds the stock directly (tests, studies, services); wins over Stock.</summary>
    public Func<VoxelStock>? StockFactory { get; init; }
    public double ResolutionMm { get; init; } = 0.2;
    public SweepDevice Device { get; init; } = SweepDevice.Auto;
    /// <summary>Design part (STL): gouge and leftover maps of the final stock against it.</summary>
    public string? DesignPath { get; init; }
    /// <summary>Cell of the stock meshes, mm (a multiple of the voxel size); 0: automatic.</summary>
    public double MeshResolutionMm { get; init; }
    public HomeZ HomeZ { get; init; } = HomeZ.Auto;

    /// <summary>Work material from the library; null: <see cref="DefaultMaterial"/> (unless coefficients are given).</summary>
    public string? Material { get; init; }
    /// <summary>Extra material library JSON (adds to / replaces built-in entries).</summary>
    public string? MaterialsPath { get; init; }
    /// <summary>ktc=..,krc=..,kac=..,kte=..,kre=..,kae=.. instead of a material.</summary>
    public string? Coefficients { get; init; }
    /// <summary>Cutting coefficients given directly (wins over Material and Coefficients).</summary>
    public CuttingCoefficients? CuttingCoefficients { get; init; }
    /// <summary>Tool-tip modes JSON: moves deeper than the stability limit are flagged.</summary>
    public string? DynamicsPath { get; init; }
    /// <summary>Tool-tip modes given directly (wins over DynamicsPath).</summary>
    public ToolDynamics? Dynamics { get; init; }
    public ChatterMethod ChatterMethod { get; init; } = ChatterMethod.Sdm;
    /// <summary>Flank-wear end-of-life criterion VB, µm (ISO 8688-2: 300).</summary>
    public double VbLimitUm { get; init; } = 300;
    /// <summary>Flank wear the tools already have, µm, by tool number.</summary>
    public IReadOnlyDictionary<int, double>? InitialWearUm { get; init; }
    /// <summary>The spindle's rated power, W, for machines whose file does not give it.</summary>
    public double? SpindlePowerW { get; init; }

    /// <summary>Time step of the timeline, s.</summary>
    public double TimelineStepS { get; init; } = Timeline.DefaultOutputStepS;
    /// <summary>Pauses (dwell, spindle wait, tool change) as their first and last timeline rows only (nothing changes in between).</summary>
    public bool CompressTimelinePauses { get; init; } = true;
    /// <summary>The timeline stops after this many rows (the rest is still simulated and summarised).</summary>
    public long MaxTimelineRows { get; init; } = DefaultMaxTimelineRows;

    /// <summary>Where <see cref="Simulator.RunToFolderAsync"/> writes, and which files.</summary>
    public string? OutputFolder { get; init; }
    public SimulationOutputs Outputs { get; init; } = SimulationOutputs.All;

    /// <summary>Work material when none is given: the most common one in job shops (and the bundled samples).</summary>
    public const string DefaultMaterial = "al6061";
    /// <summary>Default cap on timeline rows (about 6.5 GB of CSV): a program's own time can be absurd (a dwell of years).</summary>
    public const long DefaultMaxTimelineRows = 100_000_000;

    /// <summary>
    /// A program given as text on the built-in machine, machine = work coordinates (home Z zero), tool 1 in the
    /// spindle, removal on the CPU: what tests, studies and benchmarks start from (set the rest with `with`).
    /// </summary>
    public static SimulationRequest ForText(string gcode, ToolLibrary tools, Func<VoxelStock> stock, string name = "test.ngc") => new()
    {
        ProgramPath = name, ProgramText = gcode, Machine = MachineProfile.DefaultVmc, Tools = tools, StockFactory = stock, HomeZ = HomeZ.Zero, InitialTool = 1,
        Device = SweepDevice.Cpu,
    };

    /// <summary>Parses T=UM[,T=UM...] (tool numbers may carry a T); throws FormatException naming the bad part.</summary>
    public static Dictionary<int, double> ParseInitialWear(string? text)
    {
        var d = new Dictionary<int, double>();
        if (string.IsNullOrWhiteSpace(text)) return d;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=');
            if (kv.Length != 2 || !int.TryParse(kv[0].Trim().TrimStart('T', 't'), NumberStyles.Integer, CultureInfo.InvariantCulture, out int tool) || tool < 0
                || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double um) || !(um >= 0) || !double.IsFinite(um))
                throw new FormatException($"'{part}': expected TOOL=MICRONS, e.g. 3=120");
            d[tool] = um;
        }
        return d;
    }
}
