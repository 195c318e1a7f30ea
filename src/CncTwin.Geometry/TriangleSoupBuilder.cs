using System.Numerics;

namespace CncTwin.Geometry;

/// <summary>Collects triangles into a <see cref="TriangleSoup"/> (for volume and closedness checks).</summary>
public sealed class TriangleSoupBuilder : ITriangleSink
{
    private float[] positions;
    private int triangleCount;

    public TriangleSoupBuilder(int capacityTriangles = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityTriangles);
        positions = new float[9 * Math.Max(capacityTriangles, 1)];
    }

    public int TriangleCount => triangleCount;

    public void AddTriangle(Vector3 a, Vector3 b, Vector3 c)
    {
        int at = 9 * triangleCount;
        if (at + 9 > positions.Length)
        {
            Grow(at + 9);
        }
        Span<float> slot = positions.AsSpan(at, 9);
        slot[0] = a.X; slot[1] = a.Y; slot[2] = a.Z;
        slot[3] = b.X; slot[4] = b.Y; slot[5] = b.Z;
        slot[6] = c.X; slot[7] = c.Y; slot[8] = c.Z;
        triangleCount++;
    }

    /// <summary>A soup holding copies of the triangles added so far (trimmed to size).</summary>
    public TriangleSoup ToSoup() => new(positions.AsSpan(0, 9 * triangleCount).ToArray(), triangleCount);

    private void Grow(int needed)
    {
        // Stay a multiple of 9 below the array limit so a full soup still indexes whole triangles.
        long limit = Array.MaxLength / 9 * 9;
        if (needed > limit)
        {
            throw new InvalidOperationException($"more than {limit / 9} triangles do not fit in one soup");
        }
        long size = Math.Min(Math.Max((long)positions.Length * 2, needed), limit);
        Array.Resize(ref positions, (int)size);
    }
}
