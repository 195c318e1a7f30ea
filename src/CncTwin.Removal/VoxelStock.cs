using CncTwin.Core;
using CncTwin.Geometry;

namespace CncTwin.Removal;

/// <summary>
/// The workpiece as voxels of edge CellMm, one (x, y) column along Z at a time (voxel k of a column is centred at
/// z = Origin.Z + (k + ½)·Cell). A 3-axis cutter always clears a column from its lowest point upward, so a
/// column that starts as one solid run stays one run for the whole program: such columns are stored as the run
/// [Bottom, Top) alone (with the top's sub-voxel offset, 12 bytes however tall the stock). Only columns with more than one run (an STL stock
/// with pockets, holes or overhangs) get a block of 64-bit words in a shared pool, bit k = voxel k, and Top is
/// then an upper bound of their highest voxel + 1. Memory therefore scales with the footprint, not the volume:
/// a 500×500×200 mm box at 0.1 mm (5·10¹⁰ voxels, 6.4 GB as a dense bitset) takes 400 MB. The same column
/// code (<see cref="ColumnOps"/>) reads both kinds on the CPU and in the ILGPU kernels.
/// </summary>
public sealed class VoxelStock
{
    /// <summary>The word pool past this would thrash or fail; refuse with a clear message instead.</summary>
    public const long MaxPoolBytes = 6L << 30;

    public Vec3 Origin { get; }
    public double CellMm { get; }
    public int Nx { get; }
    public int Ny { get; }
    public int Nz { get; }
    public int WordsPerColumn { get; }
    /// <summary>Per column: the block of Pool holding its bits, or −1 when the column is the single run [Bottom, Top).</summary>
    public int[] Slot { get; }
    public int[] Bottom { get; }
    public int[] Top { get; }
    /// <summary>
    /// Per column: where the material's true top lies relative to the voxel boundary Top, in
    /// 1/<see cref="ColumnCounts.ExactPerVoxel"/> of a voxel (−½..+½ voxel; counted only while voxel Top−1 is
    /// material). The voxels say whether a centre is inside; this says by how much the surface misses the boundary,
    /// so a cut that ends inside a voxel, or a later cut that takes the rest of it, is counted exactly: the stock's
    /// volume and the sum of the moves' removed volumes are then the same number at any voxel size.
    /// </summary>
    public int[] TopOffset { get; }
    /// <summary>Word blocks of the multi-run columns (WordsPerColumn words each); may be longer than in use.</summary>
    public ulong[] Pool { get; private set; }
    public int Blocks { get; private set; }
    public double VoxelVolumeMm3 => CellMm * CellMm * CellMm;
    public Vec3 Max => Origin + new Vec3(Nx * CellMm, Ny * CellMm, Nz * CellMm);
    /// <summary>Bytes the voxels take (column table plus used pool words).</summary>
    public long StorageBytes => (long)Nx * Ny * 16 + (long)Blocks * WordsPerColumn * 8;
    /// <summary>What a plain dense bitset of the same grid would take.</summary>
    public long DenseBytes => (long)Nx * Ny * WordsPerColumn * 8;

    public VoxelStock(Vec3 origin, double cellMm, int nx, int ny, int nz)
    {
        if (!(cellMm > 0) || !double.IsFinite(cellMm)) throw new ArgumentException("the voxel size must be a positive number of mm");
        if (nx < 1 || ny < 1 || nz < 1) throw new ArgumentException("the stock must be at least one voxel in every direction");
        if ((long)nx * ny > 1L << 30)
            throw new ArgumentException($"{nx}x{ny} voxel columns ({(long)nx * ny * 16 >> 20} MiB of column table) is too many: use a coarser voxel size");
        // Before allocating: does the stock fit in the memory this computer has free now? (Not only under the column cap.)
        if (MemoryBudget.Check((long)nx * ny, cellMm) is { } tooBig) throw new ArgumentException(tooBig);
        Origin = origin; CellMm = cellMm; Nx = nx; Ny = ny; Nz = nz; WordsPerColumn = (nz + 63) >> 6;
        Slot = new int[nx * ny];
        Array.Fill(Slot, -1);
        Bottom = new int[nx * ny];
        Top = new int[nx * ny];
        TopOffset = new int[nx * ny];
        Pool = new ulong[WordsPerColumn];
    }

    public double CenterX(int i) => Origin.X + (i + 0.5) * CellMm;
    public double CenterY(int j) => Origin.Y + (j + 0.5) * CellMm;
    public double CenterZ(int k) => Origin.Z + (k + 0.5) * CellMm;

    private HostColumns Columns => Host();

    /// <summary>The column table and pool as a store for <see cref="ColumnOps"/> (the CPU sweep path uses it directly).</summary>
    public HostColumns Host() => new(Pool, Slot, Bottom, Top, TopOffset, WordsPerColumn);

