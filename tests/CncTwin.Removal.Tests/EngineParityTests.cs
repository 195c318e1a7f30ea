using CncTwin.Core;
using CncTwin.Removal;

namespace CncTwin.Removal.Tests;

/// <summary>The plain-CPU path and the ILGPU kernels (on ILGPU's CPU accelerator) must leave identical voxels.</summary>
public class EngineParityTests
{
    internal const string Library = """
    {"tools":[
      {"number":1,"type":"flat","diameter_mm":8},
      {"number":2,"type":"ball","diameter_mm":6},
      {"number":3,"type":"bull","diameter_mm":10,"corner_radius_mm":1.5,"center_cutting":false},
      {"number":4,"type":"drill","diameter_mm":5,"tip_angle_deg":118},
      {"number":5,"type":"chamfer","diameter_mm":12,"tip_angle_deg":90,"tip_diameter_mm":1}
    ]}
    """;

    internal const string Program = """
    G21 G90 G17 G64 P0.02
    T1 M6
    G0 X-20 Y-15 Z5 S6000 M3
    G1 Z-2 F300
    G1 X15 Y-10 F1200
    G2 X15 Y10 I0 J10
    G1 X-5 Y12 Z-3
    G3 X-21.1803 Y2 Z-4 I-5 J-10
    T2 M6
    G0 X-10 Y-10 Z2
    G1 Z-1 F400
    G1 X10 Y5 Z-5 F1000
    G18 G2 X20 Z-5 I5 K0
    G17
    T3 M6
    G0 X-25 Y20 Z1
    G1 Z-3 F300
    G1 X25 Y-20 F1500
    T4 M6
    G0 X5 Y5 Z3
    G81 X5 Y5 Z-12 R2 F150
    X-5 Y-5
    G80
    T5 M6
    G0 X-30 Y-30 Z1
    G1 Z-2 F300
    G1 X30 Y-25 F900
    G0 Z10
    M30
    """;

    [Fact]
    public void CpuAndIlgpuGiveIdenticalVoxelsAndEngagement()
    {
        var tools = Sim.Tools(Library);
        var cpuMoves = new List<MoveRemoval>();
        var gpuMoves = new List<MoveRemoval>();
        var cpu = Sim.Run(Program, VoxelStock.Box(new Vec3(-30, -30, -15), new Vec3(30, 30, 0), 0.25), tools, SweepDevice.Cpu, cpuMoves);
        var gpu = Sim.Run(Program, VoxelStock.Box(new Vec3(-30, -30, -15), new Vec3(30, 30, 0), 0.25), tools, SweepDevice.IlgpuCpu, gpuMoves);
        Assert.Equal("ilgpu-cpu", gpu.DeviceName);
        Assert.True(cpu.RemovedMm3 > 500);
        Assert.Equal(Enumerable.Range(0, cpu.Stock.Nx * cpu.Stock.Ny).SelectMany(c => Enumerable.Range(0, cpu.Stock.WordsPerColumn).Select(w => cpu.Stock.ColumnWord(c, w))),
            Enumerable.Range(0, gpu.Stock.Nx * gpu.Stock.Ny).SelectMany(c => Enumerable.Range(0, gpu.Stock.WordsPerColumn).Select(w => gpu.Stock.ColumnWord(c, w))));
        Assert.Equal(cpu.RemovedMm3, gpu.RemovedMm3);
        Assert.Equal(cpuMoves.Count, gpuMoves.Count);
        for (int i = 0; i < cpuMoves.Count; i++)
        {
            Assert.Equal(cpuMoves[i].RemovedMm3, gpuMoves[i].RemovedMm3);
            Assert.Equal(cpuMoves[i].Probes.Count, gpuMoves[i].Probes.Count);
            Assert.Equal(cpuMoves[i].Peak.AreaMm2, gpuMoves[i].Peak.AreaMm2);
            Assert.Equal(cpuMoves[i].Peak.AxialDepthMm, gpuMoves[i].Peak.AxialDepthMm);
            for (int p = 0; p < cpuMoves[i].Probes.Count; p++)
                Assert.Equal(cpuMoves[i].Probes[p].Masks, gpuMoves[i].Probes[p].Masks);
        }
        Assert.Equal(cpu.Collisions.Select(c => (c.Line, c.Kind)), gpu.Collisions.Select(c => (c.Line, c.Kind)));
        // The non-centre-cutting bull nose plunges straight down at line 17 (found through the engine's column query).
        Assert.Contains(gpu.Collisions, c => c.Line == 17 && c.Kind == CollisionKind.Plunge);
        Assert.Contains(gpuMoves, m => m.Plunge && m.Peak.IsPlunge && m.Tool == 4);
    }
}
