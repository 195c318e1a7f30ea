using System.Diagnostics;
using CncTwin.Core;
using CncTwin.Core.Streaming;
using CncTwin.GCode;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Wear;

namespace CncTwin.Simulation;

/// <summary>
/// What every stage made of one planned move (a programmed move or a blend arc): the stage contract. Loads and
/// Wear are null when the pass stops earlier (<see cref="PipelineStages"/>).
/// </summary>
public sealed record MoveResult(long Index, PlannedMove Planned, MoveRemoval Removal, ICutter Cutter, MoveLoads? Loads, MoveWear? Wear)
{
    public int Line => Planned.Source.Line;
}

/// <summary>How far down the pipeline a pass goes (removal is always run: the later stages need its engagement).</summary>
[Flags]
public enum PipelineStages { Removal = 1, Loads = 2 | Removal, Wear = 4 | Loads, All = Wear }

/// <summary>Options of one pass.</summary>
public sealed record PassOptions
{
    /// <summary>Another program file on the same set-up (optimize's rewritten copy); null: the request's program.</summary>
    public string? ProgramFile { get; init; }
    /// <summary>A stock to cut; null: a fresh one from the context.</summary>
    public VoxelStock? Stock { get; init; }
    public PipelineStages Stages { get; init; } = PipelineStages.All;
    /// <summary>
    /// Sees each canonical move in the work frame as the interpreter yields it, with the interpreter (its modal
    /// state is that move's). Given, the interpreter runs on the consumer's thread (no read-ahead).
    /// </summary>
    public Action<Move, Interpreter>? OnCanonicalMove { get; init; }
    /// <summary>Interpret on another core ahead of the rest (ignored with OnCanonicalMove).</summary>
    public bool ReadAhead { get; init; } = true;
    /// <summary>Warnings of the stages (unknown tools, missing wear laws, over-travel ...), as they are found.</summary>
    public Action<Diagnostic>? OnWarning { get; init; }
    public Action<TravelExceeded>? OnTravelExceeded { get; init; }
    /// <summary>Each move once every stage has seen it.</summary>
    public Action<MoveResult>? OnMove { get; init; }
}

/// <summary>
/// One pass of the pipeline over a program: interpreter → planner → material removal → cutting loads → wear,
/// streamed (one planned move held at a time). The stage objects (and their running totals) are exposed for
/// summaries. Enumerate <see cref="Items"/> (the plan, each move processed as it goes by) or <see cref="Moves"/>.
/// </summary>
public sealed class SimulationPass : IDisposable
{
    private readonly SimulationContext _ctx;
    private readonly PassOptions _opt;
    private long _index;

    public SimulationContext Context => _ctx;
    public VoxelStock Stock { get; }
    public MaterialRemovalSimulator Removal { get; }
    public CuttingLoadSimulator Loads { get; }
    public ToolWearSimulator Wear { get; }
    public PlanSummary Plan { get; } = new();
    public ToolpathSummary Toolpath { get; } = new();
    public TravelCheck Travel { get; }
    public StageTimes Times { get; } = new();
    /// <summary>Predicted electrical energy of the program so far.</summary>
    public EnergyAccount Energy { get; }
    /// <summary>The move being sampled now (null between moves: dwells, tool changes).</summary>
    public MoveResult? Current { get; private set; }
    /// <summary>Planned moves done, blend arcs included.</summary>
    public long PlannedMovesDone => _index;
    /// <summary>The program's own moves done (blend arcs not counted): comparable with the interpreter's move count.</summary>
    public long MovesDone { get; private set; }

    public SimulationPass(SimulationContext context, PassOptions? options = null)
    {
        _ctx = context;
        _opt = options ?? new PassOptions();
        Stock = _opt.Stock ?? context.NewStock();
        void Warn(string w) => _opt.OnWarning?.Invoke(new Diagnostic(DiagnosticKind.Warning, w) { File = _opt.ProgramFile ?? context.ProgramPath });
        try { Removal = new MaterialRemovalSimulator(Stock, context.Library, context.Device) { Warn = Warn }; }
        catch (InvalidOperationException ex) { throw new SimulationSetupException([new Diagnostic(DiagnosticKind.InvalidRequest, ex.Message) { Field = RequestField.Device, Located = true }]); }
        Loads = new CuttingLoadSimulator(context.LoadOptions) { Warn = Warn };
        Wear = context.NewWearSimulator(Warn);
        Travel = new TravelCheck(context.Machine) { OnExceeded = t => _opt.OnTravelExceeded?.Invoke(t) };
        Energy = new EnergyAccount(context.Machine.Energy, Plan);
    }

