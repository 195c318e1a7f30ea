using System.Buffers.Binary;
using System.Numerics;

namespace CncTwin.Geometry;

/// <summary>
/// Streams triangles into a binary STL: the count is unknown until the producer finishes, so a
/// placeholder is written and patched on <see cref="Complete"/> (or <see cref="Dispose"/>). Memory
/// stays constant however many triangles pass through.
/// </summary>
public sealed class StlWriter : ITriangleSink, IDisposable
{
    private const int HeaderBytes = 80;
    private const int RecordBytes = 50;
    private const int RecordsPerBuffer = 1024;

    private readonly Stream stream;
    private readonly bool ownsStream;
    private readonly long start;
    private readonly byte[] buffer = new byte[RecordsPerBuffer * RecordBytes];
    private int buffered;
    private long triangleCount;
    private bool completed;
    private bool disposed;

    public StlWriter(string path)
        : this(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16), leaveOpen: false)
    {
    }

    /// <summary>Writes from the stream's current position; the stream must be writable and seekable.</summary>
    public StlWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite || !stream.CanSeek)
        {
            throw new ArgumentException("a binary STL needs a writable, seekable stream: the triangle count is patched at the end", nameof(stream));
        }
        this.stream = stream;
        ownsStream = !leaveOpen;
        start = stream.Position;

        Span<byte> preamble = stackalloc byte[HeaderBytes + 4];
        preamble.Clear();
        // The header must not begin with "solid": readers would take the file for ASCII STL.
        "CncTwin binary STL, units mm"u8.CopyTo(preamble);
        try
        {
            stream.Write(preamble);
        }
        catch
        {
            // Nobody else can close a stream this writer opened.
            if (ownsStream)
            {
                stream.Dispose();
            }
            throw;
        }
    }

    public long TriangleCount => triangleCount;

    public void AddTriangle(Vector3 a, Vector3 b, Vector3 c)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (completed)
        {
            throw new InvalidOperationException("the STL is complete; no more triangles can be added");
        }
        if (triangleCount == uint.MaxValue)
        {
            throw new InvalidOperationException($"a binary STL holds at most {uint.MaxValue} triangles");
        }
        if (buffered == RecordsPerBuffer)
        {
            Flush();
        }

        Vector3 normal = Vector3.Cross(b - a, c - a);
        float length = normal.Length();
        // A degenerate triangle has no direction; STL readers accept a zero normal for it.
        normal = length > 0 && float.IsFinite(length) ? normal / length : Vector3.Zero;

        Span<byte> record = buffer.AsSpan(buffered * RecordBytes, RecordBytes);
        WriteVector(record, normal);
        WriteVector(record[12..], a);
        WriteVector(record[24..], b);
        WriteVector(record[36..], c);
        BinaryPrimitives.WriteUInt16LittleEndian(record[48..], 0);
        buffered++;
        triangleCount++;
    }

    /// <summary>Writes the buffered triangles and the final count. Further triangles are refused.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (completed)
        {
            return;
        }
        Flush();
        long end = stream.Position;
        Span<byte> count = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(count, (uint)triangleCount);
        stream.Position = start + HeaderBytes;
        stream.Write(count);
        stream.Position = end;
        stream.Flush();
        completed = true;
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        try
        {
            Complete();
        }
        finally
        {
            disposed = true;
            if (ownsStream)
            {
                stream.Dispose();
            }
        }
    }

    /// <summary>Writes a whole soup as binary STL.</summary>
    public static void Write(string path, TriangleSoup soup)
    {
        ArgumentNullException.ThrowIfNull(soup);
        using var writer = new StlWriter(path);
        for (int t = 0; t < soup.TriangleCount; t++)
        {
            writer.AddTriangle(soup.Vertex(t, 0), soup.Vertex(t, 1), soup.Vertex(t, 2));
        }
        writer.Complete();
    }

    private void Flush()
    {
        stream.Write(buffer, 0, buffered * RecordBytes);
        buffered = 0;
    }

    private static void WriteVector(Span<byte> target, Vector3 v)
    {
        BinaryPrimitives.WriteSingleLittleEndian(target, v.X);
        BinaryPrimitives.WriteSingleLittleEndian(target[4..], v.Y);
        BinaryPrimitives.WriteSingleLittleEndian(target[8..], v.Z);
    }
}
