using CncTwin.Core;
using CncTwin.Geometry;
using CncTwin.Removal;

namespace CncTwin.Removal.Tests;

public class StockMeshTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void StlEnclosesStockMinusRemoved_AndIsWatertight(int factor)
    {
        var stock = VoxelStock.Box(new Vec3(-20, -20, -10), new Vec3(20, 20, 0), 0.2);
        var sim = Sim.Run("G21 G90 G0 X-25 Y0 Z5 S5000 M3\nG1 Z-3 F300\nG1 X25 F1000\nG0 Z5\nG0 X0 Y-10\nG1 Z-6 F200\nG2 X0 Y-10 I0 J6 F800\nG0 Z5\nM30",
            stock, Sim.One("ball", 8));
        string dir = Directory.CreateTempSubdirectory("cnctwin-mesh").FullName;
        var r = StockMesh.Write(stock, factor, Path.Combine(dir, "stock.stl"), Path.Combine(dir, "stock.glb"));
        var soup = StlReader.Read(Path.Combine(dir, "stock.stl"));
        Assert.Equal(r.Triangles, soup.TriangleCount);
        Assert.True(soup.CheckClosed().IsWatertight, soup.CheckClosed().ToString());
        double expected = sim.InitialVolumeMm3 - sim.RemovedMm3;
        double volume = soup.SignedVolumeMm3();
        Assert.True(Math.Abs(volume - expected) <= 0.005 * expected, $"STL {volume:F1} mm³ vs stock − removed {expected:F1} mm³");
        Assert.True(new FileInfo(Path.Combine(dir, "stock.glb")).Length > 1000);
        Directory.Delete(dir, true);
    }
}

public class EngagementTests
{
    private static MoveRemoval Cut(string program, string tools = "")
    {
        var moves = new List<MoveRemoval>();
        Sim.Run(program, VoxelStock.Box(new Vec3(-30, -30, -10), new Vec3(30, 30, 0), 0.1), tools == "" ? Sim.One("flat", 10) : Sim.Tools(tools), moves: moves);
        return moves.Single(m => m.Move.Source.Line == 3 && m.Probes.Count > 4);
    }

    [Fact]
    public void FullSlot_Spans0To180_WithFullDiameterAndDepth()
    {
        var m = Cut("G21 G90 G0 X-40 Y0 Z5\nG0 Z-2\nG1 X20 F600\nG0 Z5\nM30");
        var e = m.Probes[m.Probes.Count / 2];
        Assert.InRange(e.EntryDeg, 0, 3);
        Assert.InRange(e.ExitDeg, 177, 180);
        Assert.InRange(e.RadialDepthMm, 9.8, 10.0);
        Assert.InRange(e.AxialDepthMm, 1.9, 2.1);
    }

    [Fact]
    public void HalfImmersion_CentreOnTheBlockEdge_IsUpMillingFrom0To90()
    {
        // Feed +X with the cutter centre on the block's −Y edge: material only on the left (+Y) of the feed, where
        // an M3 cutter's teeth enter at zero chip thickness: φ from 0° to 90°, radial depth R.
        var half = Cut("G21 G90 G0 X-40 Y-30 Z5\nG0 Z-2\nG1 X20 F600\nG0 Z5\nM30").Probes[^5];
        Assert.InRange(half.EntryDeg, 0, 3);
        Assert.InRange(half.ExitDeg, 87, 93);
        Assert.InRange(half.RadialDepthMm, 4.8, 5.2);
    }

    [Fact]
    public void HalfImmersion_CentreOnTheBlockTopEdge_IsDownMillingFrom90To180()
    {
        // Feeding −X along the block's −Y edge puts the material on the right: teeth exit at 180°.
        var half = Cut("G21 G90 G0 X40 Y-30 Z5\nG0 Z-2\nG1 X-20 F600\nG0 Z5\nM30").Probes[^5];
        Assert.InRange(half.EntryDeg, 87, 93);
        Assert.InRange(half.ExitDeg, 177, 180);
        Assert.InRange(half.RadialDepthMm, 4.8, 5.2);
    }

