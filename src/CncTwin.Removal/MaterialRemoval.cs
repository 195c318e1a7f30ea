using CncTwin.Core;
using CncTwin.Motion;

namespace CncTwin.Removal;

public enum SweepDevice { Auto, Cpu, Gpu, IlgpuCpu }

public sealed record RemovalOptions
{
    /// <summary>Spacing of engagement probes along a cutting move, mm; 0 = automatic (2 voxels, at least 2 % of the diameter).</summary>
    public double ProbeStepMm { get; init; }
    /// <summary>Arcs that are not horizontal circles are swept as chords this close to the true arc, mm; 0 = automatic (voxel/20).</summary>
    public double ChordToleranceMm { get; init; }
}

/// <summary>What hit the stock: a rapid through material, the holder, the shank above the flutes, or a plunge a non-centre-cutting tool cannot make.</summary>
public enum CollisionKind { Rapid, Holder, Shank, Plunge }

public static class CollisionKinds
{
    /// <summary>The name in summary.json, moves.csv and the report: rapid, holder, shank or plunge.</summary>
    public static string WireName(this CollisionKind k) => k switch
    {
        CollisionKind.Rapid => "rapid", CollisionKind.Holder => "holder", CollisionKind.Shank => "shank", _ => "plunge",
    };
}

/// <summary>A crash or an unsafe cut: program line, kind and a sentence for people.</summary>
public sealed record Collision(SourceLocation Source, CollisionKind Kind, string Message)
{
    public int Line => Source.Line;
}

/// <summary>What one planned move did to the stock.</summary>
public sealed record MoveRemoval(PlannedMove Move, int Tool, double RemovedMm3, double MrrMm3PerS, EngagementMap Peak,
    IReadOnlyList<EngagementMap> Probes, double ProbeStepMm, bool Plunge, CollisionKind? CollisionKind)
{
    /// <summary>The probe nearest to path distance s (mm) along the move.</summary>
    public EngagementMap EngagementAt(double s) => Probes.Count == 0 ? EngagementMap.None
        : Probes[Math.Clamp((int)Math.Round(s / ProbeStepMm), 0, Probes.Count - 1)];

    /// <summary>Material removal rate at distance s: the move's exact removed volume shared out by engaged cross-section.</summary>
    public double MrrAt(double s)
    {
        if (RemovedMm3 <= 0) return 0;
        double mean = MeanProbeAreaMm2;
        if (Probes.Count == 0 || mean <= 0) return MrrMm3PerS;
        return MrrMm3PerS * EngagementAt(s).AreaMm2 / mean;
    }

    // Averaged once per move: the timeline asks for every sample, and a long move has one probe per step, so
    // summing them per sample made a long move quadratic (a 6 m cut: 86 µs per timeline row instead of 25).
    private double _meanProbeAreaMm2 = double.NaN;

    private double MeanProbeAreaMm2
    {
        get
        {
            if (double.IsNaN(_meanProbeAreaMm2))
            {
                double sum = 0;
                foreach (var p in Probes) sum += p.AreaMm2;
                _meanProbeAreaMm2 = Probes.Count == 0 ? 0 : sum / Probes.Count;
            }
            return _meanProbeAreaMm2;
        }
    }
}

/// <summary>
/// The material-removal stage: takes planned moves in time order and, for each, reads the engagement from the
/// stock before the move, sweeps the cutter through the stock (removing material, counting what the rapid,
/// shank or holder hit), and keeps the totals a summary needs.
/// </summary>
public sealed class MaterialRemovalSimulator : IDisposable
{
    private readonly VoxelStock _stock;
    private readonly ToolLibrary _tools;
    private readonly ISweepEngine _engine;
    private readonly RemovalOptions _opt;
    private readonly List<Collision> _collisions = new();
    private readonly HashSet<(int, CollisionKind)> _reported = new();
    private readonly Dictionary<int, ICutter> _fallback = new();
    private readonly List<SweepSegment> _segs = new();
    private int _plungeTopK;

