using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using CncTwin.Core;
using CncTwin.Report;
using CncTwin.Simulation;
using CncTwin.Twin;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;

namespace CncTwin.Web;

public sealed record DashboardOptions
{
    public int Port { get; init; } = 5080;
    /// <summary>How the server's console lines start ("serve: warning: ...").</summary>
    public string Command { get; init; } = "serve";
    public string Bind { get; init; } = "127.0.0.1";
    /// <summary>Required for every request when bound to anything but loopback.</summary>
    public string? Token { get; init; }
    public required string Workspace { get; init; }
    public required string HistoryDb { get; init; }
    /// <summary>The largest upload (a request's files together).</summary>
    public long MaxUploadBytes { get; init; } = 20 << 20;
    /// <summary>Tool library for uploaded programs that bring none.</summary>
    public string? ToolsPath { get; init; }
    /// <summary>Simulations and replays run at once (each takes a core and its stock's memory).</summary>
    public int MaxRunning { get; init; } = 1;
    /// <summary>Jobs waiting their turn; more are refused with a message.</summary>
    public int MaxWaiting { get; init; } = 4;
}

/// <summary>
/// `cnctwin serve`: an ASP.NET Core minimal app. Pages: machines and runs (the workspace's simulations and
/// replays, each recorded in its run.json; the twin runs and machines of the SQLite history), a simulation viewer
/// (3D stock, toolpath coloured by load, time scrub), a twin run (its alarms and load chart) and the live twin
/// (one replay's server-sent events: measured vs predicted load, current line, alarms, wear). Programs are
/// uploaded and simulated from the page, one job at a time through a bounded queue. Files are addressed only by
/// server-made ids (no user path ever reaches the disk), uploads are size-limited, and off loopback every request
/// needs the token (a header, ?token=, or the cookie the first such request sets).
/// </summary>
public static class Dashboard
{
    private static readonly Regex IdPattern = new("^[0-9a-f]{32}$", RegexOptions.Compiled);
    /// <summary>Room for a form's own framing (boundaries, headers, the material field) on top of its files.</summary>
    private const long FormSlack = 64 << 10;

