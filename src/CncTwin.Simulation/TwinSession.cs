using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using CncTwin.Core;
using CncTwin.Twin;

namespace CncTwin.Simulation;

/// <summary>What a twin session reports as the machine runs.</summary>
public abstract record TwinEvent;
/// <summary>One telemetry sample aligned to the program, with the prediction there.</summary>
public sealed record TwinSampleEvent(AlignedSample Sample) : TwinEvent;
/// <summary>A new alarm (raised once, when its hold time has passed).</summary>
public sealed record TwinAlarmEvent(TwinAlarm Alarm) : TwinEvent;
/// <summary>The machine moved on to another program line.</summary>
public sealed record TwinLineChangeEvent(int FromLine, int ToLine, DateTimeOffset Time) : TwinEvent;
/// <summary>The source connected, dropped, or lost data (gap).</summary>
public sealed record TwinSourceEvent(SourceEvent Event) : TwinEvent;
/// <summary>The session is over: the stream ended, the program ended, or the caller stopped it.</summary>
public sealed record TwinEndEvent(long Samples, IReadOnlyList<TwinAlarm> Alarms, string Reason, string? Error = null) : TwinEvent;

public sealed record TwinSessionOptions
{
    public MonitorOptions Monitor { get; init; } = new();
    /// <summary>The controller's active work offset: added to the program's positions to get the machine's, mm.</summary>
    public Vec3 WorkOffset { get; init; }
    /// <summary>Data-item names; null: the source's own (a recorded log's columns), else the VMC-3Axis defaults.</summary>
    public DataItemMapping? Mapping { get; init; }
    public DeviceModel? DeviceModel { get; init; }
    /// <summary>Folder for telemetry.csv, alarms.json and summary.json; null writes none.</summary>
    public string? OutputFolder { get; init; }
    /// <summary>History: an SQLite file (or <c>sqlite:FILE</c>), or <c>postgres:CONNECTION-STRING</c>; null keeps no history.</summary>
    public string? HistoryDb { get; init; }
    /// <summary>
    /// The history through a writer shared by many twins (the fleet): makes this session's run (null: <see cref="HistoryDb"/>
    /// opens its own). Called with the prediction and the source's description.
    /// </summary>
    public Func<Prediction, string, ITwinHistory>? History { get; init; }
    /// <summary>
    /// A live stream's last instant is complete only when the next one starts; after this long with nothing new
    /// (wall clock) it is taken as complete (a machine that stopped sending still has its last sample stored). 0: never. s.
    /// </summary>
    public double FlushWhenQuietS { get; init; }
    /// <summary>What the history knew of the program when a <see cref="History"/> factory is given (read by the caller).</summary>
    public TwinHistory.Knowledge? Known { get; init; }
    /// <summary>X,Y,Z in mm (finite numbers), as a controller's work offset is written; null if the text is not that.</summary>
    public static Vec3? ParseWorkOffset(string text)
    {
        var p = text.Split(',');
        var v = new double[3];
        if (p.Length != 3) return null;
        for (int i = 0; i < 3; i++)
            if (!double.TryParse(p[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out v[i]) || !double.IsFinite(v[i])) return null;
        return new Vec3(v[0], v[1], v[2]);
    }

    /// <summary>A live machine: stop once it sits at the last move and reports it is no longer running (a recorded log is read to its end).</summary>
    public bool StopAtProgramEnd { get; init; }
    /// <summary>
    /// With StopAtProgramEnd: keep recording this long after the program end (by the samples' clock, or by the
    /// wall clock when the machine sends nothing): the spindle coasting down after M2/M30 is data too. A program
    /// started again meanwhile cancels the stop. s.
    /// </summary>
    public double IdleAfterProgramEndS { get; init; } = 5;

    /// <summary>
    /// Teach-in: true adds this part to the program's envelope in the history (the operator vouches it is good);
    /// false never does; null (default) learns the first <see cref="MonitorOptions.LearnParts"/> parts that raise no alarm.
    /// </summary>
    public bool? Learn { get; init; }
}

/// <summary>
/// The live twin of one machine running one program: the prediction (a simulation of the program), the monitor
/// that aligns each sample to it and raises alarms, and the history. Consumes a telemetry source and reports
/// <see cref="TwinEvent"/>s. Nothing here prints; the CLI, the dashboard and the fleet consume the events.
/// </summary>
public sealed class TwinSession
{
    private readonly TwinSessionOptions _opt;
    private readonly List<SourceEvent> _sourceEvents = new();

