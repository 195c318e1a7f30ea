using System.Globalization;
using CncTwin.Core;
using CncTwin.Core.Streaming;
using CncTwin.GCode;
using CncTwin.Mechanics;
using CncTwin.Mechanics.Stability;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Wear;

namespace CncTwin.Simulation;

/// <summary>
/// A checked, loaded simulation request: machine, tools, work material (and dynamics), wear laws, the stock and
/// where machine Z0 lies above work zero. Built once by <see cref="Create"/>; every pass over the program
/// (simulate runs one, optimize two, the twin one) starts from it with a fresh stock.
/// </summary>
public sealed class SimulationContext
{
    public required SimulationRequest Request { get; init; }
    public string ProgramPath => Request.ProgramPath;
    public required MachineProfile Machine { get; init; }
    public required ToolTable Table { get; init; }
    public required ToolLibrary Library { get; init; }
    public required CuttingLoadOptions LoadOptions { get; init; }
    /// <summary>The stock as given, or the automatic block's box (with "(automatic)").</summary>
    public required string StockDescription { get; init; }
    public double HomeAboveWorkMm { get; private init; }
    /// <summary>Where the automatic stock came from (null for a stock given in the request).</summary>
    public string? StockReason { get; init; }
    private Func<VoxelStock> _stock = null!;
    private VoxelStock? _first;

    public SweepDevice Device => Request.Device;
    public int InitialTool => Request.InitialTool;

    /// <summary>A fresh stock (each pass cuts its own); the first one is the one built while checking the request.</summary>
    public VoxelStock NewStock()
    {
        if (_first is { } f) { _first = null; return f; }
        // A later pass's stock can be refused (the memory is in use by the first): said as at setup, never thrown raw.
        try { return _stock(); }
        catch (StockSpec.StockSpecException ex) { throw new SimulationSetupException([ex.Diagnostic]); }
        catch (ArgumentException ex) { throw new SimulationSetupException([Diagnostic.InvalidValue(RequestField.ResolutionMm, Request.ResolutionMm.ToString(CultureInfo.InvariantCulture), $"stock {StockDescription}: {ex.Message}")]); }
    }

    /// <summary>An interpreter over the program (or another file, e.g. an optimised copy), in true machine coordinates.</summary>
    public Interpreter NewInterpreter(string? file = null, CancellationToken ct = default) => NewInterpreter(Source(Request, file), Table, Request, HomeAboveWorkMm, ct);

    /// <summary>
    /// As <see cref="NewInterpreter(string?, CancellationToken)"/>, with probing moves (G38.x) answered by a contact
    /// finder working in the stock's work frame (NIST's GET_EXTERNAL_PROBE_POSITION seam): it gets the move's start
    /// and end there and returns where the probe trips, or null for no contact.
    /// </summary>
    public Interpreter NewInterpreter(string? file, CancellationToken ct, Func<Vec3, Vec3, int, Vec3?> contactInWorkFrame)
    {
        var shift = new Vec3(0, 0, HomeAboveWorkMm);
        // G38.4/G38.5 trip when contact is lost, which a stock model cannot tell: those run to their end, as without a stock.
        return NewInterpreter(Source(Request, file), Table, Request, HomeAboveWorkMm, ct,
            p => p.TripsOnContact && contactInWorkFrame(p.Start + shift, p.End + shift, p.Tool) is { } c ? c - shift : null);
    }

    private static LineSource Source(SimulationRequest r, string? file) =>
        file == null && r.ProgramText != null ? LineSource.FromString(r.ProgramText, r.ProgramPath) : LineSource.FromFile(file ?? r.ProgramPath);

    private static Interpreter NewInterpreter(LineSource source, ToolTable table, SimulationRequest r, double home, CancellationToken ct,
        Func<ProbeRequest, Vec3?>? probeContact = null) => new(source, new InterpreterOptions
    {
        Tools = table, InitialTool = r.InitialTool, BlockDelete = r.BlockDelete, Cancellation = ct, Dialect = r.Dialect, ProbeContact = probeContact,
        // Work zero below machine zero (auto start): the interpreter works in true machine coordinates, and
        // positions are shifted back into the work frame the stock is given in.
        InitialPosition = new Vec3(0, 0, home), InitialG54Offset = new Vec3(0, 0, -home),
        ToolChangeAtMachineZ0 = home > 0,
    });

