using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using CncTwin.Fleet;
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
        var serve = new Command("serve", "Start an Orleans silo with one twin per machine, the fleet page (/fleet) and the fleet API.")
            { machines, db, port, bind, token, cluster, siloPort, gatewayPort, advertise, workspace, siloName };
        serve.SetAction(async (pr, ct) =>
        {
            string clusterText = pr.GetValue(cluster)!;
            string? pgCluster = null;
            if (clusterText.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase)) pgCluster = clusterText["postgres:".Length..];
            else if (clusterText != "localhost") { Console.Error.WriteLine($"--cluster {clusterText}: error: expected localhost or postgres:CONNECTION-STRING"); return CliApp.ExitUsage; }
            foreach (var (name, value) in new[] { ("--silo-port", pr.GetValue(siloPort)), ("--gateway-port", pr.GetValue(gatewayPort)) })
                if (value is < 1 or > 65535) { Console.Error.WriteLine($"{name} {value}: error: a TCP port, 1 to 65535"); return CliApp.ExitUsage; }
            string dbSpec = pr.GetValue(db)!;
            if (!CncTwin.Twin.TwinHistoryStore.IsSpec(dbSpec)) { Console.Error.WriteLine($"--db {dbSpec}: error: expected sqlite:FILE or postgres:CONNECTION-STRING"); return CliApp.ExitUsage; }
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
            };
            Microsoft.AspNetCore.Builder.WebApplication app;
            try { app = FleetServer.Build(options); }
            catch (FleetConfigException ex) { Console.Error.WriteLine(ex.Message); return CliApp.ExitUsage; }
            catch (ArgumentException ex) { Console.Error.WriteLine($"fleet serve: error: {ex.Message}"); return CliApp.ExitUsage; }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Data.Common.DbException)
            {
                Console.Error.WriteLine($"fleet serve: error: store {CncTwin.Twin.TwinHistoryStore.Describe(dbSpec)}: {ServeCommand.OneLine(ex.Message)}");
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
                Console.WriteLine($"CncTwin fleet: {count} machines, silo {options.SiloName} ({(pgCluster != null ? "PostgreSQL clustering" : "localhost clustering")}), store {CncTwin.Twin.TwinHistoryStore.Describe(dbSpec)}");
                Console.WriteLine($"fleet page on {url.TrimEnd('/')}/fleet{(options.Token != null ? "?token=…" : "")} (Ctrl-C stops)");
                try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
                await app.StopAsync(CancellationToken.None);
                return CliApp.ExitOk;
            }
        });
        var cmd = new Command("fleet", "The fleet twin: every machine of a shop live at once (Orleans, one grain per machine).") { serve };
        return cmd;
    }
}