    public VoxelStock Stock => _stock;
    public string DeviceName => _engine.Name;
    public double InitialVolumeMm3 { get; }
    public double RemovedMm3 { get; private set; }
    public double AirCutS { get; private set; }
    public double CuttingS { get; private set; }
    public long Moves { get; private set; }
    /// <summary>Column updates the sweeps have run (columns in the moves' boxes): the unit of work of the kernel.</summary>
    public long ColumnsVisited { get; private set; }
    public IReadOnlyList<Collision> Collisions => _collisions;
    /// <summary>Stopwatch ticks spent reading engagement from the stock (part of Process; reported as its own stage).</summary>
    public long EngagementTicks { get; private set; }
    /// <summary>Tools the program used that the library lacks (simulated as default flat end mills).</summary>
    public IReadOnlyCollection<int> UnknownTools => _fallback.Keys;
    public Action<string>? Warn { get; set; }

    public MaterialRemovalSimulator(VoxelStock stock, ToolLibrary tools, SweepDevice device, RemovalOptions? options = null)
    {
        _stock = stock; _tools = tools; _opt = options ?? new RemovalOptions();
        InitialVolumeMm3 = stock.ExactVolumeMm3;
        _engine = device switch
        {
            SweepDevice.Cpu => new CpuSweepEngine(stock),
            SweepDevice.IlgpuCpu => new IlgpuSweepEngine(stock, useCuda: false),
            SweepDevice.Gpu => IlgpuSweepEngine.CudaAvailable() ? new IlgpuSweepEngine(stock, useCuda: true)
                : throw new InvalidOperationException("no CUDA device found (ILGPU) for removal on the GPU: run it on the CPU (or let it choose: auto)"),
            _ => IlgpuSweepEngine.CudaAvailable() ? new IlgpuSweepEngine(stock, useCuda: true) : new CpuSweepEngine(stock),
        };
    }

    public double FinalVolumeMm3 => InitialVolumeMm3 - RemovedMm3;

    /// <summary>The cutter for a tool number; a number the library lacks becomes a 6 mm flat end mill (warned once).</summary>
    public ICutter CutterFor(int tool)
    {
        var def = _tools.Get(tool);
        if (def != null) return def.Cutter;
        if (!_fallback.TryGetValue(tool, out var c))
        {
            _fallback[tool] = c = ToolLibrary.DefaultFlat(6);
            Warn?.Invoke(tool == 0
                ? "no tool in the spindle (give the tool at program start, or an M6): cutting is simulated with a 6 mm flat end mill"
                : $"tool {tool} is not in the tool library: simulated as a 6 mm flat end mill");
        }
        return c;
    }

    /// <summary>Engagement probes along one move at most (see Process).</summary>
    public const int MaxProbesPerMove = 4096;

    public MoveRemoval Process(PlannedMove m)
    {
        Moves++;
        var cutter = CutterFor(m.Move.Tool);
        bool rapid = m.Move.Kind == MotionKind.Rapid;
        double step = _opt.ProbeStepMm > 0 ? _opt.ProbeStepMm : Math.Max(2 * _stock.CellMm, 0.02 * cutter.DiameterMm);
        // A move's probes live until its timeline is written: cap their number so that memory stays bounded on an
        // absurdly long move (a 50 m line would otherwise hold ~3 GB of engagement maps); the spacing widens instead.
        step = Math.Max(step, m.Path.LengthMm / (MaxProbesPerMove - 1));
        var horizontal = new Vec3(m.Path.End.X - m.Path.Start.X, m.Path.End.Y - m.Path.Start.Y, 0);
        bool plunge = m.Path is LinePath && horizontal.Length < 1e-6 && m.Path.End.Z < m.Path.Start.Z;

        // 1. Engagement, from the stock as it is before this move.
        long te = System.Diagnostics.Stopwatch.GetTimestamp();
        var probes = rapid || plunge ? [] : Engagement(m, cutter, step);
        EngagementTicks += System.Diagnostics.Stopwatch.GetTimestamp() - te;
        if (plunge) _plungeTopK = HighestMaterialInDisc(m.Path.Start.X, m.Path.Start.Y, cutter.RadiusMm);
        bool centreHit = !cutter.CenterCutting && !rapid && CentreColumnHasMaterial(m);

        // 2. The sweep.
        BuildSegments(m.Path);
        var p = Params(cutter);
        var counts = new ColumnCounts();
        if (Box(ref p, cutter))
        {
            var visitor = new SweepVisitor(_engine, p);
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_segs);
            for (int i = 0; i < span.Length; i += 256)
            {
                visitor.Segments = span.Slice(i, Math.Min(256, span.Length - i)).ToArray();
                counts.Add(cutter.Accept(visitor));
            }
        }
        double removed = counts.RemovedExact * (_stock.VoxelVolumeMm3 / ColumnCounts.ExactPerVoxel);
        RemovedMm3 += removed;
        double duration = m.DurationS;
        if (!rapid)
        {
            if (counts.RemovedExact <= 0) AirCutS += duration; else CuttingS += duration;
        }

