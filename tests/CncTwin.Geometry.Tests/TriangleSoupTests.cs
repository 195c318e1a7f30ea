using System.Numerics;
using CncTwin.Geometry;

namespace CncTwin.Geometry.Tests;

public class TriangleSoupTests
{
    [Fact]
    public void UnitCubeFarFromTheOriginHasVolumeOneAndIsWatertight()
    {
        TriangleSoup cube = Mesh.UnitCube(new Vector3(2000, -1500, 300));
        Assert.Equal(1.0, cube.SignedVolumeMm3(), 1e-6);
        Assert.Equal(new EdgeReport(0, 0, 0), cube.CheckClosed());
        Assert.Equal((new Vector3(2000, -1500, 300), new Vector3(2001, -1499, 301)), cube.Bounds());
    }

    [Fact]
    public void MissingTriangleLeavesThreeBoundaryEdges()
    {
        TriangleSoup cube = Mesh.UnitCube(Vector3.Zero);
        var open = new TriangleSoup(cube.Positions, cube.TriangleCount - 1);
        EdgeReport report = open.CheckClosed();
        Assert.Equal(new EdgeReport(3, 0, 0), report);
        Assert.False(report.IsWatertight);
    }

    [Fact]
    public void FlippedTriangleMakesItsEdgesInconsistent()
    {
        float[] positions = (float[])Mesh.UnitCube(Vector3.Zero).Positions.Clone();
        // Swap corners b and c of triangle 0.
        for (int f = 0; f < 3; f++)
        {
            (positions[3 + f], positions[6 + f]) = (positions[6 + f], positions[3 + f]);
        }
        EdgeReport report = new TriangleSoup(positions, 12).CheckClosed();
        Assert.Equal(0, report.BoundaryEdges);
        Assert.Equal(0, report.NonManifoldEdges);
        Assert.Equal(3, report.InconsistentEdges);
        Assert.False(report.IsWatertight);
    }

    [Fact]
    public void ThirdTriangleOnAnEdgeIsNonManifold()
    {
        var builder = new TriangleSoupBuilder();
        TriangleSoup cube = Mesh.UnitCube(Vector3.Zero);
        for (int t = 0; t < 12; t++)
        {
            builder.AddTriangle(cube.Vertex(t, 0), cube.Vertex(t, 1), cube.Vertex(t, 2));
        }
        // A fin hanging off the edge (0,0,0)-(1,0,0) into the cube.
        builder.AddTriangle(Vector3.Zero, new Vector3(1, 0, 0), new Vector3(0.5f, 0.5f, 0.5f));
        EdgeReport report = builder.ToSoup().CheckClosed();
        Assert.Equal(1, report.NonManifoldEdges);
        Assert.Equal(2, report.BoundaryEdges);
    }

    [Fact]
    public void NegativeZeroWeldsWithPositiveZero()
    {
        float[] positions = (float[])Mesh.UnitCube(Vector3.Zero).Positions.Clone();
        for (int f = 0; f < positions.Length; f++)
        {
            if (positions[f] == 0 && f % 2 == 0)
            {
                positions[f] = -0f;
            }
        }
        Assert.True(new TriangleSoup(positions, 12).CheckClosed().IsWatertight);
    }

    [Fact]
    public void IndexedMeshBuilderWeldsTheCubeToEightVertices()
    {
        TriangleSoup cube = Mesh.UnitCube(Vector3.One);
        var builder = new IndexedMeshBuilder();
        for (int t = 0; t < 12; t++)
        {
            builder.AddTriangle(cube.Vertex(t, 0), cube.Vertex(t, 1), cube.Vertex(t, 2));
        }
        Assert.Equal(8, builder.Positions.Count);
        Assert.Equal(36, builder.Indices.Count);
        for (int n = 0; n < 36; n++)
        {
            Assert.Equal(cube.Vertex(n / 3, n % 3), builder.Positions[builder.Indices[n]]);
        }
    }

    [Fact]
    public void EmptySoup()
    {
        var empty = new TriangleSoup([], 0);
        Assert.Equal(0, empty.SignedVolumeMm3());
        Assert.True(empty.CheckClosed().IsWatertight);
        Assert.Equal((Vector3.Zero, Vector3.Zero), empty.Bounds());
    }
}