    /// <summary>The plan, each planned move processed by every stage before it is yielded (see <see cref="Current"/>).</summary>
    public IEnumerable<PlanItem> Items(CancellationToken ct = default)
    {
        // Probing moves stop where the tool first touches the stock as cut so far (the moves the planner has passed on;
        // probing normally happens at a stop, before or between cuts). The interpreter may run on its own thread.
        using var interp = _ctx.NewInterpreter(_opt.ProgramFile, ct, (a, b, tool) => { lock (_stockLock) return Removal.FirstContact(a, b, tool); });
        bool readAhead = _opt.ReadAhead && _opt.OnCanonicalMove == null;
        IEnumerable<CanonicalCommand> Source()
        {
            long n = 0;
            foreach (var c in StageTimes.Inclusive(interp.Run(), t => Times.Add(Stages.Interpret, t)))
            {
                if ((++n & 255) == 0) ct.ThrowIfCancellationRequested();
                yield return c;
            }
        }
        IEnumerable<CanonicalCommand> Observe(IEnumerable<CanonicalCommand> commands)
        {
            foreach (var c in commands)
            {
                if (c is Move m) _opt.OnCanonicalMove!(m, interp);
                yield return c;
            }
        }
        // A controller runs S words above the spindle's top speed at that speed: so does the twin (one warning per line).
        var commands = SpindleSpeedLimit.Apply(Toolpath.Observe(_ctx.WorkFrame(Source())), _ctx.Machine,
            w => _opt.OnWarning?.Invoke(new Diagnostic(DiagnosticKind.Warning, w.Reason)
            {
                Code = "spindle-limit", File = w.Source.File, Line = w.Source.Line, Column = w.Source.Column,
            }));
        if (_opt.OnCanonicalMove != null) commands = Observe(commands);
        if (readAhead) commands = ReadAhead.Run(commands);
        long upstream = 0, planned = 0;
        var planIn = StageTimes.Inclusive(commands, t => upstream += t);
        var planOut = StageTimes.Inclusive(Travel.Observe(Plan.Observe(new MotionPlanner(_ctx.Machine).Plan(planIn))), t => planned += t);
        var removed = Removed(planOut, ct);
        // The planner and the removal run on their own thread a few moves ahead of the loads, wear and timeline (on
        // this one): the second core works while the cutting mechanics run. Only the stock's own engine on the CPU:
        // a GPU context stays on the thread that made it.
        if (_opt.ReadAhead && _opt.OnCanonicalMove == null && Removal.DeviceName == "cpu") removed = ReadAhead.Run(removed, batchSize: 8, batchesAhead: 16);
        try
        {
            foreach (var (item, removal, cutter) in removed)
            {
                ct.ThrowIfCancellationRequested();
                Current = item is PlannedMove m ? Process(m, removal!, cutter!) : null;
                yield return item;
            }
        }
        finally
        {
            // The planner's own time: what it took beyond waiting for its source (the interpreter, or the read-ahead queue).
            Times.Add(Stages.Plan, Math.Max(0, planned - upstream));
            Removal.Finish();
        }
    }

    /// <summary>Every planned move with what each stage made of it.</summary>
    public IEnumerable<MoveResult> Moves(CancellationToken ct = default)
    {
        foreach (var _ in Items(ct))
            if (Current is { } r) yield return r;
    }

    private readonly Lock _stockLock = new();

    /// <summary>The plan with each move's removal (and its cutter), the stock cut in plan order.</summary>
    private IEnumerable<(PlanItem Item, MoveRemoval? Removal, ICutter? Cutter)> Removed(IEnumerable<PlanItem> plan, CancellationToken ct)
    {
        foreach (var item in plan)
        {
            ct.ThrowIfCancellationRequested();
            if (item is not PlannedMove m) { yield return (item, null, null); continue; }
            long t0 = Stopwatch.GetTimestamp();
            MoveRemoval removal;
            ICutter cutter;
            long engagement;
            lock (_stockLock)
            {
                long e0 = Removal.EngagementTicks;
                removal = Removal.Process(m);
                cutter = Removal.CutterFor(m.Move.Tool);
                engagement = Removal.EngagementTicks - e0;
            }
            // Engagement (reading the stock ahead of the cutter) apart from the sweep itself.
            Times.Add(Stages.Removal, Stopwatch.GetTimestamp() - t0 - engagement);
            Times.Add(Stages.Engagement, engagement);
            yield return (item, removal, cutter);
        }
    }

    private MoveResult Process(PlannedMove m, MoveRemoval removal, ICutter cutter)
    {
        long t1 = Stopwatch.GetTimestamp();
        MoveLoads? loads = null;
        MoveWear? wear = null;
        if ((_opt.Stages & PipelineStages.Loads) == PipelineStages.Loads)
        {
            loads = Loads.Process(removal, cutter);
            long t2 = Stopwatch.GetTimestamp();
            Times.Add(Stages.Forces, t2 - t1);
            if ((_opt.Stages & PipelineStages.Wear) == PipelineStages.Wear)
            {
                wear = Wear.Process(loads);
                Times.Add(Stages.Wear, Stopwatch.GetTimestamp() - t2);
            }
        }
        Energy.Add(m, loads);
        var r = new MoveResult(_index++, m, removal, cutter, loads, wear);
        if (!m.IsBlend) MovesDone++;
        _opt.OnMove?.Invoke(r);
        return r;
    }

    public void Dispose() => Removal.Dispose();
}