    /// <summary>Events waiting for the consumer before the session stops reading the source for a while.</summary>
    public const int MaxPendingEvents = 20_000;

    public Prediction Prediction { get; }
    public TwinMonitor Monitor { get; }
    public long Samples { get; private set; }
    public long TelemetryRows { get; private set; }
    public long HistoryRunId { get; private set; } = -1;
    public AlignedSample? Last { get; private set; }
    public IReadOnlyList<SourceEvent> SourceEvents { get { lock (_sourceEvents) return _sourceEvents.ToList(); } }

    /// <summary>What the history knew of this program and tool when the session started.</summary>
    public TwinHistory.Knowledge Known { get; }
    /// <summary>Parts in the envelope after this one, when this part was learned (0: not learned).</summary>
    public int LearnedParts { get; private set; }

    public TwinSession(Prediction prediction, TwinSessionOptions? options = null)
    {
        Prediction = prediction;
        _opt = options ?? new TwinSessionOptions();
        Known = _opt.Known ?? (_opt.HistoryDb != null && _opt.History == null ? TwinHistoryStore.Read(_opt.HistoryDb, prediction.ProgramKey, prediction.InitialTool) : new TwinHistory.Knowledge(null, []));
        Monitor = new TwinMonitor(prediction, _opt.Monitor, Known.Envelope)
        {
            StreamWearStartUm = Known.Parts.Count > 0 ? Known.Parts[^1].StreamWearUm : 0,
        };
    }

    /// <summary>Identifies a program's text: SHA-256 of its bytes (the envelope follows the program, not its file name).</summary>
    public static (string Key, int Lines) ProgramIdentity(SimulationContext context)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        int lines = 0; bool open = false;
        void Feed(ReadOnlySpan<byte> b)
        {
            if (b.IsEmpty) return;
            sha.AppendData(b);
            lines += b.Count((byte)'\n');
            open = b[^1] != (byte)'\n';
        }
        if (context.Request.ProgramText is { } text) Feed(System.Text.Encoding.UTF8.GetBytes(text));
        else if (File.Exists(context.ProgramPath))
        {
            using var f = File.OpenRead(context.ProgramPath);
            var buf = new byte[1 << 16];
            int n;
            while ((n = f.Read(buf, 0, buf.Length)) > 0) Feed(buf.AsSpan(0, n));
        }
        else return ("", 0);
        return (Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant(), lines + (open ? 1 : 0));
    }

    /// <summary>Simulates the program once, keeping per move what the twin needs (path, loads, wear).</summary>
    public static Prediction Predict(SimulationContext context, CancellationToken ct = default)
    {
        var moves = new List<PredictedMove>();
        using var pass = new SimulationPass(context, new PassOptions { ReadAhead = false });
        foreach (var r in pass.Moves(ct))
        {
            var pm = r.Planned;
            moves.Add(new PredictedMove
            {
                Index = moves.Count, Line = pm.Source.Line, Path = pm.Path, StartS = pm.StartS, DurationS = pm.DurationS, Rapid = pm.Move.Kind == MotionKind.Rapid,
                ProgrammedFeedMmPerMin = pm.Move.FeedMmPerMin, Rpm = Math.Abs(pm.Move.SpindleRpm), Flutes = r.Cutter.Flutes, Loads = r.Loads, Tool = r.Wear!.Tool,
                WearStartUm = r.Wear!.StartUm, WearEndUm = r.Wear.EndUm,
            });
        }
        double cutMin = 0, gained = 0;
        foreach (var m in moves) if (m.WearEndUm > m.WearStartUm) { gained += m.WearEndUm - m.WearStartUm; cutMin += m.DurationS / 60; }
        var (key, lines) = ProgramIdentity(context);
        return new Prediction(moves, context.Machine.Spindle, context.ProgramPath)
        {
            VbLimitUm = pass.Wear.VbLimitUm, WearRateUmPerMin = cutMin > 0 ? gained / cutMin : 0, ProgramKey = key, LineCount = lines, InitialTool = context.InitialTool,
            PredictedEnergyKwh = pass.Energy.TotalJ / 3.6e6,
            PredictedSpindleEnergyKwh = (pass.Energy.CuttingJ + pass.Energy.SpindleIdleJ) / 3.6e6,
        };
    }