    /// <summary>The canonical stream in the stock's work frame.</summary>
    public IEnumerable<CanonicalCommand> WorkFrame(IEnumerable<CanonicalCommand> commands) => CanonicalTransforms.Translate(commands, new Vec3(0, 0, HomeAboveWorkMm));

    /// <summary>The wear stage: the wear law per tool (its tool material on the work material), the VB limit and the tools' current wear.</summary>
    public ToolWearSimulator NewWearSimulator(Action<string>? warn)
    {
        var lib = WearLibrary.BuiltIn();
        var warned = new HashSet<string>();
        string work = LoadOptions.MaterialName;
        WearLaw? LawFor(int tool)
        {
            string toolMaterial = Library.Get(tool)?.ToolMaterial ?? "carbide";
            var law = lib.Law(toolMaterial, work, LoadOptions.Coefficients, Request.VbLimitUm);
            if (law == null && warned.Add(toolMaterial))
                warn?.Invoke($"no wear parameters for {toolMaterial} on '{work}' (src/CncTwin.Wear/wear.json): tool wear not predicted for tool {tool}");
            return law;
        }
        return new ToolWearSimulator(LawFor, Request.VbLimitUm, Request.InitialWearUm ?? new Dictionary<int, double>()) { Warn = warn };
    }

    /// <summary>Checks and loads the request: a context, or the problems that stop it (never both).</summary>
    public static (SimulationContext? Context, IReadOnlyList<Diagnostic> Diagnostics) Create(SimulationRequest request, CancellationToken ct = default)
    {
        try { return (Build(request, ct), []); }
        catch (SimulationSetupException ex) { return (null, ex.Diagnostics); }
    }

    /// <summary>As <see cref="Create"/>, throwing <see cref="SimulationSetupException"/> on a problem.</summary>
    public static SimulationContext CreateOrThrow(SimulationRequest request, CancellationToken ct = default) => Build(request, ct);

    private static SimulationSetupException Fail(Diagnostic d) => new([d]);

