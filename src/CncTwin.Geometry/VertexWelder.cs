using System.Numerics;
using System.Runtime.InteropServices;

namespace CncTwin.Geometry;

/// <summary>
/// Maps positions to dense indices, merging positions that are bit-identical. Exact matching is
/// deliberate: producers in this project (marching cubes, STL files written from it) emit shared
/// vertices with identical float arithmetic, and a tolerance would silently merge distinct vertices
/// of fine meshes and hide real gaps.
/// </summary>
internal sealed class VertexWelder
{
    private readonly Dictionary<VertexKey, int> indexByKey;

    public VertexWelder(int capacity = 0)
    {
        indexByKey = new Dictionary<VertexKey, int>(capacity);
    }

    public int Count => indexByKey.Count;

    /// <summary>Index of <paramref name="position"/>; <paramref name="added"/> is true when it is new.</summary>
    public int IndexOf(Vector3 position, out bool added)
    {
        ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(indexByKey, new VertexKey(position), out bool exists);
        if (!exists)
        {
            slot = indexByKey.Count - 1;
        }
        added = !exists;
        return slot;
    }

    private readonly record struct VertexKey(uint X, uint Y, uint Z)
    {
        public VertexKey(Vector3 p) : this(Bits(p.X), Bits(p.Y), Bits(p.Z)) { }

        // -0 and +0 are the same point but differ in their bits; fold them so welding stays geometric.
        private static uint Bits(float v) => v == 0f ? 0u : BitConverter.SingleToUInt32Bits(v);
    }
}
