using CncTwin.Core;
using CncTwin.Removal;

namespace CncTwin.Removal.Tests;

/// <summary>
/// Columns stored as runs and as word blocks must behave identically, and a stock far beyond what a dense
/// bitset could hold must still simulate in the memory of its column table.
/// </summary>
public class StorageTests
{
    /// <summary>A 60×60×15 block with a closed cavity (z −9..−6) under its centre: those columns have two runs.</summary>
    private static VoxelStock BlockWithCavity()
    {
        var s = new VoxelStock(new Vec3(-30, -30, -15), 0.25, 240, 240, 60);
        int kCavity0 = s.FirstAbove(-9), kCavity1 = s.FirstAbove(-6);
        for (int j = 0; j < s.Ny; j++)
            for (int i = 0; i < s.Nx; i++)
            {
                bool hollow = Math.Abs(s.CenterX(i)) < 12 && Math.Abs(s.CenterY(j)) < 8;
                if (!hollow) { s.FillColumn(i, j, 0, s.Nz); continue; }
                s.FillColumn(i, j, 0, kCavity0);
                s.FillColumn(i, j, kCavity1, s.Nz);
            }
        return s;
    }

    [Fact]
    public void FillColumn_MergesTouchingRuns_AndMovesSplitColumnsToBlocks()
    {
        var s = new VoxelStock(Vec3.Zero, 1, 2, 1, 200);
        s.FillColumn(0, 0, 10, 20);
        s.FillColumn(0, 0, 20, 30);   // touches: still one run
        s.FillColumn(0, 0, 5, 12);    // overlaps: still one run
        Assert.Equal(-1, s.Slot[0]);
        Assert.Equal((5, 30), (s.Bottom[0], s.Top[0]));
        s.FillColumn(1, 0, 0, 70);
        s.FillColumn(1, 0, 100, 190); // a gap: the column needs a block
        Assert.Equal(0, s.Slot[1]);
        Assert.Equal(1, s.Blocks);
        Assert.Equal(25 + 70 + 90, s.CountVoxels());
        Assert.True(s.IsSet(1, 0, 69) && !s.IsSet(1, 0, 70) && !s.IsSet(1, 0, 99) && s.IsSet(1, 0, 100) && s.IsSet(1, 0, 189) && !s.IsSet(1, 0, 190));
        Assert.True(!s.IsSet(0, 0, 4) && s.IsSet(0, 0, 5) && s.IsSet(0, 0, 29) && !s.IsSet(0, 0, 30));
        Assert.Equal(0x3FUL << 58, s.ColumnWord(1, 1) & (0x3FUL << 58)); // voxels 122..127 set
    }

    [Fact]
    public void RunsAndDenseBlocks_GiveIdenticalVoxelsEngagementAndCrashes()
    {
        var tools = Sim.Tools(EngineParityTests.Library);
        var runs = BlockWithCavity();
        Assert.True(runs.Blocks > 1000 && runs.Blocks < runs.Nx * runs.Ny / 2, $"{runs.Blocks} blocks");
        var dense = runs.Clone();
        dense.Densify();
        Assert.Equal(runs.Nx * runs.Ny, dense.Blocks);
        Assert.Equal(runs.CountVoxels(), dense.CountVoxels());

        var a = new List<MoveRemoval>();
        var b = new List<MoveRemoval>();
        var c = new List<MoveRemoval>();
        var simRuns = Sim.Run(EngineParityTests.Program, runs, tools, SweepDevice.Cpu, a);
        var simDense = Sim.Run(EngineParityTests.Program, dense, tools, SweepDevice.Cpu, b);
        var simGpu = Sim.Run(EngineParityTests.Program, BlockWithCavity(), tools, SweepDevice.IlgpuCpu, c);
        Assert.True(simRuns.RemovedMm3 > 500);
        foreach (var other in new[] { simDense, simGpu })
        {
            Assert.Equal(simRuns.RemovedMm3, other.RemovedMm3);
            for (int col = 0; col < runs.Nx * runs.Ny; col++)
                for (int w = 0; w < runs.WordsPerColumn; w++)
                    Assert.Equal(simRuns.Stock.ColumnWord(col, w), other.Stock.ColumnWord(col, w));
            Assert.Equal(simRuns.Collisions.Select(x => (x.Line, x.Kind)), other.Collisions.Select(x => (x.Line, x.Kind)));
        }
        foreach (var other in new[] { b, c })
        {
            Assert.Equal(a.Count, other.Count);
            for (int i = 0; i < a.Count; i++)
            {
                Assert.Equal(a[i].RemovedMm3, other[i].RemovedMm3);
                for (int p = 0; p < a[i].Probes.Count; p++) Assert.Equal(a[i].Probes[p].Masks, other[i].Probes[p].Masks);
            }
        }
        // The drill (T4) breaks into the cavity: the cut there removes less than through solid metal would.
        Assert.Contains(a, m => m.RemovedMm3 > 0);
    }

    [Fact]
    public void StockBeyondDenseMemory_SimulatesInItsColumnTable()
    {
        // 400 × 400 × 200 mm at 0.1 mm: 3.2·10¹⁰ voxels, a 4.1 GB dense bitset.
        var s = VoxelStock.Box(new Vec3(-200, -200, -200), new Vec3(200, 200, 0), 0.1);
        Assert.True(s.DenseBytes > 4e9, $"dense {s.DenseBytes} bytes");
        Assert.True(s.StorageBytes < 300L << 20, $"stored in {s.StorageBytes} bytes");
        Assert.Equal(0, s.Blocks);
        double r = 5, depth = 3, len = 40;
        var sim = Sim.Run("G21 G90 G0 X-20 Y0 Z5 S5000 M3\nG1 Z-3 F300\nG1 X20 F1000\nG0 Z5\nM30", s, Sim.One("flat", 2 * r));
        double expected = len * 2 * r * depth + Math.PI * r * r * depth;
        Assert.True(Math.Abs(sim.RemovedMm3 - expected) <= 0.002 * expected, $"removed {sim.RemovedMm3:F2} mm³, analytic {expected:F2}");
        Assert.Equal(0, s.Blocks);
    }
}
