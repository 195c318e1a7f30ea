using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace CncTwin.Geometry;

/// <summary>
/// Reads binary and ASCII STL. Every fault in the input (missing, empty, truncated, malformed,
/// non-finite coordinates) becomes a <see cref="MeshFormatException"/> naming the file and the line
/// or triangle, because an STL usually comes from a CAD export the user can fix once told where.
/// </summary>
public static class StlReader
{
    private const int HeaderBytes = 80;
    private const int PreambleBytes = HeaderBytes + 4;
    private const int RecordBytes = 50;

    // How much of the file start is inspected to tell ASCII from binary.
    private const int SniffBytes = 1024;

    // Whole triangles only, and room for the array length limit.
    private static readonly int MaxTriangles = Array.MaxLength / 9;

    public static TriangleSoup Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new MeshFormatException($"{path}: cannot open: {e.Message}", e);
        }
        using (stream)
        {
            return Read(stream, path);
        }
    }

    /// <summary>
    /// Reads an STL from <paramref name="stream"/>, from its current position to its end;
    /// <paramref name="sourceName"/> is what error messages call it. A stream that cannot seek is
    /// copied to memory first, because telling binary from ASCII needs the length.
    /// </summary>
    public static TriangleSoup Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        try
        {
            if (!stream.CanSeek)
            {
                var copy = new MemoryStream();
                stream.CopyTo(copy);
                copy.Position = 0;
                return ReadSeekable(copy, sourceName);
            }
            return ReadSeekable(stream, sourceName);
        }
        catch (IOException e)
        {
            throw new MeshFormatException($"{sourceName}: read error: {e.Message}", e);
        }
    }

    private static TriangleSoup ReadSeekable(Stream stream, string name)
    {
        long start = stream.Position;
        long length = stream.Length - start;
        if (length <= 0)
        {
            throw new MeshFormatException($"{name}: empty file");
        }

        var head = new byte[(int)Math.Min(length, SniffBytes)];
        stream.ReadExactly(head);
        bool binarySizeMatches = length >= PreambleBytes
            && PreambleBytes + RecordBytes * (long)BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(HeaderBytes)) == length;

        // Many binary exporters begin the free-form header with "solid", so the word alone decides
        // nothing: a binary file also has non-text bytes (the count, the floats) in its first
        // kilobyte, and its length matches the count in the header exactly.
        // Editors on Windows may put a UTF-8 byte order mark before "solid".
        int byteOrderMark = head.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        bool asciiCandidate = LooksLikeAsciiStl(head.AsSpan(byteOrderMark));
        if (!asciiCandidate)
        {
            stream.Position = start;
            return ReadBinary(stream, length, name);
        }

        stream.Position = start + byteOrderMark;
        try
        {
            return new AsciiParser(stream, name).Parse();
        }
        catch (MeshFormatException) when (binarySizeMatches)
        {
            // Text-like header and a length that fits the binary layout: the binary reading wins
            // if it works; otherwise the ASCII diagnosis is the more useful one.
            stream.Position = start;
            try
            {
                return ReadBinary(stream, length, name);
            }
            catch (MeshFormatException)
            {
            }
            throw;
        }
    }

    private static bool LooksLikeAsciiStl(ReadOnlySpan<byte> head)
    {
        int i = 0;
        while (i < head.Length && IsWhitespace(head[i]))
        {
            i++;
        }
        if (head.Length - i < 5 || !Ascii.EqualsIgnoreCase(head.Slice(i, 5), "solid"u8))
        {
            return false;
        }
        foreach (byte b in head)
        {
            // Control bytes other than whitespace (and DOS end-of-file) never occur in STL text.
            if ((b < 0x20 && !IsWhitespace(b) && b != 0x1A) || b == 0x7F)
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;

    private static TriangleSoup ReadBinary(Stream stream, long length, string name)
    {
        if (length < PreambleBytes)
        {
            throw new MeshFormatException(
                $"{name}: {length} bytes is too short for a binary STL (80-byte header and 4-byte triangle count) and it is not ASCII STL");
        }
        Span<byte> preamble = stackalloc byte[PreambleBytes];
        stream.ReadExactly(preamble);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(preamble[HeaderBytes..]);
        long expected = PreambleBytes + RecordBytes * (long)count;
        if (length < expected)
        {
            long complete = (length - PreambleBytes) / RecordBytes;
            throw new MeshFormatException(
                $"{name}: triangle {complete}: file truncated; the header announces {count} triangles ({expected} bytes) but the file has {length} bytes");
        }
        if (length > expected)
        {
            throw new MeshFormatException(
                $"{name}: {length - expected} unexpected bytes after the last of the {count} triangles the header announces");
        }
        if (count > MaxTriangles)
        {
            throw new MeshFormatException($"{name}: {count} triangles are more than the {MaxTriangles} this reader can hold");
        }

        int triangles = (int)count;
        var positions = new float[9 * triangles];
        const int TrianglesPerChunk = 1024;
        var chunk = new byte[TrianglesPerChunk * RecordBytes];
        for (int first = 0; first < triangles; first += TrianglesPerChunk)
        {
            int inChunk = Math.Min(TrianglesPerChunk, triangles - first);
            Span<byte> records = chunk.AsSpan(0, inChunk * RecordBytes);
            stream.ReadExactly(records);
            for (int t = 0; t < inChunk; t++)
            {
                // Skip the stored normal: exporters often leave it zero or wrong, and nothing here uses it.
                ReadOnlySpan<byte> vertices = records.Slice(t * RecordBytes + 12, 36);
                Span<float> target = positions.AsSpan(9 * (first + t), 9);
                for (int f = 0; f < 9; f++)
                {
                    float value = BinaryPrimitives.ReadSingleLittleEndian(vertices[(4 * f)..]);
                    if (!float.IsFinite(value))
                    {
                        throw new MeshFormatException(
                            $"{name}: triangle {first + t}: non-finite vertex coordinate ({value.ToString(CultureInfo.InvariantCulture)})");
                    }
                    target[f] = value;
                }
            }
        }
        return new TriangleSoup(positions, triangles);
    }

    /// <summary>
    /// ASCII STL as whitespace-separated tokens (so any line layout is accepted), each token
    /// remembering its line for the error message. Keywords are case-insensitive because some
    /// exporters write them in capitals.
    /// </summary>
    private sealed class AsciiParser(Stream stream, string name)
    {
        private const int MaxTokenBytes = 256;

        private readonly byte[] buffer = new byte[1 << 16];
        private readonly byte[] token = new byte[MaxTokenBytes];
        private int bufferPosition;
        private int bufferLength;
        private int tokenLength;
        private int line = 1;
        private int tokenLine = 1;
        private float[] positions = new float[9 * 256];
        private int triangles;

        private ReadOnlySpan<byte> Token => token.AsSpan(0, tokenLength);

        public TriangleSoup Parse()
        {
            if (!NextToken() || !StartsWithKeyword("solid"u8))
            {
                throw Error("expected 'solid name'");
            }
            SkipRestOfLine();
            while (true)
            {
                if (!NextToken())
                {
                    throw Error("expected 'facet normal nx ny nz' or 'endsolid', found end of file");
                }
                if (IsKeyword("facet"u8))
                {
                    ParseFacet();
                }
                else if (StartsWithKeyword("endsolid"u8))
                {
                    SkipRestOfLine();
                    // Some exporters write one solid per body into the same file.
                    if (!NextToken())
                    {
                        Array.Resize(ref positions, 9 * triangles);
                        return new TriangleSoup(positions, triangles);
                    }
                    if (!StartsWithKeyword("solid"u8))
                    {
                        throw Error($"expected 'solid name' or end of file, found {Quoted()}");
                    }
                    SkipRestOfLine();
                }
                else
                {
                    throw Error($"expected 'facet normal nx ny nz' or 'endsolid', found {Quoted()}");
                }
            }
        }

        private void ParseFacet()
        {
            const string FacetSyntax = "'facet normal nx ny nz'";
            Expect("normal"u8, FacetSyntax);
            for (int n = 0; n < 3; n++)
            {
                // The stored normal is syntax only: it is recomputed from the winding wherever needed.
                _ = Number(FacetSyntax, requireFinite: false);
            }
            Expect("outer"u8, "'outer loop'");
            Expect("loop"u8, "'outer loop'");
            if (triangles == MaxTriangles)
            {
                throw Error($"more than {MaxTriangles} triangles are more than this reader can hold");
            }
            if (9 * (triangles + 1) > positions.Length)
            {
                Array.Resize(ref positions, (int)Math.Min(2L * positions.Length, 9L * MaxTriangles));
            }
            for (int v = 0; v < 3; v++)
            {
                const string VertexSyntax = "'vertex x y z'";
                Expect("vertex"u8, VertexSyntax);
                for (int axis = 0; axis < 3; axis++)
                {
                    positions[9 * triangles + 3 * v + axis] = Number(VertexSyntax, requireFinite: true);
                }
            }
            Expect("endloop"u8, "'endloop'");
            Expect("endfacet"u8, "'endfacet'");
            triangles++;
        }

        private void Expect(ReadOnlySpan<byte> keyword, string syntax)
        {
            if (!NextToken())
            {
                throw Error($"expected {syntax}, found end of file");
            }
            if (!IsKeyword(keyword))
            {
                throw Error($"expected {syntax}, found {Quoted()}");
            }
        }

        private float Number(string syntax, bool requireFinite)
        {
            if (!NextToken())
            {
                throw Error($"expected {syntax}, found end of file");
            }
            if (!float.TryParse(Token, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
            {
                throw Error($"expected {syntax}, found {Quoted()}");
            }
            if (requireFinite && !float.IsFinite(value))
            {
                throw Error($"non-finite coordinate {Quoted()} in {syntax}");
            }
            return value;
        }

        private bool IsKeyword(ReadOnlySpan<byte> keyword) => Ascii.EqualsIgnoreCase(Token, keyword);

        private bool StartsWithKeyword(ReadOnlySpan<byte> keyword) =>
            tokenLength >= keyword.Length && Ascii.EqualsIgnoreCase(Token[..keyword.Length], keyword);

        private MeshFormatException Error(string message) => new($"{name}:{tokenLine}: {message}");

        private string Quoted()
        {
            var text = new StringBuilder("'");
            foreach (byte b in Token[..Math.Min(tokenLength, 40)])
            {
                text.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
            }
            return text.Append(tokenLength > 40 ? "...'" : "'").ToString();
        }

        /// <summary>Reads the next token; false at end of input. Leaves the whitespace after it unread.</summary>
        private bool NextToken()
        {
            tokenLength = 0;
            int next;
            while ((next = Peek()) >= 0 && IsWhitespace((byte)next))
            {
                Advance((byte)next);
            }
            tokenLine = line;
            if (next < 0)
            {
                // An error about the missing token points at the end of the file.
                return false;
            }
            while ((next = Peek()) >= 0 && !IsWhitespace((byte)next))
            {
                if (tokenLength == MaxTokenBytes)
                {
                    throw Error($"a word longer than {MaxTokenBytes} characters ({Quoted()}); this is not ASCII STL");
                }
                token[tokenLength++] = (byte)next;
                bufferPosition++;
            }
            return true;
        }

        /// <summary>Skips the free-form name after 'solid' or 'endsolid', up to and including the newline.</summary>
        private void SkipRestOfLine()
        {
            int next;
            while ((next = Peek()) >= 0)
            {
                Advance((byte)next);
                if (next == '\n')
                {
                    return;
                }
            }
        }

        private void Advance(byte consumed)
        {
            bufferPosition++;
            if (consumed == '\n')
            {
                line++;
            }
        }

        private int Peek()
        {
            if (bufferPosition == bufferLength)
            {
                bufferLength = stream.Read(buffer, 0, buffer.Length);
                bufferPosition = 0;
                if (bufferLength == 0)
                {
                    return -1;
                }
            }
            return buffer[bufferPosition];
        }
    }
}
