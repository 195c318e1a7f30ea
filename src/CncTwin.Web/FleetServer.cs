using System.Globalization;
using Microsoft.Extensions.Logging;
using System.Net;
using System.Text.Json;
using CncTwin.Fleet;
using CncTwin.Twin;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;

namespace CncTwin.Web;

public sealed record FleetServerOptions
{
    /// <summary>FLEET.json: its machines are registered (added or updated) when the silo starts; null: only those already in the store.</summary>
    public string? MachinesFile { get; init; }
    /// <summary>The history and fleet store: sqlite:FILE (default) or postgres:CONNECTION-STRING.</summary>
    public required string HistoryDb { get; init; }
    public int Port { get; init; } = 5090;
    public string Bind { get; init; } = "127.0.0.1";
    public string? Token { get; init; }
    public FleetClusterOptions Cluster { get; init; } = new();
    /// <summary>Folder for the dashboard's own uploads (its simulate and replay pages).</summary>
    public required string Workspace { get; init; }
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>How often the fleet page's event stream sends the fleet's state.</summary>
    public TimeSpan EventInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>Samples kept (thinned, then deleted) per <see cref="RetentionPolicy"/>; applied at start and every hour.</summary>
    public RetentionPolicy Retention { get; init; } = RetentionPolicy.Default;
    public string SiloName { get; init; } = Environment.MachineName + ":" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// <c>cnctwin fleet serve</c>: an Orleans silo hosting one grain per machine twin, and the dashboard with the
/// fleet page and the fleet's HTTP API (<c>/api/fleet</c>, <c>/api/machines</c>...), behind the dashboard's token.
/// </summary>
public static class FleetServer
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public static WebApplication Build(FleetServerOptions o)
    {
        // The fleet file is read and checked whole before anything starts.
        var fleet = o.MachinesFile != null ? FleetConfig.Load(o.MachinesFile) : new FleetConfig();
        string baseFolder = o.MachinesFile != null ? Path.GetDirectoryName(Path.GetFullPath(o.MachinesFile))! : Directory.GetCurrentDirectory();
        var writer = new HistoryWriter(o.HistoryDb, o.FlushInterval);
        foreach (var m in fleet.Machines) FleetRegistry.Save(writer, m);
        var services = new FleetServices(writer, o.SiloName);
        var dashboard = new DashboardOptions
        {
            Port = o.Port, Bind = o.Bind, Token = o.Token, Workspace = o.Workspace, Command = "fleet serve",
            HistoryDb = TwinHistoryStore.IsPostgres(o.HistoryDb) ? Path.Combine(o.Workspace, "cnctwin-history.db") : TwinHistoryStore.SqlitePath(o.HistoryDb),
        };
        var app = Dashboard.Build(dashboard,
            builder =>
            {
                builder.Services.AddSingleton(services);
                // Orleans' start-up notes (server GC on a 2-core box...) are not the operator's business; its errors are.
                builder.Logging.AddFilter("Orleans", Microsoft.Extensions.Logging.LogLevel.Error);
                builder.UseOrleans(silo => silo.UseFleetCluster(o.Cluster));
            },
            app => Map(app, services, baseFolder, o));
        // Retention: at start and every hour (each silo may run it; the statements are idempotent).
        var retention = new Timer(_ =>
        {
            try { writer.ApplyRetention(o.Retention, DateTimeOffset.UtcNow); }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException) { }
        }, null, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1));
        // Ctrl-C: the twins close their parts before the history closes.
        app.Lifetime.ApplicationStopping.Register(() => services.StopAllAsync().Wait(TimeSpan.FromSeconds(20)));
        app.Lifetime.ApplicationStopped.Register(() => { retention.Dispose(); writer.Dispose(); });
        return app;
    }

    private static object? Num(double v, int digits = 3) => double.IsFinite(v) ? Math.Round(v, digits) : null;

    /// <summary>A machine as <c>GET /api/fleet</c> lists it (the issue's fields first, then what the page also shows).</summary>
    public static object Row(MachineStatus s, bool trends = false) => new Dictionary<string, object?>
    {
        ["id"] = s.Id, ["state"] = s.State, ["program"] = s.Program, ["line"] = s.Line, ["load_pct"] = Num(s.LoadPct, 2), ["predicted_load_pct"] = Num(s.PredictedLoadPct, 2),
        ["alarms_open"] = s.AlarmsOpen, ["wear_um"] = Num(s.WearUm, 2), ["remaining_life_min"] = Num(s.RemainingLifeMin, 2), ["energy_kwh_today"] = Num(s.EnergyKwhToday, 5),
        ["samples"] = s.Samples, ["gaps"] = s.Gaps,
        ["name"] = s.Name, ["streamed_program"] = s.StreamedProgram, ["parts"] = s.Parts, ["silo"] = s.Silo, ["run"] = s.Run, ["source"] = s.Source,
        ["last_sample"] = s.LastSample?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture), ["message"] = s.Message,
        ["alarms"] = s.Alarms.Select(a => new { line = a.Line, kind = a.Kind, start = a.Start.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture), message = a.Message, run = a.Run }),
        ["load_trend"] = trends ? s.LoadTrend.Select(v => float.IsFinite(v) ? Math.Round(v, 2) : (double?)null) : null,
        ["predicted_trend"] = trends ? s.PredictedTrend.Select(v => float.IsFinite(v) ? Math.Round(v, 2) : (double?)null) : null,
    };

    private static async Task<MachineStatus[]> Statuses(IGrainFactory grains, HistoryWriter writer)
    {
        var ids = writer.Machines().Select(m => m.Id).ToList();
        return await Task.WhenAll(ids.Select(async id =>
        {
            try { return await grains.GetGrain<IMachineGrain>(id).GetStatus().WaitAsync(TimeSpan.FromSeconds(3)); }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException or InvalidOperationException)
            {
                // Its silo just died: the keeper brings it back elsewhere within seconds.
                return new MachineStatus { Id = id, State = "moving", Message = ex.Message };
            }
        }));
    }

    private static void Map(WebApplication app, FleetServices services, string baseFolder, FleetServerOptions o)
    {
        var writer = services.History;
        IGrainFactory Grains() => app.Services.GetRequiredService<IGrainFactory>();

        app.MapGet("/fleet", () => Results.Content(Dashboard.Resource("fleet.html"), "text/html; charset=utf-8"));
        app.MapGet("/api/fleet", async () => Results.Json(new { machines = (await Statuses(Grains(), writer)).Select(s => Row(s)) }, Json));

        // The fleet page's stream: the whole fleet (with trends) every EventInterval, and each new alarm as it appears.
        app.MapGet("/api/fleet/events", async (HttpContext ctx) =>
        {
            using var stop = StartEvents(ctx, app);
            var seen = new HashSet<string>();
            try
            {
                await ctx.Response.WriteAsync(": connected\n\n", stop.Token);
                while (!stop.IsCancellationRequested)
                {
                    var all = await Statuses(Grains(), writer);
                    await ctx.Response.WriteAsync($"event: fleet\ndata: {JsonSerializer.Serialize(new { machines = all.Select(s => Row(s, trends: true)) }, Json)}\n\n", stop.Token);
                    foreach (var s in all)
                        foreach (var a in s.Alarms)
                            if (seen.Add($"{s.Id}|{a.Run}|{a.Line}|{a.Kind}"))
                                await ctx.Response.WriteAsync($"event: alarm\ndata: {JsonSerializer.Serialize(new { machine = s.Id, line = a.Line, kind = a.Kind, message = a.Message, run = a.Run })}\n\n", stop.Token);
                    await ctx.Response.Body.FlushAsync(stop.Token);
                    await Task.Delay(o.EventInterval, stop.Token);
                }
            }
            catch (OperationCanceledException) { }
        });

        // One machine in the dashboard's live view: its samples (as the twin sees them, every EventInterval) and alarms.
        app.MapGet("/api/machines/{id}/live", async (string id, HttpContext ctx) =>
        {
            if (FleetRegistry.Find(writer, id) == null) { ctx.Response.StatusCode = 404; return; }
            using var stop = StartEvents(ctx, app);
            var seen = new HashSet<string>();
            DateTimeOffset? t0 = null, last = null;
            try
            {
                await ctx.Response.WriteAsync(": connected\n\n", stop.Token);
                while (!stop.IsCancellationRequested)
                {
                    MachineStatus s;
                    try { s = await Grains().GetGrain<IMachineGrain>(id).GetStatus().WaitAsync(TimeSpan.FromSeconds(3), stop.Token); }
                    catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException) { s = new MachineStatus { Id = id, State = "moving" }; }
                    await ctx.Response.WriteAsync($"event: status\ndata: {JsonSerializer.Serialize(new { id, kind = "machine", status = s.State, samples = s.Samples, alarms = s.AlarmsOpen, program = s.Program, silo = s.Silo })}\n\n", stop.Token);
                    if (s.LastSample is { } t && t != last)
                    {
                        last = t; t0 ??= t;
                        await ctx.Response.WriteAsync($"event: sample\ndata: {JsonSerializer.Serialize(new { t = Math.Round((t - t0.Value).TotalSeconds, 3), line = s.Line, measured = Num(s.LoadPct, 2), predicted = Num(s.PredictedLoadPct, 2), wear = Num(s.WearUm, 2) })}\n\n", stop.Token);
                    }
                    foreach (var a in s.Alarms)
                        if (seen.Add($"{a.Run}|{a.Line}|{a.Kind}"))
                            await ctx.Response.WriteAsync($"event: alarm\ndata: {JsonSerializer.Serialize(new { line = a.Line, kind = a.Kind, message = a.Message })}\n\n", stop.Token);
                    await ctx.Response.Body.FlushAsync(stop.Token);
                    await Task.Delay(o.EventInterval, stop.Token);
                }
            }
            catch (OperationCanceledException) { }
        });

        app.MapGet("/api/machines", () => Results.Json(new { machines = FleetRegistry.All(writer) }, Json));
        app.MapGet("/api/machines/{id}", async (string id) =>
            FleetRegistry.Find(writer, id) is { } m ? Results.Json(new { machine = m, status = Row(await Grains().GetGrain<IMachineGrain>(id).GetStatus(), trends: true) }, Json) : NotFound(id));

        async Task<(FleetMachine? Machine, IResult? Error)> ReadMachine(HttpRequest req, string? id)
        {
            FleetMachine? m;
            try { m = await JsonSerializer.DeserializeAsync<FleetMachine>(req.Body, new JsonSerializerOptions { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow }); }
            catch (JsonException ex) { return (null, Results.BadRequest(new { error = $"request body:{(ex.LineNumber ?? 0) + 1}:{(ex.BytePositionInLine ?? 0) + 1}: {CncTwin.Core.IO.JsonErrors.Reason(ex)}" })); }
            if (m == null) return (null, Results.BadRequest(new { error = "request body: a machine entry, as in FLEET.json" }));
            if (id != null) m = m with { Id = string.IsNullOrEmpty(m.Id) ? id : m.Id };
            if (id != null && !string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase)) return (null, Results.BadRequest(new { error = $"the body's id '{m.Id}' is not the URL's '{id}'" }));
            try { return (FleetConfig.Check(m, "request body", baseFolder), null); }
            catch (FleetConfigException ex) { return (null, Results.BadRequest(new { error = ex.Message })); }
        }

        app.MapPost("/api/machines", async (HttpRequest req) =>
        {
            var (m, error) = await ReadMachine(req, null);
            if (m == null) return error!;
            if (FleetRegistry.Find(writer, m.Id) != null) return Results.Conflict(new { error = $"machine '{m.Id}' exists: PUT /api/machines/{m.Id} changes it" });
            FleetRegistry.Save(writer, m);
            await Grains().GetGrain<IMachineGrain>(m.Id).Ping();
            return Results.Json(new { machine = m }, Json, statusCode: 201);
        });
        app.MapPut("/api/machines/{id}", async (string id, HttpRequest req) =>
        {
            var (m, error) = await ReadMachine(req, id);
            if (m == null) return error!;
            bool existed = FleetRegistry.Find(writer, id) != null;
            FleetRegistry.Save(writer, m);
            await Grains().GetGrain<IMachineGrain>(m.Id).Restart();
            return Results.Json(new { machine = m }, Json, statusCode: existed ? 200 : 201);
        });
        app.MapDelete("/api/machines/{id}", async (string id) =>
        {
            if (!writer.DeleteMachine(id)) return NotFound(id);
            await Grains().GetGrain<IMachineGrain>(id).Stop();
            return Results.Json(new { deleted = id });
        });

        // alarms.json's fields, for every part the machine has run (newest first), with the run it belongs to.
        app.MapGet("/api/machines/{id}/alarms", (string id) =>
        {
            if (FleetRegistry.Find(writer, id) == null) return NotFound(id);
            var list = writer.Query(db =>
            {
                var rows = new List<object>();
                using var c = HistoryQueries.Cmd(db, null, "SELECT a.line, a.kind, a.start, a.\"end\", a.start_s, a.end_s, a.message, a.peak, a.run FROM alarms a JOIN runs r ON r.id = a.run WHERE r.machine = $1 ORDER BY a.start DESC LIMIT 10000", id);
                using var r = c.ExecuteReader();
                while (r.Read())
                    rows.Add(new
                    {
                        line = r.GetInt64(0), kind = r.GetString(1), start = IsoZ(r.GetString(2)), end = IsoZ(r.GetString(3)),
                        start_s = r.IsDBNull(4) ? (double?)null : Math.Round(r.GetDouble(4), 4), end_s = r.IsDBNull(5) ? (double?)null : Math.Round(r.GetDouble(5), 4),
                        message = r.GetString(6), peak = r.IsDBNull(7) ? (double?)null : Math.Round(r.GetDouble(7), 4), run = r.GetInt64(8),
                    });
                return rows;
            });
            return Results.Json(list);
        });

        // The machine's stored samples between two times (ISO 8601, UTC), oldest first, at most `limit` (default 10 000, up to 100 000).
        app.MapGet("/api/machines/{id}/samples", (string id, string? from, string? to, int? limit) =>
        {
            if (FleetRegistry.Find(writer, id) == null) return NotFound(id);
            DateTimeOffset f = DateTimeOffset.MinValue, t = DateTimeOffset.MaxValue;
            if (from != null && !DateTimeOffset.TryParse(from, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out f)) return Results.BadRequest(new { error = $"from={from}: expected an ISO 8601 time, e.g. 2026-12-04T10:00:00Z" });
            if (to != null && !DateTimeOffset.TryParse(to, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out t)) return Results.BadRequest(new { error = $"to={to}: expected an ISO 8601 time" });
            int n = Math.Clamp(limit ?? 10_000, 1, 100_000);
            var cols = HistorySchema.Columns("samples");
            var rows = writer.Query(db =>
            {
                var list = new List<Dictionary<string, object?>>();
                using var c = HistoryQueries.Cmd(db, null, $"SELECT s.* FROM samples s JOIN runs r ON r.id = s.run WHERE r.machine = $1 AND s.time >= $2 AND s.time <= $3 ORDER BY s.time, s.run, s.idx LIMIT $4",
                    id, f == DateTimeOffset.MinValue ? "" : f.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                    t == DateTimeOffset.MaxValue ? "~" : t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture), (long)n);
                using var r = c.ExecuteReader();
                while (r.Read())
                {
                    var d = new Dictionary<string, object?>();
                    for (int i = 0; i < r.FieldCount; i++) d[r.GetName(i)] = r.IsDBNull(i) ? null : r.GetValue(i);
                    list.Add(d);
                }
                return list;
            });
            return Results.Json(new { machine = id, count = rows.Count, limit = n, samples = rows });
        });
    }

    /// <summary>A server-sent event stream's headers, and a token that ends it with the request or the server.</summary>
    private static CancellationTokenSource StartEvents(HttpContext ctx, WebApplication app)
    {
        ctx.Response.Headers.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        return CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, app.Lifetime.ApplicationStopping);
    }

    private static string IsoZ(string stored) =>
        DateTimeOffset.TryParse(stored, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture) : stored;

    private static IResult NotFound(string id) => Results.NotFound(new { error = $"no machine '{id}' in the fleet" });
}
