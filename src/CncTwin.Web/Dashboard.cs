using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using CncTwin.Core;
using CncTwin.Report;
using CncTwin.Simulation;
using CncTwin.Twin;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting;

namespace CncTwin.Web;

public sealed record DashboardOptions
{
    public int Port { get; init; } = 5080;
    public string Bind { get; init; } = "127.0.0.1";
    /// <summary>Required for every request when bound to anything but loopback.</summary>
    public string? Token { get; init; }
    public required string Workspace { get; init; }
    public required string HistoryDb { get; init; }
    public long MaxUploadBytes { get; init; } = 20 << 20;
    /// <summary>Tool library for uploaded programs that bring none.</summary>
    public string? ToolsPath { get; init; }
}

/// <summary>
/// `cnctwin serve`: an ASP.NET Core minimal app. Pages: machines and runs (simulations of this server, twin runs
/// from the SQLite history), a simulation viewer (3D stock, toolpath coloured by load, time scrub), the live twin
/// view (server-sent events: measured vs predicted load, current line, alarms, wear). Programs are uploaded and
/// simulated from the page. Files are addressed only by server-made ids (no user path ever reaches the disk),
/// uploads are size-limited, and off loopback every request needs the token.
/// </summary>
public static class Dashboard
{
    private sealed class Sim
    {
        public required string Id, Program, Dir;
        public volatile string Status = "running";
        public string? Error;
        public DateTimeOffset Started = DateTimeOffset.UtcNow;
        public readonly CancellationTokenSource Cancel = new();
    }

    private static readonly Regex IdPattern = new("^[0-9a-f]{32}$", RegexOptions.Compiled);

