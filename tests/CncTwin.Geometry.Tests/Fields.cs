using System.Numerics;
using CncTwin.Geometry;

namespace CncTwin.Geometry.Tests;

/// <summary>A field defined by a function of the grid index, produced layer by layer.</summary>
internal sealed class FuncField(int nx, int ny, int nz, Vector3 origin, float cellMm, Func<int, int, int, float> value) : IScalarLayers
{
    public int Nx => nx;

    public int Ny => ny;

    public int Nz => nz;

    public Vector3 Origin => origin;

    public float CellMm => cellMm;

    /// <summary>The layers requested, in order (to check the extractor streams).</summary>
    public List<int> LayersFilled { get; } = [];

    public void FillLayer(int k, Span<float> values)
    {
        LayersFilled.Add(k);
        for (int j = 0; j < ny; j++)
        {
            for (int i = 0; i < nx; i++)
            {
                values[j * nx + i] = value(i, j, k);
            }
        }
    }

    public Vector3 Position(int i, int j, int k) => origin + new Vector3(i, j, k) * cellMm;
}

internal static class Mesh
{
    public static TriangleSoup Extract(IScalarLayers field, float iso)
    {
        var builder = new TriangleSoupBuilder();
        MarchingCubes.Extract(field, iso, builder);
        return builder.ToSoup();
    }

    public static TriangleSoup UnitCube(Vector3 offset)
    {
        // Eight corners, twelve triangles wound counter-clockwise seen from outside.
        Vector3 P(int x, int y, int z) => offset + new Vector3(x, y, z);
        int[][] quads =
        [
            [0, 2, 3, 1], // z = 0, seen from below
            [4, 5, 7, 6], // z = 1
            [0, 1, 5, 4], // y = 0
            [2, 6, 7, 3], // y = 1
            [0, 4, 6, 2], // x = 0
            [1, 3, 7, 5], // x = 1
        ];
        var builder = new TriangleSoupBuilder();
        foreach (int[] q in quads)
        {
            Vector3 C(int c) => P(c & 1, c >> 1 & 1, c >> 2 & 1);
            builder.AddTriangle(C(q[0]), C(q[1]), C(q[2]));
            builder.AddTriangle(C(q[0]), C(q[2]), C(q[3]));
        }
        return builder.ToSoup();
    }
}

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cnctwin-geometry-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
