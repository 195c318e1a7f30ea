using System.Numerics;
using CncTwin.Core.Streaming;
using CncTwin.Geometry;

namespace CncTwin.Removal;

/// <summary>
/// The stock as a scalar field for surface extraction: grid points at the centres of blocks of Factor³ voxels,
/// valued by the fraction of the block that is material (iso 0.5), counting each column's top at its true height
/// (the voxel's offset), so floors cut between voxel boundaries sit near where the cutter left them. Factor 1
/// meshes every voxel; a larger factor keeps big stocks to a mesh a viewer can open, and the fractional values
/// keep walls at their true position to well under a block.
/// </summary>
public sealed class StockField(VoxelStock stock, int factor) : IScalarLayers
{
    public int Factor { get; } = Math.Max(1, factor);
    public int Nx => (stock.Nx + Factor - 1) / Factor;
    public int Ny => (stock.Ny + Factor - 1) / Factor;
    public int Nz => (stock.Nz + Factor - 1) / Factor;
    public float CellMm => (float)(stock.CellMm * Factor);
    public Vector3 Origin => new((float)(stock.Origin.X + 0.5 * CellMm), (float)(stock.Origin.Y + 0.5 * CellMm), (float)(stock.Origin.Z + 0.5 * CellMm));

    public void FillLayer(int k, Span<float> values)
    {
        if (Factor == 1) { FillVoxelLayer(k, values); return; }
        int f = Factor, nx = Nx, ny = Ny;
        double norm = 1.0 / (f * f * f), perVoxel = 1.0 / ColumnCounts.ExactPerVoxel;
        int k0 = k * f, k1 = Math.Min(stock.Nz, k0 + f);
        var target = _layer ??= new float[nx * ny];
        Parallel.For(0, ny, j =>
        {
            var columns = stock.Host();
            for (int i = 0; i < nx; i++)
            {
                double n = 0;
                for (int vj = j * f; vj < Math.Min(stock.Ny, j * f + f); vj++)
                    for (int vi = i * f; vi < Math.Min(stock.Nx, i * f + f); vi++)
                        n += Material(ref columns, vj * stock.Nx + vi, k0, k1, perVoxel);
                target[j * nx + i] = (float)(n * norm);
            }
        });
        target.AsSpan().CopyTo(values);
    }

    /// <summary>Material of voxels k0..k1−1 of a column, its top counted at its true height.</summary>
    private static double Material(ref HostColumns columns, int c, int k0, int k1, double perVoxel)
    {
        double n = ColumnOps.CountRange(ref columns, c, k0, k1);
        // The top's offset belongs to voxel Top (material above the boundary) or Top−1 (missing below it).
        long extra = ColumnOps.TopExtra(ref columns, c);
        if (extra == 0) return n;
        int owner = extra > 0 ? columns.Top(c) : columns.Top(c) - 1;
        return owner >= k0 && owner < k1 ? n + extra * perVoxel : n;
    }

    private float[]? _layer;

    /// <summary>One voxel per grid point (the default for all but huge stocks): rows of columns in parallel.</summary>
    private void FillVoxelLayer(int k, Span<float> values)
    {
        int nx = stock.Nx, ny = stock.Ny;
        double perVoxel = 1.0 / ColumnCounts.ExactPerVoxel;
        var slot = stock.Slot; var bottom = stock.Bottom; var top = stock.Top;
        var target = _layer ??= new float[nx * ny];
        Parallel.For(0, ny, j =>
        {
            var columns = stock.Host();
            for (int i = 0, c = j * nx; i < nx; i++, c++)
            {
                // Single-run columns away from their top (nearly all) straight from the table; the rest through the column code.
                int t = top[c];
                if (slot[c] < 0 && t - 1 != k && t != k)
                    target[c] = k >= bottom[c] && k < t ? 1f : 0f;
                else
                    target[c] = (float)Material(ref columns, c, k, k + 1, perVoxel);
            }
        });
        target.AsSpan().CopyTo(values);
    }

