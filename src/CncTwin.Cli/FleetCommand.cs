using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using CncTwin.Fleet;
using CncTwin.Twin;
using CncTwin.Web;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CncTwin.Cli;

/// <summary>
/// <c>cnctwin fleet serve --machines FLEET.json [--db ...] [--port P] [--bind ADDR --token T]
/// [--cluster localhost | --cluster postgres:CONNSTR --silo-port N --gateway-port M]</c>: every machine of a shop live at once.
/// </summary>
internal static class FleetCommand
{
    public static Command Build()
    {
        var machines = new Option<string?>("--machines") { Description = "FLEET.json: the machines to follow (registered in the store at start; more can be added through POST /api/machines)" };
        var db = new Option<string>("--db") { Description = "history and fleet store: sqlite:FILE or postgres:CONNECTION-STRING (several silos must share one PostgreSQL)", DefaultValueFactory = _ => "sqlite:cnctwin-fleet.db" };
        var port = new Option<int>("--port") { Description = "dashboard and API port (0: any free one, printed at start)", DefaultValueFactory = _ => 5090 };
        var bind = new Option<string>("--bind") { Description = "address to listen on; anything but loopback needs a token", DefaultValueFactory = _ => "127.0.0.1" };
        var token = new Option<string?>("--token") { Description = "token every request must carry (Authorization: Bearer, ?token= or the cookie it sets); default $CNCTWIN_TOKEN" };
        var cluster = new Option<string>("--cluster") { Description = "localhost (one silo) or postgres:CONNECTION-STRING (Orleans ADO.NET clustering: several silos on several computers)", DefaultValueFactory = _ => "localhost" };
        var siloPort = new Option<int>("--silo-port") { Description = "Orleans silo-to-silo port", DefaultValueFactory = _ => 11111 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Orleans client gateway port", DefaultValueFactory = _ => 30000 };
        var advertise = new Option<string?>("--advertise") { Description = "with --cluster postgres: the address other silos reach this one at (default: --bind when it is not 0.0.0.0, else 127.0.0.1)" };
        var workspace = new Option<string>("--workspace") { Description = "folder for the dashboard's uploads", DefaultValueFactory = _ => "cnctwin-dashboard" };
        var siloName = new Option<string?>("--silo-name") { Description = "this silo's name on the fleet page (default HOST:PID)" };
        var rawDays = new Option<double>("--keep-raw-days") { Description = "retention: every sample of a part is kept this many days after it ended, then thinned (0: never thinned)", DefaultValueFactory = _ => RetentionPolicy.Default.RawDays };
        var thin = new Option<int>("--thin-every") { Description = "retention: thinning keeps every Nth sample (and every sample with an alarm)", DefaultValueFactory = _ => RetentionPolicy.Default.ThinKeepEvery };
        var sampleDays = new Option<double>("--keep-samples-days") { Description = "retention: a part's samples are deleted this many days after it ended (0: kept); parts, alarms and gaps are kept", DefaultValueFactory = _ => RetentionPolicy.Default.SampleDays };
        var serve = new Command("serve", "Start an Orleans silo with one twin per machine, the fleet page (/fleet) and the fleet API.")
            { machines, db, port, bind, token, cluster, siloPort, gatewayPort, advertise, workspace, siloName, rawDays, thin, sampleDays };
        serve.SetAction(async (pr, ct) =>
        {
            string clusterText = pr.GetValue(cluster)!;
            string? pgCluster = null;
            if (clusterText.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase)) pgCluster = clusterText["postgres:".Length..];
            else if (clusterText != "localhost") { Console.Error.WriteLine($"--cluster {clusterText}: error: expected localhost or postgres:CONNECTION-STRING"); return CliApp.ExitUsage; }
            foreach (var (name, value) in new[] { ("--silo-port", pr.GetValue(siloPort)), ("--gateway-port", pr.GetValue(gatewayPort)) })
                if (value is < 1 or > 65535) { Console.Error.WriteLine($"{name} {value}: error: a TCP port, 1 to 65535"); return CliApp.ExitUsage; }
            string dbSpec = pr.GetValue(db)!;
            if (!TwinHistoryStore.IsSpec(dbSpec)) { Console.Error.WriteLine($"--db {dbSpec}: error: expected sqlite:FILE or postgres:CONNECTION-STRING"); return CliApp.ExitUsage; }
            IPAddress? advertised = null;
            string bindText = pr.GetValue(bind)!;
            string? adv = pr.GetValue(advertise) ?? (pgCluster != null && IPAddress.TryParse(bindText, out var b) && !b.Equals(IPAddress.Any) ? bindText : null);
            if (adv != null && !IPAddress.TryParse(adv, out advertised)) { Console.Error.WriteLine($"--advertise {adv}: error: not an IP address"); return CliApp.ExitUsage; }
            var options = new FleetServerOptions
            {
                MachinesFile = pr.GetValue(machines), HistoryDb = dbSpec, Port = pr.GetValue(port), Bind = bindText,
                Token = pr.GetValue(token) ?? Environment.GetEnvironmentVariable("CNCTWIN_TOKEN"), Workspace = Path.GetFullPath(pr.GetValue(workspace)!),
                Cluster = new FleetClusterOptions { PostgresClustering = pgCluster, SiloPort = pr.GetValue(siloPort), GatewayPort = pr.GetValue(gatewayPort), AdvertisedAddress = advertised },
                SiloName = pr.GetValue(siloName) ?? Environment.MachineName + ":" + Environment.ProcessId,
                Retention = new RetentionPolicy(pr.GetValue(rawDays), pr.GetValue(thin), pr.GetValue(sampleDays)),
            };
            if (options.Retention is { RawDays: < 0 } or { SampleDays: < 0 } or { ThinKeepEvery: < 1 } || !double.IsFinite(options.Retention.RawDays) || !double.IsFinite(options.Retention.SampleDays))
            {
                Console.Error.WriteLine("fleet serve: error: --keep-raw-days and --keep-samples-days are days >= 0, --thin-every a whole number >= 1");
                return CliApp.ExitUsage;
            }
            Microsoft.AspNetCore.Builder.WebApplication app;
            try { app = FleetServer.Build(options); }
            catch (FleetConfigException ex) { Console.Error.WriteLine(ex.Message); return CliApp.ExitUsage; }
            catch (ArgumentException ex) { Console.Error.WriteLine($"fleet serve: error: {ex.Message}"); return CliApp.ExitUsage; }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Data.Common.DbException)
            {
                Console.Error.WriteLine($"fleet serve: error: store {TwinHistoryStore.Describe(dbSpec)}: {ServeCommand.OneLine(ex.Message)}");
                return CliApp.ExitProgramError;
            }
            await using (app)
            {
                try { await app.StartAsync(ct); }
                catch (OperationCanceledException) { return CliApp.ExitOk; }
                catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException or System.Data.Common.DbException or Orleans.Runtime.OrleansException)
                {
                    Console.Error.WriteLine($"fleet serve: error: cannot start: {ServeCommand.OneLine(ServeCommand.Reason(ex))}");
                    return CliApp.ExitProgramError;
                }
                string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? $"http://{options.Bind}:{options.Port}";
                int count = CncTwin.Fleet.FleetRegistry.All(app.Services.GetRequiredService<FleetServices>().History).Count;
                Console.WriteLine($"CncTwin fleet: {count} machines, silo {options.SiloName} ({(pgCluster != null ? "PostgreSQL clustering" : "localhost clustering")}), store {TwinHistoryStore.Describe(dbSpec)}");
                Console.WriteLine($"fleet page on {url.TrimEnd('/')}/fleet{(options.Token != null ? "?token=…" : "")} (Ctrl-C stops)");
                try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
                await app.StopAsync(CancellationToken.None);
                return CliApp.ExitOk;
            }
        });
        var cmd = new Command("fleet", "The fleet twin: every machine of a shop live at once (Orleans, one grain per machine).") { serve, Simulate() };
        return cmd;
    }

    /// <summary>
    /// <c>cnctwin fleet simulate</c>: machines to try the fleet with: SHDR adapters and MTConnect agents on loopback
    /// playing a program's LinuxCNC trace with a designed spindle signal, part after part, and their FLEET.json.
    /// </summary>
    private static Command Simulate()
    {
        var count = new Option<int>("--machines") { Description = "how many machines (every other one an MTConnect agent, the rest SHDR adapters)", DefaultValueFactory = _ => 6 };
        var outDir = new Option<string>("--out") { Description = "folder for FLEET.json", DefaultValueFactory = _ => "fleet-demo" };
        var program = new Option<string>("--program") { Description = "the program the machines run", DefaultValueFactory = _ => "gcode-samples/fleet/monitor-set.ngc" };
        var trace = new Option<string>("--trace") { Description = "its motion trace (t_s,x,y,z,vel,line CSV, e.g. LinuxCNC's planner)", DefaultValueFactory = _ => "gcode-samples/fleet/monitor-set.trace.csv" };
        var machine = new Option<string>("--machine") { Description = "machine file", DefaultValueFactory = _ => "gcode-samples/fleet/vmc.ini" };
        var tools = new Option<string>("--tools") { Description = "tool library", DefaultValueFactory = _ => "gcode-samples/tools.json" };
        var overloadEvery = new Option<int>("--overload-every") { Description = "every Nth machine cuts its first slot 150 % harder than predicted (an alarm to see; 0: none)", DefaultValueFactory = _ => 3 };
        var parts = new Option<int>("--parts") { Description = "parts each machine runs (0: until stopped)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("simulate", "Start simulated machines (SHDR and MTConnect on 127.0.0.1) and write their FLEET.json, to try `fleet serve` with.")
            { count, outDir, program, trace, machine, tools, overloadEvery, parts };
        cmd.SetAction(async (pr, ct) =>
        {
            int n = pr.GetValue(count);
            if (n is < 1 or > 1000) { Console.Error.WriteLine($"--machines {n}: error: 1 to 1000"); return CliApp.ExitUsage; }
            foreach (var (flag, path) in new[] { ("--program", pr.GetValue(program)!), ("--trace", pr.GetValue(trace)!), ("--machine", pr.GetValue(machine)!), ("--tools", pr.GetValue(tools)!) })
                if (!File.Exists(path)) { Console.Error.WriteLine($"{flag} {path}: error: file not found (run from the repository's folder, or give the path)"); return CliApp.ExitUsage; }
            var template = new FleetMachine
            {
                Id = "x", Source = "shdr://127.0.0.1:1", Program = Path.GetFullPath(pr.GetValue(program)!), Machine = Path.GetFullPath(pr.GetValue(machine)!), Tools = Path.GetFullPath(pr.GetValue(tools)!),
                Tool = 4, Material = "steel1045", Stock = "box:0,0,-10,100,80,0", SpindlePowerW = 10_000,
            };
            Console.Error.WriteLine($"simulating {template.Program} ...");
            var (prediction, error) = new PredictionCache().Get(template, template.Program!, ct);
            if (prediction == null) { Console.Error.WriteLine(error); return CliApp.ExitProgramError; }
            (double[] T, CncTwin.Core.Vec3[] Pos, int[] Line, double[] VelMmS) tr;
            try { tr = DesignedStream.ReadTrace(pr.GetValue(trace)!); }
            catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or IOException) { Console.Error.WriteLine($"--trace {pr.GetValue(trace)}: error: {ex.Message}"); return CliApp.ExitUsage; }
            int firstCut = prediction.Moves.FirstOrDefault(m => !m.Rapid)?.Line ?? 0;
            var machines = new List<SimulatedMachine>();
            var entries = new List<FleetMachine>();
            int every = pr.GetValue(overloadEvery);
            try
            {
                for (int i = 0; i < n; i++)
                {
                    bool overload = every > 0 && i % every == every - 1;
                    var samples = DesignedStream.FromTrace(prediction, tr, new StreamDesign { Seed = i + 1, IdlePct = 4 + i % 5, OverloadLine = overload ? firstCut : null, Overload = 1.5, EndLine = prediction.LineCount },
                        DateTimeOffset.UnixEpoch, "O1001");
                    bool mt = i % 2 == 1;
                    SimulatedMachine m = mt ? new MtConnectReplayAgent(samples) { Parts = pr.GetValue(parts) } : new ShdrReplayAdapter(samples) { Parts = pr.GetValue(parts) };
                    int port = m is MtConnectReplayAgent a ? a.Port : ((ShdrReplayAdapter)m).Port;
                    machines.Add(m);
                    entries.Add(template with
                    {
                        Id = $"vmc-{i + 1:00}", Name = $"VMC {i + 1}" + (overload ? " (cuts slot 1 too hard)" : ""), Program = null, Programs = new() { ["O1001"] = template.Program! },
                        Source = mt ? $"mtconnect://127.0.0.1:{port}" : $"shdr://127.0.0.1:{port}",
                    });
                }
                string dir = pr.GetValue(outDir)!;
                Directory.CreateDirectory(dir);
                string file = Path.Combine(dir, "FLEET.json");
                File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(new { machines = entries }, new System.Text.Json.JsonSerializerOptions(FleetRegistry.Json) { WriteIndented = true }));
                // The machines wait for the fleet to connect to every one of them (at most 2 minutes), then run part after part.
                Console.WriteLine($"{n} simulated machines on 127.0.0.1 ({(n + 1) / 2} SHDR, {n / 2} MTConnect), 100 Hz; fleet file {file}");
                Console.WriteLine($"next: cnctwin fleet serve --machines {file}   (the machines start once it has connected; Ctrl-C stops them)");
                var waited = System.Diagnostics.Stopwatch.StartNew();
                try
                {
                    while (!machines.All(m => m.Connected) && waited.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(200, ct);
                    await Task.Delay(TimeSpan.FromSeconds(2), ct);
                }
                catch (OperationCanceledException) { return CliApp.ExitOk; }
                var start = DateTimeOffset.UtcNow;
                Console.WriteLine(machines.All(m => m.Connected) ? "connected: machines running" : "not every machine was connected after 2 minutes: running anyway");
                foreach (var m in machines) m.Play(start);
                try { await Task.WhenAny(Task.WhenAll(machines.Select(m => m.Finished)), Task.Delay(Timeout.Infinite, ct)); } catch (OperationCanceledException) { }
                return CliApp.ExitOk;
            }
            finally { foreach (var m in machines) await m.DisposeAsync(); }
        });
        return cmd;
    }
}