    public bool IsSet(int i, int j, int k)
    {
        if ((uint)i >= (uint)Nx || (uint)j >= (uint)Ny || (uint)k >= (uint)Nz) return false;
        var s = Columns;
        return ColumnOps.Test(ref s, j * Nx + i, k);
    }

    /// <summary>Word w (voxels 64w..64w+63) of column c, whichever way the column is stored.</summary>
    public ulong ColumnWord(int c, int w)
    {
        int slot = Slot[c];
        return slot >= 0 ? Pool[(long)slot * WordsPerColumn + w] : ColumnOps.RunWord(Bottom[c], Top[c], w);
    }

    /// <summary>Is there material at the voxel containing the point (mm)?</summary>
    public bool IsMaterial(double x, double y, double z) =>
        IsSet((int)Math.Floor((x - Origin.X) / CellMm), (int)Math.Floor((y - Origin.Y) / CellMm), (int)Math.Floor((z - Origin.Z) / CellMm));

    public long CountVoxels()
    {
        var s = Columns;
        long n = 0;
        for (int c = 0; c < Slot.Length; c++) n += ColumnOps.CountRange(ref s, c, 0, Nz);
        return n;
    }

    /// <summary>Volume of the material voxels (whole voxels: what the mesh and the comparisons see).</summary>
    public double VolumeMm3 => CountVoxels() * VoxelVolumeMm3;

    /// <summary>The material's volume with each column's top at its true height (<see cref="TopOffset"/>).</summary>
    public double ExactVolumeMm3
    {
        get
        {
            var s = Columns;
            long voxels = 0, offsets = 0;
            for (int c = 0; c < Slot.Length; c++)
            {
                voxels += ColumnOps.CountRange(ref s, c, 0, Nz);
                offsets += ColumnOps.TopExtra(ref s, c);
            }
            return (voxels + offsets / (double)ColumnCounts.ExactPerVoxel) * VoxelVolumeMm3;
        }
    }

    /// <summary>Sets column (i, j)'s true top height (mm) for a column whose highest voxel is FirstAbove(z) − 1.</summary>
    private void SetTrueTop(int i, int j, double zMm)
    {
        int c = j * Nx + i;
        TopOffset[c] = ColumnOps.OffsetOf((zMm - Origin.Z) / CellMm - Top[c]);
    }

    /// <summary>Sets voxels k0 ≤ k &lt; k1 of column (i, j): extends the column's run, or moves it to a word block when a second run appears.</summary>
    public void FillColumn(int i, int j, int k0, int k1)
    {
        k0 = Math.Max(k0, 0); k1 = Math.Min(k1, Nz);
        if (k1 <= k0) return;
        int c = j * Nx + i;
        // A new highest voxel is filled to its boundary: the old top's offset no longer applies.
        if (k1 > Top[c] || Top[c] <= Bottom[c] && Slot[c] < 0) TopOffset[c] = 0;
        if (Slot[c] < 0)
        {
            int b = Bottom[c], t = Top[c];
            if (t <= b) { Bottom[c] = k0; Top[c] = k1; return; }            // empty column: the run is the new one
            if (k0 <= t && k1 >= b) { Bottom[c] = Math.Min(b, k0); Top[c] = Math.Max(t, k1); return; } // touches: union
            ToBlock(c);
        }
        long o = (long)Slot[c] * WordsPerColumn;
        for (int k = k0; k < k1;)
        {
            int w = k >> 6, bit = k & 63, n = Math.Min(64 - bit, k1 - k);
            ulong mask = n == 64 ? ulong.MaxValue : ((1UL << n) - 1) << bit;
            Pool[o + w] |= mask;
            k += n;
        }
        Top[c] = Math.Max(Top[c], k1);
    }

    /// <summary>Moves column c's run into a fresh word block.</summary>
    private void ToBlock(int c)
    {
        long need = (long)(Blocks + 1) * WordsPerColumn;
        if (need * 8 > MaxPoolBytes)
            throw new ArgumentException($"the stock has too many multi-run voxel columns ({Blocks + 1} x {WordsPerColumn * 8} bytes exceeds {MaxPoolBytes >> 30} GiB): use a coarser voxel size");
        if (need > Pool.Length) Pool = GrowTo(Pool, Math.Max(need, Math.Min(2L * Pool.Length, MaxPoolBytes / 8)));
        int slot = Blocks++;
        long o = (long)slot * WordsPerColumn;
        for (int w = 0; w < WordsPerColumn; w++) Pool[o + w] = ColumnOps.RunWord(Bottom[c], Top[c], w);
        Slot[c] = slot;
        Bottom[c] = 0;
    }

    private static ulong[] GrowTo(ulong[] a, long length)
    {
        var b = new ulong[length];
        a.CopyTo(b, 0);
        return b;
    }