    /// <summary>
    /// Follows the source until it ends (or the program ends on a live machine, or ct is cancelled), reporting
    /// every aligned sample, each new alarm, line changes, source events and, last, the end.
    /// </summary>
    public async IAsyncEnumerable<TwinEvent> RunAsync(IObservationSource source, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var events = Channel.CreateUnbounded<TwinEvent>(); // (the multi-reader kind: it can count what waits, for the back-pressure)
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producer = Task.Run(() => Produce(source, events.Writer, () => events.Reader.Count, cts), CancellationToken.None);
        try
        {
            await foreach (var e in events.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                yield return e;
        }
        finally
        {
            // The consumer stopped early: stop reading the machine, and wait so the outputs are complete.
            cts.Cancel();
            await producer.ConfigureAwait(false);
        }
    }

    private async Task Produce(IObservationSource source, ChannelWriter<TwinEvent> events, Func<int> pending, CancellationTokenSource cts)
    {
        var mapping = _opt.Mapping ?? source.Mapping ?? DataItemMapping.Default;
        var assembler = new SampleAssembler(mapping, _opt.DeviceModel);
        var gate = new Lock();
        string reason = "end of stream";
        string? error = null;
        int lastMove = Prediction.Moves.Count - 1;
        TelemetryCsvWriter? telemetry = null;
        ITwinHistory? history = null;
        try
        {
            if (_opt.OutputFolder != null)
            {
                Directory.CreateDirectory(_opt.OutputFolder);
                telemetry = new TelemetryCsvWriter(Path.Combine(_opt.OutputFolder, "telemetry.csv"));
            }
            if (_opt.History != null)
            {
                history = _opt.History(Prediction, source.Description);
                HistoryRunId = history.RunId;
            }
            else if (_opt.HistoryDb != null)
            {
                history = TwinHistoryStore.Open(_opt.HistoryDb, Path.GetFullPath(Prediction.Program), source.Description, DateTimeOffset.UtcNow, Prediction.ProgramKey, Prediction.InitialTool);
                HistoryRunId = history.RunId;
            }
            void Handle(TelemetrySample s)
            {
                var offset = _opt.WorkOffset;
                if (offset != Vec3.Zero && s.HasPosition) s = s with { X = s.X - offset.X, Y = s.Y - offset.Y, Z = s.Z - offset.Z };
                int alarmsBefore = Monitor.Alarms.Count;
                int lineBefore = Last?.Line ?? 0;
                var a = Monitor.Process(s);
                telemetry?.Write(a);
                history?.Add(a);
                Samples++;
                events.TryWrite(new TwinSampleEvent(a));
                // An impossible sample is recorded (telemetry.csv, history, the live stream with its reason) but
                // moves nothing: not the line, not the last aligned state.
                if (a.Sample.IsInvalid) return;
                Last = a;
                if (a.Line != lineBefore && lineBefore != 0) events.TryWrite(new TwinLineChangeEvent(lineBefore, a.Line, a.Sample.Time));
                for (int k = alarmsBefore; k < Monitor.Alarms.Count; k++) events.TryWrite(new TwinAlarmEvent(Monitor.Alarms[k]));
            }
            bool Ended() => Last is { Move: var mv } && mv == lastMove && Last.Sample.Execution is "READY" or "STOPPED" or "PROGRAM_COMPLETED";
            source.OnEvent = e =>
            {
                lock (_sourceEvents) _sourceEvents.Add(e);
                events.TryWrite(new TwinSourceEvent(e));
                // The stream closed: what the last instant reported is complete; if the program had ended, so has the watch.
                if (e.Kind == "disconnected")
                    lock (gate)
                    {
                        if (assembler.Flush() is { } pending) Handle(pending);
                        if (Ended()) { reason = "program end"; cts.Cancel(); }
                    }
            };
            long lastAdd = System.Diagnostics.Stopwatch.GetTimestamp();
            using var quiet = new CancellationTokenSource();
            var quietFlush = _opt.FlushWhenQuietS > 0 ? Task.Run(async () =>
            {
                var q = TimeSpan.FromSeconds(_opt.FlushWhenQuietS);
                try
                {
                    while (!quiet.IsCancellationRequested)
                    {
                        await Task.Delay(q / 4, quiet.Token).ConfigureAwait(false);
                        if (System.Diagnostics.Stopwatch.GetElapsedTime(Interlocked.Read(ref lastAdd)) < q) continue;
                        lock (gate) if (assembler.Flush() is { } p) Handle(p);
                    }
                }
                catch (OperationCanceledException) { }
            }) : Task.CompletedTask;
            DateTimeOffset? endedAt = null;
            bool endedByIdle = false;
            using var endTimer = new CancellationTokenSource();
            using var endTimerHook = endTimer.Token.Register(() => { endedByIdle = true; cts.Cancel(); });
            var idle = TimeSpan.FromSeconds(Math.Max(0, _opt.IdleAfterProgramEndS));
            try
            {
                await foreach (var o in source.ReadAsync(cts.Token).ConfigureAwait(false))
                {
                    // Back-pressure: a consumer that falls behind (a slow page, a paused debugger) holds the reading
                    // here, so the events waiting for it stay bounded instead of the whole log piling up in memory.
                    while (pending() > MaxPendingEvents && !cts.IsCancellationRequested)
                        await Task.Delay(1, cts.Token).ConfigureAwait(false);
                    lock (gate)
                    {
                        if (assembler.Add(o) is { } s) Handle(s);
                        Interlocked.Exchange(ref lastAdd, System.Diagnostics.Stopwatch.GetTimestamp());
                    }
                    // The program has ended when the machine sits at the last move and reports it is no longer running;
                    // what follows for the idle time (the spindle coasting down) is still recorded.
                    if (!_opt.StopAtProgramEnd) continue;
                    bool ended;
                    lock (gate) ended = Ended();
                    if (ended)
                    {
                        var now = Last!.Sample.Time;
                        if (endedAt == null) { endedAt = now; endTimer.CancelAfter(idle); }
                        if (now - endedAt.Value >= idle) { reason = "program end"; break; }
                    }
                    else if (endedAt != null) { endedAt = null; endTimer.CancelAfter(Timeout.Infinite); }
                }
            }
            catch (OperationCanceledException) { if (endedByIdle) reason = "program end"; else if (reason == "end of stream") reason = "stopped"; }
            catch (Exception ex) when (ex is FormatException or FileNotFoundException or ArgumentException or IOException or UnauthorizedAccessException
                                       or System.Data.Common.DbException) { error = ex.Message; reason = "error"; }
            await quiet.CancelAsync().ConfigureAwait(false);
            await quietFlush.ConfigureAwait(false);
            lock (gate)
            {
                if (assembler.Flush() is { } tail) Handle(tail);
                // The last section's wear check (and any alarm it raises).
                int before = Monitor.Alarms.Count;
                Monitor.Finish();
                for (int k = before; k < Monitor.Alarms.Count; k++) events.TryWrite(new TwinAlarmEvent(Monitor.Alarms[k]));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Data.Common.DbException)
        {
            // Opening the outputs or the history failed (a folder where a file should be, a locked database).
            error ??= ex.Message;
            reason = "error";
        }
        finally
        {
            // The outputs are closed one by one, each failure said, and the stream always ends: a consumer never waits forever.
            void Try(Action a) { try { a(); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Data.Common.DbException or InvalidOperationException) { error ??= ex.Message; reason = "error"; } }
            TelemetryRows = telemetry?.Rows ?? 0;
            Try(() => telemetry?.Dispose());
            if (_opt.OutputFolder != null)
            {
                Try(() => AlarmsJson.Write(Path.Combine(_opt.OutputFolder, "alarms.json"), Monitor.Alarms));
                Try(() => WriteSummary(Path.Combine(_opt.OutputFolder, "summary.json"), source.Description));
            }
            Try(() =>
            {
                if (history == null) return;
                history.Finish(Samples, Monitor.Alarms, new TwinHistory.PartResult(Monitor.Part.Ratio, Monitor.StreamWearUm, Monitor.MeasuredEnergyJ / 3.6e6, ShouldLearn(reason) ? Monitor.Part : null));
                LearnedParts = history.LearnedParts;
            });
            Try(() => history?.Dispose());
            events.TryWrite(new TwinEndEvent(Samples, Monitor.Alarms, reason, error));
            events.TryComplete();
        }
    }

    /// <summary>
    /// A part is learned when the operator says so (--learn), or, by default, while the envelope has fewer than the
    /// teach-in's parts and this one ran to its end without an alarm and cut something.
    /// </summary>
    private bool ShouldLearn(string reason)
    {
        if (Monitor.Part.Lines.Count == 0 || Prediction.ProgramKey.Length == 0) return false;
        if (_opt.Learn is bool forced) return forced;
        int have = Known.Envelope?.Parts ?? 0;
        return _opt.Monitor.LearnParts > 0 && have < _opt.Monitor.LearnParts && Monitor.Alarms.Count == 0 && reason is "end of stream" or "program end"
               && Monitor.Part.PredictedSum > 0;
    }

    private static void Num(Utf8JsonWriter w, string name, double v, int digits = 4)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, Math.Round(v, digits)); else w.WriteNull(name);
    }

