using System.Globalization;
using CncTwin.Core;
using CncTwin.Core.Streaming;
using CncTwin.GCode;
using CncTwin.Mechanics;
using CncTwin.Mechanics.Stability;
using CncTwin.Motion;
using CncTwin.Removal;

namespace CncTwin.Cli;

/// <summary>
/// Everything a simulation of one program needs, checked and loaded once from the command line: machine, tools,
/// work material (and dynamics), the stock and where machine Z0 lies above work zero. Shared by simulate and
/// optimize, which runs the pipeline twice.
/// </summary>
internal sealed class SimulationSetup
{
    public required string File { get; init; }
    public required MachineProfile Machine { get; init; }
    public required ToolTable Table { get; init; }
    public required ToolLibrary Library { get; init; }
    public required CuttingLoadOptions LoadOptions { get; init; }
    public required SweepDevice Device { get; init; }
    public required string StockDescription { get; init; }
    public double HomeAboveWorkMm { get; private set; }
    public int InitialTool { get; init; }
    public bool BlockDelete { get; init; }
    private Func<VoxelStock> _stock = null!;

    /// <summary>A fresh stock (each simulation pass cuts its own).</summary>
    public VoxelStock NewStock() => _stock();

    public Interpreter NewInterpreter(string? file = null) => Interpreter(file ?? File, Table, InitialTool, BlockDelete, HomeAboveWorkMm);

    private static Interpreter Interpreter(string file, ToolTable table, int initialTool, bool blockDelete, double home) => new(LineSource.FromFile(file), new InterpreterOptions
    {
        Tools = table, InitialTool = initialTool, BlockDelete = blockDelete,
        // Work zero below machine zero (auto start): the interpreter works in true machine coordinates, and
        // positions are shifted back into the work frame the stock is given in.
        InitialPosition = new Vec3(0, 0, home), InitialG54Offset = new Vec3(0, 0, -home),
        ToolChangeAtMachineZ0 = home > 0,
    });

    /// <summary>The canonical stream in the stock's work frame.</summary>
    public IEnumerable<CanonicalCommand> WorkFrame(IEnumerable<CanonicalCommand> commands) => CanonicalTransforms.Translate(commands, new Vec3(0, 0, HomeAboveWorkMm));

    /// <summary>Checks and loads; on a problem prints a message naming the file or option and returns the exit code (setup null).</summary>
    public static int TryCreate(string file, string? machinePath, string? toolsPath, int initialTool, bool blockDelete,
        SimulateCommand.RemovalArgs removal, SimulateCommand.MechanicsArgs mechanics, string command, out SimulationSetup? setup)
    {
        setup = null;
        if (!(removal.ResolutionMm > 0) || !double.IsFinite(removal.ResolutionMm) || removal.ResolutionMm > 100)
        {
            Console.Error.WriteLine($"--resolution {removal.ResolutionMm.ToString(CultureInfo.InvariantCulture)}: error: the voxel size must be in (0, 100] mm");
            return CliApp.ExitUsage;
        }
        if (!System.IO.File.Exists(file)) { Console.Error.WriteLine($"{file}: error: file not found"); return CliApp.ExitUsage; }
        MachineProfile machine;
        try { machine = machinePath == null ? MachineProfile.DefaultVmc : MachineProfile.Load(machinePath); }
        catch (MachineProfileException ex) { Console.Error.WriteLine($"{ex.Message}"); return CliApp.ExitUsage; }
        catch (IOException ex) { Console.Error.WriteLine($"{machinePath}: error: {ex.Message}"); return CliApp.ExitUsage; }
        if (mechanics.SpindlePowerW is double pw)
        {
            if (!(pw > 0) || !double.IsFinite(pw)) { Console.Error.WriteLine("--spindle-power-w: error: must be a positive number of W"); return CliApp.ExitUsage; }
            machine = machine with { Spindle = machine.Spindle with { RatedPowerW = pw } };
        }
        CuttingLoadOptions loadOptions;
        try
        {
            var (k, label) = MechanicsCommands.Coefficients(mechanics.Coefficients == null ? mechanics.Material ?? SimulateCommand.DefaultMaterial : mechanics.Material, mechanics.Coefficients, mechanics.Materials);
            ToolDynamics? dyn = null;
            if (mechanics.Dynamics != null)
            {
                if (!System.IO.File.Exists(mechanics.Dynamics)) throw new FileNotFoundException($"{mechanics.Dynamics}: error: file not found");
                dyn = ToolDynamics.Load(mechanics.Dynamics);
            }
            loadOptions = new CuttingLoadOptions { Coefficients = k, MaterialName = label, Spindle = machine.Spindle, Dynamics = dyn, ChatterMethod = mechanics.ChatterMethod };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException or FileNotFoundException or InvalidDataException)
        {
            Console.Error.WriteLine(ex.Message.Contains("error:") ? ex.Message : $"{command}: error: {ex.Message}");
            return CliApp.ExitUsage;
        }
        toolsPath ??= CliApp.SiblingToolTable(file);
        ToolTable? table;
        ToolLibrary library;
        try { table = CliApp.LoadTools(toolsPath, out library); }
        catch (GCodeException ex) { Console.Error.WriteLine($"{ex.File}:{ex.Line}:{ex.Column}: {ex.Reason}"); return CliApp.ExitUsage; }
        if (table == null) return CliApp.ExitUsage;

        // The first stock is built here, not on first use, so that a bad spec or a block too big for the voxel size
        // is a usage error now; later calls (optimize runs twice) build a fresh one.
        Func<VoxelStock> build;
        string description, option;
        try
        {
            if (removal.Stock != null)
            {
                build = () => StockSpec.Build(removal.Stock, removal.ResolutionMm);
                description = removal.Stock;
                option = "--stock";
            }
            else
            {
                // The automatic block is found from the program itself, with work and machine zero together.
                var box = StockSpec.AutoBox(() => Interpreter(file, table, initialTool, blockDelete, 0), library);
                var (lo, hi) = box ?? (new Vec3(0, 0, -1), new Vec3(1, 1, 0));
                build = () => VoxelStock.Box(lo, hi, removal.ResolutionMm);
                description = string.Create(CultureInfo.InvariantCulture, $"box:{lo.X:0.###},{lo.Y:0.###},{lo.Z:0.###},{hi.X:0.###},{hi.Y:0.###},{hi.Z:0.###} (automatic)");
                option = $"--resolution {removal.ResolutionMm.ToString(CultureInfo.InvariantCulture)}";
            }
        }
        catch (StockSpec.StockSpecException ex) { Console.Error.WriteLine(ex.Message); return CliApp.ExitUsage; }
        catch (ArgumentException ex) { Console.Error.WriteLine($"--stock: error: {ex.Message}"); return CliApp.ExitUsage; }
        catch (GCodeException ex) { Console.Error.WriteLine($"{ex.File}:{ex.Line}:{ex.Column}: {ex.Reason}"); return CliApp.ExitProgramError; }
        VoxelStock first;
        try { first = build(); }
        catch (StockSpec.StockSpecException ex) { Console.Error.WriteLine(ex.Message); return CliApp.ExitUsage; }
        catch (ArgumentException ex) { Console.Error.WriteLine($"{option}: error: stock {description}: {ex.Message}"); return CliApp.ExitUsage; }
        bool used = false;
        Func<VoxelStock> stock = () => { if (!used) { used = true; return first; } return build(); };

        var s = new SimulationSetup
        {
            File = file, Machine = machine, Table = table, Library = library, LoadOptions = loadOptions, StockDescription = description,
            InitialTool = initialTool, BlockDelete = blockDelete,
            Device = removal.Device switch { "cpu" => SweepDevice.Cpu, "gpu" => SweepDevice.Gpu, "ilgpu-cpu" => SweepDevice.IlgpuCpu, _ => SweepDevice.Auto },
        };
        s._stock = stock;
        setup = s;
        return CliApp.ExitOk;
    }

