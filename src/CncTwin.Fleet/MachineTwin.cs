using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using CncTwin.Simulation;
using CncTwin.Twin;

namespace CncTwin.Fleet;

/// <summary>An alarm as the fleet shows it (the fields of alarms.json that a tile needs).</summary>
[GenerateSerializer, Immutable]
public sealed record FleetAlarm([property: Id(0)] int Line, [property: Id(1)] string Kind, [property: Id(2)] DateTimeOffset Start, [property: Id(3)] string Message, [property: Id(4)] long Run);

/// <summary>What a machine's twin reports to the fleet page and <c>GET /api/fleet</c>.</summary>
[GenerateSerializer, Immutable]
public sealed record MachineStatus
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string? Name { get; init; }
    /// <summary>connecting, running, idle, alarm, offline, no program, error, stopped, ended.</summary>
    [Id(2)] public string State { get; init; } = "connecting";
    [Id(3)] public string? Program { get; init; }
    [Id(4)] public int Line { get; init; }
    [Id(5)] public double LoadPct { get; init; } = double.NaN;
    [Id(6)] public double PredictedLoadPct { get; init; } = double.NaN;
    [Id(7)] public int AlarmsOpen { get; init; }
    [Id(8)] public double WearUm { get; init; } = double.NaN;
    [Id(9)] public double RemainingLifeMin { get; init; } = double.NaN;
    [Id(10)] public double EnergyKwhToday { get; init; }
    [Id(11)] public long Samples { get; init; }
    [Id(12)] public long Gaps { get; init; }
    [Id(13)] public long Parts { get; init; }
    [Id(14)] public string Silo { get; init; } = "";
    [Id(15)] public DateTimeOffset? LastSample { get; init; }
    [Id(16)] public string? Message { get; init; }
    /// <summary>The last minute or so of load and predicted load, one point per 0.25 s of machine time.</summary>
    [Id(17)] public float[] LoadTrend { get; init; } = [];
    [Id(18)] public float[] PredictedTrend { get; init; } = [];
    [Id(19)] public FleetAlarm[] Alarms { get; init; } = [];
    [Id(20)] public string? StreamedProgram { get; init; }
    [Id(21)] public long Run { get; init; } = -1;
    [Id(22)] public string Source { get; init; } = "";
}

/// <summary>What the twins of one computer share: the history writer, the simulations of programs, and the latency figures.</summary>
public sealed class FleetServices(HistoryWriter history, string siloName)
{
    public HistoryWriter History { get; } = history;
    public string SiloName { get; } = siloName;
    public PredictionCache Predictions { get; init; } = new();
    public LatencyRecorder Latency { get; } = new();
    private readonly Dictionary<string, (MachineTwin Twin, CancellationTokenSource Stop, Task Run, int Refs)> _hosted = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _hostGate = new(1, 1);

