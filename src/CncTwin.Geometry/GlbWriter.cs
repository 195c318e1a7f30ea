using System.Buffers.Binary;
using System.Numerics;

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

        WriteContainer(path, positions, indices, name);
    }

    /// <summary>
    /// The GLB container written straight to the file: a 12-byte header, the JSON chunk (padded with spaces) and
    /// the BIN chunk (positions, normals, indices; each a 4-byte multiple). SharpGLTF built the same file through
    /// its object model, which cloned and merged the buffers (a 1.6 M-triangle stock: 1 s of the 1.5 s meshing);
    /// the test suite still reads every file back with SharpGLTF.
    /// </summary>
    private static void WriteContainer(string path, IReadOnlyList<Vector3> positions, IReadOnlyList<int> indices, string name)
    {
        int vertexCount = positions.Count, indexCount = indices.Count;
        long positionBytes = 12L * vertexCount, indexBytes = 4L * indexCount, binLength = 2 * positionBytes + indexBytes;
        if (binLength > uint.MaxValue - (1 << 20)) throw new ArgumentException("the mesh is too large for one glTF binary (4 GB)", nameof(positions));
        var json = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteStartObject("asset"); w.WriteString("version", "2.0"); w.WriteString("generator", "CncTwin"); w.WriteEndObject();
            w.WriteNumber("scene", 0);
            w.WriteStartArray("scenes"); w.WriteStartObject(); w.WriteString("name", name); w.WriteStartArray("nodes"); w.WriteNumberValue(0); w.WriteEndArray(); w.WriteEndObject(); w.WriteEndArray();
            w.WriteStartArray("nodes"); w.WriteStartObject(); w.WriteString("name", name); if (indexCount > 0) w.WriteNumber("mesh", 0); w.WriteEndObject(); w.WriteEndArray();
            // glTF forbids accessors with no elements; an empty mesh is an empty node.
            if (indexCount > 0)
            {
                Vector3 min = new(float.MaxValue), max = new(float.MinValue);
                for (int v = 0; v < vertexCount; v++) { min = Vector3.Min(min, positions[v]); max = Vector3.Max(max, positions[v]); }
                w.WriteStartArray("meshes"); w.WriteStartObject(); w.WriteString("name", name);
                w.WriteStartArray("primitives"); w.WriteStartObject();
                w.WriteStartObject("attributes"); w.WriteNumber("POSITION", 0); w.WriteNumber("NORMAL", 1); w.WriteEndObject();
                w.WriteNumber("indices", 2); w.WriteNumber("mode", 4);
                w.WriteEndObject(); w.WriteEndArray(); w.WriteEndObject(); w.WriteEndArray();
                w.WriteStartArray("accessors");
                void Accessor(int view, int componentType, int count, string type, Vector3? lo, Vector3? hi)
                {
                    w.WriteStartObject();
                    w.WriteNumber("bufferView", view); w.WriteNumber("componentType", componentType); w.WriteNumber("count", count); w.WriteString("type", type);
                    if (lo is { } l && hi is { } h)
                    {
                        w.WriteStartArray("min"); w.WriteNumberValue(l.X); w.WriteNumberValue(l.Y); w.WriteNumberValue(l.Z); w.WriteEndArray();
                        w.WriteStartArray("max"); w.WriteNumberValue(h.X); w.WriteNumberValue(h.Y); w.WriteNumberValue(h.Z); w.WriteEndArray();
                    }
                    w.WriteEndObject();
                }
                Accessor(0, 5126, vertexCount, "VEC3", min, max);   // FLOAT
                Accessor(1, 5126, vertexCount, "VEC3", null, null);
                Accessor(2, 5125, indexCount, "SCALAR", null, null); // UNSIGNED_INT
                w.WriteEndArray();
                w.WriteStartArray("bufferViews");
                void View(long offset, long length, int target)
                {
                    w.WriteStartObject(); w.WriteNumber("buffer", 0); w.WriteNumber("byteOffset", offset); w.WriteNumber("byteLength", length); w.WriteNumber("target", target); w.WriteEndObject();
                }
                View(0, positionBytes, 34962);                  // ARRAY_BUFFER
                View(positionBytes, positionBytes, 34962);
                View(2 * positionBytes, indexBytes, 34963);     // ELEMENT_ARRAY_BUFFER
                w.WriteEndArray();
                w.WriteStartArray("buffers"); w.WriteStartObject(); w.WriteNumber("byteLength", binLength); w.WriteEndObject(); w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        while (json.Length % 4 != 0) json.WriteByte((byte)' ');
        bool hasBin = indexCount > 0;
        long total = 12 + 8 + json.Length + (hasBin ? 8 + binLength : 0);

        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        var word = new byte[4];
        void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(word, v); file.Write(word); }
        file.Write("glTF"u8); U32(2); U32((uint)total);
        U32((uint)json.Length); file.Write("JSON"u8); json.Position = 0; json.CopyTo(file);
        if (!hasBin) return;
        U32((uint)binLength); file.Write("BIN\0"u8);
        var chunk = new byte[1 << 16];
        int n = 0;
        void Flush() { file.Write(chunk, 0, n); n = 0; }
        void F32(float v) { if (n + 4 > chunk.Length) Flush(); BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(n), v); n += 4; }
        for (int v = 0; v < vertexCount; v++) { var p = positions[v]; F32(p.X); F32(p.Y); F32(p.Z); }
        foreach (var q in SmoothNormals(positions, indices)) { F32(q.X); F32(q.Y); F32(q.Z); }
        for (int i = 0; i < indexCount; i++)
        {
            if (n + 4 > chunk.Length) Flush();
            BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(n), (uint)indices[i]); n += 4;
        }
        Flush();
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
}
