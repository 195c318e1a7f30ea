using System.Numerics;

namespace CncTwin.Geometry;

/// <summary>
/// Extracts the iso-surface of a layered scalar field as a closed, edge-manifold triangle mesh with
/// outward winding (see <see cref="MarchingCubesTable"/> for why the table guarantees that).
/// </summary>
public static class MarchingCubes
{
    // Crossings are kept this fraction of a cell away from the grid points: a value exactly at the
    // iso level would otherwise put the crossings of several edges on the same grid point, and
    // welding by position would then fuse distinct vertices into degenerate, non-manifold triangles.
    // 1/64 cell is far above float resolution for any grid that fits in memory, and far below the
    // accuracy a grid of that cell size has anyway.
    private const float MinCrossing = 1f / 64;
    private const float MaxCrossing = 1 - MinCrossing;

    /// <summary>
    /// Emits the surface where the field equals <paramref name="iso"/>; values at or above it are
    /// inside. The field is treated as outside beyond its grid (one layer of padding on every side), so
    /// the surface is always closed. Holds three layers at a time; reports progress in [0, 1].
    /// </summary>
    public static void Extract(IScalarLayers field, float iso, ITriangleSink sink, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(sink);
        if (!float.IsFinite(iso))
        {
            throw new ArgumentOutOfRangeException(nameof(iso), iso, "the iso level must be finite");
        }
        int nx = field.Nx, ny = field.Ny, nz = field.Nz;
        float cell = field.CellMm;
        Vector3 origin = field.Origin;
        ArgumentOutOfRangeException.ThrowIfNegative(nx, nameof(field) + ".Nx");
        ArgumentOutOfRangeException.ThrowIfNegative(ny, nameof(field) + ".Ny");
        ArgumentOutOfRangeException.ThrowIfNegative(nz, nameof(field) + ".Nz");
        if (!(cell > 0) || !float.IsFinite(cell))
        {
            throw new ArgumentOutOfRangeException(nameof(field), cell, "the cell size must be positive and finite");
        }
        if (!float.IsFinite(origin.X) || !float.IsFinite(origin.Y) || !float.IsFinite(origin.Z))
        {
            throw new ArgumentOutOfRangeException(nameof(field), origin, "the origin must be finite");
        }
        if (nx == 0 || ny == 0 || nz == 0)
        {
            progress?.Report(1);
            return;
        }

        // Padded grid: index p holds grid index p - 1, and indices 0 and n + 1 are padding.
        int px = nx + 2, py = ny + 2, pz = nz + 2;
        if ((long)px * py > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(field), $"a {nx} x {ny} layer is too large");
        }
        // Outside whatever the iso level is: 0 when that is below it, otherwise clearly below it.
        float padding = iso > 0 ? 0f : iso - Math.Max(1f, Math.Abs(iso));

        // Grid coordinates computed once per index, so that every cube touching a grid point uses the
        // bit-identical coordinate for it, which is what lets shared crossings weld by position.
        float[] xs = Coordinates(origin.X, cell, px), ys = Coordinates(origin.Y, cell, py), zs = Coordinates(origin.Z, cell, pz);

        var scratch = new float[nx * ny];
        var lower = new float[px * py];
        var upper = new float[px * py];
        lower.AsSpan().Fill(padding);
        upper.AsSpan().Fill(padding);
        int wx = px - 1, wy = py - 1;
        var lowerCodes = new byte[wx * wy];
        var upperCodes = new byte[wx * wy];
        var cases = new byte[wx * wy];
        Span<Vector3> crossings = stackalloc Vector3[12];
        Span<float> corners = stackalloc float[8];

