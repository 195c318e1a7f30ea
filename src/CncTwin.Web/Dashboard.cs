using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using CncTwin.Report;
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

/// <summary>What the dashboard asks the rest of CncTwin to do (the CLI supplies it: the web app stays thin).</summary>
public interface IDashboardRunner
{
    /// <summary>Simulates a program into outDir (summary.json, timeline.csv, report.html, stock.glb ...); returns the exit code.</summary>
    Task<int> SimulateAsync(string programPath, string? toolsPath, string material, string outDir, CancellationToken ct);
    /// <summary>Replays a telemetry log against a program as fast as possible, reporting every aligned sample and each new alarm.</summary>
    Task<int> ReplayAsync(string programPath, string telemetryPath, string format, string[] extraArgs, string outDir, Action<AlignedSample> onSample, Action<TwinAlarm> onAlarm, CancellationToken ct);
}

public sealed record DashboardOptions
{
    public int Port { get; init; } = 5080;
    public string Bind { get; init; } = "127.0.0.1";
    /// <summary>Required for every request when bound to anything but loopback.</summary>
    public string? Token { get; init; }
    public required string Workspace { get; init; }
    public required string HistoryDb { get; init; }
    public long MaxUploadBytes { get; init; } = 20 << 20;
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
    }

    private static readonly Regex IdPattern = new("^[0-9a-f]{32}$", RegexOptions.Compiled);

    public static WebApplication Build(DashboardOptions o, IDashboardRunner runner)
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
                    int rc = await runner.SimulateAsync(program, tools, material, Path.Combine(dir, "out"), CancellationToken.None);
                    if (rc == 0) sim.Status = "done"; else { sim.Error = $"simulate exited with {rc}"; sim.Status = "failed"; }
                }
                catch (Exception ex) { sim.Error = ex.Message; sim.Status = "failed"; }
            });
            return Results.Json(new { id });
        });

        app.MapGet("/api/simulations/{id}", (string id) =>
        {
            if (!IdPattern.IsMatch(id) || !sims.TryGetValue(id, out var s)) return Results.NotFound();
            using var summary = s.Status == "done" ? ReadSummary(s) : null;
            return Results.Json(new { id, program = s.Program, status = s.Status, error = s.Error, summary = summary?.RootElement.Clone() });
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
            string tl = Path.Combine(s.Dir, "out", "timeline.csv");
            return File.Exists(tl) ? Results.Json(PathFromTimeline(tl)) : Results.NotFound();
        });

        app.MapPost("/api/replays", async (HttpRequest req, CancellationToken ct) =>
        {
            if (!req.HasFormContentType) return Results.BadRequest("multipart form with 'program' and 'telemetry' files expected");
            var form = await req.ReadFormAsync(ct);
            var p = form.Files.GetFile("program"); var t = form.Files.GetFile("telemetry");
            if (p == null || t == null) return Results.BadRequest("upload both the program and the telemetry log");
            string format = form["format"].ToString() == "umich" ? "umich" : "generic";
            // Extra options: only --name value pairs of known-safe options, never paths.
            var extra = new List<string>();
            var allowed = new HashSet<string> { "--material", "--tool", "--stock", "--resolution", "--overload-margin", "--hold", "--position-tolerance", "--spindle-power-w", "--home-z", "--work-offset" };
            var words = form["options"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i + 1 < words.Length; i += 2)
            {
                if (!allowed.Contains(words[i]) || !Regex.IsMatch(words[i + 1], "^[A-Za-z0-9_.,:-]{1,80}$")) return Results.BadRequest($"option '{words[i]}' is not allowed here");
                extra.Add(words[i]); extra.Add(words[i + 1]);
            }
            string id = Guid.NewGuid().ToString("N");
            string dir = Path.Combine(o.Workspace, "replay-" + id);
            Directory.CreateDirectory(dir);
            string prog = Path.Combine(dir, "program.ngc"), tel = Path.Combine(dir, "telemetry.csv");
            await using (var fs = File.Create(prog)) await p.CopyToAsync(fs, ct);
            await using (var fs = File.Create(tel)) await t.CopyToAsync(fs, ct);
            live.Publish("status", new { status = "running" });
            _ = Task.Run(async () =>
            {
                double t0 = double.NaN;
                try
                {
                    int rc = await runner.ReplayAsync(prog, tel, format, extra.ToArray(), Path.Combine(dir, "out"),
                        a =>
                        {
                            double ts = a.Sample.Time.ToUnixTimeMilliseconds() / 1000.0;
                            if (double.IsNaN(t0)) t0 = ts;
                            live.Publish("sample", new { t = Math.Round(ts - t0, 3), line = a.Line, measured = Finite(a.MeasuredLoadPct), predicted = Finite(a.PredictedLoadPct), wear = Finite(a.WearUm), alarm = a.Alarm });
                        },
                        al => live.Publish("alarm", new { line = al.Line, kind = al.Kind, message = al.Message }),
                        CancellationToken.None);
                    live.Publish("status", new { status = rc == 0 ? "finished" : $"failed ({rc})" });
                }
                catch (Exception ex) { live.Publish("status", new { status = "failed: " + ex.Message }); }
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

    /// <summary>The toolpath for the viewer from timeline.csv: positions (≤ 50 000 points), load share, rapid flag, time.</summary>
    private static object PathFromTimeline(string path)
    {
        var lines = File.ReadLines(path).ToList();
        var h = lines[0].Split(',');
        int ct = Array.IndexOf(h, "t_s"), cx = Array.IndexOf(h, "x"), cy = Array.IndexOf(h, "y"), cz = Array.IndexOf(h, "z"), cm = Array.IndexOf(h, "motion"), cl = Array.IndexOf(h, "spindle_load_pct");
        int n = lines.Count - 1, stride = Math.Max(1, n / 50_000);
        var xyz = new List<float>(); var load = new List<float>(); var rapid = new List<byte>(); var time = new List<float>();
        double max = 1;
        var rows = new List<string[]>();
        for (int i = 1; i < lines.Count; i += stride) rows.Add(lines[i].Split(','));
        foreach (var r in rows) if (cl >= 0 && double.TryParse(r[cl], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) max = Math.Max(max, v);
        foreach (var r in rows)
        {
            static float F(string s) => float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? f : 0;
            xyz.Add(F(r[cx])); xyz.Add(F(r[cy])); xyz.Add(F(r[cz]));
            load.Add(cl >= 0 ? (float)(F(r[cl]) / max) : 0);
            rapid.Add(r[cm] == "rapid" ? (byte)1 : (byte)0);
            time.Add(F(r[ct]));
        }
        return new { xyz, load, rapid, time };
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
