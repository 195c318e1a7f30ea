namespace CncTwin.Geometry;

/// <summary>
/// A mesh file that cannot be read: missing, empty, truncated or malformed. The message names the
/// file and, where it helps the user find the fault, the line (ASCII) or triangle index (binary).
/// </summary>
public sealed class MeshFormatException : Exception
{
    public MeshFormatException(string message) : base(message) { }

    public MeshFormatException(string message, Exception innerException) : base(message, innerException) { }
}
