using System.Numerics;
using System.Runtime.InteropServices;

namespace CncTwin.Geometry;

/// <summary>
/// Unindexed triangles: 9 floats per triangle (a.x a.y a.z b.x ... c.z), in mm, wound
/// counter-clockwise seen from outside. This is what STL stores, so reading and writing need no
/// welding; <see cref="CheckClosed"/> welds only to answer the topology question.
/// </summary>
public sealed class TriangleSoup
{
    public TriangleSoup(float[] positions, int triangleCount)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentOutOfRangeException.ThrowIfNegative(triangleCount);
        if ((long)triangleCount * 9 > positions.Length)
        {
            throw new ArgumentException($"{triangleCount} triangles need {9L * triangleCount} floats, got {positions.Length}", nameof(positions));
        }
        Positions = positions;
        TriangleCount = triangleCount;
    }

    /// <summary>9 floats per triangle; may be longer than 9 * <see cref="TriangleCount"/>.</summary>
    public float[] Positions { get; }

    public int TriangleCount { get; }

    /// <summary>Corner 0, 1 or 2 of a triangle.</summary>
    public Vector3 Vertex(int triangle, int corner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(triangle);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(triangle, TriangleCount);
        ArgumentOutOfRangeException.ThrowIfNegative(corner);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(corner, 2);
        int at = 9 * triangle + 3 * corner;
        return new Vector3(Positions[at], Positions[at + 1], Positions[at + 2]);
    }

    /// <summary>Axis-aligned bounds of all vertices; both corners are zero for an empty soup.</summary>
    public (Vector3 Min, Vector3 Max) Bounds()
    {
        if (TriangleCount == 0)
        {
            return (Vector3.Zero, Vector3.Zero);
        }
        ReadOnlySpan<Vector3> points = Points();
        Vector3 min = points[0], max = points[0];
        foreach (Vector3 p in points)
        {
            min = Vector3.Min(min, p);
            max = Vector3.Max(max, p);
        }
        return (min, max);
    }

    /// <summary>
    /// Enclosed volume in mm^3 by the divergence theorem: the sum of the signed tetrahedra
    /// (reference point, a, b, c). Positive for a closed mesh with outward (counter-clockwise) winding;
    /// meaningful only for closed meshes, which is why the reference point may be chosen freely.
    /// </summary>
    public double SignedVolumeMm3()
    {
        if (TriangleCount == 0)
        {
            return 0;
        }
        ReadOnlySpan<Vector3> points = Points();
        // Measuring from a vertex of the mesh rather than the origin keeps the tetrahedra small, so a
        // part far from the machine origin loses no digits to cancellation.
        Vector3 reference = points[0];
        double sixTimesVolume = 0;
        for (int t = 0; t < points.Length; t += 3)
        {
            Vector3 a = points[t] - reference, b = points[t + 1] - reference, c = points[t + 2] - reference;
            double ax = a.X, ay = a.Y, az = a.Z, bx = b.X, by = b.Y, bz = b.Z, cx = c.X, cy = c.Y, cz = c.Z;
            sixTimesVolume += ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
        }
        return sixTimesVolume / 6;
    }

    /// <summary>
    /// Topology check after welding bit-identical vertex positions: undirected edges used by one
    /// triangle (boundary) or more than two (non-manifold), and directed edges used more than once
    /// (two triangles traversing an edge the same way have inconsistent winding).
    /// </summary>
    public EdgeReport CheckClosed()
    {
        ReadOnlySpan<Vector3> points = Points();
        var welder = new VertexWelder(points.Length / 2);
        var vertex = new int[points.Length];
        for (int v = 0; v < points.Length; v++)
        {
            vertex[v] = welder.IndexOf(points[v], out _);
        }

        // Keyed by the undirected edge (low index, high index); counts how often each direction is used.
        var uses = new Dictionary<long, (int LowToHigh, int HighToLow)>(points.Length / 2);
        for (int t = 0; t < vertex.Length; t += 3)
        {
            for (int e = 0; e < 3; e++)
            {
                int from = vertex[t + e], to = vertex[t + (e + 1) % 3];
                if (from == to)
                {
                    // A collapsed edge of a degenerate triangle joins nothing.
                    continue;
                }
                long key = from < to ? ((long)from << 32) | (uint)to : ((long)to << 32) | (uint)from;
                ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(uses, key, out _);
                if (from < to)
                {
                    count.LowToHigh++;
                }
                else
                {
                    count.HighToLow++;
                }
            }
        }

        int boundary = 0, nonManifold = 0, inconsistent = 0;
        foreach ((int lowToHigh, int highToLow) in uses.Values)
        {
            int total = lowToHigh + highToLow;
            if (total == 1)
            {
                boundary++;
            }
            else if (total > 2)
            {
                nonManifold++;
            }
            if (lowToHigh > 1)
            {
                inconsistent++;
            }
            if (highToLow > 1)
            {
                inconsistent++;
            }
        }
        return new EdgeReport(boundary, nonManifold, inconsistent);
    }

    private ReadOnlySpan<Vector3> Points() =>
        MemoryMarshal.Cast<float, Vector3>(Positions.AsSpan(0, 9 * TriangleCount));
}

/// <summary>
/// Result of <see cref="TriangleSoup.CheckClosed"/>. Counts are of undirected edges (boundary,
/// non-manifold) and of directed edges used more than once (inconsistent).
/// </summary>
public sealed record EdgeReport(int BoundaryEdges, int NonManifoldEdges, int InconsistentEdges)
{
    public bool IsWatertight => BoundaryEdges == 0 && NonManifoldEdges == 0 && InconsistentEdges == 0;
}