    /// <summary>
    /// The machine's twin on this computer, started if it is not running. Grains attach to it rather than own it:
    /// when the cluster loses a silo, Orleans may briefly hold two activations of one grain here (the directory is
    /// rebuilt); both then share the one twin and its connection instead of reconnecting and racing each other.
    /// </summary>
    public async Task<MachineTwin> AttachAsync(FleetMachine machine)
    {
        await _hostGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_hosted.TryGetValue(machine.Id, out var h)) { _hosted[machine.Id] = h with { Refs = h.Refs + 1 }; return h.Twin; }
            if (_stopping) throw new InvalidOperationException("the silo is stopping");
            var twin = new MachineTwin(machine, this);
            var stop = new CancellationTokenSource();
            _hosted[machine.Id] = (twin, stop, Task.Run(() => twin.RunAsync(stop.Token), CancellationToken.None), 1);
            return twin;
        }
        finally { _hostGate.Release(); }
    }

    /// <summary>How long a twin no grain holds keeps running before it stops.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(10);
    private bool _stopping;

    private async Task DetachIdleAsync(string id)
    {
        bool idle;
        await _hostGate.WaitAsync().ConfigureAwait(false);
        try { idle = _hosted.TryGetValue(id, out var h) && h.Refs == 0; }
        finally { _hostGate.Release(); }
        if (idle) await DetachAsync(id, force: true).ConfigureAwait(false);
    }

    /// <summary>The silo stops: every twin closes its part (its figures and envelope written).</summary>
    public async Task StopAllAsync()
    {
        string[] ids;
        await _hostGate.WaitAsync().ConfigureAwait(false);
        try { _stopping = true; ids = _hosted.Keys.ToArray(); }
        finally { _hostGate.Release(); }
        await Task.WhenAll(ids.Select(id => DetachAsync(id, force: true))).ConfigureAwait(false);
    }

    /// <summary>A grain lets go of the twin; the last one (or force: the machine was removed or changed) stops it and waits for its part to close.</summary>
    public async Task DetachAsync(string id, bool force = false)
    {
        (MachineTwin Twin, CancellationTokenSource Stop, Task Run, int Refs) h;
        await _hostGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_hosted.TryGetValue(id, out h)) return;
            if (!force && h.Refs > 1) { _hosted[id] = h with { Refs = h.Refs - 1 }; return; }
            if (!force && h.Refs == 1 && Linger > TimeSpan.Zero)
            {
                // Orleans deactivated the last grain (a directory rebuilt after a silo died, say): keep following the
                // machine a while, so that an activation right after takes the twin over without a reconnect.
                _hosted[id] = h with { Refs = 0 };
                _ = Task.Delay(Linger).ContinueWith(_ => DetachIdleAsync(id), TaskScheduler.Default);
                return;
            }
            _hosted.Remove(id);
        }
        finally { _hostGate.Release(); }
        await h.Stop.CancelAsync().ConfigureAwait(false);
        try { await h.Run.ConfigureAwait(false); } catch (OperationCanceledException) { }
        h.Stop.Dispose();
    }
    public MonitorOptions Monitor { get; init; } = new();
    /// <summary>Opens a machine's source instead of its address (benchmarks and tests feed machines from memory); null: the address.</summary>
    public Func<FleetMachine, IObservationSource?>? SourceFactory { get; init; }
    /// <summary>The first sample after a (re)connection more than this after the last stored one is reported as a gap.</summary>
    public TimeSpan GapThreshold { get; init; } = TimeSpan.FromSeconds(0.5);
}

/// <summary>
/// Arrival-to-event latency, microseconds, in logarithmic buckets (5 % wide): a percentile from millions of samples
/// without keeping them.
/// </summary>
public sealed class LatencyRecorder
{
    private readonly long[] _buckets = new long[400];
    private long _count;
    private static int Bucket(double us) => us <= 1 ? 0 : Math.Min(399, (int)(Math.Log(us) / Math.Log(1.05)));
    public void Record(double microseconds) { Interlocked.Increment(ref _buckets[Bucket(microseconds)]); Interlocked.Increment(ref _count); }
    public long Count => Interlocked.Read(ref _count);
    public void Reset() { Array.Clear(_buckets); _count = 0; }
    /// <summary>The latency below which the share p of the recorded ones lie (the bucket's upper edge), µs; NaN when none.</summary>
    public double Percentile(double p)
    {
        long n = Count, seen = 0;
        if (n == 0) return double.NaN;
        for (int i = 0; i < _buckets.Length; i++)
        {
            seen += Interlocked.Read(ref _buckets[i]);
            if (seen >= p * n) return Math.Pow(1.05, i + 1);
        }
        return Math.Pow(1.05, _buckets.Length);
    }
}

/// <summary>
/// The simulations the fleet's machines follow, one per program file and setup (machine, tools, starting tool,
/// material, stock), made once and shared by every machine that runs the same program; a program that cannot be
/// simulated is remembered with its error (not simulated again for every sample). A changed file is simulated again.
/// </summary>
public sealed class PredictionCache
{
    private readonly ConcurrentDictionary<string, Lazy<(Prediction? Prediction, string? Error)>> _cache = new();
    public int Count => _cache.Count;

