using BenchmarkDotNet.Running;
using CncTwin.Benchmarks;

// "generate LINES FILE" writes the synthetic program used by the benchmarks and by compare-rs274.sh;
// "generate-pocket FILE" writes gcode-samples/pocket-deep.ngc;
// anything else goes to BenchmarkDotNet (e.g. --filter '*Interpreter*').
if (args.Length >= 1 && args[0] == "generate")
{
    if (args.Length != 3 || !int.TryParse(args[1], out int lines) || lines < 10)
    {
        Console.Error.WriteLine("usage: generate LINES FILE");
        return 2;
    }
    ProgramGenerator.WriteFile(args[2], lines);
    return 0;
}
if (args.Length == 2 && args[0] == "generate-pocket")
{
    // Writes gcode-samples/pocket-deep.ngc (the bundled copy is this output).
    using var w = new StreamWriter(args[1], false, new System.Text.UTF8Encoding(false));
    DeepPocketGenerator.Write(w);
    return 0;
}
if (args.Length >= 4 && args[0] == "fleet-load")
{
    // Real-time load on the fleet's twins: fleet-load MACHINES HZ SECONDS [STORE].
    var ic = System.Globalization.CultureInfo.InvariantCulture;
    return await FleetLoad.Run(Console.Out, int.Parse(args[1], ic), double.Parse(args[2], ic), double.Parse(args[3], ic), args.Length > 4 ? args[4] : null);
}
if (args.Length == 3 && args[0] == "fleet-profile")
{
    // Where one machine's time goes, unpaced: fleet-profile MACHINES SECONDS (1 kHz streams).
    var ic = System.Globalization.CultureInfo.InvariantCulture;
    var (streams, machines) = FleetLoad.Streams(int.Parse(args[1], ic), 1000, double.Parse(args[2], ic));
    await FleetLoad.RunToEnd(streams, machines, "sqlite::memory:");
    long n = streams.Sum(s => (long)s.Count);
    var sw = System.Diagnostics.Stopwatch.StartNew();
    await FleetLoad.RunToEnd(streams, machines, "sqlite::memory:");
    Console.WriteLine($"MachineTwin (history in memory): {n:N0} samples in {sw.Elapsed.TotalSeconds:0.00} s = {sw.Elapsed.TotalMicroseconds / n:0.0} µs/sample");
    var (p, _) = new CncTwin.Fleet.PredictionCache().Get(machines[0], FleetLoad.Program);
    sw.Restart();
    await Task.WhenAll(streams.Select(s => Task.Run(async () =>
    {
        var session = new CncTwin.Simulation.TwinSession(p!, new CncTwin.Simulation.TwinSessionOptions());
        await foreach (var e in session.RunAsync(new CncTwin.Fleet.MemoryMachineSource(s, paced: false))) { }
    })));
    Console.WriteLine($"TwinSession alone (no history): {sw.Elapsed.TotalMicroseconds / n:0.0} µs/sample");
    sw.Restart();
    foreach (var s in streams)
    {
        var mon = new CncTwin.Twin.TwinMonitor(p!, new CncTwin.Twin.MonitorOptions());
        foreach (var x in s) mon.Process(x);
    }
    Console.WriteLine($"TwinMonitor.Process alone: {sw.Elapsed.TotalMicroseconds / n:0.0} µs/sample");
    sw.Restart();
    long k = 0;
    foreach (var s in streams)
    {
        var asm = new CncTwin.Twin.SampleAssembler(CncTwin.Twin.DataItemMapping.Default);
        await foreach (var o in new CncTwin.Fleet.MemoryMachineSource(s, paced: false).ReadAsync(CancellationToken.None)) if (asm.Add(o) != null) k++;
    }
    Console.WriteLine($"observations made and assembled: {sw.Elapsed.TotalMicroseconds / n:0.0} µs/sample");
    return 0;
}
if (args.Length == 1 && args[0] == "mesh-stats")
{
    MeshStats.Run(Console.Out);
    return 0;
}
if (args.Length >= 1 && args[0] == "voxel-stats")
{
    // One timed pass of each removal path on VoxelBenchmarks' case, with the work counted: column updates/s and moves/s.
    var vb = new VoxelBenchmarks();
    vb.Setup();
    bool gpu = args.Contains("--gpu");
    var runs = new List<(string, CncTwin.Removal.SweepDevice, int, bool)>
    {
        ("cpu", CncTwin.Removal.SweepDevice.Cpu, VoxelBenchmarks.Moves, false),
        ("cpu-dense", CncTwin.Removal.SweepDevice.Cpu, VoxelBenchmarks.Moves, true),
        ("ilgpu-cpu", CncTwin.Removal.SweepDevice.IlgpuCpu, VoxelBenchmarks.IlgpuMoves, false),
    };
    if (gpu) { runs.Add(("gpu", CncTwin.Removal.SweepDevice.Gpu, VoxelBenchmarks.Moves, false)); runs.Add(("gpu-dense", CncTwin.Removal.SweepDevice.Gpu, VoxelBenchmarks.Moves, true)); }
    foreach (var (name, device, moves, dense) in runs)
    {
        vb.Reset();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        double removed = vb.Run(device, moves, dense);
        double s = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"{name,-10} {moves,7} moves {s,8:F2} s  {moves / s,10:N0} moves/s  {VoxelBenchmarks.LastColumns / s / 1e6,8:F1} M column updates/s  ({VoxelBenchmarks.LastColumns / (double)moves:N0} columns/move, removed {removed:N0} mm³)");
    }
    vb.Reset();
    var c = System.Diagnostics.Stopwatch.StartNew();
    vb.CopyDenseBlockWords();
    Console.WriteLine($"copy of the dense block's {vb.DenseWordBytes / 1e6:F0} MB of words: {c.Elapsed.TotalMilliseconds:F1} ms = {2 * vb.DenseWordBytes / c.Elapsed.TotalSeconds / 1e9:F1} GB/s read+write");
    return 0;
}
if (args.Length >= 1 && args[0] == "pipeline-stages")
{
    PipelineBenchmarks.PrintStageTimes(Console.Out);
    return 0;
}
if (args.Length >= 1 && args[0] == "quick")
{
    // A rough in-process timing (no BenchmarkDotNet statistics) for profiling sessions.
    var b = new InterpreterBenchmarks();
    b.Setup();
    foreach (var (name, run) in new (string, Func<long>)[] { ("read", b.ReadLinesOnly), ("interpret", b.Interpret), ("csv", b.InterpretAndWriteCsv) })
    {
        run();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        long alloc0 = GC.GetTotalAllocatedBytes(true);
        run();
        Console.WriteLine($"{name,-10} {sw.Elapsed.TotalMilliseconds,8:F0} ms  {(GC.GetTotalAllocatedBytes(true) - alloc0) / 1e6,8:F1} MB allocated");
    }
    var pb = new PlannerBenchmarks();
    pb.Setup();
    foreach (var (name, run) in new (string, Func<double>)[] { ("plan-trap", pb.InterpretAndPlanTrapezoid), ("plan-scurve", pb.InterpretAndPlanSCurve), ("plan+sample", pb.InterpretPlanAndSample10ms) })
    {
        run();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        long alloc0 = GC.GetTotalAllocatedBytes(true);
        double r = run();
        Console.WriteLine($"{name,-10} {sw.Elapsed.TotalMilliseconds,8:F0} ms  {(GC.GetTotalAllocatedBytes(true) - alloc0) / 1e6,8:F1} MB allocated  (result {r:F1})");
    }
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(ProgramGenerator).Assembly).Run(args);
return 0;
