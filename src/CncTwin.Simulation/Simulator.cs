using System.Diagnostics;
using System.Globalization;
using CncTwin.GCode;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Wear;

namespace CncTwin.Simulation;

/// <summary>
/// Runs the whole pipeline — interpreter → planner → removal → loads → wear, sampled into a timeline — and
/// streams what it computes into sinks. The front ends (CLI, dashboard, fleet) call this; nothing here prints.
/// </summary>
public static class Simulator
{
    /// <summary>
    /// Runs the program of the context into the sinks. A program error does not throw: the result carries it
    /// (<see cref="SimulationResult.Error"/>) and the sinks have everything computed before it. Cancellation
    /// throws <see cref="OperationCanceledException"/> after the sinks are closed.
    /// </summary>
    /// <param name="totalMoves">The program's move count if the caller has it (progress then needs no counting pass); negative: counted when progress is wanted.</param>
    public static Task<SimulationResult> RunAsync(SimulationContext context, IReadOnlyList<ISimulationSink> sinks, IProgress<SimulationProgress>? progress = null,
        CancellationToken ct = default, long totalMoves = -1) =>
        Task.Factory.StartNew(() => Run(context, sinks, progress, ct, totalMoves), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Sets up the request and runs it into the standard files of its output folder; setup problems come back as diagnostics.</summary>
    public static async Task<(SimulationResult? Result, IReadOnlyList<Diagnostic> Diagnostics)> RunToFolderAsync(SimulationRequest request,
        IProgress<SimulationProgress>? progress = null, CancellationToken ct = default)
    {
        var (context, diagnostics) = await Task.Run(() => SimulationContext.Create(request, ct), ct).ConfigureAwait(false);
        if (context == null) return (null, diagnostics);
        try
        {
            var sinks = SimulationSinks.ForFolder(request.OutputFolder ?? "out", request.Outputs);
            return (await RunAsync(context, sinks, progress, ct).ConfigureAwait(false), []);
        }
        catch (SimulationSetupException ex) { return (null, ex.Diagnostics); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, [new Diagnostic(DiagnosticKind.Environment, ex.Message) { Field = RequestField.OutputFolder, Value = request.OutputFolder }]);
        }
    }

    /// <summary>The timeline channels of a full run: removal's, then the loads', then wear's.</summary>
    public static ChannelLayout TimelineLayout()
    {
        var t = new ChannelLayout();
        t.AddStage(Stages.Removal, RemovalColumns.Timeline);
        t.AddStage(Stages.Forces, CuttingLoadSimulator.TimelineColumns);
        t.AddStage(Stages.Wear, ToolWearSimulator.TimelineColumns);
        return t;
    }

    /// <summary>The per-move channels after moves.csv's removal columns: the loads', then wear's.</summary>
    public static ChannelLayout MoveLayout()
    {
        var m = new ChannelLayout();
        m.AddStage(Stages.Forces, CuttingLoadSimulator.MoveColumns);
        m.AddStage(Stages.Wear, ToolWearSimulator.MoveColumns);
        return m;
    }

