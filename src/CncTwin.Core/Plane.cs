namespace CncTwin.Core;

/// <summary>Arc / cutter-compensation plane (G17, G18, G19).</summary>
public enum Plane { XY, XZ, YZ }

public static class PlaneExtensions
{
    /// <summary>
    /// Splits a point into (first, second, normal) coordinates the way RS274/NGC orders a plane:
    /// XY -> (X, Y, Z); XZ -> (Z, X, Y); YZ -> (Y, Z, X). Arcs turn counter-clockwise from first to
    /// second when seen from the positive normal axis, so G2/G3 keep their meaning in every plane.
    /// </summary>
    public static (double First, double Second, double Normal) Split(this Plane plane, Vec3 p) => plane switch
    {
        Plane.XY => (p.X, p.Y, p.Z),
        Plane.XZ => (p.Z, p.X, p.Y),
        _ => (p.Y, p.Z, p.X),
    };

    public static Vec3 Join(this Plane plane, double first, double second, double normal) => plane switch
    {
        Plane.XY => new Vec3(first, second, normal),
        Plane.XZ => new Vec3(second, normal, first),
        _ => new Vec3(normal, first, second),
    };

    public static string GCode(this Plane plane) => plane switch { Plane.XY => "G17", Plane.XZ => "G18", _ => "G19" };
}
