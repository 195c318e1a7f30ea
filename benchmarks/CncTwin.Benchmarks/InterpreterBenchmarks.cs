using BenchmarkDotNet.Attributes;
using CncTwin.Core;
using CncTwin.Core.IO;
using CncTwin.GCode;

namespace CncTwin.Benchmarks;

/// <summary>
/// Interpreter throughput on a generated 1M-line program, per line (OperationsPerInvoke). The baseline
/// only reads the file's lines (the I/O and decoding floor); the ratios say what interpretation and CSV
/// output cost on top of it. lines/s = 1e9 / (ns per line).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class InterpreterBenchmarks
{
    private const int Lines = 1_000_000;
    private string _path = "";

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), "cnctwin-bench-1M.ngc");
        if (!File.Exists(_path) || new FileInfo(_path).Length < 1000) ProgramGenerator.WriteFile(_path, Lines);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Lines)]
    public long ReadLinesOnly()
    {
        using var src = LineSource.FromFile(_path);
        long chars = 0;
        while (src.TryReadLine(out var line)) chars += line.Length;
        return chars;
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public long Interpret()
    {
        using var interp = Interpreter.FromFile(_path);
        long moves = 0;
        foreach (var c in interp.Run()) if (c is Move) moves++;
        return moves;
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public long InterpretAndWriteCsv()
    {
        using var interp = Interpreter.FromFile(_path);
        return MoveListWriter.WriteCsv(interp.Run(), Stream.Null);
    }
}
