using System.Globalization;
using CncTwin.Core;
using CncTwin.GCode;
using CncTwin.Removal;
using CncTwin.Simulation;

namespace CncTwin.Removal.Tests;

/// <summary>
/// The removed volume the moves report, the summary's total and the stock's own volume must be one account:
/// whatever the step-downs, stepovers and voxel size (depths that are not whole voxels, later passes that take
/// the rest of a voxel an earlier pass cut partly, 3D ball-end surfaces), Σ removed = initial − stock.
/// </summary>
public class VolumeBookkeepingTests
{
    private static readonly CultureInfo Ic = CultureInfo.InvariantCulture;
    private static string F(double v) => v.ToString("0.####", Ic);

    /// <summary>Roughing levels of zig-zag rows, a finishing lap at the last depth and a shave slightly below it.</summary>
    private static string Pocket(Random rng, double top, double x0, double y0, double x1, double y1, double stepDown, int levels, double stepOver)
    {
        var w = new System.Text.StringBuilder("G21 G90 G17 G64 P0.01\nS8000 M3\n");
        w.Append(Ic, $"G0 X{F(x0)} Y{F(y0)} Z{F(top + 5)}\n");
        double z = top;
        for (int level = 1; level <= levels; level++)
        {
            z = top - stepDown * level;
            w.Append(Ic, $"G0 X{F(x0)} Y{F(y0)}\nG1 Z{F(z)} F300\nF1500\n");
            int row = 0;
            for (double y = y0; y <= y1 + 1e-9; y += stepOver, row++)
            {
                if (row > 0) w.Append(Ic, $"G1 Y{F(y)}\n");
                w.Append(Ic, $"G1 X{F(row % 2 == 0 ? x1 : x0)}\n");
            }
            w.Append(Ic, $"G0 Z{F(top + 5)}\n");
        }
        // Finishing: the walls at the last depth, then a shave a fraction of a voxel lower, then one arc lap.
        double shave = z - 0.01 - 0.08 * rng.NextDouble();
        w.Append(Ic, $"G0 X{F(x0)} Y{F(y0)}\nG1 Z{F(z)} F300\nG1 X{F(x1)}\nG1 Y{F(y1)}\nG1 X{F(x0)}\nG1 Y{F(y0)}\n");
        w.Append(Ic, $"G1 Z{F(shave)}\nG1 X{F(x1)}\nG1 Y{F(y1)}\nG1 X{F(x0)}\nG1 Y{F(y0)}\n");
        double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, rho = Math.Min(x1 - x0, y1 - y0) / 3;
        w.Append(Ic, $"G0 Z{F(top + 5)}\nG0 X{F(cx + rho)} Y{F(cy)}\nG1 Z{F(shave - 0.3 * rng.NextDouble())} F300\nG3 X{F(cx + rho)} Y{F(cy)} I{F(-rho)} J0 F1200\nG0 Z{F(top + 5)}\nM30\n");
        return w.ToString();
    }

    /// <summary>A ball-end raster over a wavy surface: every column's floor lies at a different height in its voxel.</summary>
    private static string WavyRaster(Random rng, double top, double half, double stepOver, double r)
    {
        double a = 0.5 + 1.5 * rng.NextDouble(), lx = 6 + 10 * rng.NextDouble(), ly = 6 + 10 * rng.NextDouble(), depth = 2.5 + rng.NextDouble();
        var w = new System.Text.StringBuilder("G21 G90 G17 G64 P0.005\nS12000 M3\n");
        w.Append(Ic, $"G0 X{F(-half)} Y{F(-half)} Z{F(top + 5)}\n");
        int row = 0;
        for (double y = -half; y <= half + 1e-9; y += stepOver, row++)
        {
            int dir = row % 2 == 0 ? 1 : -1;
            for (double t = -half; t <= half + 1e-9; t += 0.5)
            {
                double x = dir * t;
                double z = top - depth + a * Math.Sin(x / lx) * Math.Cos(y / ly);
                w.Append(Ic, $"G1 X{F(x)} Y{F(y)} Z{F(z)} F2500\n");
            }
        }
        w.Append(Ic, $"G0 Z{F(top + 5)}\nM30\n");
        return w.ToString();
    }

    private static (double Sum, MaterialRemovalSimulator Sim) Run(string program, VoxelStock stock, ToolLibrary tools, SweepDevice device = SweepDevice.Cpu)
    {
        var moves = new List<MoveRemoval>();
        var sim = Sim.Run(program, stock, tools, device, moves);
        return (moves.Sum(m => m.RemovedMm3), sim);
    }

