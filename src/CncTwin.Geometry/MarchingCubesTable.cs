namespace CncTwin.Geometry;

/// <summary>
/// The marching-cubes case table, derived at start-up from one rule rather than typed in, so that
/// its guarantees follow from the construction:
/// <list type="bullet">
/// <item>On each cube face the crossing segments depend on that face's four corners alone (on a
/// checkerboard face the two inside corners are always cut off separately), so the two cubes
/// sharing a face produce the same segments and the surface has no cracks.</item>
/// <item>Each segment is oriented with the inside on its right seen from outside the cube; each
/// crossing point then starts one segment and ends one (it lies on exactly two faces, which traverse
/// its edge in opposite directions), so the segments chain into closed loops, and the two cubes
/// sharing a face traverse each segment in opposite directions, which makes the winding consistent.
/// Triangulated in loop order, the triangles face outwards (away from the inside corners).</item>
/// <item>No triangle edge joins two crossing points of the same face unless a segment of that face
/// does; such an edge could be chosen by the neighbouring cube as well and be shared by four
/// triangles. Every other edge belongs to exactly one cube, so the mesh is edge-manifold.</item>
/// </list>
/// Corner c sits at (c &amp; 1, (c &gt;&gt; 1) &amp; 1, (c &gt;&gt; 2) &amp; 1); case bit c is set when corner c is inside.
/// </summary>
internal static class MarchingCubesTable
{
    /// <summary>Lower-coordinate corner of each of the 12 edges.</summary>
    public static readonly byte[] EdgeLowCorner = new byte[12];

    /// <summary>Axis (0 x, 1 y, 2 z) each edge runs along, from its low corner.</summary>
    public static readonly byte[] EdgeAxis = new byte[12];

    /// <summary>Triangles of case c: edge triples TriangleEdges[CaseStart[c] .. CaseStart[c + 1]).</summary>
    public static readonly ushort[] CaseStart = new ushort[257];

    public static readonly byte[] TriangleEdges;

    /// <summary>Bit e is set when case c has a crossing on edge e.</summary>
    public static readonly ushort[] CaseEdgeMask = new ushort[256];

    private static readonly int[,] EdgeBetween = new int[8, 8];

    // Faces: index 2 * axis + side; corners in counter-clockwise order seen from outside the cube.
    private static readonly int[][] FaceCorners = new int[6][];

    static MarchingCubesTable()
    {
        int edge = 0;
        for (int axis = 0; axis < 3; axis++)
        {
            for (int corner = 0; corner < 8; corner++)
            {
                if ((corner >> axis & 1) == 0)
                {
                    int high = corner | 1 << axis;
                    EdgeLowCorner[edge] = (byte)corner;
                    EdgeAxis[edge] = (byte)axis;
                    EdgeBetween[corner, high] = EdgeBetween[high, corner] = edge;
                    edge++;
                }
            }
        }

        for (int axis = 0; axis < 3; axis++)
        {
            // (u, v, axis) is right-handed, so (0,0) (1,0) (1,1) (0,1) in (u, v) runs counter-clockwise
            // seen from +axis; the face at side 0 is seen from -axis and takes the reverse order.
            int u = (axis + 1) % 3, v = (axis + 2) % 3;
            for (int side = 0; side < 2; side++)
            {
                int[] square = [0b00, 0b01, 0b11, 0b10];
                var corners = new int[4];
                for (int n = 0; n < 4; n++)
                {
                    int uv = square[side == 1 ? n : (4 - n) % 4];
                    corners[n] = side << axis | (uv & 1) << u | (uv >> 1) << v;
                }
                FaceCorners[2 * axis + side] = corners;
            }
        }

        var triangles = new List<byte>();
        for (int cubeCase = 0; cubeCase < 256; cubeCase++)
        {
            CaseStart[cubeCase] = (ushort)triangles.Count;
            BuildCase(cubeCase, triangles);
        }
        CaseStart[256] = (ushort)triangles.Count;
        TriangleEdges = [.. triangles];
    }

