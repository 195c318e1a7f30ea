using System.Net.Sockets;
using System.Text;
using CncTwin.Core;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Simulation;

namespace CncTwin.Twin.Tests;

public class MonitorTests
{
    // Three 5 mm deep slots in 1045 steel, a Ø10 3-flute end mill at 3 000 rpm, 900 mm/min: lines 5, 7 and 9 cut (~7.5 % predicted cutting load).
    private const string Program = """
        G21 G90 G17 G94
        S3000 M3
        G0 X-10 Y10 Z5
        G0 Z-5
        G1 X110 F900
        G1 Y25
        G1 X-10
        G1 Y40
        G1 X110
        G0 Z5
        M2
        """;

    private static Prediction Predict()
    {
        var tools = ToolLibrary.ParseJson("""{"tools":[{"number":1,"type":"flat","diameter_mm":10,"flutes":3,"stickout_mm":40,"flute_length_mm":25}]}""", "t.json");
        // The prediction as the twin makes it: the whole pipeline library (removal, loads, wear) on the program.
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(Program.Replace("\r", ""), tools, () => VoxelStock.Box(new Vec3(0, 0, -10), new Vec3(100, 50, 0), 0.5), "p.ngc")
            with { Material = "steel1045" });
        return TwinSession.Predict(context);
    }

    /// <summary>
    /// Telemetry a real machine would send for the program: positions along the planned path every 10 ms, run at
    /// 80 % feed override (so the wall clock never matches the plan), with a 2 s feed hold in the middle, spindle
    /// load = idle 6 % + the predicted cutting load ± noise; optional overload (+40 points) and broken tool (idle
    /// only) on chosen lines. No program line is sent (alignment by position alone) unless withLines.
    /// </summary>
    private static List<TelemetrySample> Machine(Prediction p, int? overloadLine, int? brokenLine, bool withLines)
    {
        var rnd = new Random(5);
        var list = new List<TelemetrySample>();
        var t = DateTimeOffset.UnixEpoch;
        long i = 0;
        bool paused = false;
        foreach (var m in p.Moves)
        {
            double v = m.Rapid ? 5000 : m.ProgrammedFeedMmPerMin * 0.8;
            int n = Math.Max(1, (int)(m.Path.LengthMm / (v / 60) / 0.01));
            for (int k = 1; k <= n; k++)
            {
                double s = m.Path.LengthMm * k / n;
                var pos = m.Path.PointAt(s);
                double cut = m.CuttingPowerW(s, v, 3000);
                double load = 6 + SpindleCapacity.LoadPct(p.Spindle, 3000, cut) + (rnd.NextDouble() - 0.5);
                if (m.Line == overloadLine) load += 40;
                if (m.Line == brokenLine) load = 6 + (rnd.NextDouble() - 0.5);
                int reps = !paused && m.Line == 7 && k == n / 2 ? 200 : 1; // feed hold: 2 s standing still
                if (reps > 1) paused = true;
                for (int r = 0; r < reps; r++)
                {
                    t = t.AddMilliseconds(10);
                    list.Add(new TelemetrySample(i++, t, pos.X, pos.Y, pos.Z, 3000, reps > 1 && r > 0 ? 6 : load, double.NaN, null, withLines ? m.Line : null, "ACTIVE", "x"));
                }
            }
        }
        return list;
    }

    private static List<TwinAlarm> Run(Prediction p, List<TelemetrySample> samples)
    {
        var mon = new TwinMonitor(p);
        foreach (var s in samples) mon.Process(s);
        return mon.Alarms.ToList();
    }

    [Fact]
    public void NormalCutting_WithOverrideAndFeedHold_RaisesNothing()
    {
        var p = Predict();
        Assert.True(p.Moves.Count(m => m.Loads?.Cutting == true) >= 3);
        Assert.Empty(Run(p, Machine(p, null, null, withLines: false)));
        Assert.Empty(Run(p, Machine(p, null, null, withLines: true)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OverloadAndBrokenTool_AtExactlyTheirLines(bool withLines)
    {
        var p = Predict();
        var alarms = Run(p, Machine(p, overloadLine: 5, brokenLine: 9, withLines));
        var loads = string.Join(", ", p.Moves.Where(m => !m.Rapid).Select(m => $"{m.Line}:{SpindleCapacity.LoadPct(p.Spindle, 3000, m.CuttingPowerW(m.Path.LengthMm / 2, 720, 3000)):0.0}"));
        Assert.True(new[] { (5, AlarmKind.Overload), (9, AlarmKind.Underload) }.SequenceEqual(alarms.Select(a => (a.Line, a.Kind)).Distinct().OrderBy(x => x.Line)),
            string.Join(", ", alarms.Select(a => $"{a.Line} {a.Kind} {a.StartS:0.00}-{a.EndS:0.00}")) + " | predicted cut load at mid-move: " + loads);
        Assert.All(alarms, a => Assert.True(a.EndS - a.StartS >= 0.5 - 1e-9));
    }


    [Fact]
    public async Task WatchAtProgramEnd_KeepsRecordingTheIdleTime_ThenStops()
    {
        var p = Predict();
        var run = Machine(p, null, null, withLines: true);
        var end = run[^1];
        // After the program: READY at the last position, the spindle coasting down for 3 s, then 20 s more of idle.
        var after = new List<TelemetrySample>();
        for (int k = 1; k <= 2300; k++)
            after.Add(end with { Index = end.Index + k, Time = end.Time.AddMilliseconds(10 * k), SpindleRpm = Math.Max(0, 3000 - k * 10), SpindleLoadPct = 2, Execution = "READY" });
        var session = new TwinSession(p, new TwinSessionOptions { StopAtProgramEnd = true, IdleAfterProgramEndS = 2 });
        TwinEndEvent? done = null;
        await foreach (var e in session.RunAsync(new SampleReplaySource(run.Concat(after)))) if (e is TwinEndEvent d) done = d;
        Assert.Equal("program end", done!.Reason);
        // Every sample of the run and the first 2 s after its end (the coast-down is data), not the 20 s of idle after.
        long expected = run.Count + 200;
        Assert.InRange(session.Samples, expected - 2, expected + 2);

        // Without the idle time (0 s) it stops at the end itself.
        var quick = new TwinSession(p, new TwinSessionOptions { StopAtProgramEnd = true, IdleAfterProgramEndS = 0 });
        await foreach (var _ in quick.RunAsync(new SampleReplaySource(run.Concat(after)))) { }
        Assert.InRange(quick.Samples, run.Count, run.Count + 2);
    }

    [Fact]
    public void ImpossibleValues_AreCountedAndFlagged_NeverAlarmedOn()
    {
        var p = Predict();
        var good = Machine(p, null, null, withLines: true);
        // A stretch of 1.5 s (three hold times) where the controller sends garbage: load 5000 % and -40 %, NaN and
        // absurd positions, negative speed; through the assembler, as a stream would bring them.
        var assembler = new SampleAssembler(DataItemMapping.Default);
        var mon = new TwinMonitor(p);
        var flagged = new List<AlignedSample>();
        long garbage = 0;
        foreach (var s in good)
        {
            bool bad = s.Index is > 1500 and < 1650;
            string ts = s.Time.ToString("O");
            var lines = new List<Observation>
            {
                new(s.Time, "Xact", bad && s.Index % 4 == 0 ? "NaN" : s.X.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new(s.Time, "Yact", bad && s.Index % 4 == 1 ? "1e12" : s.Y.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new(s.Time, "Zact", s.Z.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new(s.Time, "Sspeed", bad && s.Index % 4 == 2 ? "-3000" : "3000"),
                new(s.Time, "Sload", bad ? (s.Index % 2 == 0 ? "5000" : "-40") : s.SpindleLoadPct.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new(s.Time, "line", s.Line!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            };
            if (bad) garbage++;
            foreach (var o in lines)
                if (assembler.Add(o) is { } sample) { var a = mon.Process(sample); if (sample.IsInvalid) flagged.Add(a); }
        }
        if (assembler.Flush() is { } last) mon.Process(last);
        Assert.Equal(garbage, mon.InvalidSamples);
        Assert.Equal(garbage, flagged.Count);
        Assert.True(assembler.InvalidValues >= garbage);
        Assert.All(flagged, a => { Assert.Equal(-1, a.Move); Assert.Null(a.Alarm); Assert.False(string.IsNullOrEmpty(a.Sample.Invalid)); });
        Assert.Contains(flagged, a => a.Sample.Invalid!.Contains("x = 'NaN'"));
        Assert.Contains(flagged, a => a.Sample.Invalid!.Contains("spindle speed = -3000"));
        Assert.Empty(mon.Alarms);
    }

    [Fact]
    public void UnknownLineNumbers_AreFlagged_NeverAligned()
    {
        var p = Predict();
        Assert.Equal(11, p.LineCount);
        var samples = Machine(p, null, null, withLines: true);
        // The controller reports a line the program does not have (another program loaded, a sequence number sent as the line).
        var bad = samples.Select(s => s.Index is >= 1000 and < 1100 ? s with { Line = 4711 } : s).ToList();
        var mon = new TwinMonitor(p);
        var flagged = bad.Select(mon.Process).Where(a => a.Sample.IsInvalid).ToList();
        Assert.Equal(100, flagged.Count);
        Assert.Equal(100, mon.UnknownLineSamples);
        Assert.All(flagged, a => { Assert.Equal(-1, a.Move); Assert.Null(a.Alarm); Assert.Contains("line 4711 is not a line of the program (11 lines)", a.Sample.Invalid); });
        Assert.Empty(mon.Alarms);
    }

    [Fact]
    public void LeavingThePlannedPath_IsAPositionAlarm()
    {
        var p = Predict();
        var samples = Machine(p, null, null, withLines: false);
        // 3 mm off in Y for a stretch of the program.
        var shifted = samples.Select(s => s.Index is > 2000 and < 2300 ? s with { Y = s.Y + 3 } : s).ToList();
        var alarms = Run(p, shifted);
        Assert.Contains(alarms, a => a.Kind == AlarmKind.Position);
        Assert.DoesNotContain(alarms, a => a.Kind is AlarmKind.Overload or AlarmKind.Underload);
    }

    [Fact]
    public async Task ShdrAdapter_PublishesPredictions_AndAnswersPing()
    {
        await using var server = new ShdrAdapterServer(0) { HeartbeatMs = 5000 };
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", server.Port);
        var r = new StreamReader(client.GetStream());
        var w = new StreamWriter(client.GetStream(), new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
        await w.WriteLineAsync("* PING");
        Assert.Equal("* PONG 5000", await r.ReadLineAsync());
        await Task.Delay(100);
        server.Publish([("predicted_load", "12.5"), ("twin_alarm", "NORMAL||||")]);
        var line = await r.ReadLineAsync();
        var obs = new ShdrParser().Parse(line!);
        Assert.Equal("12.5", obs.Single(o => o.Key == "predicted_load").Value);
        Assert.Equal(ObservationKind.Condition, obs.Single(o => o.Key == "twin_alarm").Kind);
    }
}