    private static SimulationContext Build(SimulationRequest r, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        if (!(r.MeshResolutionMm >= 0) || !double.IsFinite(r.MeshResolutionMm))
            throw Fail(Diagnostic.InvalidValue(RequestField.MeshResolutionMm, null, "must be a non-negative number of mm"));
        if (r.DesignPath != null && !File.Exists(r.DesignPath)) throw Fail(Diagnostic.BadFile(r.DesignPath, "file not found") with { Kind = DiagnosticKind.InvalidRequest });
        // The design part is read now, not after the whole simulation: a broken STL is said before the work, not after it.
        if (r.DesignPath != null)
        {
            try { if (CncTwin.Geometry.StlReader.Read(r.DesignPath).TriangleCount == 0) throw Fail(Diagnostic.BadFile(r.DesignPath, "the design part has no triangles")); }
            catch (CncTwin.Geometry.MeshFormatException ex) { throw Fail(Diagnostic.Preformatted(DiagnosticKind.InvalidFile, ex.Message)); }
        }
        if (!(r.TimelineStepS > 0) || !double.IsFinite(r.TimelineStepS) || r.TimelineStepS > 10)
            throw Fail(Diagnostic.InvalidValue(RequestField.TimelineStepS, r.TimelineStepS.ToString(inv), "the time step must be in (0, 10] seconds"));
        if (r.MaxTimelineRows < 1) throw Fail(Diagnostic.InvalidValue(RequestField.MaxTimelineRows, r.MaxTimelineRows.ToString(inv), "must be at least 1"));
        if (!(r.ResolutionMm > 0) || !double.IsFinite(r.ResolutionMm) || r.ResolutionMm > 100)
            throw Fail(Diagnostic.InvalidValue(RequestField.ResolutionMm, r.ResolutionMm.ToString(inv), "the voxel size must be in (0, 100] mm"));
        if (r.InitialTool < 0) throw Fail(Diagnostic.InvalidValue(RequestField.InitialTool, r.InitialTool.ToString(inv), "a tool number is 0 (no tool) or more"));
        if (!(r.VbLimitUm > 0) || !double.IsFinite(r.VbLimitUm)) throw Fail(Diagnostic.InvalidValue(RequestField.VbLimitUm, null, "must be a positive number of µm"));
        if (r.HomeZ.Mode == HomeZMode.Fixed && (!double.IsFinite(r.HomeZ.AboveWorkMm) || r.HomeZ.AboveWorkMm < 0))
            throw Fail(Diagnostic.InvalidValue(RequestField.HomeZ, r.HomeZ.AboveWorkMm.ToString(inv), "expected a height in mm (>= 0), zero or auto"));
        if (r.ProgramText == null && !File.Exists(r.ProgramPath)) throw Fail(Diagnostic.BadFile(r.ProgramPath, "file not found") with { Kind = DiagnosticKind.InvalidRequest });

        MachineProfile machine;
        try { machine = r.Machine ?? (r.MachinePath == null ? MachineProfile.DefaultVmc : MachineProfile.Load(r.MachinePath)); }
        catch (MachineProfileException ex) { throw Fail(Diagnostic.Preformatted(DiagnosticKind.InvalidFile, ex.Message)); }
        catch (IOException ex) { throw Fail(Diagnostic.BadFile(r.MachinePath!, ex.Message)); }
        if (r.SpindlePowerW is double pw)
        {
            if (!(pw > 0) || !double.IsFinite(pw)) throw Fail(Diagnostic.InvalidValue(RequestField.SpindlePowerW, null, "must be a positive number of W"));
            machine = machine with { Spindle = machine.Spindle with { RatedPowerW = pw } };
        }

        CuttingLoadOptions loadOptions;
        try
        {
            var (k, label) = r.CuttingCoefficients is { } given ? (given, "given coefficients")
                : ResolveCoefficients(r.Coefficients == null ? r.Material ?? SimulationRequest.DefaultMaterial : r.Material, r.Coefficients, r.MaterialsPath);
            ToolDynamics? dyn = r.Dynamics;
            if (dyn == null && r.DynamicsPath != null)
            {
                if (!File.Exists(r.DynamicsPath)) throw Fail(Diagnostic.BadFile(r.DynamicsPath, "file not found") with { Kind = DiagnosticKind.InvalidRequest });
                dyn = ToolDynamics.Load(r.DynamicsPath);
            }
            loadOptions = new CuttingLoadOptions { Coefficients = k, MaterialName = label, Spindle = machine.Spindle, Dynamics = dyn, ChatterMethod = r.ChatterMethod };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException or FileNotFoundException or InvalidDataException)
        {
            throw Fail(ex.Message.Contains("error:") ? Diagnostic.Preformatted(DiagnosticKind.InvalidRequest, ex.Message) : new Diagnostic(DiagnosticKind.InvalidRequest, ex.Message));
        }

        ToolTable table;
        ToolLibrary library;
        if (r.Tools != null) { library = r.Tools; table = ToolTables.FromLibrary(library); }
        else
        {
            var (t, lib, error) = ToolTables.Load(r.ToolsPath ?? (r.ProgramText == null ? ToolTables.BesideProgram(r.ProgramPath) : null));
            if (error != null) throw Fail(error);
            table = t!; library = lib;
        }

        // The first stock is built here, not on first use, so that a bad spec or a block too big for the voxel size
        // is a usage error now; later passes (optimize runs twice) build a fresh one.
        Func<VoxelStock> build;
        string description;
        string? reason = null;
        long programMoves = -1;
        Diagnostic TooBig(string message) => r.Stock != null
            ? Diagnostic.InvalidValue(RequestField.Stock, null, $"stock {r.Stock}: {message}")
            : Diagnostic.InvalidValue(RequestField.ResolutionMm, r.ResolutionMm.ToString(inv), $"stock {{0}}: {message}");
        try
        {
            if (r.StockFactory != null)
            {
                build = r.StockFactory;
                description = "given";
                reason = "given by the caller";
            }
            else if (r.Stock != null)
            {
                string spec = r.Stock;
                build = () => StockSpec.Build(spec, r.ResolutionMm);
                description = spec;
                reason = "given: " + spec;
            }
            else
            {
                // The automatic block is found from the program itself, with work and machine zero together.
                var box = StockSpec.AutoBox(() => NewInterpreter(Source(r, null), table, r, 0, ct), library, ct, out programMoves);
                var (lo, hi, why) = box ?? (new Vec3(0, 0, -1), new Vec3(1, 1, 0), "automatic: the program has no feed moves, a 1 mm placeholder block");
                build = () => VoxelStock.Box(lo, hi, r.ResolutionMm);
                description = string.Create(inv, $"box:{lo.X:0.###},{lo.Y:0.###},{lo.Z:0.###},{hi.X:0.###},{hi.Y:0.###},{hi.Z:0.###} (automatic)");
                reason = why;
            }
        }
        catch (StockSpec.StockSpecException ex) { throw Fail(ex.Diagnostic); }
        catch (GCodeException ex) { throw Fail(Diagnostic.FromProgram(ex)); }
        VoxelStock first;
        try { first = build(); }
        catch (StockSpec.StockSpecException ex) { throw Fail(ex.Diagnostic); }
        catch (ArgumentException ex)
        {
            var d = TooBig(ex.Message);
            throw Fail(d with { Message = d.Message.Replace("{0}", description) });
        }

        double home = r.HomeZ.Mode == HomeZMode.Fixed ? r.HomeZ.AboveWorkMm
            : r.MachinePath != null && r.MachinePath.EndsWith(".ini", StringComparison.OrdinalIgnoreCase) ? 0
            : Math.Max(first.Max.Z, 0) + library.Tools.Select(t => t.LengthMm).DefaultIfEmpty(0).Max() + 25;

        var context = new SimulationContext
        {
            Request = r, Machine = machine, Table = table, Library = library, LoadOptions = loadOptions, StockDescription = description, StockReason = reason,
            HomeAboveWorkMm = home, _programMoves = programMoves,
        };
        context._stock = build;
        context._first = first;
        return context;
    }