    private static void BuildCase(int cubeCase, List<byte> triangles)
    {
        bool Inside(int corner) => (cubeCase >> corner & 1) != 0;

        // next[e]: the crossing that follows crossing e along its loop.
        var next = new int[12];
        Array.Fill(next, -1);
        void AddSegment(int from, int to)
        {
            if (next[from] >= 0)
            {
                throw new InvalidOperationException($"marching cubes case {cubeCase}: edge {from} starts two segments");
            }
            next[from] = to;
        }

        foreach (int[] face in FaceCorners)
        {
            bool checkerboard = Inside(face[0]) == Inside(face[2]) && Inside(face[1]) == Inside(face[3])
                && Inside(face[0]) != Inside(face[1]);
            for (int n = 0; n < 4; n++)
            {
                int previous = face[(n + 3) % 4], corner = face[n], following = face[(n + 1) % 4];
                if (checkerboard)
                {
                    // Cut each inside corner off on its own: from the crossing entering it to the one leaving it.
                    if (Inside(corner))
                    {
                        AddSegment(EdgeBetween[previous, corner], EdgeBetween[corner, following]);
                    }
                }
                else if (!Inside(previous) && Inside(corner))
                {
                    // The one run of inside corners begins here; the segment goes to where the run ends,
                    // which keeps the inside on its right seen from outside the cube.
                    int end = n;
                    while (Inside(face[(end + 1) % 4]))
                    {
                        end = (end + 1) % 4;
                    }
                    AddSegment(EdgeBetween[previous, corner], EdgeBetween[face[end], face[(end + 1) % 4]]);
                }
            }
        }

        ushort mask = 0;
        Span<bool> visited = stackalloc bool[12];
        Span<int> loop = stackalloc int[12];
        for (int first = 0; first < 12; first++)
        {
            if (next[first] < 0 || visited[first])
            {
                continue;
            }
            int length = 0;
            for (int e = first; !visited[e]; e = next[e])
            {
                if (next[e] < 0)
                {
                    throw new InvalidOperationException($"marching cubes case {cubeCase}: loop through edge {first} is open");
                }
                visited[e] = true;
                loop[length++] = e;
                mask |= (ushort)(1 << e);
            }
            if (next[loop[length - 1]] != first)
            {
                throw new InvalidOperationException($"marching cubes case {cubeCase}: loop through edge {first} does not close");
            }
            Triangulate(cubeCase, loop[..length], triangles);
        }
        for (int e = 0; e < 12; e++)
        {
            bool crossed = Inside(EdgeLowCorner[e]) != Inside(EdgeLowCorner[e] | 1 << EdgeAxis[e]);
            if (crossed != ((mask >> e & 1) != 0))
            {
                throw new InvalidOperationException($"marching cubes case {cubeCase}: edge {e} is crossed but on no loop, or the reverse");
            }
        }
        CaseEdgeMask[cubeCase] = mask;
    }

    /// <summary>
    /// A fan from the first loop point whose diagonals all avoid joining two crossings of one face.
    /// </summary>
    private static void Triangulate(int cubeCase, ReadOnlySpan<int> loop, List<byte> triangles)
    {
        int n = loop.Length;
        for (int apex = 0; apex < n; apex++)
        {
            bool allowed = true;
            for (int k = 2; k <= n - 2 && allowed; k++)
            {
                allowed = !ShareFace(loop[apex], loop[(apex + k) % n]);
            }
            if (!allowed)
            {
                continue;
            }
            for (int k = 1; k + 1 < n; k++)
            {
                triangles.Add((byte)loop[apex]);
                triangles.Add((byte)loop[(apex + k) % n]);
                triangles.Add((byte)loop[(apex + k + 1) % n]);
            }
            return;
        }
        throw new InvalidOperationException($"marching cubes case {cubeCase}: no fan of a {n}-point loop avoids same-face diagonals");
    }

    private static bool ShareFace(int edgeA, int edgeB)
    {
        // An edge lies on the two faces across the other axes, on the side given by its low corner.
        for (int axis = 0; axis < 3; axis++)
        {
            if (axis != EdgeAxis[edgeA] && axis != EdgeAxis[edgeB]
                && (EdgeLowCorner[edgeA] >> axis & 1) == (EdgeLowCorner[edgeB] >> axis & 1))
            {
                return true;
            }
        }
        return false;
    }
}