        // 3. Crashes.
        CollisionKind? kind = null;
        void Report(CollisionKind k, string message)
        {
            kind ??= k;
            if (_reported.Add((m.Source.Line, k))) _collisions.Add(new Collision(m.Source, k, message));
        }
        double vox = _stock.VoxelVolumeMm3;
        if (rapid && counts.Deep > 0)
            Report(CollisionKind.Rapid, $"rapid move through material: {counts.Deep * vox:0.###} mm³ of stock in the way of T{m.Move.Tool}");
        if (counts.Holder > 0)
            Report(CollisionKind.Holder, $"tool holder (Ø{cutter.HolderDiameterMm:0.###} mm, from {cutter.StickoutMm:0.###} mm above the tip) hits {counts.Holder * vox:0.###} mm³ of stock");
        if (counts.Shank > 0)
            Report(CollisionKind.Shank, $"shank of T{m.Move.Tool} above the {cutter.FluteLengthMm:0.###} mm flutes rubs {counts.Shank * vox:0.###} mm³ of stock (cut deeper than the flute length)");
        if (centreHit && counts.Removed > 0)
            Report(CollisionKind.Plunge, $"T{m.Move.Tool} is not centre-cutting but is fed down into material steeper than its {cutter.MaxRampDeg:0.#}° ramp limit");