    /// <summary>Stores every column as a word block (the plain dense bitset): for checking that both representations agree.</summary>
    public void Densify()
    {
        for (int c = 0; c < Slot.Length; c++) if (Slot[c] < 0) ToBlock(c);
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
                if (s.CenterX(i) < max.X && s.CenterY(j) < max.Y) { s.FillColumn(i, j, 0, k1); s.SetTrueTop(i, j, max.Z); }
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
                if (dx * dx + dy * dy <= radiusMm * radiusMm) { s.FillColumn(i, j, 0, k1); s.SetTrueTop(i, j, zMax); }
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
        Slot.CopyTo(c.Slot, 0);
        Bottom.CopyTo(c.Bottom, 0);
        Top.CopyTo(c.Top, 0);
        TopOffset.CopyTo(c.TopOffset, 0);
        c.Pool = (ulong[])Pool.Clone();
        c.Blocks = Blocks;
        return c;
    }

    /// <summary>Copies another stock of the same grid into this one (benchmarks reset a worked stock this way).</summary>
    public void CopyFrom(VoxelStock o)
    {
        if (o.Nx != Nx || o.Ny != Ny || o.Nz != Nz) throw new ArgumentException("stocks differ in size");
        o.Slot.CopyTo(Slot, 0);
        o.Bottom.CopyTo(Bottom, 0);
        o.Top.CopyTo(Top, 0);
        o.TopOffset.CopyTo(TopOffset, 0);
        if (Pool.Length < o.Pool.Length) Pool = new ulong[o.Pool.Length];
        o.Pool.AsSpan().CopyTo(Pool);
        Blocks = o.Blocks;
    }
}

/// <summary>A stock's own arrays as an <see cref="IColumnStore"/>.</summary>
public readonly struct HostColumns(ulong[] pool, int[] slot, int[] bottom, int[] top, int[] offset, int words) : IColumnStore
{
    public int Offset(int column) => offset[column];
    public void SetOffset(int column, int value) => offset[column] = value;
    public int Words => words;
    public int Slot(int column) => slot[column];
    public int Bottom(int column) => bottom[column];
    public int Top(int column) => top[column];
    public void SetTop(int column, int t) => top[column] = t;
    public ulong Load(long index) => pool[index];
    public void Store(long index, ulong word) => pool[index] = word;
}

/// <summary>
/// The memory a stock of so many voxel columns needs while a simulation runs, against what this computer has
/// free: the 16-byte column table, GC headroom for it (×1.5) and the rest of the pipeline's working set
/// (~0.5 GB measured: runtime, planner, force signatures, meshes at their bounded resolution).
/// </summary>
public static class MemoryBudget
{
    public const double BytesPerColumn = 16 * 1.5;
    public const long PipelineBaseBytes = 512L << 20;

    /// <summary>Null when it fits; else the sentence that says the sizes and the finest voxel size that fits.</summary>
    public static string? Check(long columns, double cellMm)
    {
        long available = AvailableBytes();
        // The rest of the pipeline's share, at most a quarter of what is free (a small machine still runs small stocks).
        double baseBytes = Math.Min(PipelineBaseBytes, 0.25 * available);
        double need = baseBytes + columns * BytesPerColumn;
        double usable = 0.8 * available;
        if (available <= 0 || need <= usable) return null;
        if (usable - baseBytes < 64 * BytesPerColumn)
            return FormattableString.Invariant($"{columns:N0} voxel columns at {cellMm:0.####} mm need about {need / (1L << 30):0.0} GB while simulating, and this computer has only {available / (double)(1L << 30):0.00} GB free: not enough for a stock at any useful voxel size");
        // Columns scale with 1/cell²: the finest cell whose columns fit in what is usable.
        double fitColumns = Math.Max(1, (usable - baseBytes) / BytesPerColumn);
        double finest = cellMm * Math.Sqrt(columns / fitColumns);
        return FormattableString.Invariant($"{columns:N0} voxel columns at {cellMm:0.####} mm need about {need / (1L << 30):0.0} GB while simulating, and this computer has {available / (double)(1L << 30):0.0} GB free: the finest voxel size that fits is about {Math.Ceiling(finest * 1000) / 1000:0.###} mm");
    }

    /// <summary>
    /// Memory available to this process now: Linux's MemAvailable (what can be had without swapping), within the
    /// GC's limit (a container's). CNCTWIN_MEMORY_MB sets the budget instead (a shared server's share; tests).
    /// </summary>
    public static long AvailableBytes()
    {
        if (long.TryParse(Environment.GetEnvironmentVariable("CNCTWIN_MEMORY_MB"), out long mb) && mb > 0) return mb << 20;
        long gcLimit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/meminfo"))
                foreach (var line in File.ReadLines("/proc/meminfo"))
                    if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)
                        && long.TryParse(line["MemAvailable:".Length..].Trim().Split(' ')[0], out long kb))
                        return Math.Min(kb * 1024, gcLimit);
        }
        catch (IOException) { }
        return gcLimit;
    }
}