    /// <summary>
    /// Completes the sinks in order, except that those marked <see cref="ISimulationSink.CompletesAlongside"/> (the
    /// meshes, the report) run on their own threads meanwhile; a sink after them (the summary, last) starts only
    /// when they are done, so it sees their figures and wall times. The first failure is rethrown.
    /// </summary>
    private static void CompleteAll(IReadOnlyList<ISimulationSink> sinks, SimulationResult result)
    {
        var running = new List<Task>();
        void Join()
        {
            Exception? first = null;
            foreach (var t in running)
            {
                try { t.GetAwaiter().GetResult(); }
                catch (Exception ex) { first ??= ex; }
            }
            running.Clear();
            if (first != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
        try
        {
            foreach (var s in sinks)
            {
                if (s.CompletesAlongside) { running.Add(Task.Run(() => s.Complete(result))); continue; }
                Join();
                s.Complete(result);
            }
        }
        finally { Join(); }
    }

    private static SimulationResult Run(SimulationContext context, IReadOnlyList<ISimulationSink> sinks, IProgress<SimulationProgress>? progress, CancellationToken ct, long knownTotal)
    {
        var timeline = TimelineLayout();
        var moveLayout = MoveLayout();
        var moveValues = new double[moveLayout.Count];
        Range loadMove = moveLayout.StageRange(Stages.Forces), wearMove = moveLayout.StageRange(Stages.Wear);
        SimulationResult? result = null;
        // Sinks get moves, samples and warnings on the pump's thread while the stages run on this one.
        using var pump = new SinkPump(sinks, Math.Max(timeline.Count, moveLayout.Count));
        bool pumping = true;
        var warnGate = new Lock();
        void Warn(Diagnostic w)
        {
            // Also called from the read-ahead interpreter's thread (spindle-limit warnings).
            lock (warnGate)
            {
                result!.Warnings.Add(w);
                if (pumping) pump.Warning(w);
                else foreach (var s in sinks) s.OnWarning(w);
            }
        }
        void Drain()
        {
            lock (warnGate) pumping = false;
            pump.Drain();
            result!.Pass.Times.Add(Stages.Writing, pump.BusyTicks);
        }
        void OnMove(MoveResult r)
        {
            CuttingLoadSimulator.FillMove(r.Loads!, moveValues.AsSpan(loadMove));
            ToolWearSimulator.FillMove(r.Wear!, moveValues.AsSpan(wearMove));
            pump.Move(r, moveValues);
        }
        var pass = new SimulationPass(context, new PassOptions
        {
            OnWarning = Warn,
            OnTravelExceeded = t => Warn(new Diagnostic(DiagnosticKind.Warning, $"over-travel: {t.Message}")
            {
                Code = "over-travel", File = t.Source.File, Line = t.Source.Line, Column = t.Source.Column,
            }),
            OnMove = OnMove,
        });
        result = new SimulationResult { Context = context, Pass = pass, TimelineLayout = timeline, MoveLayout = moveLayout };
        var open = new List<ISimulationSink>();
        try
        {
            foreach (var s in sinks) { s.Begin(result); open.Add(s); }
            var req = context.Request;
            Range removalT = timeline.StageRange(Stages.Removal), loadsT = timeline.StageRange(Stages.Forces), wearT = timeline.StageRange(Stages.Wear);
            var values = new double[timeline.Count];
            long rows = 0;
            int toolInSpindle = context.InitialTool;
            long total = knownTotal >= 0 ? knownTotal : progress != null ? context.CountMoves(ct) : 0;
            var clock = Stopwatch.StartNew();
            long nextReport = 0;
            try
            {
                foreach (var sample in Timeline.Sample(pass.Items(ct), req.TimelineStepS, req.MaxTimelineRows, t =>
                         {
                             result.TimelineTruncatedAtS = t;
                             Warn(new Diagnostic(DiagnosticKind.Warning, string.Create(CultureInfo.InvariantCulture,
                                 $"the timeline stops at t = {t:0.###} s after {req.MaxTimelineRows:N0} rows; the rest of the program is still simulated and summarised"))
                             { Code = "timeline-truncated", File = context.ProgramPath, Value = t.ToString("0.###", CultureInfo.InvariantCulture) });
                         }, req.CompressTimelinePauses))
                {
                    var current = pass.Current;
                    RemovalColumns.Fill(current?.Removal, sample, values.AsSpan(removalT));
                    pass.Loads.Fill(current?.Loads, sample, values.AsSpan(loadsT));
                    if (current != null) toolInSpindle = current.Removal.Tool;
                    pass.Wear.Fill(current?.Wear, sample.TimeS, toolInSpindle, values.AsSpan(wearT));
                    pump.Sample(sample, values);
                    rows++;
                    if ((rows & 1023) == 0)
                    {
                        ct.ThrowIfCancellationRequested();
                        if (progress != null && clock.ElapsedMilliseconds >= nextReport)
                        {
                            nextReport = clock.ElapsedMilliseconds + 200;
                            progress.Report(new SimulationProgress(Stages.Removal, pass.MovesDone, total, sample.TimeS));
                        }
                    }
                }
                result.TimelineRows = rows;
                Drain();
                if (pass.Toolpath.HasCuts && !(pass.Removal.RemovedMm3 > 0))
                    Warn(new Diagnostic(DiagnosticKind.Warning,
                        $"no cutting move touches the stock ({context.StockDescription}): nothing was removed, so there are no loads, wear or chatter to report; is the stock where the program cuts?")
                    { Code = "stock-untouched", File = context.ProgramPath });
                progress?.Report(new SimulationProgress(Stages.Meshes, pass.MovesDone, total, pass.Plan.TotalTimeS));
                CompleteAll(sinks, result);
            }
            catch (GCodeException ex)
            {
                result.TimelineRows = rows;
                Drain();
                result.Error = Diagnostic.FromProgram(ex);
                foreach (var s in sinks) s.Fail(result);
            }
            catch (SimulationSetupException ex)
            {
                result.TimelineRows = rows;
                Drain();
                result.Error = ex.Diagnostics[0];
                foreach (var s in sinks) s.Fail(result);
            }
            return result;
        }
        finally
        {
            foreach (var s in open) (s as IDisposable)?.Dispose();
            pass.Dispose();
        }
    }
}