    /// <summary>Resolves --home-z against the stock (needs the stock's top). Returns false after printing the error.</summary>
    public bool ResolveHomeZ(string homeZ, string? machinePath, VoxelStock stock)
    {
        switch (homeZ.ToLowerInvariant())
        {
            case "zero": HomeAboveWorkMm = 0; return true;
            case "auto":
                if (machinePath != null && machinePath.EndsWith(".ini", StringComparison.OrdinalIgnoreCase)) { HomeAboveWorkMm = 0; return true; }
                double longest = Library.Tools.Select(t => t.LengthMm).DefaultIfEmpty(0).Max();
                HomeAboveWorkMm = Math.Max(stock.Max.Z, 0) + longest + 25;
                return true;
            default:
                if (!double.TryParse(homeZ, NumberStyles.Float, CultureInfo.InvariantCulture, out double h) || !double.IsFinite(h) || h < 0)
                {
                    Console.Error.WriteLine($"--home-z {homeZ}: error: expected a height in mm (>= 0), zero or auto");
                    return false;
                }
                HomeAboveWorkMm = h;
                return true;
        }
    }

    /// <summary>
    /// One batch pass of the pipeline (interpreter → planner → removal → loads) over a program on a stock, for
    /// commands that need the whole run rather than simulate's streamed outputs (optimize, the twin's
    /// prediction). onMove sees each canonical move as the interpreter yields it (with its modal state);
    /// onPlanned each planned move with its removal and loads. Returns the plan summary.
    /// </summary>
    public PlanSummary RunPass(string file, VoxelStock stock, CuttingLoadSimulator loads, Action<Move, Interpreter>? onMove,
        Action<PlannedMove, MoveRemoval, MoveLoads, ICutter> onPlanned, Action<string>? warn = null)
    {
        using var sim = new MaterialRemovalSimulator(stock, Library, Device) { Warn = warn };
        using var interp = NewInterpreter(file);
        IEnumerable<CanonicalCommand> Observe(IEnumerable<CanonicalCommand> commands)
        {
            foreach (var c in commands)
            {
                if (c is Move m) onMove?.Invoke(m, interp);
                yield return c;
            }
        }
        var plan = new PlanSummary();
        foreach (var item in plan.Observe(new MotionPlanner(Machine).Plan(Observe(WorkFrame(interp.Run())))))
        {
            if (item is not PlannedMove pm) continue;
            var r = sim.Process(pm);
            var cutter = sim.CutterFor(pm.Move.Tool);
            onPlanned(pm, r, loads.Process(r, cutter), cutter);
        }
        sim.Finish();
        return plan;
    }
}