    public static WebApplication Build(DashboardOptions o)
    {
        if (!IPAddress.TryParse(o.Bind, out var bind)) throw new ArgumentException($"--bind {o.Bind}: not an IP address");
        bool loopback = IPAddress.IsLoopback(bind);
        if (!loopback && string.IsNullOrEmpty(o.Token)) throw new ArgumentException($"--bind {o.Bind} is reachable from the network: give --token (or CNCTWIN_TOKEN) so every request must carry it");
        Directory.CreateDirectory(o.Workspace);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(bind, o.Port);
            k.Limits.MaxRequestBodySize = o.MaxUploadBytes;
        });
        builder.Services.Configure<FormOptions>(f => { f.MultipartBodyLengthLimit = o.MaxUploadBytes; });
        var app = builder.Build();
        var sims = new ConcurrentDictionary<string, Sim>();
        var live = new LiveHub();

        // Token: Authorization: Bearer T, or ?token=T (the browser's EventSource cannot set headers).
        if (!string.IsNullOrEmpty(o.Token))
            app.Use(async (ctx, next) =>
            {
                string? given = ctx.Request.Headers.Authorization.ToString() is { Length: > 7 } h && h.StartsWith("Bearer ", StringComparison.Ordinal) ? h[7..] : ctx.Request.Query["token"].ToString();
                if (!CryptographicEquals(given, o.Token)) { ctx.Response.StatusCode = 401; await ctx.Response.WriteAsync("token required"); return; }
                await next();
            });

        app.MapGet("/", () => Results.Content(Resource("index.html"), "text/html; charset=utf-8"));
        app.MapGet("/assets/dashboard.js", () => Results.Content(Resource("dashboard.js"), "text/javascript"));
        app.MapGet("/assets/dashboard.css", () => Results.Content(Resource("dashboard.css"), "text/css"));
        app.MapGet("/assets/uplot.css", () => Results.Content(Resource("uplot.css"), "text/css"));
        app.MapGet("/assets/viewer.js", () => Results.Content(ReportWriter.ViewerScript(), "text/javascript"));

        app.MapGet("/api/runs", () =>
        {
            var list = sims.Values.OrderByDescending(s => s.Started).Select(s => new
            {
                id = s.Id, program = s.Program, status = s.Status, started = s.Started.ToString("O", CultureInfo.InvariantCulture),
                cycle_time_s = s.Status == "done" ? ReadSummary(s)?.RootElement.GetProperty("cycle_time_s").GetDouble() : null,
            }).ToList();
            return Results.Json(new { simulations = list, twin_runs = TwinRuns(o.HistoryDb) });
        });

        app.MapPost("/api/simulations", async (HttpRequest req, CancellationToken ct) =>
        {
            if (!req.HasFormContentType) return Results.BadRequest("multipart form with a 'program' file expected");
            var form = await req.ReadFormAsync(ct);
            var file = form.Files.GetFile("program");
            if (file == null || file.Length == 0) return Results.BadRequest("no program uploaded");
            string material = form["material"].ToString() is { Length: > 0 } m && Regex.IsMatch(m, "^[A-Za-z0-9_-]{1,40}$") ? m : "al6061";
            string id = Guid.NewGuid().ToString("N");
            string dir = Path.Combine(o.Workspace, id);
            Directory.CreateDirectory(dir);
            // The upload's own name is shown, never used as a path.
            string program = Path.Combine(dir, "program.ngc");
            await using (var fs = File.Create(program)) await file.CopyToAsync(fs, ct);
            // An optional tool library (CncTwin JSON or LinuxCNC .tbl), stored under a fixed name.
            string? tools = null;
            if (form.Files.GetFile("tools") is { Length: > 0 } tf)
            {
                tools = Path.Combine(dir, tf.FileName.EndsWith(".tbl", StringComparison.OrdinalIgnoreCase) ? "tools.tbl" : "tools.json");
                await using var ts = File.Create(tools);
                await tf.CopyToAsync(ts, ct);
            }
            var sim = new Sim { Id = id, Program = Path.GetFileName(file.FileName), Dir = dir };
            sims[id] = sim;
            _ = Task.Run(async () =>
            {
                try
                {
                    // The library directly: the same request the CLI's simulate builds, with the dashboard's defaults (10 ms timeline, 0.5 mm voxels).
                    var request = new SimulationRequest
                    {
                        ProgramPath = program, ToolsPath = tools ?? o.ToolsPath, Material = material, TimelineStepS = 0.01, ResolutionMm = 0.5, OutputFolder = Path.Combine(dir, "out"),
                    };
                    var (context, diagnostics) = await Task.Run(() => SimulationContext.Create(request, sim.Cancel.Token));
                    SimulationResult? result = null;
                    if (context != null)
                    {
                        // The standard files, plus the viewer's decimated toolpath collected as the run streams (no re-reading of timeline.csv).
                        var sinks = SimulationSinks.ForFolder(request.OutputFolder!);
                        sinks.Insert(0, new ToolpathPreviewSink(Path.Combine(request.OutputFolder!, "path.json")));
                        result = await Simulator.RunAsync(context, sinks, null, sim.Cancel.Token);
                    }
                    var error = result?.Error ?? diagnostics.FirstOrDefault(d => d.IsError);
                    if (error == null) sim.Status = "done";
                    else { sim.Error = error.Format(FieldName, "simulate").Replace(program, sim.Program); sim.Status = "failed"; }
                }
                catch (OperationCanceledException) { sim.Error = "stopped"; sim.Status = "cancelled"; }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException) { sim.Error = ex.Message; sim.Status = "failed"; }
            });
            return Results.Json(new { id });
        });

        app.MapGet("/api/simulations/{id}", (string id) =>
        {
            if (!IdPattern.IsMatch(id) || !sims.TryGetValue(id, out var s)) return Results.NotFound();
            using var summary = s.Status == "done" ? ReadSummary(s) : null;
            return Results.Json(new { id, program = s.Program, status = s.Status, error = s.Error, summary = summary?.RootElement.Clone() });
        });
        app.MapPost("/api/simulations/{id}/cancel", (string id) =>
        {
            if (!IdPattern.IsMatch(id) || !sims.TryGetValue(id, out var s)) return Results.NotFound();
            s.Cancel.Cancel();
            return Results.Json(new { id, status = s.Status });
        });
        app.MapGet("/api/simulations/{id}/report", (string id) =>
            IdPattern.IsMatch(id) && sims.TryGetValue(id, out var s) && File.Exists(Path.Combine(s.Dir, "out", "report.html"))
                ? Results.File(Path.Combine(s.Dir, "out", "report.html"), "text/html; charset=utf-8") : Results.NotFound());
        app.MapGet("/api/simulations/{id}/stock.glb", (string id) =>
            IdPattern.IsMatch(id) && sims.TryGetValue(id, out var s) && File.Exists(Path.Combine(s.Dir, "out", "stock.glb"))
                ? Results.File(Path.Combine(s.Dir, "out", "stock.glb"), "model/gltf-binary") : Results.NotFound());
        app.MapGet("/api/simulations/{id}/path", (string id) =>
        {
            if (!IdPattern.IsMatch(id) || !sims.TryGetValue(id, out var s)) return Results.NotFound();
            string pj = Path.Combine(s.Dir, "out", "path.json"), tl = Path.Combine(s.Dir, "out", "timeline.csv");
            if (File.Exists(pj)) return Results.File(pj, "application/json");
            return File.Exists(tl) ? Results.Json(PathFromTimeline(tl)) : Results.NotFound();
        });

        app.MapPost("/api/replays", async (HttpRequest req, CancellationToken ct) =>
        {
            if (!req.HasFormContentType) return Results.BadRequest("multipart form with 'program' and 'telemetry' files expected");
            var form = await req.ReadFormAsync(ct);
            var p = form.Files.GetFile("program"); var t = form.Files.GetFile("telemetry");
            if (p == null || t == null) return Results.BadRequest("upload both the program and the telemetry log");
            string format = form["format"].ToString() == "umich" ? "umich" : "generic";
            // Extra options: only --name value pairs of known settings, never paths; each sets a typed field of the request.
            var request = new SimulationRequest { ProgramPath = "program.ngc", ToolsPath = o.ToolsPath, ResolutionMm = 0.5, HomeZ = HomeZ.Zero };
            var monitor = new MonitorOptions();
            var offset = Vec3.Zero;
            var words = form["options"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length % 2 != 0) return Results.BadRequest($"option '{words[^1]}' needs a value");
            for (int i = 0; i + 1 < words.Length; i += 2)
            {
                string name = words[i], v = words[i + 1];
                if (!Regex.IsMatch(v, "^[A-Za-z0-9_.,:-]{1,80}$")) return Results.BadRequest($"option '{name}': value '{v}' is not allowed here");
                bool ok = true;
                double Num() { ok &= double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d); return ok ? double.Parse(v, CultureInfo.InvariantCulture) : 0; }
                switch (name)
                {
                    case "--material": request = request with { Material = v }; break;
                    case "--tool": ok = int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int tn) && tn >= 0; request = request with { InitialTool = ok ? tn : 0 }; break;
                    case "--stock": request = request with { Stock = v }; break;
                    case "--resolution": request = request with { ResolutionMm = Num() }; break;
                    case "--spindle-power-w": request = request with { SpindlePowerW = Num() }; break;
                    case "--home-z": { var h = HomeZ.Parse(v); ok = h != null; if (ok) request = request with { HomeZ = h!.Value }; break; }
                    case "--overload-margin": monitor = monitor with { OverloadMarginPct = Num() }; break;
                    case "--hold": monitor = monitor with { HoldS = Num() }; break;
                    case "--position-tolerance": monitor = monitor with { PositionToleranceMm = Num() }; break;
                    case "--work-offset":
                        {
                            var p3 = v.Split(',');
                            ok = p3.Length == 3 && p3.All(x => double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
                            if (ok) offset = new Vec3(double.Parse(p3[0], CultureInfo.InvariantCulture), double.Parse(p3[1], CultureInfo.InvariantCulture), double.Parse(p3[2], CultureInfo.InvariantCulture));
                            break;
                        }
                    default: return Results.BadRequest($"option '{name}' is not allowed here");
                }
                if (!ok) return Results.BadRequest($"option '{name}': '{v}' is not a valid value");
            }
            string id = Guid.NewGuid().ToString("N");
            string dir = Path.Combine(o.Workspace, "replay-" + id);
            Directory.CreateDirectory(dir);
            string prog = Path.Combine(dir, "program.ngc"), tel = Path.Combine(dir, "telemetry.csv");
            await using (var fs = File.Create(prog)) await p.CopyToAsync(fs, ct);
            await using (var fs = File.Create(tel)) await t.CopyToAsync(fs, ct);
            request = request with { ProgramPath = prog };
            live.Publish("status", new { status = "running" });
            _ = Task.Run(async () =>
            {
                double t0 = double.NaN;
                try
                {
                    var (context, diagnostics) = SimulationContext.Create(request);
                    if (context == null)
                    {
                        live.Publish("status", new { status = "failed: " + string.Join("; ", diagnostics.Select(d => d.Format(FieldName, "replay").Replace(prog, p.FileName))) });
                        return;
                    }
                    var prediction = TwinSession.Predict(context);
                    var source = new CsvReplaySource(tel, format);
                    var session = new TwinSession(prediction, new TwinSessionOptions
                    {
                        Monitor = monitor, WorkOffset = offset, Mapping = source.Mapping, OutputFolder = Path.Combine(dir, "out"), HistoryDb = o.HistoryDb,
                    });
                    string? error = null;
                    await foreach (var e in session.RunAsync(source))
                    {
                        switch (e)
                        {
                            case TwinSampleEvent { Sample: var a }:
                                double ts = a.Sample.Time.ToUnixTimeMilliseconds() / 1000.0;
                                if (double.IsNaN(t0)) t0 = ts;
                                live.Publish("sample", new { t = Math.Round(ts - t0, 3), line = a.Line, measured = Finite(a.MeasuredLoadPct), predicted = Finite(a.PredictedLoadPct), wear = Finite(a.WearUm), alarm = a.Alarm?.WireName() });
                                break;
                            case TwinAlarmEvent { Alarm: var al }:
                                live.Publish("alarm", new { line = al.Line, kind = al.Kind.WireName(), message = al.Message });
                                break;
                            case TwinEndEvent end:
                                error = end.Error;
                                break;
                        }
                    }
                    live.Publish("status", new { status = error == null ? "finished" : "failed: " + error });
                }
                catch (CncTwin.GCode.GCodeException ex) { live.Publish("status", new { status = $"failed: {p.FileName}:{ex.Line}:{ex.Column}: {ex.Reason}" }); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or SimulationSetupException) { live.Publish("status", new { status = "failed: " + ex.Message }); }
            });
            return Results.Json(new { id });
        });

        // Server-sent events: every subscriber gets its own bounded queue; a slow browser drops its oldest samples, never the server.
        app.MapGet("/api/live", async (HttpContext ctx) =>
        {
            ctx.Response.Headers.ContentType = "text/event-stream";
            ctx.Response.Headers.CacheControl = "no-cache";
            var ch = live.Subscribe();
            try
            {
                await ctx.Response.WriteAsync(": connected\n\n", ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                await foreach (var (ev, data) in ch.Reader.ReadAllAsync(ctx.RequestAborted))
                {
                    await ctx.Response.WriteAsync($"event: {ev}\ndata: {data}\n\n", ctx.RequestAborted);
                    if (ch.Reader.Count == 0) await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                }
            }
            catch (OperationCanceledException) { }
            finally { live.Unsubscribe(ch); }
        });
        return app;
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

    private static string Resource(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("CncTwin.Web." + name) ?? throw new InvalidOperationException($"{name} missing from the build");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    private static JsonDocument? ReadSummary(Sim s)
    {
        string p = Path.Combine(s.Dir, "out", "summary.json");
        return File.Exists(p) ? JsonDocument.Parse(File.ReadAllText(p)) : null;
    }

    private static List<object> TwinRuns(string db)
    {
        var list = new List<object>();
        if (!File.Exists(db)) return list;
        try
        {
            using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly }.ToString());
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT id, started, program, source, samples, alarms FROM runs ORDER BY id DESC LIMIT 200";
            using var r = cmd.ExecuteReader();
            while (r.Read())
                list.Add(new { id = r.GetInt64(0), started = r.GetString(1), program = Path.GetFileName(r.GetString(2)), source = r.GetString(3), samples = r.GetInt64(4), alarms = r.GetInt64(5) });
        }
        catch (SqliteException) { }
        return list;
    }

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

    /// <summary>Fan-out of live events to the connected browsers (bounded per subscriber).</summary>
    private sealed class LiveHub
    {
        private readonly List<Channel<(string, string)>> _subs = new();
        public Channel<(string, string)> Subscribe()
        {
            var c = Channel.CreateBounded<(string, string)>(new BoundedChannelOptions(20_000) { FullMode = BoundedChannelFullMode.DropOldest });
            lock (_subs) _subs.Add(c);
            return c;
        }
        public void Unsubscribe(Channel<(string, string)> c) { lock (_subs) _subs.Remove(c); }
        public void Publish(string ev, object data)
        {
            string json = JsonSerializer.Serialize(data);
            lock (_subs) foreach (var s in _subs) s.Writer.TryWrite((ev, json));
        }
    }
}
