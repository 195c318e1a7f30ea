using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CncTwin.Fleet;
using CncTwin.Simulation;
using CncTwin.Twin;

namespace CncTwin.Cli.Tests;

/// <summary>
/// Simulated machines for the fleet tests: LinuxCNC's planner ran monitor-set.ngc (four slots, lines 7, 11, 15, 19;
/// tests/oracle-data/linuxcnc-sim/recorded, 100 Hz), and each machine's spindle signal is designed from the twin's
/// own prediction of that program with noise, lag and idle load (<see cref="DesignedStream"/>); some have an
/// overload designed into one slot. Each plays as an SHDR adapter or an MTConnect agent on loopback.
/// </summary>
internal sealed class SimulatedFleet : IAsyncDisposable
{
    public static string Oracle => Path.Combine(TestSupport.Repo(), "tests", "oracle-data", "linuxcnc-sim");
    public string Dir { get; }
    public string FleetFile => Path.Combine(Dir, "FLEET.json");
    public List<(string Id, SimulatedMachine Machine, bool Mtconnect, int? OverloadLine)> Machines { get; } = new();
    public Prediction Prediction { get; }
    public const string StreamedName = "O1001";

    public static FleetMachine Entry(string id, string source) => new()
    {
        Id = id, Name = "VMC " + id, Source = source, Machine = Path.Combine(Oracle, "oracle-machine.ini"),
        Programs = new() { [StreamedName] = Path.Combine(Oracle, "programs", "monitor-set.ngc") },
        Tools = Path.Combine(TestSupport.Repo(), "gcode-samples", "tools.json"), Tool = 4, Material = "steel1045", Stock = "box:0,0,-10,100,80,0", SpindlePowerW = 10_000,
    };

    /// <param name="count">machines; even ones stream SHDR, odd ones MTConnect.</param>
    /// <param name="overload">which machines (by index) get a 150 % overload designed into line 7.</param>
    /// <param name="untilS">the trace's first seconds only (then the program end and 2 s of coasting).</param>
    public SimulatedFleet(int count, Func<int, bool> overload, double untilS = double.PositiveInfinity, double speed = 1)
    {
        Dir = Path.Combine(Path.GetTempPath(), "cnctwin-fleet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
        var (p, error) = new PredictionCache().Get(Entry("x", "shdr://127.0.0.1:1"), Path.Combine(Oracle, "programs", "monitor-set.ngc"));
        Prediction = p ?? throw new InvalidOperationException(error);
        var tr = DesignedStream.ReadTrace(Path.Combine(Oracle, "recorded", "monitor-set.trace.csv"));
        int n = tr.T.TakeWhile(t => t < untilS).Count();
        var cut = (tr.T[..n], tr.Pos[..n], tr.Line[..n], tr.VelMmS[..n]);
        var entries = new List<FleetMachine>();
        for (int i = 0; i < count; i++)
        {
            string id = $"vmc-{i + 1:00}";
            bool mt = i % 2 == 1;
            int? line = overload(i) ? 7 : null;
            var samples = DesignedStream.FromTrace(Prediction, cut, new StreamDesign { Seed = 100 + i, OverloadLine = line, Overload = 1.5, IdlePct = 4 + i % 5, EndLine = 22 },
                new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero), StreamedName);
            SimulatedMachine m = mt ? new MtConnectReplayAgent(samples) { Speed = speed } : new ShdrReplayAdapter(samples) { Speed = speed };
            int port = m is MtConnectReplayAgent a ? a.Port : ((ShdrReplayAdapter)m).Port;
            Machines.Add((id, m, mt, line));
            entries.Add(Entry(id, mt ? $"mtconnect://127.0.0.1:{port}" : $"shdr://127.0.0.1:{port}"));
        }
        File.WriteAllText(FleetFile, JsonSerializer.Serialize(new { machines = entries }, FleetRegistry.Json));
    }

    /// <summary>The predicted cutting share of line 7 mid-slot, % of the spindle (what the overload is designed on).</summary>
    public double Line7SharePct
    {
        get
        {
            var m = Prediction.Moves.First(x => x.Line == 7);
            return CncTwin.Mechanics.SpindleCapacity.LoadPct(Prediction.Spindle, 6000, m.CuttingPowerW(m.Path.LengthMm / 2, m.ProgrammedFeedMmPerMin, 6000));
        }
    }

    public void Play() { var start = DateTimeOffset.UtcNow; foreach (var m in Machines) m.Machine.Play(start); }

    public async Task Finished() => await Task.WhenAll(Machines.Select(m => m.Machine.Finished));

    public async ValueTask DisposeAsync()
    {
        foreach (var m in Machines) await m.Machine.DisposeAsync();
        DashboardTestSupport.Delete(Dir);
    }
}

/// <summary>`cnctwin fleet serve` in its own process (the built cnctwin.dll), its URL read from its console.</summary>
internal sealed class FleetProcess : IAsyncDisposable
{
    private readonly Process _p;
    private readonly System.Text.StringBuilder _out = new(), _err = new();
    public string Url { get; private set; } = "";
    public string SiloName { get; }
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };
    public string Output { get { lock (_out) return _out + "\n" + _err; } }

    public FleetProcess(string siloName, params string[] args)
    {
        SiloName = siloName;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cnctwin.dll"));
        foreach (var a in (string[])["fleet", "serve", "--port", "0", "--silo-name", siloName, .. args]) psi.ArgumentList.Add(a);
        psi.Environment.Remove("CNCTWIN_TOKEN");
        _p = Process.Start(psi)!;
        _p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_out) _out.AppendLine(e.Data); };
        _p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_out) _err.AppendLine(e.Data); };
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
    }

    public async Task Started(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            string o = Output;
            int i = o.IndexOf("fleet page on ", StringComparison.Ordinal);
            if (i >= 0)
            {
                string rest = o[(i + "fleet page on ".Length)..];
                Url = rest[..rest.IndexOf("/fleet", StringComparison.Ordinal)];
                return;
            }
            if (_p.HasExited) throw new InvalidOperationException($"fleet serve exited {_p.ExitCode}: {o}");
            await Task.Delay(100);
        }
        throw new TimeoutException("fleet serve did not start: " + Output);
    }

    public async Task<JsonArray> Fleet()
    {
        var j = await Http.GetFromJsonAsync<JsonObject>(Url + "/api/fleet");
        return j!["machines"]!.AsArray();
    }

    public void Kill() { try { _p.Kill(entireProcessTree: true); _p.WaitForExit(10_000); } catch (InvalidOperationException) { } }

    public async ValueTask DisposeAsync()
    {
        if (!_p.HasExited)
        {
            Kill();
        }
        _p.Dispose();
        Http.Dispose();
        await Task.CompletedTask;
    }

    public static string Str(JsonNode? n) => n?.GetValue<JsonElement>().ToString() ?? "";
    public static double Num(JsonNode? n) => n == null ? double.NaN : double.Parse(n.ToJsonString(), CultureInfo.InvariantCulture);
}
