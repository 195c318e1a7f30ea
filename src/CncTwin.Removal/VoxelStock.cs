using System.Numerics;
using CncTwin.Core;
using CncTwin.Geometry;

namespace CncTwin.Removal;

/// <summary>
/// The workpiece as voxels of edge CellMm: one bit per voxel, stored as a bitset per (x, y) column along Z
/// (bit k of a column = voxel centred at z = Origin.Z + (k + ½)·Cell). A 3-axis cutter always clears a column
/// from its lowest point upward, so a move updates whole 64-bit words; columns are contiguous in memory so one
/// GPU thread (or one CPU loop iteration) owns one column. Top[c] is an upper bound of (highest set bit + 1) of
/// column c: the cheap test that lets a move skip columns whose material lies below the cutter.
/// </summary>
public sealed class VoxelStock
{
    /// <summary>Dense storage past this would need bricks; refuse with a clear message instead of thrashing.</summary>
    public const long MaxDenseBytes = 6L << 30;

    public Vec3 Origin { get; }
    public double CellMm { get; }
    public int Nx { get; }
    public int Ny { get; }
    public int Nz { get; }
    public int WordsPerColumn { get; }
    public ulong[] Words { get; }
    public int[] Top { get; }
    public double VoxelVolumeMm3 => CellMm * CellMm * CellMm;
    public Vec3 Max => Origin + new Vec3(Nx * CellMm, Ny * CellMm, Nz * CellMm);

    public VoxelStock(Vec3 origin, double cellMm, int nx, int ny, int nz)
    {
        if (!(cellMm > 0) || !double.IsFinite(cellMm)) throw new ArgumentException("the voxel size must be a positive number of mm");
        if (nx < 1 || ny < 1 || nz < 1) throw new ArgumentException("the stock must be at least one voxel in every direction");
        int words = (nz + 63) >> 6;
        long bytes = (long)nx * ny * words * 8;
        if (bytes > MaxDenseBytes || (long)nx * ny > int.MaxValue / Math.Max(1, words))
            throw new ArgumentException($"{nx}x{ny}x{nz} voxels need {bytes / (1 << 20)} MiB: use a coarser --resolution");
        Origin = origin; CellMm = cellMm; Nx = nx; Ny = ny; Nz = nz; WordsPerColumn = words;
        Words = new ulong[(long)nx * ny * words];
        Top = new int[nx * ny];
    }

    public double CenterX(int i) => Origin.X + (i + 0.5) * CellMm;
    public double CenterY(int j) => Origin.Y + (j + 0.5) * CellMm;
    public double CenterZ(int k) => Origin.Z + (k + 0.5) * CellMm;

    public bool IsSet(int i, int j, int k)
    {
        if ((uint)i >= (uint)Nx || (uint)j >= (uint)Ny || (uint)k >= (uint)Nz) return false;
        return (Words[(long)(j * Nx + i) * WordsPerColumn + (k >> 6)] >> (k & 63) & 1) != 0;
    }

    /// <summary>Is there material at the voxel containing the point (mm)?</summary>
    public bool IsMaterial(double x, double y, double z) =>
        IsSet((int)Math.Floor((x - Origin.X) / CellMm), (int)Math.Floor((y - Origin.Y) / CellMm), (int)Math.Floor((z - Origin.Z) / CellMm));

    public long CountVoxels()
    {
        long n = 0;
        foreach (ulong w in Words) n += BitOperations.PopCount(w);
        return n;
    }

    public double VolumeMm3 => CountVoxels() * VoxelVolumeMm3;

    /// <summary>Sets voxels k0 ≤ k &lt; k1 of column (i, j) and keeps Top an upper bound.</summary>
    public void FillColumn(int i, int j, int k0, int k1)
    {
        k0 = Math.Max(k0, 0); k1 = Math.Min(k1, Nz);
        if (k1 <= k0) return;
        long b = (long)(j * Nx + i) * WordsPerColumn;
        for (int k = k0; k < k1;)
        {
            int w = k >> 6, bit = k & 63, n = Math.Min(64 - bit, k1 - k);
            ulong mask = n == 64 ? ulong.MaxValue : ((1UL << n) - 1) << bit;
            Words[b + w] |= mask;
            k += n;
        }
        int c = j * Nx + i;
        Top[c] = Math.Max(Top[c], k1);
    }

    /// <summary>Index of the first voxel whose centre lies above z (0..Nz).</summary>
    public int FirstAbove(double z) => (int)Math.Clamp(Math.Floor((z - Origin.Z) / CellMm - 0.5) + 1, 0, Nz);

    private static int Cells(double lengthMm, double cell) => Math.Max(1, (int)Math.Ceiling(lengthMm / cell - 1e-9));

    public static VoxelStock Box(Vec3 min, Vec3 max, double cellMm)
    {
        if (!(max.X > min.X && max.Y > min.Y && max.Z > min.Z)) throw new ArgumentException("box stock: each max must exceed its min");
        var s = new VoxelStock(min, cellMm, Cells(max.X - min.X, cellMm), Cells(max.Y - min.Y, cellMm), Cells(max.Z - min.Z, cellMm));
        int k1 = s.FirstAbove(max.Z);
        for (int j = 0; j < s.Ny; j++)
            for (int i = 0; i < s.Nx; i++)
                if (s.CenterX(i) < max.X && s.CenterY(j) < max.Y) s.FillColumn(i, j, 0, k1);
        return s;
    }

