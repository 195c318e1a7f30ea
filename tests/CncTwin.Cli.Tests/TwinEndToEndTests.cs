using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CncTwin.Cli;

namespace CncTwin.Cli.Tests;

/// <summary>
/// End to end: LinuxCNC's simulated machine ran tests/oracle-data/linuxcnc-sim/programs/twin-e2e.ngc (its real
/// task, motion controller and trajectory planner; positions and program line recorded at 1 kHz, kept at
/// 10 ms by record.sh). A spindle-load signal designed for the test is added: idle 6 % plus the cutting load
/// `cnctwin simulate` predicts for each line (the INI gives no spindle power: 2.2 kW, a small mill's), ±0.5 % noise, with 40 points extra on line 6 (overload) and
/// idle only on line 10 (broken tool). The stream is served over SHDR on loopback (with the PING/PONG
/// heartbeat) into `cnctwin watch`, which must raise exactly those two alarms at those two lines.
/// </summary>
public class TwinEndToEndTests
{
    private static async Task Serve(TcpListener listener, List<string> lines, CancellationToken ct)
    {
        using var client = await listener.AcceptTcpClientAsync(ct);
        var stream = client.GetStream();
        var reader = new StreamReader(stream);
        var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" };
        var pings = Task.Run(async () =>
        {
            try
            {
                while (await reader.ReadLineAsync(ct) is { } l)
                    if (l.StartsWith("* PING")) lock (writer) { writer.WriteLine("* PONG 1000"); writer.Flush(); }
            }
            catch (Exception) { }
        });
        foreach (var l in lines) lock (writer) writer.WriteLine(l);
        lock (writer) writer.Flush();
        await Task.Delay(300, ct);
        client.Close();
        await pings;
    }

    [Fact]
    public async Task LinuxCncRecording_OverSHDR_RaisesExactlyTheDesignedAlarms()
    {
        string repo = TestSupport.Repo();
        string dir = Path.Combine(repo, "tests", "oracle-data", "linuxcnc-sim");
        string program = Path.Combine(dir, "programs", "twin-e2e.ngc");
        string machine = Path.Combine(dir, "oracle-machine.ini");
        string tools = Path.Combine(repo, "gcode-samples", "tools.json");
        string tmp = Path.Combine(Path.GetTempPath(), "cnctwin-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(tmp);
        try
        {
            string[] common = ["--program", program, "--machine", machine, "--tools", tools, "--tool", "4", "--stock", "box:0,0,-10,50,40,0", "--material", "steel1045", "--resolution", "0.5", "--spindle-power-w", "2200"];
            // The cutting load the simulation predicts per line (for the designed "measured" signal).
            Assert.Equal(0, CliApp.Build().Parse(["simulate", program, "--machine", machine, "--tools", tools, "--tool", "4", "--stock", "box:0,0,-10,50,40,0",
                "--material", "steel1045", "--resolution", "0.5", "--spindle-power-w", "2200", "--out", Path.Combine(tmp, "sim"), "--quiet"]).Invoke());
            var perLine = new Dictionary<int, double>();
            var moves = File.ReadAllLines(Path.Combine(tmp, "sim", "moves.csv"));
            var head = moves[0].Split(',');
            int cLine = Array.IndexOf(head, "line"), cLoad = Array.IndexOf(head, "spindle_load_pct");
            foreach (var row in moves.Skip(1).Select(r => r.Split(',')))
            {
                int line = int.Parse(row[cLine], CultureInfo.InvariantCulture);
                double load = row[cLoad].Length > 0 ? double.Parse(row[cLoad], CultureInfo.InvariantCulture) : 0;
                perLine[line] = Math.Max(perLine.GetValueOrDefault(line), load);
            }
            Assert.True(perLine[6] > 3 && perLine[8] > 3 && perLine[10] > 3, string.Join(", ", perLine.Select(kv => $"{kv.Key}:{kv.Value:0.0}")));

            var rnd = new Random(11);
            var t0 = new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
            var shdr = new List<string>();
            var trace = File.ReadAllLines(Path.Combine(dir, "recorded", "twin-e2e.trace.csv"));
            var th = trace[0].Split(',');
            int ct = Array.IndexOf(th, "t_s"), cx = Array.IndexOf(th, "x"), cy = Array.IndexOf(th, "y"), cz = Array.IndexOf(th, "z"), cl = Array.IndexOf(th, "line");
            foreach (var row in trace.Skip(1).Select(r => r.Split(',')))
            {
                int line = int.Parse(row[cl], CultureInfo.InvariantCulture);
                double x = double.Parse(row[cx], CultureInfo.InvariantCulture);
                // The designed load: the line's predicted cutting load while at least half of the Ø10 cutter's front half
                // is in the 50 mm block (lines 6 and 10 feed +X, line 8 feeds −X), idle otherwise (a step where the real
                // load ramps over the cutter's radius at entry and exit).
                bool inStock = line is 6 or 10 ? x > -2.5 && x < 47.5 : line == 8 && x > 2.5 && x < 52.5;
                double load = 6 + (inStock && line != 10 ? perLine[line] : 0) + (inStock && line == 6 ? 40 : 0) + (rnd.NextDouble() - 0.5);
                var ts = t0.AddSeconds(double.Parse(row[ct], CultureInfo.InvariantCulture));
                shdr.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{ts:yyyy-MM-ddTHH:mm:ss.fffZ}|Xact|{row[cx]}|Yact|{row[cy]}|Zact|{row[cz]}|Sspeed|6000|Sload|{load:0.00}|line|{line}|execution|ACTIVE"));
            }
            var last = trace[^1].Split(',');
            shdr.Add(string.Create(CultureInfo.InvariantCulture, $"{t0.AddSeconds(20):yyyy-MM-ddTHH:mm:ss.fffZ}|execution|READY"));

            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var server = Serve(listener, shdr, cts.Token);
            string outDir = Path.Combine(tmp, "watch");
            int rc = await CliApp.Build().Parse(["watch", .. common, "--source", $"shdr://127.0.0.1:{port}", "--out", outDir, "--db", Path.Combine(tmp, "h.db")]).InvokeAsync(cancellationToken: cts.Token);
            await server;
            listener.Stop();
            Assert.Equal(0, rc);
            using var alarms = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "alarms.json")));
            var got = alarms.RootElement.EnumerateArray().Select(a => (a.GetProperty("line").GetInt32(), a.GetProperty("kind").GetString())).Distinct().OrderBy(x => x.Item1).ToArray();
            var tel = File.ReadAllLines(Path.Combine(outDir, "telemetry.csv"));
            string diag = string.Join("\n", tel.Take(1).Concat(tel.Where(r => r.Split(',')[20] == "overload" && r.Split(',')[5] != "6").Take(3))
                .Concat(tel.Where(r => r.Split(',')[5] == "8").Where((_, i) => i % 40 == 0)));
            Assert.True(new (int, string?)[] { (6, "overload"), (10, "underload") }.SequenceEqual(got), string.Join(", ", got) + "\n" + diag);
            // Every sample is in telemetry.csv.
            int rows = File.ReadAllLines(Path.Combine(outDir, "telemetry.csv")).Length - 1;
            Assert.Equal(trace.Length - 1 + 1, rows);
        }
        finally { try { Directory.Delete(tmp, true); } catch (IOException) { } }
    }
}
