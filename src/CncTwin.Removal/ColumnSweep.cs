using System.Runtime.InteropServices;

namespace CncTwin.Removal;

/// <summary>
/// One piece of a move as the sweep sees it: a straight line of the tool tip (any direction), or a circular arc
/// in a horizontal plane (the exact case of G2/G3 in G17 without helix). Helices and arcs in other planes
/// reach the sweep as chords. Blittable, so it goes to the GPU as is.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct SweepSegment
{
    public int IsArc;
    public double X0, Y0, Z0, X1, Y1, Z1;
    /// <summary>Arc: centre, radius, start angle (rad, from +X), signed sweep (rad, counter-clockwise positive).</summary>
    public double Cx, Cy, Rho, A0, SweepRad;

    public static SweepSegment Line(double x0, double y0, double z0, double x1, double y1, double z1) =>
        new() { X0 = x0, Y0 = y0, Z0 = z0, X1 = x1, Y1 = y1, Z1 = z1 };

    public static SweepSegment Arc(double cx, double cy, double z, double rho, double a0, double sweepRad) => new()
    {
        IsArc = 1, Cx = cx, Cy = cy, Rho = rho, A0 = a0, SweepRad = sweepRad, Z0 = z, Z1 = z,
        X0 = cx + rho * Math.Cos(a0), Y0 = cy + rho * Math.Sin(a0),
        X1 = cx + rho * Math.Cos(a0 + sweepRad), Y1 = cy + rho * Math.Sin(a0 + sweepRad),
    };
}

/// <summary>Everything one sweep (one move or one batch of chords) needs besides the stock and the cutter profile.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SweepParams
{
    public double OriginX, OriginY, OriginZ, Cell;
    public int Nx, Ny, Nz, Words;
    /// <summary>The rectangle of columns the sweep can touch: first column and size.</summary>
    public int BoxI0, BoxJ0, BoxNx, BoxNy;
    public int SegmentCount;
    /// <summary>
    /// Lowest tool tip over the segments, in voxel heights above the stock origin: no part of the tool reaches below
    /// its tip, so a column whose material (at its true top) ends at or below it is skipped without any geometry
    /// (the common case once a region is roughed: later passes only graze what is left).
    /// </summary>
    public double TipCells;
    public double FluteLengthMm, StickoutMm, ShankRadiusMm, HolderRadiusMm;
    /// <summary>
    /// Crash tolerance (half a voxel): material counts as hit by a rapid, the shank or the holder only where it
    /// lies more than this inside them, so quantisation at walls the cutter just left is never a crash.
    /// </summary>
    public double TolMm;
    /// <summary>
    /// 1 when the shank (resp. holder) can come down to the stock's top in this sweep; 0 lets every column skip
    /// that geometry (the common case: the flutes are longer than the cut is deep).
    /// </summary>
    public int ShankReaches, HolderReaches;
}

/// <summary>What one column must do for a sweep: heights in mm (±∞ where nothing applies).</summary>
public struct ColumnHeights
{
    /// <summary>Lowest point of the cutting surface over the sweep: material above it is removed.</summary>
    public double LowestMm;
    /// <summary>Material above this (columns well inside the cutter) counts as cut "deeply" (rapid crash test).</summary>
    public double DeepMm;
    /// <summary>Material in (ShankFromMm, ShankToMm] touches the shank without the flutes having cut it.</summary>
    public double ShankFromMm, ShankToMm;
    /// <summary>Material above this touches the holder.</summary>
    public double HolderFromMm;
}

/// <summary>
/// The per-column geometry of a 3-axis sweep, shared verbatim by the plain-CPU path and the ILGPU kernel (so
/// both give identical voxels). For a straight tip path and a column at horizontal distance e from the path
/// line, the cutter covers the column while |s| ≤ sqrt(R² − e²) (s: distance along the path from the foot
/// point), and the lowest cutting point is a 1-D convex minimum answered in closed form by the profile. For a
/// horizontal arc the lowest point is at the arc point nearest the column (profiles are non-decreasing in r).
/// </summary>
public static class ColumnSweep
{
    public static ColumnHeights Empty() => new()
    {
        LowestMm = double.PositiveInfinity, DeepMm = double.PositiveInfinity,
        ShankFromMm = double.NegativeInfinity, ShankToMm = double.NegativeInfinity, HolderFromMm = double.PositiveInfinity,
    };