    /// <summary>A round bar standing on end: axis along Z through (cx, cy).</summary>
    public static VoxelStock Cylinder(double cx, double cy, double zMin, double zMax, double radiusMm, double cellMm)
    {
        if (!(radiusMm > 0) || !(zMax > zMin)) throw new ArgumentException("cylinder stock: radius must be positive and zmax above zmin");
        var min = new Vec3(cx - radiusMm, cy - radiusMm, zMin);
        var s = new VoxelStock(min, cellMm, Cells(2 * radiusMm, cellMm), Cells(2 * radiusMm, cellMm), Cells(zMax - zMin, cellMm));
        int k1 = s.FirstAbove(zMax);
        for (int j = 0; j < s.Ny; j++)
            for (int i = 0; i < s.Nx; i++)
            {
                double dx = s.CenterX(i) - cx, dy = s.CenterY(j) - cy;
                if (dx * dx + dy * dy <= radiusMm * radiusMm) s.FillColumn(i, j, 0, k1);
            }
        return s;
    }

    /// <summary>
    /// Voxelises a closed triangle mesh: a vertical ray through each column centre crosses the surface an even
    /// number of times, and voxels whose centres lie between the 1st and 2nd, 3rd and 4th... crossings are
    /// inside. Ray positions are nudged by an irrational fraction of a cell so that rays never run exactly
    /// through shared edges or vertices (which would count a crossing twice or not at all).
    /// </summary>
    public static VoxelStock FromMesh(TriangleSoup mesh, double cellMm)
    {
        if (mesh.TriangleCount == 0) throw new ArgumentException("the stock mesh has no triangles");
        var (lo, hi) = mesh.Bounds();
        var min = new Vec3(lo.X, lo.Y, lo.Z);
        var s = new VoxelStock(min, cellMm, Cells(hi.X - lo.X, cellMm), Cells(hi.Y - lo.Y, cellMm), Cells(hi.Z - lo.Z, cellMm));
        s.AddMesh(mesh);
        return s;
    }

    /// <summary>An empty stock on the same grid as this one (for comparing another solid voxel by voxel).</summary>
    public VoxelStock EmptyLike() => new(Origin, CellMm, Nx, Ny, Nz);

    /// <summary>Sets the voxels inside a closed mesh (parts outside the grid are ignored).</summary>
    public void AddMesh(TriangleSoup mesh)
    {
        var s = this;
        double cellMm = CellMm;
        var min = Origin;
        double nudgeX = cellMm * 1.3e-7 * Math.Sqrt(2), nudgeY = cellMm * 1.1e-7 * Math.Sqrt(3);
        // Two passes (count, then fill) give compressed-row crossing lists without a list per column.
        var count = new int[s.Nx * s.Ny + 1];
        var p = mesh.Positions;
        for (int pass = 0; pass < 2; pass++)
        {
            float[]? zs = pass == 1 ? new float[count[^1]] : null;
            int[]? fill = pass == 1 ? (int[])count.Clone() : null;
            for (int t = 0; t < mesh.TriangleCount; t++)
            {
                int o = t * 9;
                double ax = p[o], ay = p[o + 1], az = p[o + 2], bx = p[o + 3], by = p[o + 4], bz = p[o + 5], cx = p[o + 6], cy = p[o + 7], cz = p[o + 8];
                double det = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay);
                if (Math.Abs(det) < 1e-300) continue; // vertical triangle: a ray never crosses it
                int i0 = Math.Max(0, (int)Math.Floor((Math.Min(ax, Math.Min(bx, cx)) - min.X) / cellMm - 0.5));
                int i1 = Math.Min(s.Nx - 1, (int)Math.Ceiling((Math.Max(ax, Math.Max(bx, cx)) - min.X) / cellMm - 0.5));
                int j0 = Math.Max(0, (int)Math.Floor((Math.Min(ay, Math.Min(by, cy)) - min.Y) / cellMm - 0.5));
                int j1 = Math.Min(s.Ny - 1, (int)Math.Ceiling((Math.Max(ay, Math.Max(by, cy)) - min.Y) / cellMm - 0.5));
                for (int j = j0; j <= j1; j++)
                {
                    double y = s.CenterY(j) + nudgeY;
                    for (int i = i0; i <= i1; i++)
                    {
                        double x = s.CenterX(i) + nudgeX;
                        double u = ((x - ax) * (cy - ay) - (cx - ax) * (y - ay)) / det;
                        double v = ((bx - ax) * (y - ay) - (x - ax) * (by - ay)) / det;
                        if (u < 0 || v < 0 || u + v > 1) continue;
                        int c = j * s.Nx + i;
                        if (pass == 0) count[c + 1]++;
                        else zs![fill![c]++] = (float)(az + u * (bz - az) + v * (cz - az));
                    }
                }
            }
            if (pass == 0) { for (int c = 0; c < s.Nx * s.Ny; c++) count[c + 1] += count[c]; continue; }
            for (int c = 0; c < s.Nx * s.Ny; c++)
            {
                var span = zs.AsSpan(count[c], count[c + 1] - count[c]);
                span.Sort();
                for (int q = 0; q + 1 < span.Length; q += 2)
                    s.FillColumn(c % s.Nx, c / s.Nx, s.FirstAbove(span[q]), s.FirstAbove(span[q + 1]));
            }
        }
    }

    public VoxelStock Clone()
    {
        var c = new VoxelStock(Origin, CellMm, Nx, Ny, Nz);
        Words.CopyTo(c.Words, 0);
        Top.CopyTo(c.Top, 0);
        return c;
    }
}