    public (Prediction? Prediction, string? Error) Get(FleetMachine m, string programFile, CancellationToken ct = default)
    {
        string stamp = File.Exists(programFile) ? File.GetLastWriteTimeUtc(programFile).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) : "missing";
        string key = string.Join("|", programFile, stamp, m.Machine, m.Tools, m.Tool, m.Material, m.Stock, m.SpindlePowerW);
        return _cache.GetOrAdd(key, _ => new Lazy<(Prediction?, string?)>(() => Simulate(m, programFile, ct))).Value;
    }

    private static (Prediction?, string?) Simulate(FleetMachine m, string programFile, CancellationToken ct)
    {
        if (!File.Exists(programFile)) return (null, $"{programFile}: program file not found");
        var request = new SimulationRequest
        {
            // The same set-up as watch's defaults: positions as LinuxCNC reports them (home Z zero), 0.5 mm voxels.
            ProgramPath = programFile, MachinePath = m.Machine, ToolsPath = m.Tools, InitialTool = m.Tool, Stock = m.Stock, Material = m.Material,
            SpindlePowerW = m.SpindlePowerW, ResolutionMm = 0.5, HomeZ = HomeZ.Zero, Device = CncTwin.Removal.SweepDevice.Cpu, Outputs = SimulationOutputs.None,
        };
        try
        {
            var (context, diagnostics) = SimulationContext.Create(request, ct);
            if (context == null) return (null, string.Join("; ", diagnostics.Where(d => d.IsError).Select(d => d.Message)));
            return (TwinSession.Predict(context, ct), null);
        }
        catch (CncTwin.GCode.GCodeException ex) { return (null, $"{ex.File}:{ex.Line}:{ex.Column}: {ex.Reason}"); }
        catch (SimulationSetupException ex) { return (null, string.Join("; ", ex.Diagnostics.Where(d => d.IsError).Select(d => d.Message))); }
    }
}

/// <summary>
/// One machine's live twin in the fleet: owns its telemetry connection, follows the program the controller
/// streams (its name → the program file registered for it → the cached simulation), runs a <see cref="TwinSession"/>
/// per part, keeps the machine's state for the fleet page, and writes samples and alarms through the shared
/// <see cref="HistoryWriter"/>. It resumes where the history says its stream was stored up to: MTConnect from the
/// next sequence (nothing lost, nothing twice), SHDR by reconnecting and reporting the gap with its length.
/// Orleans hosts one per machine (<see cref="MachineGrain"/>); it knows nothing of Orleans.
/// </summary>
public sealed class MachineTwin
{
    private readonly FleetMachine _cfg;
    private readonly FleetServices _services;
    private readonly Lock _gate = new();
    private MachineStatus _status;
    private readonly float[] _load = new float[240], _predicted = new float[240];
    private int _trendCount;
    private DateTimeOffset _trendNext;
    private readonly List<FleetAlarm> _alarms = new();
    private long _samples, _gaps, _parts;
    private double _energyTodayKwh;
    private DateOnly _energyDay;

    // The stream's instants (time, first and last sequence, arrival) not yet stored as samples: where to resume.
    private readonly Queue<Instant> _instants = new();
    private Instant? _current;
    private long _instance;
    private sealed class Instant { public DateTimeOffset Time; public long First, Last; public long ArrivalTicks; }

    private Part? _part;
    private string? _streamedProgram;
    private string? _lastExecution;
    private long _resumeRun = -1;
    private DateTimeOffset? _dedupeUntil;
    private DateTimeOffset? _gapFrom;
    private bool _gapPending;

    public string Id => _cfg.Id;
    public FleetMachine Config => _cfg;

    public MachineTwin(FleetMachine cfg, FleetServices services)
    {
        _cfg = cfg;
        _services = services;
        _status = new MachineStatus { Id = cfg.Id, Name = cfg.Name, Silo = services.SiloName, Source = cfg.Source };
    }

    private (int Line, double Load, double Predicted, double Wear, DateTimeOffset Time, Prediction Prediction)? _live;