        // Padding layer 0 is already in 'lower'; its codes are all zero.
        LoadLayer(field, 1, nz, scratch, upper, padding, iso, upperCodes, px, py);
        for (int kp = 0; kp <= nz; kp++)
        {
            CombineCodes(lowerCodes, upperCodes, cases);
            for (int j = 0; j < wy; j++)
            {
                ReadOnlySpan<byte> row = cases.AsSpan(j * wx, wx);
                int i = 0;
                while (true)
                {
                    // Cubes entirely inside or outside have no surface; skipping them vectorised is most of the speed.
                    int skip = row[i..].IndexOfAnyExcept((byte)0, (byte)255);
                    if (skip < 0)
                    {
                        break;
                    }
                    i += skip;
                    EmitCube(row[i], i, j, kp, lower, upper, px, iso, xs, ys, zs, cell, corners, crossings, sink);
                    i++;
                    if (i == wx)
                    {
                        break;
                    }
                }
            }
            progress?.Report((kp + 1.0) / (nz + 1));

            if (kp < nz)
            {
                (lower, upper) = (upper, lower);
                (lowerCodes, upperCodes) = (upperCodes, lowerCodes);
                LoadLayer(field, kp + 2, nz, scratch, upper, padding, iso, upperCodes, px, py);
            }
        }
    }

    private static float[] Coordinates(float origin, float cell, int paddedCount)
    {
        var coordinates = new float[paddedCount];
        for (int p = 0; p < paddedCount; p++)
        {
            coordinates[p] = origin + (p - 1) * cell;
        }
        return coordinates;
    }

    /// <summary>
    /// Loads padded layer <paramref name="kp"/> into <paramref name="values"/> (whose border is
    /// always padding) and computes the 4-bit inside code of every grid square in it.
    /// </summary>
    private static void LoadLayer(IScalarLayers field, int kp, int nz, float[] scratch, float[] values, float padding,
        float iso, byte[] codes, int px, int py)
    {
        int nx = px - 2, ny = py - 2;
        if (kp == 0 || kp == nz + 1)
        {
            values.AsSpan().Fill(padding);
        }
        else
        {
            scratch.AsSpan().Fill(padding);
            field.FillLayer(kp - 1, scratch);
            for (int j = 0; j < ny; j++)
            {
                scratch.AsSpan(j * nx, nx).CopyTo(values.AsSpan((j + 1) * px + 1, nx));
            }
        }

        // Bits 0..3 for corners (i, j), (i+1, j), (i, j+1), (i+1, j+1): the low nibble of the cube case
        // when this layer is below, the high nibble when it is above.
        int wx = px - 1, wy = py - 1;
        for (int j = 0; j < wy; j++)
        {
            ReadOnlySpan<float> row0 = values.AsSpan(j * px, px), row1 = values.AsSpan((j + 1) * px, px);
            Span<byte> target = codes.AsSpan(j * wx, wx);
            // NaN compares false, so an undefined value counts as outside.
            int previous = (row0[0] >= iso ? 1 : 0) | (row1[0] >= iso ? 4 : 0);
            for (int i = 0; i < wx; i++)
            {
                int current = (row0[i + 1] >= iso ? 1 : 0) | (row1[i + 1] >= iso ? 4 : 0);
                target[i] = (byte)(previous | current << 1);
                previous = current;
            }
        }
    }

    private static void CombineCodes(byte[] lowerCodes, byte[] upperCodes, byte[] cases)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<byte>.Count <= cases.Length; i += Vector<byte>.Count)
            {
                var low = new Vector<byte>(lowerCodes, i);
                var high = new Vector<byte>(upperCodes, i);
                (low | high * (byte)16).CopyTo(cases, i);
            }
        }
        for (; i < cases.Length; i++)
        {
            cases[i] = (byte)(lowerCodes[i] | upperCodes[i] << 4);
        }
    }

    private static void EmitCube(int cubeCase, int i, int j, int kp, float[] lower, float[] upper, int px, float iso,
        float[] xs, float[] ys, float[] zs, float cell, Span<float> corner, Span<Vector3> crossings, ITriangleSink sink)
    {
        int at = j * px + i;
        corner[0] = lower[at];
        corner[1] = lower[at + 1];
        corner[2] = lower[at + px];
        corner[3] = lower[at + px + 1];
        corner[4] = upper[at];
        corner[5] = upper[at + 1];
        corner[6] = upper[at + px];
        corner[7] = upper[at + px + 1];

        int mask = MarchingCubesTable.CaseEdgeMask[cubeCase];
        for (int e = 0; e < 12; e++)
        {
            if ((mask >> e & 1) == 0)
            {
                continue;
            }
            int low = MarchingCubesTable.EdgeLowCorner[e];
            int axis = MarchingCubesTable.EdgeAxis[e];
            int high = low | 1 << axis;
            float x = xs[i + (low & 1)], y = ys[j + (low >> 1 & 1)], z = zs[kp + (low >> 2)];
            // Always from the low end of the edge to the high end, so the cubes sharing the edge compute
            // the same bits. NaN (from NaN or infinite samples) falls to the low clamp.
            float t = (iso - corner[low]) / (corner[high] - corner[low]);
            t = t > MaxCrossing ? MaxCrossing : t >= MinCrossing ? t : MinCrossing;
            float offset = t * cell;
            crossings[e] = axis switch
            {
                0 => new Vector3(x + offset, y, z),
                1 => new Vector3(x, y + offset, z),
                _ => new Vector3(x, y, z + offset),
            };
        }

        ReadOnlySpan<byte> edges = MarchingCubesTable.TriangleEdges.AsSpan(
            MarchingCubesTable.CaseStart[cubeCase], MarchingCubesTable.CaseStart[cubeCase + 1] - MarchingCubesTable.CaseStart[cubeCase]);
        for (int n = 0; n < edges.Length; n += 3)
        {
            sink.AddTriangle(crossings[edges[n]], crossings[edges[n + 1]], crossings[edges[n + 2]]);
        }
    }
}