        if (plunge && removed > 0)
        {
            // Depth fed through material: from the start tip (or the highest material below it) to the end tip.
            double top = _stock.Origin.Z + _plungeTopK * _stock.CellMm;
            probes = [EngagementMap.Plunge(Math.Min(m.Path.Start.Z, top) - m.Path.End.Z, removed)];
        }
        var peak = EngagementMap.None;
        foreach (var e in probes) if (e.AreaMm2 > peak.AreaMm2) peak = e;
        return new MoveRemoval(m, m.Move.Tool, removed, duration > 0 ? removed / duration : 0, peak, probes, step, plunge, kind);
    }

    /// <summary>Call once after the last move: brings the host copy of the stock up to date.</summary>
    public void Finish() => _engine.Synchronize();

    public void Dispose() => _engine.Dispose();

    private List<EngagementMap> Engagement(PlannedMove m, ICutter cutter, double step)
    {
        int count = Math.Max(1, (int)Math.Round(m.Path.LengthMm / step) + 1);
        var points = new ProbePoint[count];
        int used = 0;
        for (int n = 0; n < count; n++)
        {
            double s = Math.Min(n * step, m.Path.LengthMm);
            var pos = m.Path.PointAt(s);
            var t = m.Path.TangentAt(s);
            double hl = Math.Sqrt(t.X * t.X + t.Y * t.Y);
            if (hl < 1e-6) { points[used++] = new ProbePoint { X = pos.X, Y = pos.Y, Z = pos.Z, Fx = 1, Fy = 0 }; continue; }
            points[used++] = new ProbePoint { X = pos.X, Y = pos.Y, Z = pos.Z, Fx = t.X / hl, Fy = t.Y / hl };
        }
        // Slices: voxel layers from the tip to the flute length, but not above the stock.
        var pp = new ProbeParams
        {
            OriginX = _stock.Origin.X, OriginY = _stock.Origin.Y, OriginZ = _stock.Origin.Z, Cell = _stock.CellMm,
            Nx = _stock.Nx, Ny = _stock.Ny, Nz = _stock.Nz, Words = _stock.WordsPerColumn, FluteLengthMm = cutter.FluteLengthMm,
        };
        double lowTip = Math.Min(m.Path.Start.Z, m.Path.End.Z);
        int kLow = _stock.FirstAbove(lowTip);
        // No slice above the highest material under the cutter's reach along this move (Top bounds each column).
        int kTop = HighestMaterial(m.Path, cutter.RadiusMm);
        pp.Slices = Math.Clamp(Math.Min((int)Math.Ceiling(cutter.FluteLengthMm / _stock.CellMm) + 1, kTop - kLow + 1), 0, 4096);
        var maps = new List<EngagementMap>(used);
        if (pp.Slices == 0) { for (int n = 0; n < used; n++) maps.Add(EngagementMap.None); return maps; }
        var masks = new ulong[used * pp.Slices];
        cutter.Accept(new ProbeVisitor(_engine, points, pp, masks));
        for (int n = 0; n < used; n++)
        {
            double first = _stock.CenterZ(_stock.FirstAbove(points[n].Z)) - points[n].Z;
            maps.Add(new EngagementMap(first, _stock.CellMm, masks.AsSpan(n * pp.Slices, pp.Slices).ToArray(), cutter.Profile));
        }
        return maps;
    }

    /// <summary>The rectangle of columns overlapping [x0, x1] × [y0, y1] (mm) as a query; false when it misses the stock.</summary>
    private bool Rect(double x0, double x1, double y0, double y1, int kind, out ColumnQuery q)
    {
        int i0 = Math.Max(0, (int)Math.Floor((x0 - _stock.Origin.X) / _stock.CellMm)), i1 = Math.Min(_stock.Nx - 1, (int)Math.Ceiling((x1 - _stock.Origin.X) / _stock.CellMm));
        int j0 = Math.Max(0, (int)Math.Floor((y0 - _stock.Origin.Y) / _stock.CellMm)), j1 = Math.Min(_stock.Ny - 1, (int)Math.Ceiling((y1 - _stock.Origin.Y) / _stock.CellMm));
        q = new ColumnQuery { Kind = kind, I0 = i0, J0 = j0, BoxNx = i1 - i0 + 1, BoxNy = j1 - j0 + 1, Nx = _stock.Nx, R2 = -1, Cell = _stock.CellMm };
        return i1 >= i0 && j1 >= j0;
    }

    /// <summary>
    /// Where a probing move (tool tip from start to end, mm) first touches the stock as it stands now: the tip's
    /// disc of the tool's radius meets the highest material under it. Null when the move stays clear. Walked in
    /// half-voxel steps, then refined to the height of the material found.
    /// </summary>
    public Vec3? FirstContact(Vec3 start, Vec3 end, int tool)
    {
        _engine.Synchronize();
        double r = Math.Max(CutterFor(tool).RadiusMm, 0.5 * _stock.CellMm);
        var d = end - start;
        double len = d.Length;
        int steps = (int)Math.Clamp(Math.Ceiling(len / (0.5 * _stock.CellMm)), 1, 200_000);
        for (int k = 0; k <= steps; k++)
        {
            var p = start + d * ((double)k / steps);
            int h = HighestMaterialInDisc(p.X, p.Y, r);
            if (h <= 0) continue;
            double top = _stock.Origin.Z + h * _stock.CellMm;
            if (p.Z > top) continue;
            // Contact in this step: on a move with a downward part, where the tip reaches the material's top.
            if (k == 0) return start;
            var q = start + d * ((double)(k - 1) / steps);
            double t = Math.Abs(q.Z - p.Z) > 1e-12 ? Math.Clamp((q.Z - top) / (q.Z - p.Z), 0, 1) : 1;
            return q + (p - q) * t;
        }
        return null;
    }

    /// <summary>Highest material layer (voxel index + 1) among the columns whose centres lie within r of (x, y).</summary>
    private int HighestMaterialInDisc(double x, double y, double r)
    {
        if (!Rect(x - r, x + r, y - r, y + r, ColumnQuery.MaxTopExact, out var q)) return 0;
        q.Cx = x - _stock.Origin.X; q.Cy = y - _stock.Origin.Y; q.R2 = r * r;
        return (int)_engine.Query(q);
    }

    /// <summary>Upper bound of the material layers (voxel index + 1) in the box around a path, widened by r.</summary>
    private int HighestMaterial(PathGeometry path, double r)
    {
        double x0 = Math.Min(path.Start.X, path.End.X), x1 = Math.Max(path.Start.X, path.End.X);
        double y0 = Math.Min(path.Start.Y, path.End.Y), y1 = Math.Max(path.Start.Y, path.End.Y);
        if (path is CirclePath c)
        {
            double grow = ArcBulge(c.RadiusMm, c.SweepRad);
            if (double.IsInfinity(grow)) { x0 = c.Center.X - c.RadiusMm; x1 = c.Center.X + c.RadiusMm; y0 = c.Center.Y - c.RadiusMm; y1 = c.Center.Y + c.RadiusMm; }
            else { x0 -= grow; x1 += grow; y0 -= grow; y1 += grow; }
        }
        return Rect(x0 - r, x1 + r, y0 - r, y1 + r, ColumnQuery.MaxTopBound, out var q) ? (int)_engine.Query(q) : 0;
    }

    /// <summary>
    /// Non-centre-cutting tools: a move that descends steeper than the tool's ramp limit and ends with material
    /// still standing above the tip in the centre column was fed down into material with the dead centre.
    /// </summary>
    private bool CentreColumnHasMaterial(PlannedMove m)
    {
        var a = m.Path.Start; var b = m.Path.End;
        double drop = a.Z - b.Z;
        if (drop <= _stock.CellMm) return false;
        double run = Math.Sqrt((b.X - a.X) * (b.X - a.X) + (b.Y - a.Y) * (b.Y - a.Y));
        if (Math.Atan2(drop, run) * 180 / Math.PI <= CutterFor(m.Move.Tool).MaxRampDeg) return false;
        int i = (int)Math.Floor((b.X - _stock.Origin.X) / _stock.CellMm), j = (int)Math.Floor((b.Y - _stock.Origin.Y) / _stock.CellMm);
        if ((uint)i >= (uint)_stock.Nx || (uint)j >= (uint)_stock.Ny) return false;
        var q = new ColumnQuery
        {
            Kind = ColumnQuery.CountVoxels, I0 = i, J0 = j, BoxNx = 1, BoxNy = 1, Nx = _stock.Nx, R2 = -1, Cell = _stock.CellMm,
            K0 = _stock.FirstAbove(b.Z + 0.5 * _stock.CellMm), K1 = _stock.FirstAbove(a.Z),
        };
        return q.K1 > q.K0 && _engine.Query(q) > 0;
    }

    private SweepParams Params(ICutter c) => new()
    {
        OriginX = _stock.Origin.X, OriginY = _stock.Origin.Y, OriginZ = _stock.Origin.Z, Cell = _stock.CellMm,
        Nx = _stock.Nx, Ny = _stock.Ny, Nz = _stock.Nz, Words = _stock.WordsPerColumn,
        FluteLengthMm = c.FluteLengthMm, StickoutMm = c.StickoutMm,
        ShankRadiusMm = c.ShankDiameterMm / 2, HolderRadiusMm = c.HolderDiameterMm / 2, TolMm = 0.5 * _stock.CellMm,
    };

    /// <summary>The columns the segments can reach (cutter, shank or holder); false when none lie in the stock.</summary>
    private bool Box(ref SweepParams p, ICutter c)
    {
        double x0 = double.MaxValue, y0 = double.MaxValue, x1 = double.MinValue, y1 = double.MinValue, zMin = double.MaxValue;
        foreach (var s in _segs)
        {
            double grow = s.IsArc != 0 ? ArcBulge(s.Rho, s.SweepRad) : 0;
            if (double.IsInfinity(grow))
            {
                // More than half a turn: the whole circle's box.
                x0 = Math.Min(x0, s.Cx - s.Rho); x1 = Math.Max(x1, s.Cx + s.Rho);
                y0 = Math.Min(y0, s.Cy - s.Rho); y1 = Math.Max(y1, s.Cy + s.Rho);
                grow = 0;
            }
            x0 = Math.Min(x0, Math.Min(s.X0, s.X1) - grow); x1 = Math.Max(x1, Math.Max(s.X0, s.X1) + grow);
            y0 = Math.Min(y0, Math.Min(s.Y0, s.Y1) - grow); y1 = Math.Max(y1, Math.Max(s.Y0, s.Y1) + grow);
            zMin = Math.Min(zMin, Math.Min(s.Z0, s.Z1));
        }
        if (zMin >= _stock.Max.Z) return false; // entirely above the stock: nothing can touch it
        // The shank and holder widen the box only when they come down to the stock's top.
        double reach = c.RadiusMm;
        p.ShankReaches = zMin + c.FluteLengthMm < _stock.Max.Z ? 1 : 0;
        p.HolderReaches = zMin + c.StickoutMm < _stock.Max.Z ? 1 : 0;
        if (p.ShankReaches != 0) reach = Math.Max(reach, p.ShankRadiusMm);
        if (p.HolderReaches != 0) reach = Math.Max(reach, p.HolderRadiusMm);
        int i0 = Math.Max(0, (int)Math.Floor((x0 - reach - p.OriginX) / p.Cell));
        int i1 = Math.Min(p.Nx - 1, (int)Math.Ceiling((x1 + reach - p.OriginX) / p.Cell));
        int j0 = Math.Max(0, (int)Math.Floor((y0 - reach - p.OriginY) / p.Cell));
        int j1 = Math.Min(p.Ny - 1, (int)Math.Ceiling((y1 + reach - p.OriginY) / p.Cell));
        if (i1 < i0 || j1 < j0) return false;
        p.BoxI0 = i0; p.BoxJ0 = j0; p.BoxNx = i1 - i0 + 1; p.BoxNy = j1 - j0 + 1;
        p.TipCells = (zMin - p.OriginZ) / p.Cell;
        ColumnsVisited += (long)p.BoxNx * p.BoxNy;
        return true;
    }

    /// <summary>
    /// How far an arc of at most half a turn strays from the box of its end points: never more than its sagitta
    /// R(1 − cos(θ/2)) from the chord. ∞ for longer arcs (then the whole circle's box is used). A G64 blend between
    /// nearly collinear moves is an arc of huge radius and tiny angle: its circle's box once covered the whole
    /// stock, and every such blend queried and swept every column (9 of ballend-finish's 15 s).
    /// </summary>
    private static double ArcBulge(double radiusMm, double sweepRad)
    {
        double a = Math.Abs(sweepRad);
        return a <= Math.PI ? radiusMm * (1 - Math.Cos(a / 2)) + 1e-9 : double.PositiveInfinity;
    }

    /// <summary>Lines as they are; horizontal circles exactly; helices and other planes as chords.</summary>
    private void BuildSegments(PathGeometry path)
    {
        _segs.Clear();
        switch (path)
        {
            case LinePath l:
                _segs.Add(SweepSegment.Line(l.Start.X, l.Start.Y, l.Start.Z, l.End.X, l.End.Y, l.End.Z));
                return;
            case CirclePath c:
                var n = c.U.Cross(c.V);
                if (Math.Abs(n.Z) > 1 - 1e-9 && c.Rise.Length < 1e-9)
                {
                    double sweep = c.SweepRad * Math.Sign(n.Z);
                    _segs.Add(SweepSegment.Arc(c.Center.X, c.Center.Y, c.Center.Z, c.RadiusMm, Math.Atan2(c.U.Y, c.U.X), sweep));
                    return;
                }
                double tol = _opt.ChordToleranceMm > 0 ? _opt.ChordToleranceMm : _stock.CellMm / 20;
                double maxStep = c.RadiusMm > tol ? 2 * Math.Acos(1 - tol / c.RadiusMm) : Math.PI / 2;
                int chords = Math.Clamp((int)Math.Ceiling(c.SweepRad / maxStep), 1, 1 << 20);
                var prev = c.Start;
                for (int k = 1; k <= chords; k++)
                {
                    var q = c.PointAt(c.LengthMm * k / chords);
                    _segs.Add(SweepSegment.Line(prev.X, prev.Y, prev.Z, q.X, q.Y, q.Z));
                    prev = q;
                }
                return;
            default:
                throw new InvalidOperationException($"unknown path type {path.GetType().Name}");
        }
    }

    private sealed class SweepVisitor(ISweepEngine engine, SweepParams p) : ICutterProfileVisitor<ColumnCounts>
    {
        public SweepSegment[] Segments = [];
        public ColumnCounts Visit<TProfile>(TProfile profile) where TProfile : struct, ICutterProfile
        {
            var pp = p;
            pp.SegmentCount = Segments.Length;
            return engine.Sweep<TProfile>(Segments, pp, profile);
        }
    }

    private sealed class ProbeVisitor(ISweepEngine engine, ProbePoint[] points, ProbeParams p, ulong[] masks) : ICutterProfileVisitor<bool>
    {
        public bool Visit<TProfile>(TProfile profile) where TProfile : struct, ICutterProfile
        {
            engine.Engage<TProfile>(points, p, profile, masks);
            return true;
        }
    }
}
