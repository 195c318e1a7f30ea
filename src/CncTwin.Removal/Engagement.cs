using System.Numerics;
using System.Runtime.InteropServices;

namespace CncTwin.Removal;

/// <summary>A tool position whose engagement is wanted: tip (mm) and unit horizontal feed direction.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ProbePoint
{
    public double X, Y, Z, Fx, Fy;
}

[StructLayout(LayoutKind.Sequential)]
public struct ProbeParams
{
    public double OriginX, OriginY, OriginZ, Cell;
    public int Nx, Ny, Nz, Words;
    /// <summary>Axial slices per probe: voxel layers upward from the first layer above the tip.</summary>
    public int Slices;
    public double FluteLengthMm;
}

/// <summary>
/// Cutter–workpiece engagement from the voxel stock as it was before the move: per axial slice (one voxel layer),
/// which of 64 angle bins over the front half of the cutter have material just inside the cutter's radius at
/// that height. Angles follow Altintas: φ measured clockwise (seen from above, the way an M3 spindle turns) from
/// the left normal of the feed direction, so φ = 90° is straight ahead and a full slot spans 0–180°; up milling
/// starts at 0°, down milling ends at 180°. Points ahead of the cutter at this instant cannot have been cut
/// earlier in the same straight move, which is why the stock before the move answers exactly.
/// </summary>
public static class EngagementProbe
{
    public const int AngleBins = 64;
    public const double BinRad = Math.PI / AngleBins;

    public static ulong SliceMask<TStore, TProfile>(ref TStore store, in ProbePoint q, int slice, in ProbeParams p, TProfile profile)
        where TStore : struct, IColumnStore where TProfile : struct, ICutterProfile
    {
        int k = FirstLayer(q, p) + slice;
        if (k >= p.Nz || k < 0) return 0;
        double height = SliceHeight(q, p, k);
        if (height < 0 || height > p.FluteLengthMm) return 0;
        double r = SliceRadius(profile, height, p);
        if (r <= 0) return 0;
        ulong mask = 0;
        FirstBin(out double c, out double s, out double cd, out double sd);
        for (int b = 0; b < AngleBins; b++)
        {
            int column = BinColumn(q, p, r, c, s);
            if (column >= 0 && ColumnOps.Test(ref store, column, k)) mask |= 1UL << b;
            NextBin(ref c, ref s, cd, sd);
        }
        return mask;
    }

    /// <summary>The first voxel layer above the probe's tip (slice 0), at least 0.</summary>
    public static int FirstLayer(in ProbePoint q, in ProbeParams p) => (int)Math.Max(0, Math.Floor((q.Z - p.OriginZ) / p.Cell - 0.5) + 1);

    /// <summary>Height of layer k's centre above the tip, mm.</summary>
    public static double SliceHeight(in ProbePoint q, in ProbeParams p, int k) => p.OriginZ + (k + 0.5) * p.Cell - q.Z;

    /// <summary>Half a voxel inside the cutter: material the cutter already cleared to its radius never reads as engaged.</summary>
    public static double SliceRadius<TProfile>(TProfile profile, double height, in ProbeParams p) where TProfile : struct, ICutterProfile =>
        profile.RadiusAt(height) - 0.5 * p.Cell;

    /// <summary>Bin 0's centre direction (cos, sin of half a bin) and the rotation by one bin.</summary>
    public static void FirstBin(out double c, out double s, out double cd, out double sd)
    {
        cd = Math.Cos(BinRad); sd = Math.Sin(BinRad);
        c = Math.Cos(0.5 * BinRad); s = Math.Sin(0.5 * BinRad);
    }

    /// <summary>Rotates a bin centre direction by one bin.</summary>
    public static void NextBin(ref double c, ref double s, double cd, double sd)
    {
        double c2 = c * cd - s * sd;
        s = s * cd + c * sd;
        c = c2;
    }

    /// <summary>The column under the point at radius r in the bin whose centre direction is (c, s) from the feed's left normal; −1 outside the stock.</summary>
    public static int BinColumn(in ProbePoint q, in ProbeParams p, double r, double c, double s)
    {
        double nx = -q.Fy, ny = q.Fx;
        double ux = q.Fx * s + nx * c, uy = q.Fy * s + ny * c;
        double fi = Math.Floor((q.X + r * ux - p.OriginX) / p.Cell), fj = Math.Floor((q.Y + r * uy - p.OriginY) / p.Cell);
        return fi >= 0 && fj >= 0 && fi < p.Nx && fj < p.Ny ? (int)fj * p.Nx + (int)fi : -1;
    }
}

