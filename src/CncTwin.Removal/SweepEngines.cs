using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace CncTwin.Removal;

/// <summary>
/// Runs sweeps and engagement probes against a stock: on the CPU (plain loops, Parallel.For over rows) or
/// through ILGPU (CUDA when there is a GPU, ILGPU's CPU accelerator in tests). All paths run the same
/// <see cref="ColumnSweep"/>/<see cref="ColumnUpdate"/>/<see cref="EngagementProbe"/> code.
/// </summary>
public interface ISweepEngine : IDisposable
{
    string Name { get; }
    ColumnCounts Sweep<TProfile>(ReadOnlySpan<SweepSegment> segments, in SweepParams p, TProfile profile) where TProfile : struct, ICutterProfile;
    /// <summary>Fills masks[probe * slices + slice] with the engaged angle bins of each probe's slices (pre-sweep stock).</summary>
    void Engage<TProfile>(ReadOnlySpan<ProbePoint> probes, in ProbeParams p, TProfile profile, Span<ulong> masks) where TProfile : struct, ICutterProfile;
    /// <summary>Answers a <see cref="ColumnQuery"/> from the stock as it is now.</summary>
    long Query(in ColumnQuery q);
    /// <summary>Brings the host copy of the stock up to date (the GPU path keeps it on the device meanwhile).</summary>
    void Synchronize();
}

/// <summary>Device copies of a stock's column table and word pool, passed to kernels as one struct.</summary>
public struct ViewStore(ArrayView<ulong> pool, ArrayView<int> slot, ArrayView<int> bottom, ArrayView<int> top, ArrayView<int> offset, int words) : IColumnStore
{
    public readonly int Offset(int column) => offset[column];
    public readonly void SetOffset(int column, int value) => offset[column] = value;
    public readonly int Words => words;
    public readonly int Slot(int column) => slot[column];
    public readonly int Bottom(int column) => bottom[column];
    public readonly int Top(int column) => top[column];
    public readonly void SetTop(int column, int t) => top[column] = t;
    public readonly ulong Load(long index) => pool[index];
    public readonly void Store(long index, ulong word) => pool[index] = word;
}

/// <summary>The default without a GPU: the stock's own arrays, rows of the column box in parallel.</summary>
public sealed class CpuSweepEngine(VoxelStock stock) : ISweepEngine
{
    /// <summary>Below this many columns a sweep runs on the calling thread (thread hand-off costs more).</summary>
    private const int ParallelColumns = 4096;
    public string Name => "cpu";

    public ColumnCounts Sweep<TProfile>(ReadOnlySpan<SweepSegment> segments, in SweepParams p, TProfile profile) where TProfile : struct, ICutterProfile
    {
        long columns = (long)p.BoxNx * p.BoxNy;
        if (columns < ParallelColumns)
        {
            var total = new ColumnCounts();
            for (int bj = 0; bj < p.BoxNy; bj++) total.Add(Row(bj, segments, p, profile));
            return total;
        }
        // Only the parallel path needs the segments on the heap (lambdas cannot capture a span).
        var segs = segments.ToArray();
        var pp = p;
        var sum = new ColumnCounts();
        var gate = new object();
        Parallel.For(0, p.BoxNy, () => new ColumnCounts(), (bj, _, local) => { local.Add(Row(bj, segs, pp, profile)); return local; },
            local => { lock (gate) sum.Add(local); });
        return sum;
    }

    private ColumnCounts Row<TProfile>(int bj, ReadOnlySpan<SweepSegment> segs, in SweepParams p, TProfile profile) where TProfile : struct, ICutterProfile
    {
        var store = stock.Host();
        var counts = new ColumnCounts();
        int j = p.BoxJ0 + bj;
        double y = p.OriginY + (j + 0.5) * p.Cell;
        for (int bi = 0; bi < p.BoxNx; bi++)
        {
            int i = p.BoxI0 + bi;
            if (ColumnOps.BelowTip(ref store, j * p.Nx + i, p)) continue;
            double x = p.OriginX + (i + 0.5) * p.Cell;
            var h = ColumnSweep.Empty();
            for (int n = 0; n < segs.Length; n++) ColumnSweep.Accumulate(ref h, x, y, p, segs[n], profile);
            counts.Add(ColumnUpdate.Apply(ref store, j * p.Nx + i, h, p));
        }
        return counts;
    }

