using CncTwin.Core;
using CncTwin.Removal;

namespace CncTwin.Removal.Tests;

/// <summary>Each crash kind at the right program line, and none on ordinary cutting.</summary>
public class CrashTests
{
    private static VoxelStock Block() => VoxelStock.Box(new Vec3(-30, -30, -20), new Vec3(30, 30, 0), 0.2);

    private static void AssertOnly(MaterialRemovalSimulator sim, string kind, int line)
    {
        Assert.Contains(sim.Collisions, c => c.Kind.WireName() == kind && c.Line == line);
        Assert.All(sim.Collisions, c => Assert.Equal(line, c.Line));
    }

    [Fact]
    public void RapidThroughMaterial_IsReportedAtItsLine()
    {
        var sim = Sim.Run("G21 G90 G0 X-40 Y0 Z5 S5000 M3\nG0 Z-3\nG0 X40\nG0 Z5\nM30", Block(), Sim.One("flat", 10));
        AssertOnly(sim, "rapid", 3);
        Assert.True(sim.RemovedMm3 > 0);
    }

    [Fact]
    public void HolderInMaterial_WhenTheStickoutIsShorterThanTheDepth()
    {
        // 10 mm flutes, 14 mm out of a 30 mm holder, plunged 16 mm into the block: the holder reaches 2 mm in.
        var tools = Sim.One("flat", 6, ",\"flute_length_mm\":10,\"stickout_mm\":14,\"holder_diameter_mm\":30");
        var sim = Sim.Run("G21 G90 G0 X0 Y0 Z5 S5000 M3\nG1 Z-16 F200\nG0 Z5\nM30", Block(), tools);
        // The plunge drives the holder in; the retract drags it back out through the same stock.
        Assert.Equal((CollisionKind.Holder, 2), (sim.Collisions[0].Kind, sim.Collisions[0].Line));
        Assert.All(sim.Collisions, c => Assert.Equal(CollisionKind.Holder, c.Kind));
    }

    [Fact]
    public void ShankInMaterial_WhenSideCuttingDeeperThanTheFlutes()
    {
        var tools = Sim.One("flat", 6, ",\"flute_length_mm\":8,\"stickout_mm\":40");
        var sim = Sim.Run("G21 G90 G0 X-40 Y0 Z5 S5000 M3\nG0 Z-12\nG1 X0 F500\nG0 Z5\nM30", Block(), tools);
        AssertOnly(sim, "shank", 3);
    }

    [Fact]
    public void PlungeWithNonCentreCuttingTool_IsReported_RampIsNot()
    {
        var tools = Sim.One("bull", 20, ",\"corner_radius_mm\":1,\"center_cutting\":false,\"max_ramp_deg\":3");
        var plunge = Sim.Run("G21 G90 G0 X0 Y0 Z5 S3000 M3\nG1 Z-2 F200\nG0 Z5\nM30", Block(), tools);
        AssertOnly(plunge, "plunge", 2);
        // A 2° ramp (2 mm over 57 mm) is within the tool's limit.
        var ramp = Sim.Run("G21 G90 G0 X-28 Y0 Z5 S3000 M3\nG1 Z0 F200\nG1 X29.27 Z-2 F800\nG0 Z5\nM30", Block(), tools);
        Assert.Empty(ramp.Collisions);
        Assert.True(ramp.RemovedMm3 > 0);
    }

    [Fact]
    public void OrdinaryPocketing_HasNoCollisions()
    {
        // Ramp in, clear a pocket in rings, finish the walls, retract: 3 flutes of a 10 mm cutter, 25 mm flutes.
        var lines = new List<string> { "G21 G90 G64 P0.01 G0 X0 Y0 Z5 S8000 M3", "G1 Z0.5 F400", "G1 X6 Z-1 F800", "G1 X-6 Z-2.5", "G1 X0" };
        for (int ring = 1; ring <= 3; ring++)
        {
            double h = ring * 5;
            lines.Add($"G1 X{-h} Y{-h} F1500\nG1 X{h}\nG1 Y{h}\nG1 X{-h}\nG1 Y{-h}");
        }
        lines.Add("G1 X-15 Y0\nG2 X-15 Y0 I15 J0\nG0 Z5\nG0 X20 Y20\nG1 Z-4 F300\nG1 X-20 F1200\nG0 Z10\nM30");
        var sim = Sim.Run(string.Join('\n', lines), Block(), Sim.One("flat", 10));
        Assert.Empty(sim.Collisions);
        Assert.True(sim.RemovedMm3 > 1000);
        Assert.True(sim.AirCutS > 0); // the first ramp segment and the move down to Z0.5 cut air
    }

    [Fact]
    public void AirCutting_IsFeedTimeThatRemovesNothing()
    {
        var moves = new List<MoveRemoval>();
        var sim = Sim.Run("G21 G90 G0 X-40 Y0 Z5 S5000 M3\nG1 Z-1 F300\nG1 X-36 F600\nG1 X0\nG0 Z5\nM30", Block(), Sim.One("flat", 6), moves: moves);
        double air = moves.Where(m => m.Move.Move.Kind != MotionKind.Rapid && m.RemovedMm3 == 0).Sum(m => m.Move.DurationS);
        Assert.True(air > 0.2); // the 6 mm down (0.2 s at 300 mm/min... more with acceleration) and 4 mm outside the block
        Assert.Equal(air, sim.AirCutS, 9);
    }
}