    [Fact]
    public void Plunge_IntoSolid_EngagesTheWholeBottom_IntoAHole_Less()
    {
        var moves = new List<MoveRemoval>();
        // Line 3: plunge 4 mm into solid; line 6: a 6 mm end mill plunges 2 mm deeper into that hole and its
        // edge, so only the ring outside the hole at the old depth and the full disc below it are cut.
        Sim.Run("G21 G90 G0 X0 Y0 Z5\nT1 M6\nG1 Z-4 F200\nG0 Z5\nT2 M6 G0 X2 Y0\nG1 Z-6 F200\nG0 Z5\nM30",
            VoxelStock.Box(new Vec3(-30, -30, -10), new Vec3(30, 30, 0), 0.1),
            Sim.Tools("""{"tools":[{"number":1,"type":"flat","diameter_mm":10},{"number":2,"type":"flat","diameter_mm":6}]}"""), moves: moves);
        var solid = moves.Single(m => m.Move.Source.Line == 3);
        Assert.True(solid.Plunge);
        var e = solid.Peak;
        Assert.True(e.IsPlunge);
        Assert.InRange(e.AxialDepthMm, 3.95, 4.05);
        Assert.InRange(e.RadialDepthMm, 9.9, 10.1);
        Assert.Equal((0.0, 360.0), (e.EntryDeg, e.ExitDeg));
        var second = moves.Single(m => m.Move.Source.Line == 6).Peak;
        // The Ø6 cutter at X2 lies inside the Ø10 hole: it meets material only at the hole's floor (z −4) and
        // cuts its full disc for the last 2 mm.
        Assert.InRange(second.AxialDepthMm, 1.95, 2.05);
        Assert.InRange(second.RadialDepthMm, 5.9, 6.1);
    }
}

public class BoundedMemoryTests
{
    [Fact]
    public void LongMove_ProbesAreCapped_AndStillCoverTheWholeMove()
    {
        // A 10 m slot through a 60 mm block: at the default spacing it would carry ~25 000 engagement maps.
        var moves = new List<MoveRemoval>();
        Sim.Run("G21 G90 G0 X-5000 Y0 Z5\nG0 Z-2\nG1 X5000 F3000\nG0 Z5\nM30",
            VoxelStock.Box(new Vec3(-30, -30, -10), new Vec3(30, 30, 0), 0.2), Sim.One("flat", 10), moves: moves);
        var slot = moves.Single(m => m.Move.Source.Line == 3);
        Assert.InRange(slot.Probes.Count, 2, MaterialRemovalSimulator.MaxProbesPerMove);
        Assert.True(slot.ProbeStepMm * (slot.Probes.Count - 1) >= slot.Move.Path.LengthMm - 1e-6);
        // The block sits at the middle of the move: engaged there, in air at both ends.
        double mid = slot.Move.Path.LengthMm / 2;
        Assert.True(slot.EngagementAt(mid).Engaged);
        Assert.False(slot.EngagementAt(100).Engaged);
        Assert.False(slot.EngagementAt(slot.Move.Path.LengthMm - 100).Engaged);
        Assert.True(slot.MrrAt(mid) > 0);
        Assert.Equal(0, slot.MrrAt(100));
    }

    [Fact]
    public void MeshFactor_CoarsensDeepStocks_NotOrdinaryOnes()
    {
        Assert.Equal(1, StockField.AutoFactor(VoxelStock.Box(new Vec3(0, 0, -25), new Vec3(100, 80, 0), 0.2)));
        // 220 x 70 x 900 mm: its sides alone are 13.7 M boundary cells at 0.2 mm.
        var deep = VoxelStock.Box(new Vec3(0, 0, -900), new Vec3(220, 70, 0), 0.2);
        int f = StockField.AutoFactor(deep);
        Assert.Equal(3, f);
        double boundary = 2.0 * deep.Nx * deep.Ny + 2.0 * (deep.Nx + deep.Ny) * deep.Nz;
        Assert.True(boundary / (f * f) <= 2_000_000);
    }
}
