using System.Numerics;

namespace CncTwin.Geometry;

/// <summary>
/// Collects triangles into an indexed mesh (the form glTF wants), welding vertices whose positions
/// are bit-identical. Degenerate triangles are kept as they come so that the indexed mesh has exactly
/// the triangles the producer emitted.
/// </summary>
public sealed class IndexedMeshBuilder : ITriangleSink
{
    private readonly VertexWelder welder = new();

    public List<Vector3> Positions { get; } = [];

    public List<int> Indices { get; } = [];

    public int TriangleCount => Indices.Count / 3;

    public void AddTriangle(Vector3 a, Vector3 b, Vector3 c)
    {
        Indices.Add(Weld(a));
        Indices.Add(Weld(b));
        Indices.Add(Weld(c));
    }

    private int Weld(Vector3 p)
    {
        int index = welder.IndexOf(p, out bool added);
        if (added)
        {
            Positions.Add(p);
        }
        return index;
    }
}