    /// <summary>
    /// Smallest block factor that keeps the mesh grid's footprint under maxColumns and the stock box's boundary
    /// cells under 5 × maxColumns: the sides of a deep stock add surface (and glTF vertices held in memory) that
    /// the footprint does not count (a 900 mm deep automatic stock took 5 GB to mesh at the voxel size).
    /// </summary>
    public static int AutoFactor(VoxelStock stock, long maxColumns = 400_000)
    {
        double columns = (double)stock.Nx * stock.Ny;
        double boundary = 2 * columns + 2.0 * (stock.Nx + stock.Ny) * stock.Nz;
        double f = Math.Max(Math.Sqrt(columns / maxColumns), Math.Sqrt(boundary / (5.0 * maxColumns)));
        return Math.Max(1, (int)Math.Ceiling(f));
    }
}

/// <summary>Writes the stock's surface as a binary STL and a glTF binary (.glb) in one extraction pass.</summary>
public static class StockMesh
{
    public sealed record Result(long Triangles, double VolumeMm3, double MeshCellMm);

    public static Result Write(VoxelStock stock, int factor, string? stlPath, string? glbPath)
    {
        var field = new StockField(stock, factor);
        using var stl = stlPath != null ? new StlWriter(stlPath) : null;
        var indexed = glbPath != null ? new IndexedMeshBuilder() : null;
        var sink = new Tee(stl, indexed);
        // Extraction on this thread, writing and vertex welding on another: batches of triangles between them
        // (a bounded number in flight, so memory stays that of a few batches).
        using (var pipe = new Pipelined(sink)) MarchingCubes.Extract(field, 0.5f, pipe);
        stl?.Complete();
        if (indexed != null) GlbWriter.Write(glbPath!, indexed.Positions, indexed.Indices, "stock");
        return new Result(sink.Triangles, sink.Volume / 6, field.CellMm);
    }

    /// <summary>Hands triangles to the target in batches on a second core (<see cref="Handoff{T}"/>); Dispose waits for it and rethrows its failure.</summary>
    private sealed class Pipelined : ITriangleSink, IDisposable
    {
        private sealed class Batch { public readonly Vector3[] Items = new Vector3[3 * 16384]; public int Count; }
        private readonly Handoff<Batch> _handoff;
        private Batch _batch = new();

        public Pipelined(ITriangleSink target) => _handoff = new Handoff<Batch>(b =>
        {
            for (int i = 0; i < b.Count; i += 3) target.AddTriangle(b.Items[i], b.Items[i + 1], b.Items[i + 2]);
            b.Count = 0;
        });

        public void AddTriangle(Vector3 p, Vector3 q, Vector3 r)
        {
            var b = _batch;
            b.Items[b.Count] = p; b.Items[b.Count + 1] = q; b.Items[b.Count + 2] = r;
            b.Count += 3;
            if (b.Count == b.Items.Length) { _handoff.Add(b); _batch = _handoff.Reuse() ?? new Batch(); }
        }

        public void Dispose()
        {
            try
            {
                if (_batch.Count > 0 && !_handoff.Failed) _handoff.Add(_batch);
                _handoff.Complete();
            }
            finally { _handoff.Dispose(); }
        }
    }

    private sealed class Tee(ITriangleSink? a, ITriangleSink? b) : ITriangleSink
    {
        public long Triangles;
        public double Volume;
        public void AddTriangle(Vector3 p, Vector3 q, Vector3 r)
        {
            a?.AddTriangle(p, q, r);
            b?.AddTriangle(p, q, r);
            Triangles++;
            // Signed volume (divergence theorem), in double: the mesh's own enclosed volume.
            Volume += (double)p.X * ((double)q.Y * r.Z - (double)q.Z * r.Y) - (double)p.Y * ((double)q.X * r.Z - (double)q.Z * r.X) + (double)p.Z * ((double)q.X * r.Y - (double)q.Y * r.X);
        }
    }
}
