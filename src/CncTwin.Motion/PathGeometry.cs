using CncTwin.Core;

namespace CncTwin.Motion;

/// <summary>
/// The path the tool tip actually follows during one planned segment, parameterised by arc length:
/// a programmed line or arc (possibly trimmed where a corner blend takes over) or a blend arc the planner
/// inserted. Positions are in mm, machine frame.
/// </summary>
public abstract class PathGeometry
{
    public abstract double LengthMm { get; }
    public abstract Vec3 Start { get; }
    public abstract Vec3 End { get; }
    /// <summary>Point at distance s (mm) from the start, s clamped to [0, LengthMm].</summary>
    public abstract Vec3 PointAt(double s);
    /// <summary>Unit direction of travel at distance s.</summary>
    public abstract Vec3 TangentAt(double s);
    public Vec3 StartTangent => TangentAt(0);
    public Vec3 EndTangent => TangentAt(LengthMm);

    internal static Vec3 Unit(Vec3 v) { double l = v.Length; return l > 0 ? v / l : Vec3.Zero; }
}

/// <summary>A straight segment.</summary>
public sealed class LinePath : PathGeometry
{
    private readonly Vec3 _dir;
    public LinePath(Vec3 start, Vec3 end)
    {
        Start = start; End = end;
        LengthMm = (end - start).Length;
        _dir = Unit(end - start);
    }
    public override double LengthMm { get; }
    public override Vec3 Start { get; }
    public override Vec3 End { get; }
    public override Vec3 PointAt(double s) => Start + _dir * Math.Clamp(s, 0, LengthMm);
    public override Vec3 TangentAt(double s) => _dir;
    /// <summary>The part of this line from distance s0 to s1.</summary>
    public LinePath Sub(double s0, double s1) => new(PointAt(s0), PointAt(s1));
}

/// <summary>
/// A circular arc or helix: centre, orthonormal in-plane axes U (towards the start) and V (direction of
/// travel at the start), radius, swept angle (rad, > 0), and the straight rise along the axis over the sweep.
/// </summary>
public sealed class CirclePath : PathGeometry
{
    public Vec3 Center { get; }
    public Vec3 U { get; }
    public Vec3 V { get; }
    public double RadiusMm { get; }
    public double SweepRad { get; }
    public Vec3 Rise { get; }

    public CirclePath(Vec3 center, Vec3 u, Vec3 v, double radiusMm, double sweepRad, Vec3 rise)
    {
        Center = center; U = u; V = v; RadiusMm = radiusMm; SweepRad = sweepRad; Rise = rise;
        double planar = radiusMm * sweepRad;
        LengthMm = Math.Sqrt(planar * planar + rise.Dot(rise));
    }

    /// <summary>The geometry of a programmed G2/G3 (any plane, full turns and helices included).</summary>
    public static CirclePath FromArc(ArcFeed arc)
    {
        var (c1, c2, _) = arc.Plane.Split(arc.Center);
        var (s1, s2, sn) = arc.Plane.Split(arc.Start);
        var (e1, e2, en) = arc.Plane.Split(arc.End);
        double r = Math.Sqrt((s1 - c1) * (s1 - c1) + (s2 - c2) * (s2 - c2));
        double a0 = Math.Atan2(s2 - c2, s1 - c1), a1 = Math.Atan2(e2 - c2, e1 - c1);
        double sweep = arc.Clockwise ? a0 - a1 : a1 - a0;
        while (sweep <= 1e-12) sweep += 2 * Math.PI;
        sweep += 2 * Math.PI * (Math.Max(1, arc.Turns) - 1);
        double sign = arc.Clockwise ? -1 : 1;
        var u = arc.Plane.Join(Math.Cos(a0), Math.Sin(a0), 0);
        var v = arc.Plane.Join(-Math.Sin(a0) * sign, Math.Cos(a0) * sign, 0);
        return new CirclePath(arc.Plane.Join(c1, c2, sn), u, v, r, sweep, arc.Plane.Join(0, 0, en - sn));
    }

    public override double LengthMm { get; }
    public override Vec3 Start => PointAtAngle(0);
    public override Vec3 End => PointAtAngle(SweepRad);
    private Vec3 PointAtAngle(double phi) => Center + U * (RadiusMm * Math.Cos(phi)) + V * (RadiusMm * Math.Sin(phi)) + Rise * (phi / SweepRad);
    public override Vec3 PointAt(double s) => PointAtAngle(LengthMm > 0 ? Math.Clamp(s, 0, LengthMm) / LengthMm * SweepRad : 0);
    public override Vec3 TangentAt(double s)
    {
        double phi = LengthMm > 0 ? Math.Clamp(s, 0, LengthMm) / LengthMm * SweepRad : 0;
        return Unit(U * (-RadiusMm * Math.Sin(phi)) + V * (RadiusMm * Math.Cos(phi)) + Rise / SweepRad);
    }
}