    public MachineStatus Status()
    {
        lock (_gate)
        {
            if (_live is { } l)
                _status = _status with
                {
                    Line = l.Line, LoadPct = l.Load, PredictedLoadPct = l.Predicted, WearUm = l.Wear, RemainingLifeMin = l.Prediction.RemainingLifeMin(l.Wear), LastSample = l.Time,
                };
            var order = Enumerable.Range(0, Math.Min(_trendCount, _load.Length)).Select(i => (_trendCount - Math.Min(_trendCount, _load.Length) + i) % _load.Length).ToArray();
            return _status with
            {
                Samples = _samples, Gaps = _gaps, Parts = _parts, EnergyKwhToday = _energyTodayKwh + (_part?.Session.Monitor.MeasuredEnergyJ ?? 0) / 3.6e6,
                LoadTrend = order.Select(i => _load[i]).ToArray(), PredictedTrend = order.Select(i => _predicted[i]).ToArray(),
                Alarms = _alarms.TakeLast(20).ToArray(), AlarmsOpen = _part != null ? _alarms.Count(a => a.Run == _part.Run) : 0,
                State = _status.State is "running" or "idle" && _status.LastSample is { } t && DateTimeOffset.UtcNow - t > TimeSpan.FromSeconds(10) && !_cfg.Source.StartsWith("csv:", StringComparison.OrdinalIgnoreCase)
                    ? "offline" : (_part != null && _alarms.Any(a => a.Run == _part.Run) && _status.State is "running" or "idle" ? "alarm" : _status.State),
            };
        }
    }

    private void Set(Func<MachineStatus, MachineStatus> change) { lock (_gate) _status = change(_status); }

