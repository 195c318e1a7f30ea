using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using CncTwin.Geometry;
using CsCheck;

namespace CncTwin.Geometry.Tests;

public sealed class StlTests : IDisposable
{
    private const string Tetrahedron = """
        solid tetra exported by CAD
          facet normal 0 0 -1
            outer loop
              vertex 0 0 0
              vertex 0 1 0
              vertex 1 0 0
            endloop
          endfacet
          facet normal 0 -1 0
            outer loop
              vertex 0 0 0
              vertex 1 0 0
              vertex 0 0 1
            endloop
          endfacet
          facet normal -1 0 0
            outer loop
              vertex 0 0 0
              vertex 0 0 1
              vertex 0 1 0
            endloop
          endfacet
          facet normal 0.577 0.577 0.577
            outer loop
              vertex 1 0 0
              vertex 0 1 0
              vertex 0 0 1
            endloop
          endfacet
        endsolid tetra
        """;

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private string Write(string name, string text)
    {
        string path = temp.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Write(string name, byte[] bytes)
    {
        string path = temp.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static MeshFormatException Fails(string path) => Assert.Throws<MeshFormatException>(() => StlReader.Read(path));

    [Fact]
    public void AsciiTetrahedron()
    {
        TriangleSoup soup = StlReader.Read(Write("tetra.stl", Tetrahedron));
        Assert.Equal(4, soup.TriangleCount);
        Assert.Equal(1.0 / 6, soup.SignedVolumeMm3(), 1e-9);
        Assert.True(soup.CheckClosed().IsWatertight);
        Assert.Equal(new Vector3(0, 1, 0), soup.Vertex(0, 1));
    }

    [Fact]
    public void AsciiAcceptsCapitalsCrLfAndSeveralSolids()
    {
        string text = Tetrahedron.ToUpperInvariant().Replace("\n", "\r\n") + "\r\n" + Tetrahedron.Replace("  ", "\t");
        TriangleSoup soup = StlReader.Read(Write("two.stl", text));
        Assert.Equal(8, soup.TriangleCount);
        Assert.Equal(2.0 / 6, soup.SignedVolumeMm3(), 1e-9);
    }

    [Fact]
    public void AsciiWithByteOrderMark()
    {
        byte[] text = [0xEF, 0xBB, 0xBF, .. Encoding.ASCII.GetBytes(Tetrahedron)];
        TriangleSoup soup = StlReader.Read(Write("bom.stl", text));
        Assert.Equal(4, soup.TriangleCount);
        Assert.Equal(36, soup.Positions.Length);
    }

    [Fact]
    public void AsciiErrorNamesFileAndLine()
    {
        string path = Write("part.stl", Tetrahedron.Replace("vertex 0 0 1\n      vertex 0 1 0", "vertex 0 0 1\n      vertx 0 1 0"));
        MeshFormatException error = Fails(path);
        Assert.StartsWith($"{path}:20: expected 'vertex x y z'", error.Message);
        Assert.Contains("'vertx'", error.Message);
    }

    [Theory]
    [InlineData("vertex 1 0 0\n      vertex 0 1 0\n      vertex 0 0 1", "vertex 1 0 0\n      vertex 0 1 nan\n      vertex 0 0 1", 26, "non-finite")]
    [InlineData("vertex 1 0 0\n      vertex 0 1 0\n      vertex 0 0 1", "vertex 1 0 0\n      vertex 0 1 1e39\n      vertex 0 0 1", 26, "non-finite")]
    [InlineData("vertex 1 0 0\n      vertex 0 1 0\n      vertex 0 0 1", "vertex 1 0 0\n      vertex 0 1\n      vertex 0 0 1", 27, "expected 'vertex x y z'")]
    [InlineData("endloop\n  endfacet\n  facet normal 0.577", "endloop\n  facet normal 0.577", 22, "expected 'endfacet'")]
    [InlineData("endsolid tetra", "", 30, "found end of file")]
    [InlineData("vertex 1 0 0\n      vertex 0 1 0\n      vertex 0 0 1", "vertex 1 0 0\n      vertex 0 1 0\n      vertex 0 0 1\n      vertex 1 1 1", 28, "expected 'endloop'")]
    [InlineData("facet normal 0 0 -1", "facet 0 0 -1", 2, "expected 'facet normal nx ny nz'")]
    public void MalformedAsciiIsReportedWithItsLine(string original, string replacement, int line, string message)
    {
        string text = Tetrahedron.Replace("\r\n", "\n");
        Assert.Contains(original, text);
        string path = Write("bad.stl", text.Replace(original, replacement));
        MeshFormatException error = Fails(path);
        Assert.StartsWith($"{path}:{line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void SolidWithoutFacetsOrEndIsMalformed()
    {
        string path = Write("stub.stl", "solid nothing\n");
        Assert.StartsWith($"{path}:", Fails(path).Message);
    }

    [Fact]
    public void EmptyAndMissingFiles()
    {
        string empty = Write("empty.stl", []);
        Assert.Equal($"{empty}: empty file", Fails(empty).Message);
        string missing = temp.File("missing.stl");
        Assert.StartsWith($"{missing}: cannot open", Fails(missing).Message);
        Assert.StartsWith($"{temp.Path}: cannot open", Fails(temp.Path).Message);
    }

    [Fact]
    public void BinaryRoundTripOfAnExtractedSphere()
    {
        var field = new FuncField(20, 20, 20, new Vector3(-5), 0.5f, (i, j, k) => 4f - Vector3.Distance(new Vector3(i, j, k) * 0.5f, new Vector3(4.7f)));
        string path = temp.File("sphere.stl");
        var original = new TriangleSoupBuilder();
        using (var writer = new StlWriter(path))
        {
            MarchingCubes.Extract(field, 0f, new Both(writer, original));
        }
        TriangleSoup expected = original.ToSoup();
        TriangleSoup soup = StlReader.Read(path);

        Assert.Equal(84 + 50L * expected.TriangleCount, new FileInfo(path).Length);
        Assert.False(File.ReadAllText(path).StartsWith("solid", StringComparison.Ordinal));
        Assert.Equal(expected.TriangleCount, soup.TriangleCount);
        Assert.Equal(expected.Positions, soup.Positions);
        Assert.True(soup.CheckClosed().IsWatertight);
        Assert.Equal(expected.SignedVolumeMm3(), soup.SignedVolumeMm3());
    }

    [Fact]
    public void BinaryRecordsCarryTheUnitFacetNormal()
    {
        string path = temp.File("cube.stl");
        StlWriter.Write(path, Mesh.UnitCube(Vector3.Zero));
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(12u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(80)));
        // Triangle 0 lies in z = 0 and faces down.
        Assert.Equal(new Vector3(0, 0, -1), ReadVector(bytes, 84));
        Assert.Equal(1.0, StlReader.Read(path).SignedVolumeMm3(), 1e-9);
    }

    [Fact]
    public void BinaryWhoseHeaderStartsWithSolidIsReadAsBinary()
    {
        byte[] bytes = BinaryCube();
        "solid cube from a CAD system that writes binary"u8.CopyTo(bytes);
        TriangleSoup soup = StlReader.Read(Write("solid-binary.stl", bytes));
        Assert.Equal(12, soup.TriangleCount);
        Assert.Equal(1.0, soup.SignedVolumeMm3(), 1e-9);
    }

    [Fact]
    public void TruncatedBinaryNamesTheTriangle()
    {
        byte[] bytes = BinaryCube();
        string path = Write("cut.stl", bytes[..(84 + 50 * 7 + 20)]);
        MeshFormatException error = Fails(path);
        Assert.StartsWith($"{path}: triangle 7: file truncated", error.Message);

        string shortPath = Write("short.stl", bytes[..40]);
        Assert.StartsWith($"{shortPath}: 40 bytes is too short", Fails(shortPath).Message);

        string longPath = Write("long.stl", [.. bytes, 1, 2, 3]);
        Assert.StartsWith($"{longPath}: 3 unexpected bytes", Fails(longPath).Message);
    }

    [Fact]
    public void NonFiniteBinaryCoordinateNamesTheTriangle()
    {
        byte[] bytes = BinaryCube();
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(84 + 50 * 5 + 12 + 4 * 4), float.NaN);
        string path = Write("nan.stl", bytes);
        Assert.StartsWith($"{path}: triangle 5: non-finite", Fails(path).Message);
    }

    [Fact]
    public void StreamWriterPatchesTheCountAtItsStartPosition()
    {
        using var stream = new MemoryStream();
        stream.Write([9, 9, 9]);
        using (var writer = new StlWriter(stream, leaveOpen: true))
        {
            writer.AddTriangle(Vector3.Zero, Vector3.UnitX, Vector3.UnitY);
            writer.AddTriangle(Vector3.Zero, Vector3.UnitY, Vector3.UnitZ);
            writer.Complete();
            Assert.Equal(2, writer.TriangleCount);
            Assert.Throws<InvalidOperationException>(() => writer.AddTriangle(Vector3.Zero, Vector3.UnitX, Vector3.UnitY));
        }
        Assert.Equal(3 + 84 + 100, stream.Length);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(stream.ToArray().AsSpan(3 + 80)));
        stream.Position = 3;
        Assert.Equal(2, StlReader.Read(stream, "memory").TriangleCount);
    }

    [Fact]
    public void WriterRejectsStreamsItCannotPatch()
    {
        using var readOnly = new MemoryStream([], writable: false);
        Assert.Throws<ArgumentException>(() => new StlWriter(readOnly));
    }

    [Fact]
    public void ArbitraryBytesNeverCrashTheReader()
    {
        byte[] ascii = Encoding.ASCII.GetBytes(Tetrahedron);
        byte[] binary = BinaryCube();
        Gen<byte[]> mutated = Gen.Select(Gen.Bool, Gen.Int[0, 4000], Gen.Int[0, 255].Array[0, 8], Gen.Int[0, 10]).Select((useAscii, at, patch, cut) =>
        {
            byte[] source = useAscii ? ascii : binary;
            var bytes = (byte[])source.Clone();
            for (int n = 0; n < patch.Length; n++)
            {
                bytes[(at + 7 * n) % bytes.Length] = (byte)patch[n];
            }
            return cut == 0 ? bytes[..(at % bytes.Length)] : bytes;
        });
        Gen<byte[]> noise = Gen.Byte.Array[0, 400];
        Gen.OneOf(mutated, noise).Sample(bytes =>
        {
            try
            {
                using var stream = new MemoryStream(bytes);
                TriangleSoup soup = StlReader.Read(stream, "fuzz.stl");
                Assert.All(soup.Positions.Take(9 * soup.TriangleCount), value => Assert.True(float.IsFinite(value)));
            }
            catch (MeshFormatException error)
            {
                Assert.StartsWith("fuzz.stl", error.Message);
            }
        }, iter: 3000);
    }

    private static byte[] BinaryCube()
    {
        using var stream = new MemoryStream();
        using (var writer = new StlWriter(stream, leaveOpen: true))
        {
            TriangleSoup cube = Mesh.UnitCube(Vector3.Zero);
            for (int t = 0; t < 12; t++)
            {
                writer.AddTriangle(cube.Vertex(t, 0), cube.Vertex(t, 1), cube.Vertex(t, 2));
            }
        }
        return stream.ToArray();
    }

    private static Vector3 ReadVector(byte[] bytes, int at) => new(
        BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at)),
        BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at + 4)),
        BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at + 8)));

    private sealed class Both(ITriangleSink first, ITriangleSink second) : ITriangleSink
    {
        public void AddTriangle(Vector3 a, Vector3 b, Vector3 c)
        {
            first.AddTriangle(a, b, c);
            second.AddTriangle(a, b, c);
        }
    }
}
