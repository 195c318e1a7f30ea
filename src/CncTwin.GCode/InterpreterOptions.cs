namespace CncTwin.GCode;

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
    /// <summary>Emit plain comments as <c>Message</c> commands (messages from (MSG,...) are always emitted).</summary>
    public bool EmitComments { get; init; }
}