    /// <summary>Cutting coefficients and their label from a material name or explicit coefficients (not both).</summary>
    public static (CuttingCoefficients Coefficients, string Label) ResolveCoefficients(string? material, string? coefficients, string? materialsFile)
    {
        if (coefficients != null && material != null) throw new ArgumentException("give a material or cutting coefficients, not both");
        if (coefficients != null) return (CuttingCoefficients.Parse(coefficients), "user coefficients");
        if (material == null) throw new ArgumentException("give a material name or cutting coefficients ktc=..,krc=..");
        var m = MaterialLibrary.Load(materialsFile).Get(material);
        return (m.Coefficients, m.Name);
    }

    /// <summary>The program interpreted and planned on the machine (work frame), without the later stages: for stage benchmarks and path checks.</summary>
    public IEnumerable<PlanItem> Plan(CancellationToken ct = default)
    {
        using var interp = NewInterpreter(null, ct);
        long n = 0;
        foreach (var item in new MotionPlanner(Machine).Plan(SpindleSpeedLimit.Apply(WorkFrame(interp.Run()), Machine, null)))
        {
            if ((++n & 1023) == 0) ct.ThrowIfCancellationRequested();
            yield return item;
        }
    }

    // The automatic stock's pass has counted the moves already (-1: not counted, a stock was given).
    private long _programMoves = -1;

    /// <summary>
    /// The program's moves: from the automatic stock's pass if it ran (a program that stops on an error: the moves
    /// before it), else counted by a quick interpretation pass (0 if it stops on an error: the real pass reports it).
    /// </summary>
    public long CountMoves(CancellationToken ct = default)
    {
        if (_programMoves >= 0) return _programMoves;
        try
        {
            using var counter = NewInterpreter(null, ct);
            long n = 0;
            foreach (var c in counter.Run())
            {
                if (c is Move) n++;
                if ((n & 4095) == 0) ct.ThrowIfCancellationRequested();
            }
            return n;
        }
        catch (GCodeException) { return 0; }
    }
}