    private static void AssertOneAccount(double sum, MaterialRemovalSimulator sim, string what)
    {
        double stockNow = sim.Stock.ExactVolumeMm3;
        Assert.True(sim.RemovedMm3 > 10, $"{what}: removed only {sim.RemovedMm3} mm³");
        Assert.True(Math.Abs(sum - sim.RemovedMm3) <= 1e-9 * sim.RemovedMm3, $"{what}: moves sum {sum} vs total {sim.RemovedMm3}");
        double change = sim.InitialVolumeMm3 - stockNow;
        Assert.True(Math.Abs(sim.RemovedMm3 - change) <= 1e-6 * sim.RemovedMm3,
            $"{what}: removed {sim.RemovedMm3:F6} mm³ but the stock lost {change:F6} mm³ ({(sim.RemovedMm3 - change) / change:E2} relative)");
        Assert.Equal(sim.FinalVolumeMm3, stockNow, 1e-6 * sim.InitialVolumeMm3);
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    public void RandomPockets_RemovedEqualsTheStocksOwnLoss(int seed)
    {
        var rng = new Random(seed);
        double cell = 0.13 + 0.5 * rng.NextDouble();
        double top = -0.37 + 0.9 * rng.NextDouble();                     // top face between voxel boundaries
        var stock = VoxelStock.Box(new Vec3(-20, -20, top - 12), new Vec3(20, 20, top), cell);
        string type = (seed % 3) switch { 0 => "flat", 1 => "ball", _ => "bull" };
        double d = 3 + 7 * rng.NextDouble();
        var tools = Sim.One(type, Math.Round(d, 3), type == "bull" ? $",\"corner_radius_mm\":{F(Math.Round(0.3 * d, 3))}" : "");
        double stepDown = 0.3 + 2 * rng.NextDouble(), stepOver = (0.2 + 0.7 * rng.NextDouble()) * d;
        // The rectangle may run off the stock on one side (cuts through the edge).
        double x0 = -15 + 6 * rng.NextDouble(), x1 = x0 + 12 + 14 * rng.NextDouble(), y0 = -14 + 4 * rng.NextDouble(), y1 = y0 + 10 + 10 * rng.NextDouble();
        string program = Pocket(rng, top, x0, y0, x1, y1, stepDown, 2 + rng.Next(4), stepOver);
        var (sum, sim) = Run(program, stock, tools);
        AssertOneAccount(sum, sim, $"seed {seed}: {type} Ø{d:F2}, voxel {cell:F3}, step-down {stepDown:F3} ({stepDown / cell:F2} voxels), stepover {stepOver:F2}");
    }

    [Theory]
    [InlineData(11)] [InlineData(12)] [InlineData(13)] [InlineData(14)]
    public void BallEndOnWavySurfaces_RemovedEqualsTheStocksOwnLoss(int seed)
    {
        var rng = new Random(seed);
        double cell = 0.15 + 0.4 * rng.NextDouble(), top = 0.11 * seed % 0.5;
        var stock = VoxelStock.Box(new Vec3(-15, -15, top - 8), new Vec3(15, 15, top), cell);
        double r = 1.5 + 2 * rng.NextDouble();
        var (sum, sim) = Run(WavyRaster(rng, top, 10, 0.3 + 0.5 * rng.NextDouble(), r), stock, Sim.One("ball", Math.Round(2 * r, 3)));
        AssertOneAccount(sum, sim, $"seed {seed}: ball Ø{2 * r:F2}, voxel {cell:F3}");
    }

    [Fact]
    public void RunsDenseBlocksAndIlgpu_KeepTheSameAccount()
    {
        var rng = new Random(42);
        double cell = 0.37;
        VoxelStock Stock() => VoxelStock.Box(new Vec3(-20, -20, -10.13), new Vec3(20, 20, 0.21), cell);
        string program = Pocket(rng, 0.21, -12, -10, 9, 8, 0.85, 3, 2.1);
        var tools = Sim.One("flat", 6);
        var (sumRuns, runs) = Run(program, Stock(), tools);
        var dense = Stock();
        dense.Densify();
        var (sumDense, denseSim) = Run(program, dense, tools);
        var (sumGpu, gpu) = Run(program, Stock(), tools, SweepDevice.IlgpuCpu);
        AssertOneAccount(sumRuns, runs, "runs");
        foreach (var (sum, other) in new[] { (sumDense, denseSim), (sumGpu, gpu) })
        {
            Assert.Equal(runs.RemovedMm3, other.RemovedMm3);
            Assert.Equal(sumRuns, sum, 1e-9);
            Assert.Equal(runs.Stock.ExactVolumeMm3, other.Stock.ExactVolumeMm3, 1e-9);
            Assert.Equal(runs.Stock.TopOffset, other.Stock.TopOffset);
        }
    }

    /// <summary>The bundled deep pocket at the voxel sizes that used to be off (3.3 % at 0.2 and 0.4 mm, 0.2 % at 0.3 mm).</summary>
    [Theory]
    [InlineData(0.2)] [InlineData(0.3)] [InlineData(0.4)] [InlineData(0.25)]
    public void DeepPocket_MatchesItsClosedForm(double cell)
    {
        string dir = Sim.Samples;
        var stock = VoxelStock.Box(new Vec3(0, 0, -30), new Vec3(100, 100, 0), cell);
        var tools = ToolLibrary.LoadJson(Path.Combine(dir, "tools.json"));
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(File.ReadAllText(Path.Combine(dir, "pocket-deep.ngc")), tools, () => stock, "pocket-deep.ngc") with { HomeZ = HomeZ.Auto });
        var pass = new SimulationPass(context, new PassOptions { Stages = PipelineStages.Removal });
        double sum = 0;
        foreach (var r in pass.Moves()) sum += r.Removal.RemovedMm3;
        var sim = pass.Removal;
        double expected = (54.0 * 54 + 4 * 54 * 3 + 9 * Math.PI) * 30;
        Assert.True(Math.Abs(sim.RemovedMm3 - expected) <= 0.005 * expected, $"{cell} mm: removed {sim.RemovedMm3:F1} mm³, analytic {expected:F1} ({(sim.RemovedMm3 - expected) / expected:P3})");
        AssertOneAccount(sum, sim, $"pocket-deep at {cell} mm");
        Assert.Empty(sim.Collisions);
    }