    public void Engage<TProfile>(ReadOnlySpan<ProbePoint> probes, in ProbeParams p, TProfile profile, Span<ulong> masks) where TProfile : struct, ICutterProfile
    {
        var store = stock.Host();
        if (probes.Length < 64)
        {
            for (int n = 0; n < probes.Length; n++)
                EngagementFast.ProbeMasks(ref store, probes[n], p, profile, masks.Slice(n * p.Slices, p.Slices));
            return;
        }
        var pts = probes.ToArray();
        var output = new ulong[probes.Length * p.Slices];
        var pp = p;
        // Chunks of probes per task: one probe is now far too little work to hand to another thread.
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, pts.Length, 32), range =>
        {
            var st = stock.Host();
            for (int n = range.Item1; n < range.Item2; n++)
                EngagementFast.ProbeMasks(ref st, pts[n], pp, profile, output.AsSpan(n * pp.Slices, pp.Slices));
        });
        output.CopyTo(masks);
    }

    public long Query(in ColumnQuery q)
    {
        var store = stock.Host();
        long result = 0;
        for (int bj = 0; bj < q.BoxNy; bj++)
            for (int bi = 0; bi < q.BoxNx; bi++)
            {
                long v = q.Column(ref store, bi, bj);
                result = q.Kind == ColumnQuery.CountVoxels ? result + v : Math.Max(result, v);
            }
        return result;
    }

    public void Synchronize() { }
    public void Dispose() { }
}

/// <summary>
/// ILGPU path: the stock lives in accelerator memory; each sweep is one kernel launch with one thread per
/// column of the move's box, each probe batch one launch with one thread per (probe, slice).
/// </summary>
public sealed class IlgpuSweepEngine : ISweepEngine
{
    private readonly VoxelStock _stock;
    private readonly Context _context;
    private readonly Accelerator _acc;
    private readonly MemoryBuffer1D<ulong, Stride1D.Dense> _pool;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _slot, _bottom, _top, _offset;
    private readonly MemoryBuffer1D<long, Stride1D.Dense> _counters;
    private MemoryBuffer1D<SweepSegment, Stride1D.Dense> _segs;
    private MemoryBuffer1D<ProbePoint, Stride1D.Dense> _probes;
    private MemoryBuffer1D<ulong, Stride1D.Dense> _masks;
    private readonly Action<Index1D, ViewStore, ArrayView<long>, ColumnQuery> _queryKernel;
    private readonly Dictionary<Type, Delegate> _sweepKernels = new(), _probeKernels = new();
    private readonly long[] _countsHost = new long[5];

    public string Name { get; }

    /// <summary>True when ILGPU finds a CUDA device on this machine.</summary>
    public static bool CudaAvailable()
    {
        try
        {
            using var ctx = Context.Create(b => b.Cuda());
            return ctx.GetCudaDevices().Count > 0;
        }
        catch (Exception) { return false; }
    }

    /// <param name="useCuda">CUDA device 0; otherwise ILGPU's CPU accelerator (same kernels, run on the host: for tests).</param>
    public IlgpuSweepEngine(VoxelStock stock, bool useCuda)
    {
        _stock = stock;
        _context = Context.Create(b => { b.CPU(); if (useCuda) b.Cuda(); b.Math(MathMode.Default); });
        _acc = useCuda ? _context.GetCudaDevices()[0].CreateAccelerator(_context) : _context.CreateCPUAccelerator(0);
        Name = useCuda ? $"gpu ({_acc.Name})" : "ilgpu-cpu";
        // Sweeps never split a run, so the pool (multi-run columns) has its final size already.
        _pool = _acc.Allocate1D(stock.Pool);
        _slot = _acc.Allocate1D(stock.Slot);
        _bottom = _acc.Allocate1D(stock.Bottom);
        _top = _acc.Allocate1D(stock.Top);
        _offset = _acc.Allocate1D(stock.TopOffset);
        _counters = _acc.Allocate1D<long>(5);
        _queryKernel = _acc.LoadAutoGroupedStreamKernel<Index1D, ViewStore, ArrayView<long>, ColumnQuery>(QueryKernel);
        _segs = _acc.Allocate1D<SweepSegment>(64);
        _probes = _acc.Allocate1D<ProbePoint>(256);
        _masks = _acc.Allocate1D<ulong>(256 * 64);
    }

    private static void SweepKernel<TProfile>(Index1D index, ViewStore stock, ArrayView<SweepSegment> segs,
        ArrayView<long> counters, SweepParams p, TProfile profile) where TProfile : struct, ICutterProfile
    {
        int bi = index % p.BoxNx, bj = index / p.BoxNx;
        int i = p.BoxI0 + bi, j = p.BoxJ0 + bj;
        if (ColumnOps.BelowTip(ref stock, j * p.Nx + i, p)) return;
        double x = p.OriginX + (i + 0.5) * p.Cell, y = p.OriginY + (j + 0.5) * p.Cell;
        var h = ColumnSweep.Empty();
        for (int n = 0; n < p.SegmentCount; n++) ColumnSweep.Accumulate(ref h, x, y, p, segs[n], profile);
        var c = ColumnUpdate.Apply(ref stock, j * p.Nx + i, h, p);
        if (c.Removed != 0) Atomic.Add(ref counters[0], c.Removed);
        if (c.Deep != 0) Atomic.Add(ref counters[1], c.Deep);
        if (c.Shank != 0) Atomic.Add(ref counters[2], c.Shank);
        if (c.Holder != 0) Atomic.Add(ref counters[3], c.Holder);
        if (c.RemovedExact != 0) Atomic.Add(ref counters[4], c.RemovedExact);
    }