    /// <param name="configure">More services before the app is built (the fleet adds its Orleans silo).</param>
    /// <param name="map">More endpoints, behind the same token check (the fleet's API and page).</param>
    public static WebApplication Build(DashboardOptions o, Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? map = null)
    {
        if (o.Port is < 0 or > 65535) throw new ArgumentException($"--port {o.Port}: a TCP port is a number from 0 to 65535");
        if (!IPAddress.TryParse(o.Bind, out var bind)) throw new ArgumentException($"--bind {o.Bind}: not an IP address");
        bool loopback = IPAddress.IsLoopback(bind);
        if (!loopback && string.IsNullOrEmpty(o.Token)) throw new ArgumentException($"--bind {o.Bind} is reachable from the network: give --token (or CNCTWIN_TOKEN) so every request must carry it");
        string workspace = Path.GetFullPath(o.Workspace);
        Directory.CreateDirectory(workspace);
        var console = new ConsoleLines { Command = o.Command };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(console);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        long uploadLimit = o.MaxUploadBytes + FormSlack;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(bind, o.Port);
            // The hard cap, where Kestrel cuts the connection: four times the limit, so that an upload a little over
            // it is read to its end and answered with the limit in words, not with a reset connection.
            k.Limits.MaxRequestBodySize = 4 * o.MaxUploadBytes + (1 << 20);
        });
        builder.Services.Configure<FormOptions>(f => { f.MultipartBodyLengthLimit = uploadLimit; });
        var store = new RunStore(workspace);
        var queue = new JobQueue(o.MaxRunning, o.MaxWaiting);
        builder.Services.AddSingleton<IHostedService>(queue);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(() => console.Started = true);
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CncTwin.Web.Dashboard");
        var hubs = new RunHubs();
        var history = new HistoryView(o.HistoryDb, store);
        string serverTools = o.ToolsPath != null ? Path.GetFullPath(o.ToolsPath) : "";

        object StatusOf(RunRecord r) => new
        {
            id = r.Id, kind = r.Kind, program = r.Program, tools = r.Tools, telemetry = r.Telemetry, status = r.Status,
            position = r.Status == RunRecord.Queued ? queue.Position(r) : 0,
            started = r.Started.ToString("O", CultureInfo.InvariantCulture), finished = r.Finished?.ToString("O", CultureInfo.InvariantCulture),
            error = r.Error, cycle_time_s = r.CycleTimeS, history_run = r.HistoryRun, samples = r.Samples, alarms = r.Alarms,
        };
        void Publish(RunRecord r) { if (r.Kind == RunRecord.Replay) hubs.Find(r.Id)?.Publish("status", StatusOf(r)); }
        // A waiting replay's page shows its place in the line: tell each one when the line moves.
        queue.Changed += () =>
        {
            foreach (var (id, _) in hubs.Active)
                if (store.TryGet(id, out var r) && r.Status == RunRecord.Queued) Publish(r);
        };
        void Finish(RunRecord r, string status, string? error)
        {
            store.Update(r, x => { x.Status = status; x.Error = error; x.Finished = DateTimeOffset.UtcNow; });
            Publish(r);
            if (r.Kind == RunRecord.Replay) hubs.Finish(r.Id);
        }
        // Server paths never reach the page: the run's own files by their uploaded names, the rest by file name.
        string Clean(RunRecord r, string message)
        {
            message = message.Replace(Path.Combine(r.Dir, "program.ngc"), r.Program);
            if (r.Tools != null) message = message.Replace(Path.Combine(r.Dir, r.Tools.EndsWith(".tbl", StringComparison.OrdinalIgnoreCase) ? "tools.tbl" : "tools.json"), r.Tools);
            if (r.Telemetry != null) message = message.Replace(Path.Combine(r.Dir, "telemetry.csv"), r.Telemetry);
            message = message.Replace(r.Dir + Path.DirectorySeparatorChar, "").Replace(r.Dir, "the run's folder").Replace(workspace, "the workspace");
            if (serverTools.Length > 0) message = message.Replace(serverTools, "the server's " + Path.GetFileName(serverTools));
            return message;
        }
        // A job's outcome when it threw: stopped, a file problem, or a bug (logged with its stack, for whoever fixes it).
        void Fault(RunRecord r, Exception ex)
        {
            switch (ex)
            {
                case OperationCanceledException: Finish(r, RunRecord.Cancelled, r.Cancel.IsCancellationRequested ? "stopped" : "the server stopped before it finished"); break;
                case CncTwin.GCode.GCodeException g: Finish(r, RunRecord.Failed, $"{r.Program}:{g.Line}:{g.Column}: {g.Reason}"); break;
                case SimulationSetupException s: Finish(r, RunRecord.Failed, Clean(r, string.Join("; ", s.Diagnostics.Select(d => d.Format(FieldName, r.Kind))))); break;
                case IOException or UnauthorizedAccessException: Finish(r, RunRecord.Failed, Clean(r, ex.Message)); break;
                default:
                    log.LogError(ex, "{Kind} {Id} failed", r.Kind, r.Id);
                    Finish(r, RunRecord.Failed, "internal error: " + Clean(r, ex.Message));
                    break;
            }
        }

        // Client errors are answered here in words, never left to escape as a 500 with a stack trace on the console.
        app.Use(async (ctx, next) =>
        {
            try { await next(); }
            catch (Exception ex) when (!ctx.Response.HasStarted && (ex is Microsoft.AspNetCore.Http.BadHttpRequestException or InvalidDataException))
            {
                bool tooLarge = ex is Microsoft.AspNetCore.Http.BadHttpRequestException { StatusCode: 413 } || ex.Message.Contains("length limit", StringComparison.Ordinal);
                ctx.Response.StatusCode = tooLarge ? 413 : 400;
                ctx.Response.ContentType = "text/plain; charset=utf-8";
                await ctx.Response.WriteAsync(tooLarge ? TooLarge(ctx.Request.ContentLength, o.MaxUploadBytes) : "the upload is not a well-formed form: " + ex.Message);
            }
            catch (Exception ex) when (ctx.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or IOException) { }
        });

        // Token: Authorization: Bearer T, or ?token=T; either sets an HttpOnly, SameSite=Strict cookie, so that the
        // page's own requests (its scripts and styles, fetches, EventSource, the report link) carry it too.
        if (!string.IsNullOrEmpty(o.Token))
            app.Use(async (ctx, next) =>
            {
                string cookie = "cnctwin_token_" + ctx.Connection.LocalPort.ToString(CultureInfo.InvariantCulture);
                string? header = ctx.Request.Headers.Authorization.ToString() is { Length: > 7 } h && h.StartsWith("Bearer ", StringComparison.Ordinal) ? h[7..] : null;
                bool given = CryptographicEquals(header, o.Token) || CryptographicEquals(ctx.Request.Query["token"].ToString(), o.Token);
                if (given && !CryptographicEquals(ctx.Request.Cookies[cookie], o.Token))
                    ctx.Response.Cookies.Append(cookie, o.Token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", Secure = ctx.Request.IsHttps, IsEssential = true });
                if (!given && !CryptographicEquals(ctx.Request.Cookies[cookie], o.Token))
                {
                    ctx.Response.StatusCode = 401;
                    await ctx.Response.WriteAsync("token required: open the dashboard as /?token=T (or send Authorization: Bearer T)");
                    return;
                }
                await next();
            });

        app.MapGet("/", () => Results.Content(Resource("index.html"), "text/html; charset=utf-8"));
        app.MapGet("/assets/dashboard.js", () => Results.Content(Resource("dashboard.js"), "text/javascript"));
        app.MapGet("/assets/dashboard.css", () => Results.Content(Resource("dashboard.css"), "text/css"));
        app.MapGet("/assets/uplot.css", () => Results.Content(Resource("uplot.css"), "text/css"));
        app.MapGet("/assets/viewer.js", () => Results.Content(ReportWriter.ViewerScript(), "text/javascript"));
        app.MapGet("/api/config", () => Results.Json(new { max_upload_bytes = o.MaxUploadBytes, max_running = queue.MaxRunning, max_waiting = queue.MaxWaiting }));

        app.MapGet("/api/runs", () =>
        {
            var latest = store.All.OrderByDescending(r => r.Started).ToList();
            return Results.Json(new
            {
                simulations = latest.Where(r => r.Kind == RunRecord.Simulation).Take(200).Select(StatusOf),
                replays = latest.Where(r => r.Kind == RunRecord.Replay).Take(200).Select(StatusOf),
                twin_runs = history.Runs(),
                machines = history.Machines(),
            });
        });

        app.MapPost("/api/simulations", async (HttpRequest req, CancellationToken ct) =>
        {
            if (!req.HasFormContentType) return Text(400, "expected a form with a 'program' file");
            if (await Refuse(req, uploadLimit, o.MaxUploadBytes, queue, ct) is { } refused) return refused;
            var (form, formStatus, formError) = await ReadForm(req, o.MaxUploadBytes, ct);
            if (form == null) return Text(formStatus, formError!);
            var file = form.Files.GetFile("program");
            if (file == null || file.Length == 0) return Text(400, "no program uploaded");
            var tf = form.Files.GetFile("tools") is { Length: > 0 } t ? t : null;
            if (file.Length + (tf?.Length ?? 0) > o.MaxUploadBytes) return Text(413, TooLarge(file.Length + (tf?.Length ?? 0), o.MaxUploadBytes, UploadName(file.FileName, "program.ngc")));
            string material = form["material"].ToString() is { Length: > 0 } m && Regex.IsMatch(m, "^[A-Za-z0-9_-]{1,40}$") ? m : "al6061";
            string id = Guid.NewGuid().ToString("N");
            string dir = store.DirFor(id, RunRecord.Simulation);
            Directory.CreateDirectory(dir);
            // The upload's own name is shown, never used as a path.
            string program = Path.Combine(dir, "program.ngc");
            await using (var fs = File.Create(program)) await file.CopyToAsync(fs, ct);
            // An optional tool library (CncTwin JSON or LinuxCNC .tbl), stored under a fixed name.
            string? tools = null;
            if (tf != null)
            {
                tools = Path.Combine(dir, tf.FileName.EndsWith(".tbl", StringComparison.OrdinalIgnoreCase) ? "tools.tbl" : "tools.json");
                await using var ts = File.Create(tools);
                await tf.CopyToAsync(ts, ct);
            }
            var run = new RunRecord { Id = id, Kind = RunRecord.Simulation, Program = UploadName(file.FileName, "program.ngc"), Tools = tf != null ? UploadName(tf.FileName, "tools.json") : null, Dir = dir };
            // The library directly: the same request the CLI's simulate builds, with the dashboard's defaults (10 ms timeline, 0.5 mm voxels).
            var request = new SimulationRequest
            {
                ProgramPath = program, ToolsPath = tools ?? o.ToolsPath, Material = material, TimelineStepS = 0.01, ResolutionMm = 0.5, OutputFolder = Path.Combine(dir, "out"),
            };
            store.Add(run);
            if (queue.TryEnqueue(run, c => Simulate(run, request, c)) is { } busy)
            {
                store.Remove(run);
                TryDelete(dir);
                return Text(503, busy);
            }
            return Results.Json(StatusOf(run));
        });

        async Task Simulate(RunRecord run, SimulationRequest request, CancellationToken ct)
        {
            try
            {
                ct.ThrowIfCancellationRequested();
                store.Update(run, r => r.Status = RunRecord.Running);
                var (context, diagnostics) = await Task.Run(() => SimulationContext.Create(request, ct), ct);
                SimulationResult? result = null;
                if (context != null)
                {
                    // The standard files, plus the viewer's decimated toolpath collected as the run streams (no re-reading of timeline.csv).
                    var sinks = SimulationSinks.ForFolder(request.OutputFolder!);
                    sinks.Insert(0, new ToolpathPreviewSink(Path.Combine(request.OutputFolder!, "path.json")));
                    result = await Simulator.RunAsync(context, sinks, null, ct);
                }
                var error = result?.Error ?? diagnostics.FirstOrDefault(d => d.IsError);
                if (error != null) { Finish(run, RunRecord.Failed, Clean(run, error.Format(FieldName, "simulate"))); return; }
                store.Update(run, r => r.CycleTimeS = CycleTime(r) ?? Math.Round(result!.Plan.TotalTimeS, 3));
                Finish(run, RunRecord.Done, null);
            }
            catch (Exception ex) { Fault(run, ex); }
        }

        app.MapGet("/api/simulations/{id}", (string id) => Status(id));
        app.MapGet("/api/replays/{id}", (string id) => Status(id));
        IResult Status(string id)
        {
            if (!IdPattern.IsMatch(id) || !store.TryGet(id, out var r)) return Results.NotFound();
            var summary = r.Status == RunRecord.Done ? ReadSummary(r) : null;
            var node = JsonSerializer.SerializeToNode(StatusOf(r))!.AsObject();
            node["summary"] = summary;
            // A run stopped by a program error may still leave a report of what came before it (with the problem line).
            node["report"] = HasReport(r);
            return Results.Json(node);
        }
        // Stop: a waiting job leaves the line at once, a running one stops at its next check (within 1 024 samples).
        app.MapPost("/api/simulations/{id}/cancel", (string id) => Cancel(id));
        app.MapPost("/api/replays/{id}/cancel", (string id) => Cancel(id));
        IResult Cancel(string id)
        {
            if (!IdPattern.IsMatch(id) || !store.TryGet(id, out var r)) return Results.NotFound();
            r.Cancel.Cancel();
            if (queue.TryRemove(r)) Finish(r, RunRecord.Cancelled, "stopped before it started");
            return Results.Json(StatusOf(r));
        }
        bool HasReport(RunRecord r) => r.Kind == RunRecord.Simulation && r.Status is RunRecord.Done or RunRecord.Failed && File.Exists(Path.Combine(r.Dir, "out", "report.html"));
        app.MapGet("/api/simulations/{id}/report", (string id) =>
            IdPattern.IsMatch(id) && store.TryGet(id, out var r) && HasReport(r) ? Results.File(Path.Combine(r.Dir, "out", "report.html"), "text/html; charset=utf-8") : Results.NotFound());
        app.MapGet("/api/simulations/{id}/stock.glb", (string id) => OutFile(id, "stock.glb", "model/gltf-binary"));
        IResult OutFile(string id, string name, string type) =>
            IdPattern.IsMatch(id) && store.TryGet(id, out var r) && r.Status == RunRecord.Done && File.Exists(Path.Combine(r.Dir, "out", name))
                ? Results.File(Path.Combine(r.Dir, "out", name), type) : Results.NotFound();
        app.MapGet("/api/simulations/{id}/path", (string id) =>
        {
            if (!IdPattern.IsMatch(id) || !store.TryGet(id, out var s) || s.Status != RunRecord.Done) return Results.NotFound();
            string pj = Path.Combine(s.Dir, "out", "path.json"), tl = Path.Combine(s.Dir, "out", "timeline.csv");
            if (File.Exists(pj)) return Results.File(pj, "application/json");
            return File.Exists(tl) ? Results.Json(PathFromTimeline(tl)) : Results.NotFound();
        });

        app.MapPost("/api/replays", async (HttpRequest req, CancellationToken ct) =>
        {
            if (!req.HasFormContentType) return Text(400, "expected a form with 'program' and 'telemetry' files");
            if (await Refuse(req, uploadLimit, o.MaxUploadBytes, queue, ct) is { } refused) return refused;
            var (form, formStatus, formError) = await ReadForm(req, o.MaxUploadBytes, ct);
            if (form == null) return Text(formStatus, formError!);
            var p = form.Files.GetFile("program"); var t = form.Files.GetFile("telemetry");
            if (p == null || t == null) return Text(400, "upload both the program and the telemetry log");
            if (p.Length + t.Length > o.MaxUploadBytes) return Text(413, TooLarge(p.Length + t.Length, o.MaxUploadBytes));
            string format = form["format"].ToString() == "umich" ? "umich" : "generic";
            // Extra options: only --name value pairs of known settings, never paths; each sets a typed field of the request.
            var request = new SimulationRequest { ProgramPath = "program.ngc", ToolsPath = o.ToolsPath, ResolutionMm = 0.5, HomeZ = HomeZ.Zero };
            var monitor = new MonitorOptions();
            var offset = Vec3.Zero;
            var words = form["options"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length % 2 != 0) return Text(400, $"option '{words[^1]}' needs a value");
            for (int i = 0; i + 1 < words.Length; i += 2)
            {
                string name = words[i], v = words[i + 1];
                if (!Regex.IsMatch(v, "^[A-Za-z0-9_.,:-]{1,80}$")) return Text(400, $"option '{name}': value '{v}' is not allowed here");
                bool ok = true;
                double Num() { ok &= double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d); return ok ? double.Parse(v, CultureInfo.InvariantCulture) : 0; }
                switch (name)
                {
                    case "--material": request = request with { Material = v }; break;
                    case "--tool": ok = int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int tn) && tn >= 0; request = request with { InitialTool = ok ? tn : 0 }; break;
                    case "--stock":
                        // A box or cylinder only: an STL name would be a path on the server.
                        ok = v.StartsWith("box:", StringComparison.OrdinalIgnoreCase) || v.StartsWith("cylinder:", StringComparison.OrdinalIgnoreCase);
                        request = request with { Stock = v };
                        break;
                    case "--resolution": request = request with { ResolutionMm = Num() }; break;
                    case "--spindle-power-w": request = request with { SpindlePowerW = Num() }; break;
                    case "--home-z": { var h = HomeZ.Parse(v); ok = h != null; if (ok) request = request with { HomeZ = h!.Value }; break; }
                    case "--overload-margin": monitor = monitor with { OverloadMarginPct = Num() }; break;
                    case "--overload-relative": monitor = monitor with { OverloadRelative = Num() }; break;
                    case "--learn-parts": ok = int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int lp) && lp >= 0; monitor = monitor with { LearnParts = ok ? lp : 10 }; break;
                    case "--hold": monitor = monitor with { HoldS = Num() }; break;
                    case "--position-tolerance": monitor = monitor with { PositionToleranceMm = Num() }; break;
                    case "--work-offset":
                        {
                            var parsed = TwinSessionOptions.ParseWorkOffset(v);
                            ok = parsed != null;
                            offset = parsed ?? Vec3.Zero;
                            break;
                        }
                    default: return Text(400, $"option '{name}' is not allowed here");
                }
                if (!ok) return Text(400, $"option '{name}': '{v}' is not a valid value");
            }
            string id = Guid.NewGuid().ToString("N");
            string dir = store.DirFor(id, RunRecord.Replay);
            Directory.CreateDirectory(dir);
            string prog = Path.Combine(dir, "program.ngc"), tel = Path.Combine(dir, "telemetry.csv");
            await using (var fs = File.Create(prog)) await p.CopyToAsync(fs, ct);
            await using (var fs = File.Create(tel)) await t.CopyToAsync(fs, ct);
            request = request with { ProgramPath = prog };
            var run = new RunRecord { Id = id, Kind = RunRecord.Replay, Program = UploadName(p.FileName, "program.ngc"), Telemetry = UploadName(t.FileName, "telemetry.csv"), Dir = dir };
            store.Add(run);
            // The run's own stream exists before it is queued: its page connects at once and sees it wait.
            hubs.Open(id);
            if (queue.TryEnqueue(run, c => Replay(run, request, monitor, offset, format, tel, c)) is { } busy)
            {
                store.Remove(run);
                hubs.Finish(id);
                TryDelete(dir);
                return Text(503, busy);
            }
            Publish(run);
            return Results.Json(StatusOf(run));
        });

        async Task Replay(RunRecord run, SimulationRequest request, MonitorOptions monitor, Vec3 offset, string format, string tel, CancellationToken ct)
        {
            var hub = hubs.Open(run.Id);
            double t0 = double.NaN;
            try
            {
                ct.ThrowIfCancellationRequested();
                store.Update(run, r => r.Status = RunRecord.Running);
                Publish(run);
                var (context, diagnostics) = await Task.Run(() => SimulationContext.Create(request, ct), ct);
                if (context == null)
                {
                    Finish(run, RunRecord.Failed, Clean(run, string.Join("; ", diagnostics.Where(d => d.IsError).Select(d => d.Format(FieldName, "replay")))));
                    return;
                }
                var prediction = await Task.Run(() => TwinSession.Predict(context, ct), ct);
                var source = new CsvReplaySource(tel, format);
                var session = new TwinSession(prediction, new TwinSessionOptions
                {
                    Monitor = monitor, WorkOffset = offset, Mapping = source.Mapping, OutputFolder = Path.Combine(run.Dir, "out"), HistoryDb = o.HistoryDb,
                });
                TwinEndEvent? end = null;
                await foreach (var e in session.RunAsync(source, ct))
                {
                    switch (e)
                    {
                        case TwinSampleEvent { Sample: var a }:
                            double ts = a.Sample.Time.ToUnixTimeMilliseconds() / 1000.0;
                            if (double.IsNaN(t0)) t0 = ts;
                            hub.Publish("sample", new { t = Math.Round(ts - t0, 3), line = a.Line, measured = Finite(a.MeasuredLoadPct), predicted = Finite(a.PredictedLoadPct), wear = Finite(a.WearUm), alarm = a.Alarm?.WireName() });
                            break;
                        case TwinAlarmEvent { Alarm: var al }:
                            hub.Publish("alarm", new { line = al.Line, kind = al.Kind.WireName(), message = al.Message });
                            break;
                        case TwinEndEvent x:
                            end = x;
                            break;
                    }
                }
                store.Update(run, r => { r.HistoryRun = session.HistoryRunId >= 0 ? session.HistoryRunId : null; r.Samples = session.Samples; r.Alarms = session.Monitor.Alarms.Count; });
                if (end?.Reason == "stopped") Finish(run, RunRecord.Cancelled, "stopped");
                else if (end?.Error is { } error) Finish(run, RunRecord.Failed, Clean(run, error));
                else Finish(run, RunRecord.Done, null);
            }
            catch (Exception ex) { Fault(run, ex); }
        }

        // Server-sent events of one replay: only that replay's status, samples and alarms.
        app.MapGet("/api/replays/{id}/live", async (string id, HttpContext ctx) =>
        {
            if (!IdPattern.IsMatch(id) || !store.TryGet(id, out var run) || run.Kind != RunRecord.Replay) { ctx.Response.StatusCode = 404; return; }
            ctx.Response.Headers.ContentType = "text/event-stream";
            ctx.Response.Headers.CacheControl = "no-cache";
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, app.Lifetime.ApplicationStopping);
            var hub = hubs.Find(id);
            try
            {
                await ctx.Response.WriteAsync(": connected\n\n", stop.Token);
                // Finished long ago (or before this server started): its outcome; the twin run view has its chart.
                if (hub == null) { await ctx.Response.WriteAsync($"event: status\ndata: {JsonSerializer.Serialize(StatusOf(run))}\n\n", stop.Token); return; }
                await ctx.Response.Body.FlushAsync(stop.Token);
                var reader = hub.Subscribe();
                try
                {
                    await foreach (var (ev, data) in reader.ReadAllAsync(stop.Token))
                    {
                        await ctx.Response.WriteAsync($"event: {ev}\ndata: {data}\n\n", stop.Token);
                        if (reader.Count == 0) await ctx.Response.Body.FlushAsync(stop.Token);
                    }
                }
                finally { hub.Unsubscribe(reader); }
            }
            catch (OperationCanceledException) { }
        });

        app.MapGet("/api/twin-runs/{n:long}", (long n) => history.Run(n) is { } r ? Results.Json(r) : Results.NotFound());
        map?.Invoke(app);
        return app;
    }

    /// <summary>
    /// The upload's form, or why it could not be read: a body cut short or malformed (an IOException or
    /// InvalidDataException from the multipart reader) is the client's error, answered in words.
    /// </summary>
    private static async Task<(IFormCollection? Form, int Status, string? Error)> ReadForm(HttpRequest req, long maxUpload, CancellationToken ct)
    {
        try { return (await req.ReadFormAsync(ct), 200, null); }
        catch (InvalidDataException ex) when (ex.Message.Contains("length limit", StringComparison.Ordinal)) { return (null, 413, TooLarge(req.ContentLength, maxUpload)); }
        catch (Exception ex) when (ex is InvalidDataException or IOException && !ct.IsCancellationRequested) { return (null, 400, "the upload is not a well-formed form: " + ex.Message); }
    }

    private static IResult Text(int status, string message) => Results.Text(message, "text/plain; charset=utf-8", System.Text.Encoding.UTF8, status);

    /// <summary>"the file is 25.0 MB, the limit is 20 MB" (or the upload, when it is not known which file).</summary>
    private static string TooLarge(long? bytes, long limit, string? name = null)
    {
        static string Mb(double b) => (b / (1 << 20)).ToString("0.0", CultureInfo.InvariantCulture);
        string what = name != null ? name : "the upload";
        string limitText = (limit / (double)(1 << 20)).ToString("0.##", CultureInfo.InvariantCulture);
        return bytes is long b ? $"{what} is {Mb(b)} MB, the limit is {limitText} MB" : $"{what} is over the limit of {limitText} MB";
    }

    /// <summary>
    /// An upload refused before its form is read (too large by its length, or the queue is full). Its body is read
    /// to the end and dropped first, up to Kestrel's cap: a browser still sending shows a reset connection instead
    /// of the answer otherwise.
    /// </summary>
    private static async Task<IResult?> Refuse(HttpRequest req, long uploadLimit, long maxUpload, JobQueue queue, CancellationToken ct)
    {
        IResult? answer = req.ContentLength > uploadLimit ? Text(413, TooLarge(req.ContentLength, maxUpload))
            : queue.Refusal() is { } busy ? Text(503, busy) : null;
        if (answer != null) await req.Body.CopyToAsync(Stream.Null, ct);
        return answer;
    }

    /// <summary>The name a browser gave an upload, as shown on the page (never a path: a folder part some browsers send is dropped).</summary>
    private static string UploadName(string? given, string fallback)
    {
        string name = (given ?? "").Split('/', '\\')[^1];
        name = new string(name.Where(c => !char.IsControl(c)).ToArray()).Trim();
        return name.Length == 0 ? fallback : name.Length > 120 ? name[..120] : name;
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, true); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>How the page names each request field (the replay options are written as the command line's flags).</summary>
    private static string FieldName(RequestField f) => f switch
    {
        RequestField.ResolutionMm => "--resolution", RequestField.Stock => "--stock", RequestField.Material => "--material", RequestField.HomeZ => "--home-z",
        RequestField.SpindlePowerW => "--spindle-power-w", RequestField.InitialTool => "--tool", RequestField.Tools => "tools", _ => f.ToString().ToLowerInvariant(),
    };

    private static double? Finite(double v) => double.IsFinite(v) ? Math.Round(v, 3) : null;

    private static bool CryptographicEquals(string? a, string b) =>
        a != null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));

    internal static string Resource(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("CncTwin.Web." + name) ?? throw new InvalidOperationException($"{name} missing from the build");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    /// <summary>summary.json with the uploaded name for the program (the file's server path means nothing on the page).</summary>
    private static System.Text.Json.Nodes.JsonNode? ReadSummary(RunRecord r)
    {
        string p = Path.Combine(r.Dir, "out", "summary.json");
        if (!File.Exists(p)) return null;
        try
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(p));
            if (node is System.Text.Json.Nodes.JsonObject obj) { obj["program"] = r.Program; obj.Remove("machine_file"); }
            return node;
        }
        catch (Exception ex) when (ex is JsonException or IOException) { return null; }
    }

    private static double? CycleTime(RunRecord r) =>
        ReadSummary(r) is System.Text.Json.Nodes.JsonObject o && o["cycle_time_s"] is { } v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    /// <summary>The toolpath for the viewer from a timeline.csv written without a preview (two streaming passes: count, then every k-th row).</summary>
    private static object PathFromTimeline(string path)
    {
        long n = File.ReadLines(path).LongCount() - 1;
        long stride = Math.Max(1, n / ToolpathPreviewSink.MaxPoints);
        var h = File.ReadLines(path).First().Split(',');
        int ct = Array.IndexOf(h, "t_s"), cx = Array.IndexOf(h, "x"), cy = Array.IndexOf(h, "y"), cz = Array.IndexOf(h, "z"), cm = Array.IndexOf(h, "motion"), cl = Array.IndexOf(h, "spindle_load_pct");
        var preview = new ToolpathPreviewSink(null);
        long i = 0;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            if (i++ % stride != 0) continue;
            var r = line.Split(',');
            static float F(string s) => float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? f : 0;
            preview.Add(F(r[ct]), F(r[cx]), F(r[cy]), F(r[cz]), cl >= 0 ? F(r[cl]) : 0, r[cm] == "rapid");
        }
        return preview.Json();
    }

}
