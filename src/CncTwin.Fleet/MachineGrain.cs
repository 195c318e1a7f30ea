using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Placement;

namespace CncTwin.Fleet;

/// <summary>One machine's twin as an Orleans grain, keyed by the machine id.</summary>
public interface IMachineGrain : IGrainWithStringKey
{
    /// <summary>Activates the twin where Orleans places it (if it is not running) and keeps it alive; false when the machine is not registered.</summary>
    Task<bool> Ping();
    Task<MachineStatus> GetStatus();
    /// <summary>The machine's entry changed: follow it with the new one.</summary>
    Task Restart();
    /// <summary>The machine was removed: stop following it.</summary>
    Task Stop();
}

/// <summary>
/// Hosts a <see cref="MachineTwin"/>: reads the machine's entry from the fleet's store, runs the twin beside the
/// grain's scheduler (its reading and monitoring are long-running; the grain only starts, stops and reports it),
/// and closes it when the grain is deactivated. If its silo dies, the next <see cref="FleetKeeper"/> ping activates
/// it on a silo still alive, and the twin resumes from the history's resume point.
/// </summary>
/// <remarks>Placed at random among the silos: the twins of a fleet spread over the computers whichever silo a machine was added on (Orleans' default prefers the silo that asked).</remarks>
[RandomPlacement]
public sealed class MachineGrain(FleetServices services, ILogger<MachineGrain> log) : Grain, IMachineGrain
{
    private MachineTwin? _twin;

    public override async Task OnActivateAsync(CancellationToken cancellationToken) => await Start().ConfigureAwait(true);

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => await Release(force: false).ConfigureAwait(true);

    private async Task<bool> Start()
    {
        if (_twin != null) return true;
        string id = this.GetPrimaryKeyString();
        var entry = FleetRegistry.Find(services.History, id);
        if (entry == null) return false;
        _twin = await services.AttachAsync(entry).ConfigureAwait(true);
        log.LogInformation("machine {Id}: twin on {Silo} ({Source})", id, services.SiloName, entry.Source);
        return true;
    }

    private async Task Release(bool force)
    {
        if (_twin == null && !force) return;
        _twin = null;
        await services.DetachAsync(this.GetPrimaryKeyString(), force).ConfigureAwait(true);
    }

    public async Task<bool> Ping()
    {
        bool running = await Start().ConfigureAwait(true);
        if (!running) DeactivateOnIdle();
        return running;
    }

    public async Task<MachineStatus> GetStatus()
    {
        await Start().ConfigureAwait(true);
        return _twin?.Status() ?? new MachineStatus { Id = this.GetPrimaryKeyString(), State = "not registered", Silo = services.SiloName };
    }

    public async Task Restart()
    {
        await Release(force: true).ConfigureAwait(true);
        await Start().ConfigureAwait(true);
    }

    public async Task Stop()
    {
        await Release(force: true).ConfigureAwait(true);
        DeactivateOnIdle();
    }
}

/// <summary>The fleet's machines as the store keeps them (the <c>machines</c> table: one FLEET.json entry per row, as JSON).</summary>
public static class FleetRegistry
{
    public static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public static FleetMachine? Find(CncTwin.Twin.HistoryWriter store, string id) =>
        store.Machines().FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase)) is { Config: { } json } ? JsonSerializer.Deserialize<FleetMachine>(json, Json) : null;

    public static IReadOnlyList<FleetMachine> All(CncTwin.Twin.HistoryWriter store) =>
        store.Machines().Select(m => JsonSerializer.Deserialize<FleetMachine>(m.Config, Json)!).ToList();

    public static void Save(CncTwin.Twin.HistoryWriter store, FleetMachine m) => store.SaveMachine(m.Id, JsonSerializer.Serialize(m, Json));
}

/// <summary>
/// Runs on every silo: once a second, pings every registered machine's grain. That is what brings a twin back
/// within seconds when the silo it ran on dies (Orleans activates it again on a live silo at the next call), and
/// what starts the twins of machines added through the API on any silo.
/// </summary>
public sealed class FleetKeeper(IGrainFactory grains, FleetServices services, ILogger<FleetKeeper> log) : BackgroundService
{
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<(string Id, string Config)> machines = [];
            try { machines = services.History.Machines(); }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException) { log.LogWarning("fleet store: {Message}", ex.Message); }
            await Task.WhenAll(machines.Select(async m =>
            {
                try { await grains.GetGrain<IMachineGrain>(m.Id).Ping().WaitAsync(TimeSpan.FromSeconds(3), stoppingToken).ConfigureAwait(false); }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // A silo that just died answers nothing until the cluster has declared it dead; the next round tries again.
                    log.LogDebug("machine {Id}: {Message}", m.Id, ex.Message);
                }
            })).ConfigureAwait(false);
            try { await Task.Delay(Interval, stoppingToken).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
        }
    }
}

/// <summary>How the fleet's silos find each other.</summary>
public sealed record FleetClusterOptions
{
    /// <summary>null: one silo, localhost clustering; else the PostgreSQL connection string of the ADO.NET clustering.</summary>
    public string? PostgresClustering { get; init; }
    public int SiloPort { get; init; } = 11111;
    public int GatewayPort { get; init; } = 30000;
    /// <summary>The address other silos reach this one at (the first non-loopback IPv4 address when null and clustering on PostgreSQL).</summary>
    public IPAddress? AdvertisedAddress { get; init; }
    public string ClusterId { get; init; } = "cnctwin-fleet";
    public string ServiceId { get; init; } = "cnctwin";
}

public static class FleetSilo
{
    /// <summary>Orleans for the fleet: clustering, endpoints, and failure detection tuned to bring twins back within seconds.</summary>
    public static ISiloBuilder UseFleetCluster(this ISiloBuilder silo, FleetClusterOptions o)
    {
        if (o.PostgresClustering is { } pg)
        {
            OrleansPostgres.Ensure(pg);
            silo.UseAdoNetClustering(a => { a.Invariant = "Npgsql"; a.ConnectionString = pg; });
            silo.Configure<ClusterOptions>(c => { c.ClusterId = o.ClusterId; c.ServiceId = o.ServiceId; });
            silo.ConfigureEndpoints(o.AdvertisedAddress ?? IPAddress.Loopback, o.SiloPort, o.GatewayPort, listenOnAnyHostAddress: !Equals(o.AdvertisedAddress ?? IPAddress.Loopback, IPAddress.Loopback));
        }
        else silo.UseLocalhostClustering(o.SiloPort, o.GatewayPort);
        // A silo that stops answering is declared dead after ~2-3 s (two missed 1 s probes, one vote is enough with two
        // silos) instead of Orleans' default of tens of seconds: its machines' twins come back elsewhere quickly.
        silo.Configure<ClusterMembershipOptions>(m =>
        {
            m.ProbeTimeout = TimeSpan.FromSeconds(1);
            m.NumMissedProbesLimit = 2;
            m.NumVotesForDeathDeclaration = 1;
            m.TableRefreshTimeout = TimeSpan.FromSeconds(2);
            m.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        });
        silo.Configure<SiloMessagingOptions>(m => m.ResponseTimeout = TimeSpan.FromSeconds(5));
        silo.Services.AddHostedService<FleetKeeper>();
        return silo;
    }
}