    private static void ProbeKernel<TProfile>(Index1D index, ViewStore stock, ArrayView<ProbePoint> probes,
        ArrayView<ulong> masks, ProbeParams p, TProfile profile) where TProfile : struct, ICutterProfile
    {
        int n = index / p.Slices, s = index % p.Slices;
        masks[index] = EngagementProbe.SliceMask(ref stock, probes[n], s, p, profile);
    }

    private static void QueryKernel(Index1D index, ViewStore stock, ArrayView<long> result, ColumnQuery q)
    {
        long v = q.Column(ref stock, index % q.BoxNx, index / q.BoxNx);
        if (v == 0) return;
        if (q.Kind == ColumnQuery.CountVoxels) Atomic.Add(ref result[0], v);
        else Atomic.Max(ref result[0], v);
    }

    public long Query(in ColumnQuery q)
    {
        if (q.BoxNx <= 0 || q.BoxNy <= 0) return 0;
        _counters.MemSetToZero();
        _queryKernel(q.BoxNx * q.BoxNy, Device, _counters.View, q);
        _counters.View.CopyToCPU(_countsHost);
        return _countsHost[0];
    }

    private ViewStore Device => new(_pool.View, _slot.View, _bottom.View, _top.View, _offset.View, _stock.WordsPerColumn);

    public ColumnCounts Sweep<TProfile>(ReadOnlySpan<SweepSegment> segments, in SweepParams p, TProfile profile) where TProfile : struct, ICutterProfile
    {
        if (!_sweepKernels.TryGetValue(typeof(TProfile), out var k))
            _sweepKernels[typeof(TProfile)] = k = _acc.LoadAutoGroupedStreamKernel<Index1D, ViewStore, ArrayView<SweepSegment>, ArrayView<long>, SweepParams, TProfile>(SweepKernel<TProfile>);
        var kernel = (Action<Index1D, ViewStore, ArrayView<SweepSegment>, ArrayView<long>, SweepParams, TProfile>)k;
        if (_segs.Length < segments.Length) { _segs.Dispose(); _segs = _acc.Allocate1D<SweepSegment>(segments.Length * 2); }
        _segs.View.AsContiguous().SubView(0, segments.Length).CopyFromCPU(segments);
        _counters.MemSetToZero();
        kernel(p.BoxNx * p.BoxNy, Device, _segs.View, _counters.View, p, profile);
        _counters.View.CopyToCPU(_countsHost);
        return new ColumnCounts { Removed = _countsHost[0], Deep = _countsHost[1], Shank = _countsHost[2], Holder = _countsHost[3], RemovedExact = _countsHost[4] };
    }

    public void Engage<TProfile>(ReadOnlySpan<ProbePoint> probes, in ProbeParams p, TProfile profile, Span<ulong> masks) where TProfile : struct, ICutterProfile
    {
        if (probes.Length == 0 || p.Slices == 0) return;
        if (!_probeKernels.TryGetValue(typeof(TProfile), out var k))
            _probeKernels[typeof(TProfile)] = k = _acc.LoadAutoGroupedStreamKernel<Index1D, ViewStore, ArrayView<ProbePoint>, ArrayView<ulong>, ProbeParams, TProfile>(ProbeKernel<TProfile>);
        var kernel = (Action<Index1D, ViewStore, ArrayView<ProbePoint>, ArrayView<ulong>, ProbeParams, TProfile>)k;
        int total = probes.Length * p.Slices;
        if (_probes.Length < probes.Length) { _probes.Dispose(); _probes = _acc.Allocate1D<ProbePoint>(probes.Length * 2); }
        if (_masks.Length < total) { _masks.Dispose(); _masks = _acc.Allocate1D<ulong>(total * 2L); }
        _probes.View.AsContiguous().SubView(0, probes.Length).CopyFromCPU(probes);
        kernel(total, Device, _probes.View, _masks.View, p, profile);
        _masks.View.AsContiguous().SubView(0, total).CopyToCPU(masks[..total]);
    }

    public void Synchronize()
    {
        _acc.Synchronize();
        // Slot and Bottom never change during a sweep; the pool, the tops and their offsets do.
        _pool.View.CopyToCPU(_stock.Pool);
        _top.View.CopyToCPU(_stock.Top);
        _offset.View.CopyToCPU(_stock.TopOffset);
    }

    public void Dispose()
    {
        _pool.Dispose(); _slot.Dispose(); _bottom.Dispose(); _top.Dispose(); _offset.Dispose(); _counters.Dispose(); _segs.Dispose(); _probes.Dispose(); _masks.Dispose();
        _acc.Dispose(); _context.Dispose();
    }
}
