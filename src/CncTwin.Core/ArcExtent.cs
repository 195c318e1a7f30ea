namespace CncTwin.Core;

public static class ArcExtent
{
    /// <summary>
    /// The box an arc (or helix) sweeps: its end points and every in-plane axis extreme (0°, 90°, 180°, 270° about
    /// the centre) that the sweep actually passes, not the full circle. Along the plane's normal a helix rises
    /// linearly, so its end points bound it there.
    /// </summary>
    public static (Vec3 Min, Vec3 Max) Bounds(this ArcFeed a)
    {
        var lo = new Vec3(Math.Min(a.Start.X, a.End.X), Math.Min(a.Start.Y, a.End.Y), Math.Min(a.Start.Z, a.End.Z));
        var hi = new Vec3(Math.Max(a.Start.X, a.End.X), Math.Max(a.Start.Y, a.End.Y), Math.Max(a.Start.Z, a.End.Z));
        var (sa, sb, _) = a.Plane.Split(a.Start);
        var (ea, eb, _) = a.Plane.Split(a.End);
        var (ca, cb, cn) = a.Plane.Split(a.Center);
        double r = Math.Sqrt((sa - ca) * (sa - ca) + (sb - cb) * (sb - cb));
        if (!(r > 0)) return (lo, hi);
        double ts = Math.Atan2(sb - cb, sa - ca), te = Math.Atan2(eb - cb, ea - ca);
        double sweep = Wrap(a.Clockwise ? ts - te : te - ts);
        if (sweep < 1e-12) sweep = 2 * Math.PI;         // the same start and end: a full circle
        sweep += 2 * Math.PI * Math.Max(0, a.Turns - 1);
        for (int k = 0; k < 4; k++)
        {
            double phi = k * Math.PI / 2;
            double along = Wrap(a.Clockwise ? ts - phi : phi - ts);
            if (along > sweep + 1e-12 && sweep < 2 * Math.PI) continue;
            var p = a.Plane.Join(ca + r * Math.Cos(phi), cb + r * Math.Sin(phi), cn);
            // Only the in-plane coordinates of the extreme count (the normal one is the centre's, not the helix's).
            var (pa, pb, _) = a.Plane.Split(p);
            var (loA, loB, loN) = a.Plane.Split(lo);
            var (hiA, hiB, hiN) = a.Plane.Split(hi);
            lo = a.Plane.Join(Math.Min(loA, pa), Math.Min(loB, pb), loN);
            hi = a.Plane.Join(Math.Max(hiA, pa), Math.Max(hiB, pb), hiN);
        }
        return (lo, hi);
    }

    private static double Wrap(double angle)
    {
        double t = angle % (2 * Math.PI);
        return t < 0 ? t + 2 * Math.PI : t;
    }
}
