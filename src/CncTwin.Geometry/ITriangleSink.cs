using System.Numerics;

namespace CncTwin.Geometry;

/// <summary>
/// Receives triangles one at a time, so that producers (surface extraction, readers) never have to
/// hold a whole mesh when the consumer (a file writer) does not need it. Triangles are wound
/// counter-clockwise seen from outside the solid: the normal (b - a) x (c - a) points outwards.
/// </summary>
public interface ITriangleSink
{
    void AddTriangle(Vector3 a, Vector3 b, Vector3 c);
}