/// <summary>
/// The CPU's way to the same masks as <see cref="EngagementProbe.SliceMask"/>, all slices of a probe at once:
/// slices where the cutter has the same radius (all of a flat end mill's, a ball's above its ball) look at the
/// same 64 columns, and a column stored as one run answers a whole stack of slices with two comparisons. A deep
/// wall beside the cutter (150 layers at 0.2 mm) then costs 64 column reads instead of 9,600. Bit for bit the
/// kernel's result: both go through the same bin and slice functions.
/// </summary>
public static class EngagementFast
{
    public static void ProbeMasks<TStore, TProfile>(ref TStore store, in ProbePoint q, in ProbeParams p, TProfile profile, Span<ulong> masks)
        where TStore : struct, IColumnStore where TProfile : struct, ICutterProfile
    {
        masks.Clear();
        int k0 = EngagementProbe.FirstLayer(q, p);
        int s = 0;
        while (s < p.Slices)
        {
            int k = k0 + s;
            if (k >= p.Nz || k < 0) break;
            double height = EngagementProbe.SliceHeight(q, p, k);
            if (height > p.FluteLengthMm) break;
            double r = height < 0 ? 0 : EngagementProbe.SliceRadius(profile, height, p);
            // The run of slices with this same radius (heights only grow with s).
            int e = s + 1;
            while (e < p.Slices && k0 + e < p.Nz)
            {
                double he = EngagementProbe.SliceHeight(q, p, k0 + e);
                if (he < 0 || he > p.FluteLengthMm || EngagementProbe.SliceRadius(profile, he, p) != r) break;
                e++;
            }
            if (height >= 0 && r > 0)
            {
                EngagementProbe.FirstBin(out double c, out double sn, out double cd, out double sd);
                for (int b = 0; b < EngagementProbe.AngleBins; b++, EngagementProbe.NextBin(ref c, ref sn, cd, sd))
                {
                    int column = EngagementProbe.BinColumn(q, p, r, c, sn);
                    if (column < 0) continue;
                    ulong bit = 1UL << b;
                    if (store.Slot(column) < 0)
                    {
                        // Slices s..e−1 are layers k0+s..k0+e−1: those inside the run [Bottom, Top) are material.
                        int lo = Math.Max(s, store.Bottom(column) - k0), hi = Math.Min(e, store.Top(column) - k0);
                        for (int t = lo; t < hi; t++) masks[t] |= bit;
                    }
                    else
                        for (int t = s; t < e; t++)
                            if (ColumnOps.Test(ref store, column, k0 + t)) masks[t] |= bit;
                }
            }
            s = e;
        }
    }
}

/// <summary>
/// The engagement of one tool position: per axial slice the engaged angle bins (the map the force model
/// integrates), and the usual summary figures. Heights are from the tool tip.
/// </summary>
public sealed class EngagementMap
{
    public static readonly EngagementMap None = new(0, 1, [], new FlatProfile(0));
    /// <summary>Height above the tip of slice 0's centre, mm.</summary>
    public double FirstSliceHeightMm { get; }
    public double SliceMm { get; }
    /// <summary>Bit b of Masks[s]: material in angle bin [b, b+1)·180°/64 of slice s.</summary>
    public ulong[] Masks { get; }
    public double AxialDepthMm { get; }
    public double RadialDepthMm { get; }
    public double EntryDeg { get; }
    public double ExitDeg { get; }
    /// <summary>Engaged cross-section normal to the feed (Σ radial width × slice), mm²: MRR = feed speed × this.</summary>
    public double AreaMm2 { get; }
    public bool Engaged => AreaMm2 > 0;
    /// <summary>A vertical plunge: the bottom of the cutter engages (Masks empty; the area is the engaged footprint).</summary>
    public bool IsPlunge { get; private init; }

    private EngagementMap(double axialDepthMm, double radialDepthMm, double areaMm2)
    {
        Masks = []; SliceMm = 1;
        AxialDepthMm = axialDepthMm; RadialDepthMm = radialDepthMm; AreaMm2 = areaMm2;
        EntryDeg = 0; ExitDeg = 360;
    }

    /// <summary>
    /// Engagement of a straight plunge from the removed volume: footprint area = removed / depth fed through
    /// material, reported as its equivalent diameter (the full cutter diameter when plunging into solid, less
    /// into a pre-drilled or partly open spot) with the bottom cutting all round (0–360°).
    /// </summary>
    public static EngagementMap Plunge(double depthMm, double removedMm3)
    {
        if (!(depthMm > 1e-9) || !(removedMm3 > 0)) return None;
        double area = removedMm3 / depthMm;
        return new EngagementMap(depthMm, 2 * Math.Sqrt(area / Math.PI), area) { IsPlunge = true };
    }

    public EngagementMap(double firstSliceHeightMm, double sliceMm, ulong[] masks, ICutterProfile profile)
    {
        FirstSliceHeightMm = firstSliceHeightMm; SliceMm = sliceMm; Masks = masks;
        int lowest = -1, highest = -1, entry = 64, exit = -1;
        double area = 0, radial = 0;
        for (int s = 0; s < masks.Length; s++)
        {
            ulong m = masks[s];
            if (m == 0) continue;
            if (lowest < 0) lowest = s;
            highest = s;
            int b0 = BitOperations.TrailingZeroCount(m), b1 = 63 - BitOperations.LeadingZeroCount(m);
            entry = Math.Min(entry, b0); exit = Math.Max(exit, b1 + 1);
            double r = profile.RadiusAt(firstSliceHeightMm + s * sliceMm);
            // Width across the feed of the engaged arc: radial depth of this slice.
            double ae = r * (Math.Cos(b0 * EngagementProbe.BinRad) - Math.Cos((b1 + 1) * EngagementProbe.BinRad));
            radial = Math.Max(radial, ae);
            area += ae * sliceMm;
        }
        if (highest >= 0)
        {
            AxialDepthMm = firstSliceHeightMm + (highest + 0.5) * sliceMm;
            EntryDeg = entry * 180.0 / 64; ExitDeg = exit * 180.0 / 64;
        }
        RadialDepthMm = radial; AreaMm2 = area;
    }
}
