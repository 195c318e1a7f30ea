using BenchmarkDotNet.Attributes;
using CncTwin.Core;
using CncTwin.GCode;
using CncTwin.Motion;

namespace CncTwin.Benchmarks;

/// <summary>
/// Motion-planner throughput on a generated program of 1M moves (1 176 500 lines: short lines, arcs,
/// G64 P0.01 blends), per move. Baseline: interpreting alone. The planner streams (memory is its look-ahead
/// window of 50 segments), so these runs allocate per move but hold nothing: see benchmarks/simulate-memory.sh
/// for peak memory against program size.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class PlannerBenchmarks
{
    private const int Lines = 1_176_500;   // the generator's mix gives 0.85 moves per line: 1 000 000 moves
    private const int Moves = 1_000_000;
    private string _path = "";
    // LinuxCNC-like machine (trapezoids) and the default VMC (declares jerk: S-curves).
    private static readonly MachineProfile Trapezoidal = MachineProfile.DefaultVmc with
    {
        X = MachineProfile.DefaultVmc.X with { MaxJerkMmPerS3 = 0 },
        Y = MachineProfile.DefaultVmc.Y with { MaxJerkMmPerS3 = 0 },
        Z = MachineProfile.DefaultVmc.Z with { MaxJerkMmPerS3 = 0 },
    };

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), "cnctwin-bench-1M-moves.ngc");
        if (!File.Exists(_path) || new FileInfo(_path).Length < 1000) ProgramGenerator.WriteFile(_path, Lines);
        long moves = Interpret();
        if (Math.Abs(moves - Moves) > Moves / 1000) throw new InvalidOperationException($"benchmark program has {moves} moves, expected about {Moves}");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Moves)]
    public long Interpret()
    {
        using var interp = Interpreter.FromFile(_path);
        long moves = 0;
        foreach (var c in interp.Run()) if (c is Move) moves++;
        return moves;
    }

    [Benchmark(OperationsPerInvoke = Moves)]
    public double InterpretAndPlanTrapezoid() => PlanAll(Trapezoidal);

    [Benchmark(OperationsPerInvoke = Moves)]
    public double InterpretAndPlanSCurve() => PlanAll(MachineProfile.DefaultVmc);

    [Benchmark(OperationsPerInvoke = Moves)]
    public double InterpretPlanAndSample10ms()
    {
        using var interp = Interpreter.FromFile(_path);
        double sum = 0;
        foreach (var s in Timeline.Sample(new MotionPlanner(MachineProfile.DefaultVmc).Plan(interp.Run()), 0.01)) sum += s.SpeedMmPerS;
        return sum;
    }

    /// <summary>Planning plus the over-travel check that simulate runs on every planned move (arcs sampled at 16 points).</summary>
    [Benchmark(OperationsPerInvoke = Moves)]
    public int InterpretPlanAndCheckTravel()
    {
        using var interp = Interpreter.FromFile(_path);
        var check = new TravelCheck(MachineProfile.DefaultVmc);
        foreach (var _ in check.Observe(new MotionPlanner(MachineProfile.DefaultVmc).Plan(interp.Run()))) { }
        return check.Found.Count;
    }

    private double PlanAll(MachineProfile machine)
    {
        using var interp = Interpreter.FromFile(_path);
        double t = 0;
        foreach (var item in new MotionPlanner(machine).Plan(interp.Run())) t = item.EndS;
        return t;
    }
}
