namespace CncTwin.GCode;

/// <summary>The controller language a program is read in.</summary>
public enum GCodeDialect
{
    /// <summary>Fanuc when the program's first line (after a % and comment lines) is an O program number, else LinuxCNC.</summary>
    Auto,
    /// <summary>LinuxCNC's RS274/NGC (with Fanuc's O-number, M98 and M99 subprograms accepted).</summary>
    LinuxCnc,
    /// <summary>Fanuc / Haas: Macro B (#1-#33 locals, #100-#999 commons, vacant variables, IF GOTO, WHILE DO END, G65), G4 P in ms.</summary>
    Fanuc,
}

public sealed class InterpreterOptions
{
    /// <summary>Tool table (mm). Tools not in the table have zero offsets and diameter.</summary>
    public ToolTable Tools { get; init; } = new();
    /// <summary>Tool in the spindle at program start.</summary>
    public int InitialTool { get; init; }
    /// <summary>
    /// Where the controlled point is when the program starts (mm, machine = program coordinates, since offsets
    /// start at zero). LinuxCNC's convention, and the default, is the origin.
    /// </summary>
    public CncTwin.Core.Vec3 InitialPosition { get; init; }
    /// <summary>
    /// M6 lifts the spindle to machine Z0 before the next move, as a VMC's tool changer does (LinuxCNC's plain M6
    /// does not move: off by default).
    /// </summary>
    public bool ToolChangeAtMachineZ0 { get; init; }
    /// <summary>G54's offset at program start (mm, machine coordinates of work zero); the program may change it with G10.</summary>
    public CncTwin.Core.Vec3 InitialG54Offset { get; init; }
    /// <summary>Block delete switch: when on, lines starting with '/' are skipped (LinuxCNC default off).</summary>
    public bool BlockDelete { get; init; }
    /// <summary>Guard against runaway O-word loops: iterations of one loop before it is reported as an error.</summary>
    public long MaxLoopIterations { get; init; } = 50_000_000;
    /// <summary>Deepest allowed subroutine nesting.</summary>
    public int MaxCallDepth { get; init; } = 64;
    /// <summary>Stops interpretation (OperationCanceledException) within 1 024 blocks once cancelled, even inside a long O-word loop that emits nothing.</summary>
    public CancellationToken Cancellation { get; init; }
    /// <summary>The language the program is read in (see <see cref="GCodeDialect"/>); cnctwin's --dialect.</summary>
    public GCodeDialect Dialect { get; init; } = GCodeDialect.Auto;
    /// <summary>Emit plain comments as <c>Message</c> commands (messages from (MSG,...) are always emitted).</summary>
    public bool EmitComments { get; init; }
    /// <summary>
    /// Where a G38.x probe trips, for a twin that can tell (its stock): called once per probe move with the move's
    /// tool-tip start and end (machine frame, mm); returns the machine-frame point where the probe trips (it is
    /// taken to the nearest point of the move), or null when it does not trip. The move then ends there, the tool
    /// stays there and #5061-#5063 hold that point, #5070 = 1; null: the move runs to its end, #5070 = 0 and a
    /// message says so. Without a callback every probe move runs to its end, which #5061-#5063 then hold; G38.2 and
    /// G38.4 count as tripped there (#5070 = 1: the program would have stopped otherwise), G38.3 and G38.5 as not
    /// (#5070 = 0); and, as LinuxCNC's reference interpreter models it, the tool backs off 0.254 mm (0.010 in)
    /// towards the start: the next move starts there.
    /// </summary>
    public Func<CncTwin.Core.ProbeRequest, CncTwin.Core.Vec3?>? ProbeContact { get; init; }
}
