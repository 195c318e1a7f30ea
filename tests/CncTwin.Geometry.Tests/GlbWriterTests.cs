using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using System.Text.Json;
using CncTwin.Geometry;
using SharpGLTF.Schema2;

namespace CncTwin.Geometry.Tests;

public sealed class GlbWriterTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void CubeReadsBackWithItsVerticesTrianglesAndUnitNormals()
    {
        var builder = new IndexedMeshBuilder();
        TriangleSoup cube = Mesh.UnitCube(new Vector3(10, 20, 30));
        for (int t = 0; t < cube.TriangleCount; t++)
        {
            builder.AddTriangle(cube.Vertex(t, 0), cube.Vertex(t, 1), cube.Vertex(t, 2));
        }
        string path = temp.File("cube.glb");
        GlbWriter.Write(path, builder.Positions, builder.Indices, "stock");

        ModelRoot model = ModelRoot.Load(path);
        MeshPrimitive primitive = Assert.Single(Assert.Single(model.LogicalMeshes).Primitives);
        Assert.Equal("stock", model.LogicalMeshes[0].Name);
        IList<Vector3> positions = primitive.GetVertexAccessor("POSITION").AsVector3Array();
        IList<Vector3> normals = primitive.GetVertexAccessor("NORMAL").AsVector3Array();
        IList<uint> indices = primitive.GetIndices();
        Assert.Equal(8, positions.Count);
        Assert.Equal(36, indices.Count);
        Assert.Equal(builder.Positions, positions);
        Assert.Equal(builder.Indices.Select(i => (uint)i), indices);
        var centre = new Vector3(10.5f, 20.5f, 30.5f);
        for (int v = 0; v < 8; v++)
        {
            Assert.Equal(1f, normals[v].Length(), 1e-5f);
            // A cube corner's smooth normal points away from the centre.
            Assert.True(Vector3.Dot(normals[v], positions[v] - centre) > 0);
        }
        Assert.Same(model.LogicalMeshes[0], Assert.Single(model.DefaultScene.VisualChildren).Mesh);
    }

    [Fact]
    public void ContainerHasTheGlbLayoutAndPositionBounds()
    {
        var positions = new List<Vector3> { new(0, 0, 0), new(2, 0, 0), new(0, 3, -1) };
        string path = temp.File("triangle.glb");
        GlbWriter.Write(path, positions, [0, 1, 2], "t");

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal("glTF"u8.ToArray(), bytes[..4]);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal((uint)bytes.Length, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        int jsonLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        Assert.Equal("JSON"u8.ToArray(), bytes[16..20]);
        using JsonDocument json = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 20, jsonLength));
        JsonElement accessors = json.RootElement.GetProperty("accessors");
        int position = json.RootElement.GetProperty("meshes")[0].GetProperty("primitives")[0]
            .GetProperty("attributes").GetProperty("POSITION").GetInt32();
        JsonElement accessor = accessors[position];
        Assert.Equal([0f, 0f, -1f], accessor.GetProperty("min").EnumerateArray().Select(e => e.GetSingle()));
        Assert.Equal([2f, 3f, 0f], accessor.GetProperty("max").EnumerateArray().Select(e => e.GetSingle()));
        Assert.Equal("BIN\0"u8.ToArray(), bytes[(24 + jsonLength)..(28 + jsonLength)]);
    }

    [Fact]
    public void EmptyMeshWritesAValidFileWithoutAMesh()
    {
        string path = temp.File("empty.glb");
        GlbWriter.Write(path, [], [], "nothing");
        ModelRoot model = ModelRoot.Load(path);
        Assert.Empty(model.LogicalMeshes);
    }

    [Fact]
    public void RejectsIndicesOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GlbWriter.Write(temp.File("bad.glb"), [Vector3.Zero], [0, 0, 1], "bad"));
    }
}