    /// <summary>Folds one segment into the column's heights (ShankFromMm is the highest flute top so far).</summary>
    public static void Accumulate<TProfile>(ref ColumnHeights h, double x, double y, in SweepParams p, in SweepSegment seg, TProfile profile)
        where TProfile : struct, ICutterProfile
    {
        double r = profile.RadiusMm;
        double tipLo, tipHi;
        if (seg.IsArc != 0)
        {
            double d = ArcDistance(x, y, seg);
            if (d <= r)
            {
                double low = seg.Z0 + profile.HeightAt(d);
                h.LowestMm = Math.Min(h.LowestMm, low);
                if (d <= r - p.TolMm) h.DeepMm = Math.Min(h.DeepMm, low + p.TolMm);
                h.ShankFromMm = Math.Max(h.ShankFromMm, seg.Z0 + p.FluteLengthMm);
            }
            if (p.ShankReaches != 0 && d <= p.ShankRadiusMm - p.TolMm) h.ShankToMm = Math.Max(h.ShankToMm, seg.Z0 + p.StickoutMm);
            if (p.HolderReaches != 0 && d <= p.HolderRadiusMm - p.TolMm) h.HolderFromMm = Math.Min(h.HolderFromMm, seg.Z0 + p.StickoutMm);
            return;
        }
        double vx = seg.X1 - seg.X0, vy = seg.Y1 - seg.Y0, dz = seg.Z1 - seg.Z0;
        double len = Math.Sqrt(vx * vx + vy * vy);
        double qx = x - seg.X0, qy = y - seg.Y0;
        if (len < 1e-9)
        {
            // Vertical move (plunge or retract): the column sees the cutter at one distance all the way.
            double d = Math.Sqrt(qx * qx + qy * qy);
            double zLo = Math.Min(seg.Z0, seg.Z1), zHi = Math.Max(seg.Z0, seg.Z1);
            if (d <= r)
            {
                double low = zLo + profile.HeightAt(d);
                h.LowestMm = Math.Min(h.LowestMm, low);
                if (d <= r - p.TolMm) h.DeepMm = Math.Min(h.DeepMm, low + p.TolMm);
                h.ShankFromMm = Math.Max(h.ShankFromMm, zHi + p.FluteLengthMm);
            }
            if (p.ShankReaches != 0 && d <= p.ShankRadiusMm - p.TolMm) h.ShankToMm = Math.Max(h.ShankToMm, zHi + p.StickoutMm);
            if (p.HolderReaches != 0 && d <= p.HolderRadiusMm - p.TolMm) h.HolderFromMm = Math.Min(h.HolderFromMm, zLo + p.StickoutMm);
            return;
        }
        double ux = vx / len, uy = vy / len, m = dz / len;
        double sq = qx * ux + qy * uy;               // foot point, mm along the path
        double e = Math.Abs(qx * uy - qy * ux);      // distance from the path line
        double zFoot = seg.Z0 + m * sq;
        if (Cover(r, e, sq, len, out double a, out double b))
        {
            double low = zFoot + profile.LowestOnLine(m, e, a, b);
            h.LowestMm = Math.Min(h.LowestMm, low);
            if (e <= r - p.TolMm) h.DeepMm = Math.Min(h.DeepMm, low + p.TolMm);
            TipRange(zFoot, m, a, b, out tipLo, out tipHi);
            h.ShankFromMm = Math.Max(h.ShankFromMm, tipHi + p.FluteLengthMm);
        }
        if (p.ShankReaches != 0 && Cover(p.ShankRadiusMm - p.TolMm, e, sq, len, out a, out b))
        {
            TipRange(zFoot, m, a, b, out tipLo, out tipHi);
            h.ShankToMm = Math.Max(h.ShankToMm, tipHi + p.StickoutMm);
        }
        if (p.HolderReaches != 0 && Cover(p.HolderRadiusMm - p.TolMm, e, sq, len, out a, out b))
        {
            TipRange(zFoot, m, a, b, out tipLo, out tipHi);
            h.HolderFromMm = Math.Min(h.HolderFromMm, tipLo + p.StickoutMm);
        }
    }