    private void WriteSummary(string path, string sourceDescription)
    {
        using var file = CncTwin.Core.IO.AtomicFile.Create(path);
        using (var w = new Utf8JsonWriter(file.Stream, new JsonWriterOptions { Indented = true }))
        {
        w.WriteStartObject();
        w.WriteString("program", Path.GetFullPath(Prediction.Program));
        w.WriteString("source", sourceDescription);
        w.WriteNumber("samples", Samples);
        w.WriteNumber("invalid_samples", Monitor.InvalidSamples);
        w.WriteNumber("telemetry_rows", TelemetryRows);
        w.WriteNumber("unknown_line_samples", Monitor.UnknownLineSamples);
        w.WriteNumber("alarms", Monitor.Alarms.Count);
        // How the limits were set: physics prediction, or the envelope learned from good parts.
        w.WriteString("limits", Monitor.Envelope != null ? "learned" : "physics");
        w.WriteNumber("envelope_parts", Known.Envelope?.Parts ?? 0);
        w.WriteBoolean("learned", LearnedParts > 0);
        if (LearnedParts > 0) w.WriteNumber("envelope_parts_after", LearnedParts);
        Num(w, "idle_noise_pct", Monitor.IdleNoisePct);
        Num(w, "noise_floor_pct", Monitor.NoiseFloorPct);
        double cutS = Monitor.CuttingTime.Values.Sum(v => v.CuttingS), nmS = Monitor.CuttingTime.Values.Sum(v => v.NotMonitorableS);
        w.WriteStartObject("not_monitorable");
        Num(w, "cutting_s", cutS, 3);
        Num(w, "not_monitorable_s", nmS, 3);
        Num(w, "share", cutS > 0 ? nmS / cutS : 0, 4);
        w.WriteStartArray("lines");
        foreach (var (line, v) in Monitor.CuttingTime.OrderBy(kv => kv.Key))
            if (v.CuttingS > 0 && v.NotMonitorableS >= 0.5 * v.CuttingS) w.WriteNumberValue(line);
        w.WriteEndArray();
        w.WriteEndObject();
        // Wear from the stream: this part's measured/predicted cutting ratio, the learned parts' reference, and the gauge.
        Num(w, "power_ratio", Monitor.Part.Ratio ?? double.NaN);
        Num(w, "power_ratio_baseline", Known.Envelope is { PartRatio.N: > 0 } env ? env.PartRatio.Mean : double.NaN);
        w.WriteStartArray("power_ratio_history");
        foreach (var p in Known.Parts) { w.WriteStartObject(); w.WriteNumber("run", p.Run); w.WriteNumber("ratio", Math.Round(p.Ratio, 4)); w.WriteNumber("stream_wear_um", Math.Round(p.StreamWearUm, 2)); w.WriteEndObject(); }
        w.WriteEndArray();
        Num(w, "stream_wear_um", Monitor.StreamWearUm, 2);
        Num(w, "wear_um", Last?.WearUm ?? double.NaN, 2);
        Num(w, "remaining_life_min", Last is { } l ? Prediction.RemainingLifeMin(l.WearUm) : double.NaN, 2);
        // Energy measured on this part (streamed power, or load % × available power) and predicted.
        Num(w, "energy_kwh", Monitor.EnergySource.Length > 0 ? Monitor.MeasuredEnergyJ / 3.6e6 : double.NaN, 5);
        w.WriteString("energy_source", Monitor.EnergySource.Length > 0 ? Monitor.EnergySource : "not streamed");
        Num(w, "predicted_spindle_energy_kwh", Prediction.PredictedSpindleEnergyKwh, 5);
        Num(w, "predicted_energy_kwh", Prediction.PredictedEnergyKwh, 5);
        if (_opt.HistoryDb != null)
        {
            w.WriteString("history_db", TwinHistoryStore.Describe(_opt.HistoryDb));
            w.WriteNumber("history_run", HistoryRunId);
        }
        w.WriteStartArray("source_events");
        foreach (var e in SourceEvents)
        {
            w.WriteStartObject();
            w.WriteString("kind", e.Kind); w.WriteString("message", e.Message);
            if (e.Kind == "gap") { w.WriteNumber("from_sequence", e.GapFrom); w.WriteNumber("to_sequence", e.GapTo); }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        }
        file.Commit();
    }
}
