using System.Text;
using BenchmarkDotNet.Attributes;
using CncTwin.Core;
using CncTwin.GCode;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Simulation;

namespace CncTwin.Benchmarks;

/// <summary>
/// Voxel material removal on the case: a 100 000-move 3-axis roughing program (10 mm flat end mill,
/// 1.5 mm segments, 4 mm stepover, 1 mm layers) over a 150 × 150 × 50 mm block at 0.1 mm voxels (1500 × 1500
/// columns of 500 voxels). Moves are planned once in setup; each iteration sweeps them through a fresh copy of
/// the block, stored two ways: as runs (the default: 12 bytes per column) and densified (every column a block of
/// 8 words: the 144 MB dense bitset). Baseline: copying the dense block's words once (a memory-bandwidth
/// yardstick measured in the same run). ILGPU's CPU accelerator runs the same kernels far slower (it emulates
/// GPU threads), so it gets the program's first 2 000 moves; compare per-move figures.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class VoxelBenchmarks
{
    public const int Moves = 100_000;
    public const int IlgpuMoves = 2_000;
    private List<PlannedMove> _moves = [];
    private VoxelStock _block = null!;
    private VoxelStock _work = null!;
    private VoxelStock _denseBlock = null!;
    private VoxelStock _denseWork = null!;
    private readonly ToolLibrary _tools = ToolLibrary.ParseJson("""{"tools":[{"number":1,"type":"flat","diameter_mm":10,"flute_length_mm":30,"stickout_mm":45}]}""", "bench");

    public static string Program(int moves)
    {
        var sb = new StringBuilder("G21 G90 G64 P0.01\nG0 X0 Y0 Z5 S8000 M3\n");
        int n = 0;
        for (int layer = 1; n < moves; layer++)
        {
            sb.Append("G0 X0 Y0 Z2\nG1 Z-").Append(layer).Append(" F300\n");
            for (double y = 0; y <= 150 && n < moves; y += 4)
            {
                sb.Append("G1 Y").Append(y).Append(" F2000\n"); n++;
                bool forward = ((int)(y / 4) & 1) == 0;
                for (int k = 1; k <= 100 && n < moves; k++, n++)
                    sb.Append("G1 X").Append((forward ? k : 100 - k) * 1.5).Append('\n');
            }
        }
        return sb.Append("G0 Z10\nM30\n").ToString();
    }

    [GlobalSetup]
    public void Setup()
    {
        _block = VoxelStock.Box(new Vec3(0, 0, -50), new Vec3(150, 150, 0), 0.1);
        // The planned moves from the pipeline library; the benchmark then times the removal stage alone.
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(Program(Moves), _tools, () => VoxelStock.Box(new Vec3(0, 0, -1), new Vec3(1, 1, 0), 1), "voxel-bench.ngc"));
        _moves = context.Plan().OfType<PlannedMove>().ToList();
        _work = _block.Clone();
        _denseBlock = _block.Clone();
        _denseBlock.Densify();
        _denseWork = _denseBlock.Clone();
    }

    [IterationSetup]
    public void Reset() { _work.CopyFrom(_block); _denseWork.CopyFrom(_denseBlock); }

    /// <summary>Bytes the baseline copies (read once, written once).</summary>
    public long DenseWordBytes => (long)_denseBlock.Blocks * _denseBlock.WordsPerColumn * 8;

    [Benchmark(Baseline = true)]
    public ulong CopyDenseBlockWords()
    {
        int n = _denseBlock.Blocks * _denseBlock.WordsPerColumn;
        _denseBlock.Pool.AsSpan(0, n).CopyTo(_denseWork.Pool);
        return _denseWork.Pool[n - 1];
    }

    [Benchmark]
    public double Cpu100kMoves() => Run(SweepDevice.Cpu, _moves.Count);

    [Benchmark]
    public double Cpu100kMovesDense() => Run(SweepDevice.Cpu, _moves.Count, dense: true);

    [Benchmark]
    public double IlgpuCpu2kMoves() => Run(SweepDevice.IlgpuCpu, IlgpuMoves);

    public double Run(SweepDevice device, int count, bool dense = false)
    {
        using var sim = new MaterialRemovalSimulator(dense ? _denseWork : _work, _tools, device);
        for (int i = 0; i < count; i++) sim.Process(_moves[i]);
        sim.Finish();
        LastColumns = sim.ColumnsVisited;
        return sim.RemovedMm3;
    }

    public static long LastColumns;
}