    /// <summary>The stretch [a, b] of path (relative to the foot point) during which a disc of radius r covers the column.</summary>
    private static bool Cover(double r, double e, double sq, double len, out double a, out double b)
    {
        a = 0; b = 0;
        if (!(r > 0) || e > r) return false;
        double w = Math.Sqrt(Math.Max(0, r * r - e * e));
        a = Math.Max(-sq, -w);
        b = Math.Min(len - sq, w);
        return a <= b;
    }

    private static void TipRange(double zFoot, double m, double a, double b, out double lo, out double hi)
    {
        double za = zFoot + m * a, zb = zFoot + m * b;
        lo = Math.Min(za, zb); hi = Math.Max(za, zb);
    }

    /// <summary>Horizontal distance from (x, y) to the nearest point of a horizontal arc.</summary>
    public static double ArcDistance(double x, double y, in SweepSegment s)
    {
        double qx = x - s.Cx, qy = y - s.Cy;
        double rq = Math.Sqrt(qx * qx + qy * qy);
        double span = Math.Abs(s.SweepRad);
        bool inside = span >= 2 * Math.PI - 1e-12;
        if (!inside)
        {
            double delta = (Math.Atan2(qy, qx) - s.A0) * (s.SweepRad >= 0 ? 1 : -1);
            delta -= 2 * Math.PI * Math.Floor(delta / (2 * Math.PI));
            inside = delta <= span;
        }
        if (inside) return Math.Abs(rq - s.Rho);
        double d0 = Math.Sqrt((x - s.X0) * (x - s.X0) + (y - s.Y0) * (y - s.Y0));
        double d1 = Math.Sqrt((x - s.X1) * (x - s.X1) + (y - s.Y1) * (y - s.Y1));
        return Math.Min(d0, d1);
    }

    /// <summary>First voxel index whose centre lies above z, clamped to [0, nz].</summary>
    public static int FirstAbove(double z, in SweepParams p)
    {
        double k = Math.Floor((z - p.OriginZ) / p.Cell - 0.5) + 1;
        if (!(k > 0)) return 0; // also −∞
        return k >= p.Nz ? p.Nz : (int)k;
    }
}

/// <summary>Voxels a sweep changed or hit in one column (or summed over many).</summary>
public struct ColumnCounts
{
    /// <summary>Units of RemovedExact per voxel height: removed material measured in 1/2^20 of a voxel.</summary>
    public const long ExactPerVoxel = 1L << 20;
    public long Removed, Deep, Shank, Holder;
    /// <summary>
    /// Removed material measured from the column's top down to the cutter's lowest point itself rather than to the
    /// voxel boundary (ExactPerVoxel units per voxel volume), so removed volumes are not rounded to whole voxel
    /// layers: a 3.36 mm deep slot at 0.1 mm voxels clears 34 layers (3.4 mm, +1.2 %) but counts 3.36 mm.
    /// </summary>
    public long RemovedExact;
    public void Add(in ColumnCounts o) { Removed += o.Removed; Deep += o.Deep; Shank += o.Shank; Holder += o.Holder; RemovedExact += o.RemovedExact; }
}

/// <summary>
/// A stock's columns wherever they live: managed arrays on the CPU path, ArrayViews in a kernel. A column is
/// either the single run [Bottom, Top) (Slot &lt; 0) or a block of Words 64-bit words at Slot·Words in the pool.
/// </summary>
public interface IColumnStore
{
    int Words { get; }
    /// <summary>The column's true top relative to the boundary Top, in 1/ExactPerVoxel voxel (see VoxelStock.TopOffset).</summary>
    int Offset(int column);
    void SetOffset(int column, int value);
    int Slot(int column);
    int Bottom(int column);
    int Top(int column);
    void SetTop(int column, int top);
    ulong Load(long index);
    void Store(long index, ulong word);
}

/// <summary>Column reads and writes for both column kinds, written once for the CPU path and the kernels.</summary>
public static class ColumnOps
{
    /// <summary>Word w of the run [b, t): bits b..t−1 that fall in voxels 64w..64w+63.</summary>
    public static ulong RunWord(int b, int t, int w)
    {
        int lo = w << 6;
        int a = b - lo, e = t - lo;
        if (a < 0) a = 0;
        if (e > 64) e = 64;
        if (e <= a) return 0;
        ulong upto = e == 64 ? ulong.MaxValue : (1UL << e) - 1;
        return upto & ~((1UL << a) - 1);
    }

