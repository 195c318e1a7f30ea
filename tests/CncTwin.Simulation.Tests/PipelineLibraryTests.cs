using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CncTwin.Cli;
using CncTwin.Core;
using CncTwin.Removal;
using CncTwin.Simulation;
using CncTwin.Twin;

namespace CncTwin.Simulation.Tests;

/// <summary>
/// The pipeline through the library alone (no process spawned): the same outputs as the command line, the twin
/// session the same as `replay`, diagnostics instead of printing, errors and cancellation.
/// </summary>
public class PipelineLibraryTests
{
    internal static string Repo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CncTwin.sln"))) return d.FullName;
        throw new InvalidOperationException("CncTwin.sln not found");
    }

    private static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "cnctwin-lib-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>summary.json without what differs between two runs by nature (wall times).</summary>
    private static string Normalised(string summaryPath)
    {
        var node = JsonNode.Parse(File.ReadAllText(summaryPath))!.AsObject();
        Assert.True(node.Remove("stage_times_s"), "stage_times_s missing");
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    [Fact]
    public async Task Simulate_ThroughTheLibrary_WritesWhatTheCliWrites()
    {
        string repo = Repo(), program = Path.Combine(repo, "gcode-samples", "pocket.ngc"), dynamics = Path.Combine(repo, "gcode-samples", "insperger-stepan-1dof.json");
        string cliOut = TempDir(), libOut = TempDir();
        int code = CliApp.Build().Parse(["simulate", program, "--out", cliOut, "--resolution", "0.5", "--dynamics", dynamics, "--quiet"]).Invoke();
        Assert.Equal(0, code);

        // Both with their defaults: the 10 ms timeline, pauses compressed.
        var request = new SimulationRequest { ProgramPath = program, ResolutionMm = 0.5, DynamicsPath = dynamics, OutputFolder = libOut };
        var (result, diagnostics) = await Simulator.RunToFolderAsync(request);
        Assert.Empty(diagnostics);
        Assert.NotNull(result);
        Assert.True(result!.Succeeded);

        Assert.Equal(Normalised(Path.Combine(cliOut, "summary.json")), Normalised(Path.Combine(libOut, "summary.json")));
        foreach (var f in new[] { "timeline.csv", "moves.csv", "stock.stl", "stock.glb" })
            Assert.True(File.ReadAllBytes(Path.Combine(cliOut, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(libOut, f))), $"{f} differs");
        Assert.True(File.Exists(Path.Combine(libOut, "report.html")));
        // Not equal by being empty: every sample and every move is there.
        Assert.True(File.ReadLines(Path.Combine(libOut, "timeline.csv")).Count() > 5000);
        Assert.True(File.ReadLines(Path.Combine(libOut, "moves.csv")).Count() > 100);
        // Every stage reported its wall time.
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(libOut, "summary.json")));
        var times = doc.RootElement.GetProperty("stage_times_s");
        foreach (var stage in new[] { "interpret", "plan", "removal", "engagement", "forces", "wear", "writing", "meshes", "report" })
            Assert.True(times.TryGetProperty(stage, out var t) && t.GetDouble() >= 0, $"no time for {stage}");
    }

    [Fact]
    public async Task TwinSession_ThroughTheLibrary_GivesWhatReplayGives()
    {
        string repo = Repo(), dir = TempDir();
        // The bundled replay sample: LinuxCNC's recorded run of three slots with an overload designed on line 6.
        string program = Path.Combine(repo, "gcode-samples", "twin-slots.ngc"), tools = Path.Combine(repo, "gcode-samples", "tools.json");
        string telemetry = Path.Combine(repo, "gcode-samples", "twin-slots-telemetry.csv"), cliOut = Path.Combine(dir, "cli"), libOut = Path.Combine(dir, "lib");
        int code = await CliApp.Build().Parse(["replay", "--program", program, "--source", "csv:" + telemetry, "--tools", tools, "--material", "steel1045", "--tool", "4",
            "--stock", "box:0,0,-10,50,40,0", "--out", cliOut, "--db", Path.Combine(dir, "cli.db")]).InvokeAsync();
        Assert.Equal(0, code);

        var context = SimulationContext.CreateOrThrow(new SimulationRequest
        {
            ProgramPath = program, ToolsPath = tools, Material = "steel1045", InitialTool = 4, Stock = "box:0,0,-10,50,40,0", ResolutionMm = 0.5, HomeZ = HomeZ.Zero,
        });
        var session = new TwinSession(TwinSession.Predict(context), new TwinSessionOptions { OutputFolder = libOut, HistoryDb = Path.Combine(dir, "lib.db") });
        var source = new CsvReplaySource(telemetry, "generic");
        int samples = 0, lineChanges = 0;
        var alarms = new List<TwinAlarm>();
        TwinEndEvent? end = null;
        await foreach (var e in session.RunAsync(source))
            switch (e)
            {
                case TwinSampleEvent: samples++; break;
                case TwinAlarmEvent a: alarms.Add(a.Alarm); break;
                case TwinLineChangeEvent: lineChanges++; break;
                case TwinEndEvent x: end = x; break;
            }
        Assert.NotNull(end);
        Assert.Null(end!.Error);
        Assert.Equal(session.Samples, samples);
        Assert.True(lineChanges > 3, $"{lineChanges} line changes");
        // The designed overload on line 6, raised once; the same files as the command line's.
        var overload = Assert.Single(alarms);
        Assert.Equal(6, overload.Line);
        Assert.Equal(File.ReadAllText(Path.Combine(cliOut, "telemetry.csv")), File.ReadAllText(Path.Combine(libOut, "telemetry.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(cliOut, "alarms.json")), File.ReadAllText(Path.Combine(libOut, "alarms.json")));
    }

    [Fact]
    public void BadRequest_GivesDiagnostics_NamingTheField_NeverAFlag()
    {
        string program = Path.Combine(Repo(), "gcode-samples", "pocket.ngc");
        var cases = new (SimulationRequest Request, RequestField Field)[]
        {
            (new SimulationRequest { ProgramPath = program, ResolutionMm = 0 }, RequestField.ResolutionMm),
            (new SimulationRequest { ProgramPath = program, TimelineStepS = -1 }, RequestField.TimelineStepS),
            (new SimulationRequest { ProgramPath = program, Stock = "box:1,2" }, RequestField.Stock),
            (new SimulationRequest { ProgramPath = program, SpindlePowerW = double.NaN }, RequestField.SpindlePowerW),
            (new SimulationRequest { ProgramPath = program, VbLimitUm = 0 }, RequestField.VbLimitUm),
        };
        foreach (var (request, field) in cases)
        {
            var (context, diagnostics) = SimulationContext.Create(request);
            Assert.Null(context);
            var d = Assert.Single(diagnostics);
            Assert.Equal(field, d.Field);
            Assert.Equal(DiagnosticKind.InvalidRequest, d.Kind);
            Assert.DoesNotContain("--", d.Message);
        }
        var (_, missing) = SimulationContext.Create(new SimulationRequest { ProgramPath = "no-such-program.ngc" });
        Assert.Equal("no-such-program.ngc", Assert.Single(missing).File);
    }

    [Fact]
    public async Task ProgramError_StopsTheRun_WithItsLocation_AndKeepsWhatCameBefore()
    {
        const string program = "G21 G90 G17\nS5000 M3\nG0 X0 Y0 Z5\nG1 Z-1 F300\nG1 X20\nG2 X30 Y0 R2\nG1 X40\nM2\n"; // line 6: the radius is too small to reach
        var tools = ToolLibrary.ParseJson("""{"tools":[{"number":1,"type":"flat","diameter_mm":6,"flutes":2}]}""", "t.json");
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(program, tools, () => VoxelStock.Box(new Vec3(-5, -5, -5), new Vec3(45, 5, 0), 0.5), "bad.ngc"));
        var memory = new MemorySink(keepSamples: true);
        var result = await Simulator.RunAsync(context, [memory]);
        Assert.False(result.Succeeded);
        Assert.Equal(DiagnosticKind.ProgramError, result.Error!.Kind);
        Assert.Equal("bad.ngc", result.Error.File);
        Assert.Equal(6, result.Error.Line);
        Assert.True(result.Error.Column > 0);
        // The moves of lines 3-5 were simulated and reached the sink, with their samples.
        Assert.Contains(memory.Moves, m => m.Line == 5 && m.Removal.RemovedMm3 > 0);
        Assert.True(memory.Samples.Count > 0);
        Assert.Same(result, memory.Result);
    }

    [Fact]
    public async Task RunAsync_Cancelled_StopsWithinOneSecond()
    {
        // A long program (40 000 short cutting moves): far more than a second of work on any machine.
        var sb = new StringBuilder("G21 G90 G17 G94\nS8000 M3\nG0 X0 Y0 Z5\nG1 Z-1 F600\n");
        for (int i = 0; i < 40_000; i++) sb.Append(string.Create(CultureInfo.InvariantCulture, $"G1 X{(i % 2 == 0 ? 80 : 0)} Y{i * 0.001:0.###}\n"));
        sb.Append("M2\n");
        var tools = ToolLibrary.ParseJson("""{"tools":[{"number":1,"type":"flat","diameter_mm":6,"flutes":2}]}""", "t.json");
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(sb.ToString(), tools, () => VoxelStock.Box(new Vec3(-5, -5, -5), new Vec3(85, 45, 0), 0.2), "long.ngc")
            with { TimelineStepS = 0.001 });
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var progress = new Progress<SimulationProgress>(p => { if (p.MovesDone > 10) started.TrySetResult(); });
        var memory = new MemorySink();
        var run = Simulator.RunAsync(context, [memory], progress, cts.Token);
        await Task.WhenAny(started.Task, run);
        Assert.False(run.IsCompleted, "the run finished before it could be cancelled");
        var clock = Stopwatch.StartNew();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        clock.Stop();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"cancellation took {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(memory.Moves.Count < 40_000);
    }

    [Fact]
    public async Task RunAsync_Cancelled_InsideALoopThatMovesNothing_StopsWithinOneSecond()
    {
        // 40 million iterations of an O-word loop before the first move (under the interpreter's runaway guard).
        const string program = "#1=0\no100 while [#1 lt 40000000]\n#1=[#1+1]\no100 endwhile\nG0 X1\nM2\n";
        var tools = ToolLibrary.ParseJson("""{"tools":[{"number":1,"type":"flat","diameter_mm":6,"flutes":2}]}""", "t.json");
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(program, tools, () => VoxelStock.Box(new Vec3(-5, -5, -5), new Vec3(5, 5, 0), 0.5), "loop.ngc"));
        using var cts = new CancellationTokenSource();
        var run = Simulator.RunAsync(context, [new MemorySink()], null, cts.Token);
        await Task.WhenAny(run, Task.Delay(300, TestContext.Current.CancellationToken));
        Assert.False(run.IsCompleted, "the loop finished before it could be cancelled");
        var clock = Stopwatch.StartNew();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"cancellation took {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public void AProbe_StopsWhereTheToolFirstTouchesTheStock_AndTheProgramReadsIt()
    {
        // A Ø6 tool probes down from Z5 towards Z-20 over a block whose top is Z-3.2 (a 0.2 mm grid puts it on a
        // voxel boundary), then moves to 1 mm above the point it found, as a touch-off routine does.
        const string program = "G21 G90 G17 G94\nG0 X10 Y10 Z5\nG38.2 Z-20 F100\nG0 Z[#5063 + 1]\nM2\n";
        var tools = ToolLibrary.ParseJson("""{"tools":[{"number":1,"type":"flat","diameter_mm":6,"flutes":2}]}""", "t.json");
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(program, tools, () => VoxelStock.Box(new Vec3(0, 0, -10), new Vec3(20, 20, -3.2), 0.2), "probe.ngc"));
        using var pass = new SimulationPass(context, new PassOptions { Stages = PipelineStages.Removal, ReadAhead = false });
        var moves = pass.Moves().ToList();
        var probe = moves.Single(m => m.Line == 3);
        Assert.Equal(-3.2, probe.Planned.Move.End.Z, 3);
        var retract = moves.Single(m => m.Line == 4);
        Assert.Equal(-2.2, retract.Planned.Move.End.Z, 3);
        // Touching is not cutting.
        Assert.True(probe.Removal.RemovedMm3 < 1e-6, $"{probe.Removal.RemovedMm3} mm³");
    }

    [Fact]
    public async Task ASpindleSpeedAboveTheMachine_IsRunAtItsMaximum_WithAWarningNamingTheLine()
    {
        const string program = "G21 G90 G17 G94\nS20000 M3\nG0 X-10 Y10 Z5\nG0 Z-2\nG1 X30 F800\nG0 Z5\nM2\n";
        var tools = ToolLibrary.ParseJson("""{"tools":[{"number":1,"type":"flat","diameter_mm":6,"flutes":2}]}""", "t.json");
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(program, tools, () => VoxelStock.Box(new Vec3(0, 0, -5), new Vec3(20, 20, 0), 0.5), "fast.ngc"));
        var memory = new MemorySink();
        var result = await Simulator.RunAsync(context, [memory], null, TestContext.Current.CancellationToken);
        var warning = Assert.Single(memory.Warnings, w => w.Code == "spindle-limit");
        Assert.Equal(2, warning.Line);
        Assert.Contains("8100", warning.Message);
        var cut = memory.Moves.Single(m => m.Line == 5);
        Assert.Equal(8100, cut.Loads!.Rpm, 6);
        Assert.True(result.Succeeded);
    }
}