    /// <summary>Follows the machine until cancelled (reconnecting when its source ends), then closes the part it was on.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            var today = DateOnly.FromDateTime(DateTime.Now);
            _energyDay = today;
            try { _energyTodayKwh = _services.History.EnergySince(Id, new DateTimeOffset(today.ToDateTime(TimeOnly.MinValue))); } catch (System.Data.Common.DbException) { }
            while (!ct.IsCancellationRequested)
            {
                try { await FollowAsync(ct).ConfigureAwait(false); }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
                catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or System.Data.Common.DbException or InvalidOperationException or HttpRequestException)
                {
                    Set(s => s with { State = "error", Message = ex.Message });
                }
                await EndPartAsync().ConfigureAwait(false);
                // A recorded log has been read to its end; a live source is connected again after a pause.
                if (_cfg.Source.StartsWith("csv:", StringComparison.OrdinalIgnoreCase) || !_cfg.Source.Contains("://", StringComparison.Ordinal))
                {
                    Set(s => s with { State = "ended" });
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            await EndPartAsync().ConfigureAwait(false);
        }
    }

    private async Task FollowAsync(CancellationToken ct)
    {
        var writer = _services.History;
        var resume = writer.ReadResume(Id);
        if (resume is { Run: >= 0 } && !writer.RunEnded(resume.Run))
        {
            _resumeRun = resume.Run;
            // Samples of the open run already stored are not stored again (MTConnect re-reads from a sequence at or before them).
            _dedupeUntil = writer.Query(db =>
            {
                using var c = HistoryQueries.Cmd(db, null, "SELECT MAX(time) FROM samples WHERE run=$1", resume.Run);
                return c.ExecuteScalar() is string t ? DateTimeOffset.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
            }) ?? resume.LastTime;
        }
        _samples = Math.Max(_samples, resume?.Samples ?? 0);
        _gaps = Math.Max(_gaps, resume?.Gaps ?? 0);
        _gapFrom = _dedupeUntil ?? resume?.LastTime;
        _gapPending = _gapFrom != null;
        DataItemMapping? fileMapping = null;
        var source = _services.SourceFactory?.Invoke(_cfg) ?? TelemetrySources.Open(_cfg.Source, "generic", null, out fileMapping);
        var mapping = _cfg.Mapping != null ? DataItemMapping.Load(_cfg.Mapping) : fileMapping ?? DataItemMapping.Default;
        if (source is MtConnectSource mt)
        {
            if (resume is { NextSequence: > 0 }) mt.ResumeFrom(resume.Instance, resume.NextSequence);
            _gapPending = false; // MTConnect says itself what it lost (sequence gaps)
        }
        source.OnEvent = e => OnSourceEvent(e, source);
        Set(s => s with { State = "connecting", Message = source.Description });
        // The instant held back is released when the next one begins, or by this timer when the stream has gone
        // quiet (one timer per machine, not one per sample); the pump's steps never run at the same time.
        using var quiet = new Timer(_ =>
        {
            if (_held.Count == 0 || Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastRouted)) < QuietRelease || !_pump.Wait(0)) return;
            try { if (_held.Count > 0) ReleaseAsync(mapping, source.Description, ct).GetAwaiter().GetResult(); }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException) { }
            finally { _pump.Release(); }
        }, null, QuietRelease, QuietRelease / 2);
        await foreach (var o in source.ReadAsync(ct).ConfigureAwait(false))
        {
            if (source is MtConnectSource m2) _instance = m2.InstanceId;
            await _pump.WaitAsync(ct).ConfigureAwait(false);
            try { await RouteAsync(o, mapping, source.Description, ct).ConfigureAwait(false); }
            finally { _pump.Release(); }
            Interlocked.Exchange(ref _lastRouted, Stopwatch.GetTimestamp());
        }
        await _pump.WaitAsync(ct).ConfigureAwait(false);
        try { await ReleaseAsync(mapping, source.Description, ct).ConfigureAwait(false); }
        finally { _pump.Release(); }
    }

    /// <summary>An instant is released to the part once the stream has been quiet this long (a machine that stopped sending).</summary>
    private static readonly TimeSpan QuietRelease = TimeSpan.FromMilliseconds(200);
    private readonly SemaphoreSlim _pump = new(1, 1);
    private long _lastRouted;
    private readonly List<Observation> _held = new();

    private void OnSourceEvent(SourceEvent e, IObservationSource source)
    {
        _part?.Source.OnEvent?.Invoke(e);
        switch (e.Kind)
        {
            case "connected":
                Set(s => s with { State = s.State is "connecting" or "offline" or "error" ? "idle" : s.State, Message = e.Message });
                // SHDR keeps no sequence: what the adapter sent while nobody listened is lost; its length is said with the first sample.
                if (source is ShdrSource && _live is { } live) { _gapFrom = live.Time; _gapPending = true; }
                break;
            case "disconnected":
                Set(s => s with { State = "offline", Message = e.Message });
                break;
            case "gap":
                Interlocked.Increment(ref _gaps);
                _services.History.AddGap(new StreamGap(Id, _part?.Run ?? -1, e.Time, e.Time, "sequence", e.Message));
                break;
            case "agent_restarted":
                Set(s => s with { Message = e.Message });
                break;
        }
    }

    private static bool Is(Observation o, string? name) => name != null && (o.Key == name || o.DataItemId == name);

    private async Task RouteAsync(Observation o, DataItemMapping mapping, string description, CancellationToken ct)
    {
        if (_dedupeUntil is { } until)
        {
            if (o.Timestamp <= until) return;
            _dedupeUntil = null;
        }
        lock (_instants)
        {
            if (_current == null || o.Timestamp != _current.Time)
            {
                _current = new Instant { Time = o.Timestamp, First = o.Sequence, Last = o.Sequence, ArrivalTicks = Stopwatch.GetTimestamp() };
                _instants.Enqueue(_current);
                // Bounded: a session that stopped consuming does not grow this forever.
                while (_instants.Count > 100_000) _instants.Dequeue();
            }
            else _current.Last = o.Sequence;
        }
        if (_gapPending && _gapFrom is { } from)
        {
            _gapPending = false;
            if (o.Timestamp - from > _services.GapThreshold)
            {
                Interlocked.Increment(ref _gaps);
                var gap = new StreamGap(Id, _part?.Run ?? _resumeRun, from, o.Timestamp, "reconnect", $"no data from {description} for {(o.Timestamp - from).TotalSeconds:0.###} s (reconnected)");
                _services.History.AddGap(gap);
                Set(s => s with { Message = gap.Message });
            }
        }
        if (_held.Count > 0 && _held[0].Timestamp != o.Timestamp) await ReleaseAsync(mapping, description, ct).ConfigureAwait(false);
        _held.Add(o);
    }

    /// <summary>
    /// Hands the held instant to the part, deciding first whether it begins a new part: the program the controller
    /// names changed, or it starts running again after it had finished (READY / PROGRAM_COMPLETED → ACTIVE);
    /// resuming from a feed hold or an optional stop stays in the same part. A whole instant always goes to one part.
    /// </summary>
    private async Task ReleaseAsync(DataItemMapping mapping, string description, CancellationToken ct)
    {
        if (_held.Count == 0) return;
        bool boundary = false, active = false;
        foreach (var o in _held)
        {
            if (Is(o, mapping.Program))
            {
                string? name = o.IsUnavailable ? null : o.Value;
                if (_part is { Active: true } && _streamedProgram != null && name != null && name != _streamedProgram) boundary = true;
                if (name != null) _streamedProgram = name;
            }
            if (Is(o, mapping.Execution))
            {
                if (o.Value == "ACTIVE" && _lastExecution is "READY" or "PROGRAM_COMPLETED" && _part is { Active: true }) boundary = true;
                if (o.Value == "ACTIVE") active = true;
                _lastExecution = o.Value;
            }
        }
        if (boundary || _part is { Done: true }) await EndPartAsync().ConfigureAwait(false);
        if (_part == null && !StartPart(mapping, description, ct)) { _held.Clear(); return; }
        if (active) _part!.Active = true;
        // One write per instant, not per observation: each write may wake the part's session on another thread.
        await _part!.Channel.Writer.WriteAsync(_held.ToArray(), ct).ConfigureAwait(false);
        _held.Clear();
    }

    private bool StartPart(DataItemMapping mapping, string description, CancellationToken ct)
    {
        var file = _cfg.ProgramFor(_streamedProgram);
        if (file == null)
        {
            Set(s => s with { State = "no program", StreamedProgram = _streamedProgram, Message = $"no program registered for '{_streamedProgram}' and no default program" });
            return false;
        }
        var (prediction, error) = _services.Predictions.Get(_cfg, file, ct);
        if (prediction == null)
        {
            Set(s => s with { State = "error", Program = Path.GetFileName(file), StreamedProgram = _streamedProgram, Message = error });
            return false;
        }
        var writer = _services.History;
        long resumeRun = _resumeRun;
        _resumeRun = -1;
        var seen = resumeRun >= 0 ? writer.RunAlarms(resumeRun).ToHashSet() : new HashSet<(int, string)>();
        var channel = Channel.CreateBounded<Observation[]>(new BoundedChannelOptions(10_000) { SingleReader = true, SingleWriter = true });
        var partSource = new ChannelSource(channel.Reader, description, mapping);
        var session = new TwinSession(prediction, new TwinSessionOptions
        {
            Monitor = _services.Monitor, Mapping = mapping, HistoryDb = writer.Spec, Known = writer.ReadKnowledge(prediction.ProgramKey, prediction.InitialTool),
            History = (p, d) => writer.Begin(Id, Path.GetFullPath(p.Program), d, DateTimeOffset.UtcNow, p.ProgramKey, p.InitialTool, resumeRun),
            // A part resumed on another computer is only partly seen by this session: never learned from.
            Learn = resumeRun >= 0 ? false : null,
            FlushWhenQuietS = 0.5,
        });
        var part = new Part(channel, partSource, session, seen, prediction);
        part.Consumer = Task.Run(() => ConsumeAsync(part), CancellationToken.None);
        _part = part;
        Set(s => s with { Program = Path.GetFileName(file), StreamedProgram = _streamedProgram, State = s.State is "error" or "no program" or "connecting" ? "idle" : s.State, Message = null });
        return true;
    }

    private async Task EndPartAsync()
    {
        var part = _part;
        if (part == null) return;
        _part = null;
        part.Channel.Writer.TryComplete();
        await part.Consumer!.ConfigureAwait(false);
    }

    private async Task ConsumeAsync(Part part)
    {
        var writer = _services.History;
        try
        {
            await foreach (var e in part.Session.RunAsync(part.Source, CancellationToken.None).ConfigureAwait(false))
            {
                switch (e)
                {
                    case TwinSampleEvent { Sample: var a }:
                        OnSample(part, a);
                        break;
                    case TwinAlarmEvent { Alarm: var alarm }:
                        if (part.Seen.Add((alarm.Line, alarm.Kind.WireName())))
                        {
                            writer.AddAlarm(part.Run, alarm);
                            lock (_gate) _alarms.Add(new FleetAlarm(alarm.Line, alarm.Kind.WireName(), alarm.Start, alarm.Message, part.Run));
                        }
                        break;
                    case TwinEndEvent end:
                        lock (_gate)
                        {
                            if (end.Error != null) _status = _status with { Message = end.Error };
                            _parts++;
                            RollEnergy();
                            _energyTodayKwh += part.Session.Monitor.MeasuredEnergyJ / 3.6e6;
                        }
                        break;
                }
            }
        }
        finally
        {
            part.Done = true;
            // The part's last resume point, once its figures are written: the next part starts a run of its own.
            writer.SetResume(Id, new SourceResume(-1, _instance, part.LastResume, part.LastTime, Interlocked.Read(ref _samples), Interlocked.Read(ref _gaps)));
        }
    }

    private void RollEnergy()
    {
        var today = DateOnly.FromDateTime(DateTime.Now);
        if (today != _energyDay) { _energyDay = today; _energyTodayKwh = 0; }
    }

    private void OnSample(Part part, AlignedSample a)
    {
        part.Run = part.Session.HistoryRunId;
        // Where to resume once this sample is stored: just after the last observation of its instant.
        long next = 0, arrival = 0;
        lock (_instants)
        {
            while (_instants.Count > 0 && _instants.Peek().Time < a.Sample.Time) _instants.Dequeue();
            if (_instants.Count > 0 && _instants.Peek().Time == a.Sample.Time)
            {
                var i = _instants.Dequeue();
                next = i.Last + 1; arrival = i.ArrivalTicks;
            }
        }
        if (arrival != 0) _services.Latency.Record(Stopwatch.GetElapsedTime(arrival).TotalMicroseconds);
        long samples = Interlocked.Increment(ref _samples);
        if (next > 0) part.LastResume = next;
        part.LastTime = a.Sample.Time;
        _services.History.SetResume(Id, new SourceResume(part.Run, _instance, part.LastResume, a.Sample.Time, samples, Interlocked.Read(ref _gaps)));
        if (a.Sample.IsInvalid) return;
        lock (_gate)
        {
            if (a.Sample.Time >= _trendNext)
            {
                _trendNext = a.Sample.Time + TimeSpan.FromSeconds(0.25);
                _load[_trendCount % _load.Length] = (float)a.MeasuredLoadPct;
                _predicted[_trendCount % _load.Length] = (float)a.PredictedLoadPct;
                _trendCount++;
            }
            // Per sample only figures change (no allocation); the state record is rebuilt when someone asks.
            string state = a.Sample.Execution is null or "ACTIVE" ? "running" : "idle";
            if (_status.State != state || _status.Run != part.Run || _status.Program == null) _status = _status with { State = state, Run = part.Run };
            _live = (a.Line, a.MeasuredLoadPct, a.PredictedLoadPct, a.WearUm, a.Sample.Time, part.Prediction);
        }
    }

    private sealed class Part(Channel<Observation[]> channel, ChannelSource source, TwinSession session, HashSet<(int, string)> seen, Prediction prediction)
    {
        public Channel<Observation[]> Channel { get; } = channel;
        public ChannelSource Source { get; } = source;
        public TwinSession Session { get; } = session;
        public HashSet<(int, string)> Seen { get; } = seen;
        public Prediction Prediction { get; } = prediction;
        public Task? Consumer;
        public volatile bool Done;
        public bool Active;
        public long Run = -1;
        public long LastResume;
        public DateTimeOffset? LastTime;
    }

    /// <summary>The part's share of the machine's stream, as a source for its session.</summary>
    private sealed class ChannelSource(ChannelReader<Observation[]> reader, string description, DataItemMapping mapping) : IObservationSource
    {
        public string Description => description;
        public Action<SourceEvent>? OnEvent { get; set; }
        public DataItemMapping? Mapping => mapping;
        public async IAsyncEnumerable<Observation> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
                while (reader.TryRead(out var instant))
                    foreach (var o in instant) yield return o;
        }
    }
}