    public static bool Test<TStore>(ref TStore store, int column, int k) where TStore : struct, IColumnStore
    {
        int slot = store.Slot(column);
        if (slot < 0) return k >= store.Bottom(column) && k < store.Top(column);
        return (store.Load((long)slot * store.Words + (k >> 6)) >> (k & 63) & 1) != 0;
    }

    /// <summary>Voxels k0 ≤ k &lt; k1 of the column that are material.</summary>
    public static long CountRange<TStore>(ref TStore store, int column, int k0, int k1) where TStore : struct, IColumnStore
    {
        int slot = store.Slot(column);
        if (slot < 0)
        {
            int a = Math.Max(k0, store.Bottom(column)), e = Math.Min(k1, store.Top(column));
            return e > a ? e - a : 0;
        }
        long b = (long)slot * store.Words, n = 0;
        for (int k = k0; k < k1;)
        {
            int w = k >> 6, bit = k & 63, len = Math.Min(64 - bit, k1 - k);
            ulong mask = len == 64 ? ulong.MaxValue : ((1UL << len) - 1) << bit;
            n += PopCount(store.Load(b + w) & mask);
            k += len;
        }
        return n;
    }

    /// <summary>Removes every voxel k ≥ from of the column (a 3-axis cutter clears upward from its lowest point).</summary>
    public static void ClearFrom<TStore>(ref TStore store, int column, int from) where TStore : struct, IColumnStore
    {
        int top = store.Top(column);
        if (from >= top) return;
        int slot = store.Slot(column);
        if (slot < 0)
        {
            store.SetTop(column, Math.Max(from, store.Bottom(column)));
            return;
        }
        long b = (long)slot * store.Words;
        for (int w = from >> 6; w <= (top - 1) >> 6; w++)
        {
            int lo = w << 6;
            ulong keep = from <= lo ? 0UL : (1UL << (from - lo)) - 1; // bits below `from` stay
            store.Store(b + w, store.Load(b + w) & keep);
        }
        store.SetTop(column, from);
    }

    /// <summary>A height (voxels) relative to a voxel boundary as an offset, kept within ±½ voxel.</summary>
    public static int OffsetOf(double cells)
    {
        double v = cells * ColumnCounts.ExactPerVoxel;
        double half = ColumnCounts.ExactPerVoxel / 2;
        if (!(v > -half)) v = -half;   // also NaN
        if (v > half) v = half;
        return (int)Math.Round(v);
    }

    /// <summary>The column's offset where it counts (its highest voxel Top−1 is material), else 0.</summary>
    public static long TopExtra<TStore>(ref TStore store, int column) where TStore : struct, IColumnStore
    {
        int top = store.Top(column);
        return top > 0 && Test(ref store, column, top - 1) ? store.Offset(column) : 0;
    }

    /// <summary>
    /// True when the column's material ends at or below the lowest tool tip of a sweep, so nothing can touch it.
    /// Conservative: Top + offset bounds the true top whether or not voxel Top−1 is material.
    /// </summary>
    public static bool BelowTip<TStore>(ref TStore store, int column, in SweepParams p) where TStore : struct, IColumnStore
    {
        int top = store.Top(column);
        return top + store.Offset(column) * (1.0 / ColumnCounts.ExactPerVoxel) <= p.TipCells;
    }

    /// <summary>Bit count written out (SWAR) so the same code compiles for every ILGPU back end; the JIT keeps it cheap.</summary>
    public static int PopCount(ulong v)
    {
        v -= (v >> 1) & 0x5555555555555555UL;
        v = (v & 0x3333333333333333UL) + ((v >> 2) & 0x3333333333333333UL);
        v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0FUL;
        return (int)((v * 0x0101010101010101UL) >> 56);
    }
}