    /// <summary>
    /// ballend-finish.ngc against an integration that shares nothing with the voxel sweep: the ball's lowest point
    /// over a fine grid, found by sampling every move densely and the sphere's equation, summed as columns.
    /// </summary>
    [Fact]
    public void BallEndFinish_MatchesAnIndependentIntegration()
    {
        string dir = Sim.Samples;
        var tools = ToolLibrary.LoadJson(Path.Combine(dir, "tools.json"));
        var stock = VoxelStock.Box(new Vec3(-40, -40, -30), new Vec3(40, 40, 0), 0.2);
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(File.ReadAllText(Path.Combine(dir, "ballend-finish.ngc")), tools, () => stock, "ballend-finish.ngc") with { HomeZ = HomeZ.Auto });
        var pass = new SimulationPass(context, new PassOptions { Stages = PipelineStages.Removal });
        double sum = 0;
        var path = new List<(Vec3 A, Vec3 B)>();
        foreach (var r in pass.Moves())
        {
            sum += r.Removal.RemovedMm3;
            var m = r.Removal.Move;
            if (m.Move.Kind != MotionKind.Rapid) path.Add((m.Path.Start, m.Path.End));
        }
        var sim = pass.Removal;
        AssertOneAccount(sum, sim, "ballend-finish at 0.2 mm");
        Assert.Empty(sim.Collisions);

        // Independent: 0.1 mm grid, ball (radius 3) centres every ≤ 0.1 mm along each feed move (all are lines here).
        const double h = 0.1, rb = 3;
        int n = (int)(52 / h);
        var floor = new double[n * n];
        Array.Fill(floor, 0.0);
        foreach (var (a, b) in path)
        {
            double len = (b - a).Length;
            int steps = Math.Max(1, (int)Math.Ceiling(len / h));
            for (int s = 0; s <= steps; s++)
            {
                var p = a + (b - a) * ((double)s / steps);
                if (p.Z >= 0) continue;
                double cz = p.Z + rb;
                int i0 = Math.Max(0, (int)((p.X - rb + 26) / h)), i1 = Math.Min(n - 1, (int)((p.X + rb + 26) / h) + 1);
                int j0 = Math.Max(0, (int)((p.Y - rb + 26) / h)), j1 = Math.Min(n - 1, (int)((p.Y + rb + 26) / h) + 1);
                for (int j = j0; j <= j1; j++)
                {
                    double dy = -26 + (j + 0.5) * h - p.Y;
                    for (int i = i0; i <= i1; i++)
                    {
                        double dx = -26 + (i + 0.5) * h - p.X, q = rb * rb - dx * dx - dy * dy;
                        if (q < 0) continue;
                        double z = cz - Math.Sqrt(q);
                        if (z < floor[j * n + i]) floor[j * n + i] = z;
                    }
                }
            }
        }
        double expected = -floor.Sum() * h * h;
        Assert.True(expected > 7000, $"integration gave {expected} mm³");
        Assert.True(Math.Abs(sim.RemovedMm3 - expected) <= 0.005 * expected,
            $"removed {sim.RemovedMm3:F1} mm³, independent integration {expected:F1} ({(sim.RemovedMm3 - expected) / expected:P3})");
    }
}
