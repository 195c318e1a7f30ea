using System.Buffers.Binary;
using System.Numerics;
using SharpGLTF.Memory;
using SharpGLTF.Schema2;

namespace CncTwin.Geometry;

/// <summary>
/// Writes an indexed triangle mesh as binary glTF 2.0 (.glb): one scene, one node, one mesh with
/// POSITION, smooth NORMAL and uint32 indices, in mm as given (glTF viewers treat units as metres;
/// the node carries no scale so that measurements in the file stay the program's millimetres).
/// </summary>
public static class GlbWriter
{
    public static void Write(string path, IReadOnlyList<Vector3> positions, IReadOnlyList<int> indices, string name)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(name);
        if (indices.Count % 3 != 0)
        {
            throw new ArgumentException($"{indices.Count} indices are not whole triangles", nameof(indices));
        }
        for (int n = 0; n < indices.Count; n++)
        {
            if ((uint)indices[n] >= (uint)positions.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"index {n} is {indices[n]}, but there are {positions.Count} positions");
            }
        }
        for (int v = 0; v < positions.Count; v++)
        {
            Vector3 p = positions[v];
            if (!float.IsFinite(p.X) || !float.IsFinite(p.Y) || !float.IsFinite(p.Z))
            {
                throw new ArgumentException($"position {v} is not finite: {p}", nameof(positions));
            }
        }

        ModelRoot model = ModelRoot.CreateModel();
        Scene scene = model.UseScene(name);
        Node node = scene.CreateNode(name);

        // glTF forbids accessors with no elements; an empty mesh is an empty node.
        if (indices.Count > 0)
        {
            Mesh mesh = model.CreateMesh(name);
            MeshPrimitive primitive = mesh.CreatePrimitive();
            primitive.DrawPrimitiveType = PrimitiveType.TRIANGLES;

            primitive.SetVertexAccessor("POSITION", Vec3Accessor(model, "POSITION", positions));
            primitive.SetVertexAccessor("NORMAL", Vec3Accessor(model, "NORMAL", SmoothNormals(positions, indices)));

            var indexBytes = new byte[4 * indices.Count];
            for (int n = 0; n < indices.Count; n++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(indexBytes.AsSpan(4 * n), (uint)indices[n]);
            }
            BufferView indexView = model.UseBufferView(indexBytes, 0, null, 0, BufferMode.ELEMENT_ARRAY_BUFFER);
            Accessor indexAccessor = model.CreateAccessor("indices");
            indexAccessor.SetIndexData(indexView, 0, indices.Count, IndexEncodingType.UNSIGNED_INT);
            primitive.SetIndexAccessor(indexAccessor);

            node.Mesh = mesh;
        }

        model.SaveGLB(path);
    }

    /// <summary>
    /// Per-vertex normals as the area-weighted mean of the adjacent face normals (the unnormalised
    /// cross product is twice the area times the unit normal, so summing it weights by area).
    /// </summary>
    internal static Vector3[] SmoothNormals(IReadOnlyList<Vector3> positions, IReadOnlyList<int> indices)
    {
        var sums = new Vector3[positions.Count];
        for (int n = 0; n < indices.Count; n += 3)
        {
            int a = indices[n], b = indices[n + 1], c = indices[n + 2];
            Vector3 areaNormal = Vector3.Cross(positions[b] - positions[a], positions[c] - positions[a]);
            sums[a] += areaNormal;
            sums[b] += areaNormal;
            sums[c] += areaNormal;
        }
        for (int v = 0; v < sums.Length; v++)
        {
            float length = sums[v].Length();
            // glTF requires unit normals; a vertex with no area around it gets an arbitrary one.
            sums[v] = length > 0 && float.IsFinite(length) ? sums[v] / length : Vector3.UnitZ;
        }
        return sums;
    }

    private static Accessor Vec3Accessor(ModelRoot model, string name, IReadOnlyList<Vector3> values)
    {
        var bytes = new byte[12 * values.Count];
        for (int v = 0; v < values.Count; v++)
        {
            Span<byte> item = bytes.AsSpan(12 * v, 12);
            BinaryPrimitives.WriteSingleLittleEndian(item, values[v].X);
            BinaryPrimitives.WriteSingleLittleEndian(item[4..], values[v].Y);
            BinaryPrimitives.WriteSingleLittleEndian(item[8..], values[v].Z);
        }
        BufferView view = model.UseBufferView(bytes, 0, null, 0, BufferMode.ARRAY_BUFFER);
        Accessor accessor = model.CreateAccessor(name);
        // Setting vertex data also records min/max, which glTF requires for POSITION.
        accessor.SetVertexData(view, 0, values.Count, new AttributeFormat(DimensionType.VEC3, EncodingType.FLOAT, false));
        return accessor;
    }
}