/// <summary>
/// The column part of a sweep, shared by both paths: count what is hit, then clear above the cutter. Removed
/// volume is counted at the material's true heights: the column's top (voxel Top−1 plus its offset) before the
/// cut and the cutter's lowest point after it, so a cut inside a voxel and a later one taking the rest of that
/// voxel add up to exactly the voxel, and the removed volumes sum to the stock's own change in volume.
/// </summary>
public static class ColumnUpdate
{
    public static ColumnCounts Apply<TStore>(ref TStore store, int column, in ColumnHeights h, in SweepParams p) where TStore : struct, IColumnStore
    {
        var counts = new ColumnCounts();
        int top = store.Top(column);
        int kCut = ColumnSweep.FirstAbove(h.LowestMm, p);
        int kDeep = ColumnSweep.FirstAbove(h.DeepMm, p);
        int kShank0 = ColumnSweep.FirstAbove(h.ShankFromMm + p.TolMm, p), kShank1 = ColumnSweep.FirstAbove(h.ShankToMm, p);
        int kHolder = ColumnSweep.FirstAbove(Math.Max(h.HolderFromMm, h.ShankFromMm) + p.TolMm, p);
        // The cutter's lowest point in voxels; below the stock it is the stock's bottom (the column goes entirely).
        double zCut = (h.LowestMm - p.OriginZ) / p.Cell;
        if (zCut < 0) zCut = 0;
        // A shave: the cutter ends in the voxel above the highest one, below the column's true top.
        bool shave = kCut == top && top > 0 && zCut - top < store.Offset(column) * (1.0 / ColumnCounts.ExactPerVoxel)
            && ColumnOps.Test(ref store, column, top - 1);
        // Nothing above any of the thresholds: the cutter passes over this column's material.
        if (kCut >= top && !shave && kHolder >= top && (kShank0 >= top || kShank1 <= kShank0)) return counts;
        counts.Deep = ColumnOps.CountRange(ref store, column, kDeep, top);
        counts.Shank = ColumnOps.CountRange(ref store, column, kShank0, Math.Min(kShank1, top));
        counts.Holder = ColumnOps.CountRange(ref store, column, kHolder, top);
        if (shave)
        {
            int off = ColumnOps.OffsetOf(zCut - top);
            counts.RemovedExact = store.Offset(column) - off;
            store.SetOffset(column, off);
        }
        else if (kCut < top)
        {
            counts.Removed = ColumnOps.CountRange(ref store, column, kCut, top);
            long before = ColumnOps.TopExtra(ref store, column);
            // The new top is the cutter's lowest point, but never above material that was there: where voxel kCut
            // was empty (a gap in a multi-run column) the voxel below ended at its boundary.
            double rel = zCut - kCut;
            if (rel > 0 && !ColumnOps.Test(ref store, column, kCut)) rel = 0;
            int off = ColumnOps.OffsetOf(rel);
            long after = kCut > 0 && ColumnOps.Test(ref store, column, kCut - 1) ? off : 0;
            counts.RemovedExact = counts.Removed * ColumnCounts.ExactPerVoxel + before - after;
            ColumnOps.ClearFrom(ref store, column, kCut);
            store.SetOffset(column, off);
        }
        return counts;
    }
}

/// <summary>
/// A question about the stock as the engine holds it now (on the GPU the host copy is stale until
/// Synchronize): over the columns of a rectangle, optionally only those whose centres lie within a disc.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct ColumnQuery
{
    public const int MaxTopBound = 0, MaxTopExact = 1, CountVoxels = 2;
    public int Kind;
    public int I0, J0, BoxNx, BoxNy, Nx;
    /// <summary>Disc centre (mm, relative to the stock origin) and squared radius; R2 &lt; 0 = the whole rectangle.</summary>
    public double Cx, Cy, R2, Cell;
    /// <summary>CountVoxels: the layer range k0 ≤ k &lt; k1.</summary>
    public int K0, K1;

    /// <summary>This query's answer for one column (combined by max for the top kinds, by sum for counts).</summary>
    public readonly long Column<TStore>(ref TStore store, int bi, int bj) where TStore : struct, IColumnStore
    {
        int i = I0 + bi, j = J0 + bj;
        if (R2 >= 0)
        {
            double dx = (i + 0.5) * Cell - Cx, dy = (j + 0.5) * Cell - Cy;
            if (dx * dx + dy * dy > R2) return 0;
        }
        int c = j * Nx + i;
        if (Kind == CountVoxels) return ColumnOps.CountRange(ref store, c, K0, K1);
        int t = store.Top(c);
        if (Kind == MaxTopExact) while (t > 0 && !ColumnOps.Test(ref store, c, t - 1)) t--;
        return t;
    }
}
