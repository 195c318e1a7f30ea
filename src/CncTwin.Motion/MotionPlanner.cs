using CncTwin.Core;

namespace CncTwin.Motion;

/// <summary>One item of the planned timeline: a move with its velocity profile, or a pause.</summary>
public abstract record PlanItem(SourceLocation Source, double StartS)
{
    public abstract double DurationS { get; }
    public double EndS => StartS + DurationS;
}

/// <summary>
/// A stretch of path time-parameterised by the planner: the programmed move it belongs to (for its line and
/// kind), the geometry actually followed (the programmed line or arc, trimmed where a corner blend takes
/// over, or the blend arc itself) and its speed profile.
/// </summary>
public sealed record PlannedMove(CncTwin.Core.Move Move, double StartS, ISpeedProfile Profile, PathGeometry Path, bool IsBlend = false) : PlanItem(Move.Source, StartS)
{
    public override double DurationS => Profile.TotalS;
    /// <summary>Tool position at absolute time t (clamped to this segment).</summary>
    public Vec3 PositionAt(double t) => Path.PointAt(Profile.At(t - StartS).DistanceMm);
}

/// <summary>Time with no path motion: dwell, spindle at-speed wait, tool change.</summary>
public sealed record PlannedPause(SourceLocation Source, double StartS, double Seconds, string Reason) : PlanItem(Source, StartS)
{
    public override double DurationS => Seconds;
}

/// <summary>
/// Look-ahead trajectory planner modelled on LinuxCNC 2.9's (src/emc/tp: tp.c, blendmath.c), so that a
/// twin of a LinuxCNC machine times programs as the machine does, and other machines get the same sound
/// behaviour from their declared limits.
/// <list type="bullet">
/// <item>Each segment gets a speed cap (programmed feed; path and per-axis limits projected on its direction;
/// centripetal limit sqrt(0.866·a·R) on arcs; at least ~1 servo period per segment) and an acceleration
/// (per-axis limits projected likewise; arcs keep half for the tangential direction).</item>
/// <item>How a segment ends is fixed when it is queued (LinuxCNC's term_cond): G61.1 stops, G61 stops unless
/// the next move continues in (nearly) the same direction, G64 blends. Rapid-to-feed changes and reversals
/// (within 2°) always stop.</item>
/// <item>Near-tangent joints whose direction change needs less than the kink ratio (10 %) of the axis
/// accelerations at full speed are passed at speed; other G64 corners between lines get a tangent blend
/// arc — radius from the speed it can hold, within the G64 P tolerance (or a quarter of the shorter move)
/// and half of each move — which cuts the corner, so the path is shorter than programmed. Corners involving
/// programmed arcs are passed at the speed such a blend arc allows, without changing the path.</item>
/// <item>A G64 move that ends at rest without a blend (before a dwell, an M-code, the end) ramps at half
/// rate, as LinuxCNC's parabolic terminal condition does.</item>
/// <item>Machines that declare a jerk limit on every axis get jerk-limited (S-curve) profiles: each segment
/// ramps with acceleration zero at its ends, so joints are smooth; others get trapezoids, like LinuxCNC 2.9.</item>
/// <item>A backward pass over the look-ahead window (ARC_BLEND_OPTIMIZATION_DEPTH) guarantees the machine can
/// always stop at the end of what it has seen. Streaming: memory is the window.</item>
/// </list>
/// Every rule was checked against LinuxCNC's real planner (tests/oracle-data/linuxcnc-sim).
/// </summary>
public sealed class MotionPlanner
{
    private const double NormalAccelRatio = 0.8660254037844386; // sqrt(3)/2, LinuxCNC BLEND_ACC_RATIO_NORMAL
    private const double TangentialAccelRatio = 0.5;             // LinuxCNC BLEND_ACC_RATIO_TANGENTIAL
    private const double MinSegmentCycles = 1.02;                // LinuxCNC TP_MIN_SEGMENT_CYCLES
    private static readonly double SharpCornerCos = Math.Cos(Math.PI * (1 - 2.0 / 180)); // reversal within 2°: stop
    private readonly MachineProfile _m;

    public MotionPlanner(MachineProfile machine) => _m = machine;

    private enum TermCond { Stop, Exact, Parabolic, Tangent }

    private sealed class Segment
    {
        public required CncTwin.Core.Move Move;
        public required PathGeometry Path;
        public bool IsBlend, IsCircular, IsRapid;
        public double NominalLength;     // as programmed, before any trim
        public double ReqVel;            // programmed speed (feed, or the rapid limit), mm/s
        public double VMax;              // machine limit along this segment, mm/s
        public double Accel;             // tangential acceleration with the segment running alone, mm/s²
        public double PlanarAccel;       // an arc's acceleration limit before its centripetal share is taken, mm/s²
        public double Jerk;              // path jerk limit, mm/s³ (0: the machine declares none: trapezoids)
        public double Tolerance;         // G64 P when the move was queued (0: none)
        public TermCond Term;
        public double JunctionMax = double.PositiveInfinity; // extra cap on the speed at the joint with the next
        public bool ParabolicJoin;       // G64 joint without a blend arc: passed at JunctionMax, both at half rate
        public bool BlendPrev;           // the previous segment joins this one parabolically: half rate
        public double Length => Path.LengthMm;
        public double Speed => Math.Min(VMax, ReqVel);
        public double KinkReduce;        // share of the acceleration kept back for the kinks at its ends (the larger one)
        public double EffectiveAccel => Accel * (1 - KinkReduce) * (Term == TermCond.Parabolic ? 0.5 : 1) * (BlendPrev ? 0.5 : 1);
        public double MaxEntry;          // highest entry speed that still lets the window stop in time (backward pass)
        public double ExitCap => Term == TermCond.Tangent || ParabolicJoin ? JunctionMax : 0;
        /// <summary>Highest speed at one end from which the other end's speed v is reachable over the segment.</summary>
        public double SpeedReachableFrom(double v) => Jerk > 0
            ? JerkLimited.MaxSpeedWithin(v, Length, EffectiveAccel, Jerk)
            : Math.Sqrt(v * v + 2 * EffectiveAccel * Length);
    }

    public IEnumerable<PlanItem> Plan(IEnumerable<CanonicalCommand> commands)
    {
        var window = new Window();
        var ready = new List<PlanItem>();
        double t = 0, entry = 0;
        var mode = PathControlMode.Continuous;
        double tolerance = 0;
        double commandedRpm = 0, rampFromRpm = 0, rampStartT = 0;
        bool spindleOn = false, waitForSpindle = false;
        // The spindle ramps from the speed it had when last commanded toward the command at its acceleration,
        // while the program goes on (rapids move during the run-up; only feed moves wait for at-speed).
        double SpindleAt(double time)
        {
            if (!spindleOn) return 0;
            double a = _m.Spindle.AccelerationRpmPerS;
            if (!(a > 0)) return commandedRpm;
            double dir = Math.Sign(commandedRpm - rampFromRpm), v = rampFromRpm + dir * a * Math.Max(0, time - rampStartT);
            return dir >= 0 ? Math.Min(v, commandedRpm) : Math.Max(v, commandedRpm);
        }
        SourceLocation spindleSource = default;
        int lookAhead = Math.Max(1, _m.Planner.LookAheadSegments);

        // Plans out the window's first segments (all of them when the path must stop) into ready.
        void Emit(bool flushAll)
        {
            while (window.Count > 0 && (flushAll || window.Count > lookAhead))
                ready.Add(EmitFirst(window, ref t, ref entry));
        }
        void Pause(SourceLocation source, double seconds, string reason)
        {
            ready.Add(new PlannedPause(source, t, seconds, reason));
            t += seconds;
        }

        // A program that stops on an error (the interpreter throws while reading a line) has made every move before
        // that line: the window is planned out to rest, as at the end of the program, before the error goes on.
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        using var source = commands.GetEnumerator();
        while (true)
        {
            CanonicalCommand c;
            try
            {
                if (!source.MoveNext()) break;
                c = source.Current;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);
                break;
            }
            switch (c)
            {
                case CncTwin.Core.Move move:
                    {
                        if (move is RapidMove == false && waitForSpindle && _m.Spindle.WaitForAtSpeed)
                        {
                            // Feed moves wait for the spindle to reach speed: the path stops first.
                            Emit(true);
                            double target = commandedRpm * _m.Spindle.AtSpeedFraction;
                            double wait = _m.Spindle.AccelerationRpmPerS > 0 ? Math.Max(0, target - SpindleAt(t)) / _m.Spindle.AccelerationRpmPerS : 0;
                            if (wait > 0) Pause(spindleSource, wait, "spindle at-speed wait");
                            waitForSpindle = false;
                        }
                        var seg = MakeSegment(move, mode, tolerance);
                        if (seg.Length < 1e-9) continue; // zero-length moves take no time
                        if (window.Count > 0) Link(window, seg);
                        window.Add(seg);
                        UpdateReachableSpeeds(window);
                        Emit(false);
                        break;
                    }
                case PathControl pc:
                    mode = pc.Mode;
                    tolerance = pc.ToleranceMm;
                    break;
                case Dwell d:
                    Emit(true);
                    if (d.Seconds > 0) Pause(d.Source, d.Seconds, "dwell");
                    break;
                case SpindleStart s:
                    Emit(true);
                    rampFromRpm = SpindleAt(t); rampStartT = t;
                    commandedRpm = s.Rpm; spindleOn = true; waitForSpindle = true; spindleSource = s.Source;
                    break;
                case SetSpindleSpeed s:
                    if (spindleOn && Math.Abs(s.Rpm - commandedRpm) > 1e-9)
                    {
                        Emit(true);
                        rampFromRpm = SpindleAt(t); rampStartT = t;
                        commandedRpm = s.Rpm; waitForSpindle = true; spindleSource = s.Source;
                    }
                    else commandedRpm = s.Rpm;
                    break;
                case SpindleStop:
                    spindleOn = false; waitForSpindle = false; rampFromRpm = 0;
                    Emit(true);
                    break;
                case ToolChange tc:
                    Emit(true);
                    if (_m.ToolChangeTimeS > 0) Pause(tc.Source, _m.ToolChangeTimeS, "tool change");
                    break;
                case ProgramStop or ProgramEnd or Coolant:
                    // Non-motion M-codes end blending: LinuxCNC's task waits for motion to finish.
                    Emit(true);
                    break;
            }
            if (ready.Count > 0)
            {
                foreach (var item in ready) yield return item;
                ready.Clear();
            }
        }
        Emit(true);
        foreach (var item in ready) yield return item;
        failure?.Throw();
    }

    /// <summary>The look-ahead window: a list consumed from the front without shifting it on every segment.</summary>
    private sealed class Window
    {
        private readonly List<Segment> _items = new();
        private int _head;
        public int Count => _items.Count - _head;
        public Segment this[int i] => _items[_head + i];
        public Segment Last => _items[^1];
        public void Add(Segment s) => _items.Add(s);
        public void RemoveLast() => _items.RemoveAt(_items.Count - 1);
        public Segment RemoveFirst()
        {
            var s = _items[_head++];
            if (_head > 256 && _head * 2 > _items.Count) { _items.RemoveRange(0, _head); _head = 0; }
            return s;
        }
    }

    /// <summary>
    /// Backward pass from the newest segment: the highest entry speed of each segment from which it and every
    /// later one can still stop by the end of the window. Adding a segment only raises these, and once one is
    /// unchanged all earlier ones are too, so the pass usually ends after a few segments.
    /// </summary>
    private static void UpdateReachableSpeeds(Window w)
    {
        int n = w.Count;
        for (int i = n - 1; i >= 0; i--)
        {
            var s = w[i];
            double cap = i == n - 1 ? 0 : Math.Min(Math.Min(s.ExitCap, w[i + 1].MaxEntry), Math.Min(s.Speed, w[i + 1].Speed));
            double maxEntry = Math.Min(s.Speed, s.SpeedReachableFrom(cap));
            if (i < n - 3 && Math.Abs(maxEntry - s.MaxEntry) <= 1e-12 * Math.Max(1, maxEntry)) break;
            s.MaxEntry = maxEntry;
        }
    }

    private static PlannedMove EmitFirst(Window w, ref double t, ref double entry)
    {
        var first = w[0];
        double exitLimit = w.Count == 1 ? 0 : Math.Min(Math.Min(first.ExitCap, w[1].MaxEntry), Math.Min(first.Speed, w[1].Speed));
        double a = first.EffectiveAccel;
        double v0 = Math.Min(entry, first.Speed);
        double exit = Math.Min(exitLimit, first.SpeedReachableFrom(v0));
        ISpeedProfile profile = first.Jerk > 0
            ? new SCurveProfile(first.Length, v0, exit, first.Speed, a, first.Jerk)
            : new TrapezoidProfile(first.Length, v0, exit, first.Speed, a);
        var item = new PlannedMove(first.Move, t, profile, first.Path, first.IsBlend);
        t += profile.TotalS;
        entry = profile.ExitMmPerS;
        w.RemoveFirst();
        return item;
    }

    private Segment MakeSegment(CncTwin.Core.Move move, PathControlMode mode, double tolerance)
    {
        double traj = _m.MaxLinearVelocityMmPerS;
        bool rapid = move.Kind == MotionKind.Rapid;
        var term = mode switch { PathControlMode.ExactStop => TermCond.Stop, PathControlMode.ExactPath => TermCond.Exact, _ => TermCond.Parabolic };
        Segment seg;
        if (move is ArcFeed arc)
        {
            var path = CirclePath.FromArc(arc);
            // Axis limits bound an arc by its smallest axis figures (its direction sweeps through them):
            // the two axes of the plane, plus the normal axis when the arc is a helix.
            var (p1, p2, pn) = arc.Plane switch { Plane.XY => (_m.X, _m.Y, _m.Z), Plane.XZ => (_m.Z, _m.X, _m.Y), _ => (_m.Y, _m.Z, _m.X) };
            bool helix = path.Rise.Length > 1e-9;
            double aAxis = Math.Min(p1.MaxAccelerationMmPerS2, p2.MaxAccelerationMmPerS2);
            double vAxis = Math.Min(p1.MaxVelocityMmPerS, p2.MaxVelocityMmPerS);
            if (helix) { aAxis = Math.Min(aAxis, pn.MaxAccelerationMmPerS2); vAxis = Math.Min(vAxis, pn.MaxVelocityMmPerS); }
            double a = Math.Min(_m.MaxLinearAccelerationMmPerS2, aAxis);
            double jerk = Math.Min(p1.MaxJerkMmPerS3, p2.MaxJerkMmPerS3);
            if (helix) jerk = Math.Min(jerk, pn.MaxJerkMmPerS3);
            // LinuxCNC (pmCircleActualMaxVel): at the machine's top speed along the arc the centripetal
            // acceleration takes its share of the limit and the rest is left for speeding up and slowing down,
            // sqrt(1 - (v²/(r·a))²) of it, or half when even that speed needs more than sqrt(3)/2 of the limit
            // (then the speed is capped). Measured on the oracle: 254, 473, 499, 506 mm/s² for R 2, 5, 10, 20 mm
            // at a 30.48 mm/s axis limit and 508 mm/s², whatever the programmed feed.
            double vTop = Math.Min(traj, vAxis);
            double normalAtTop = vTop * vTop / Math.Max(path.RadiusMm, 1e-12);
            double ratio = normalAtTop > NormalAccelRatio * a ? TangentialAccelRatio : Math.Sqrt(1 - normalAtTop / a * (normalAtTop / a));
            seg = new Segment
            {
                Move = move, Path = path, IsCircular = true, Jerk = jerk,
                VMax = Math.Min(vTop, Math.Sqrt(NormalAccelRatio * a * path.RadiusMm)),
                Accel = a * ratio, PlanarAccel = a,
            };
        }
        else
        {
            var path = new LinePath(move.Start, move.End);
            var u = path.StartTangent;
            // A line's acceleration is what its slowest axis allows along it (LinuxCNC's getStraightAcceleration);
            // the [TRAJ] limit does not cap it (the oracle shows 678 mm/s² on a diagonal under a 508 [TRAJ] limit).
            double v = traj, a = double.PositiveInfinity, jerk = double.PositiveInfinity;
            for (int i = 0; i < 3; i++)
            {
                double ui = Math.Abs(i == 0 ? u.X : i == 1 ? u.Y : u.Z);
                if (ui < 1e-12) continue;
                var ax = _m.Axis(i);
                v = Math.Min(v, ax.MaxVelocityMmPerS / ui);
                a = Math.Min(a, ax.MaxAccelerationMmPerS2 / ui);
                jerk = Math.Min(jerk, ax.MaxJerkMmPerS3 / ui);   // an axis without a jerk figure (0) makes it 0
            }
            seg = new Segment { Move = move, Path = path, VMax = v, Accel = a, Jerk = double.IsFinite(jerk) ? jerk : 0 };
        }
        // Every segment lasts at least about one servo period.
        seg.VMax = Math.Min(seg.VMax, seg.Length / (MinSegmentCycles * _m.Planner.ServoPeriodS));
        seg.IsRapid = rapid;
        seg.ReqVel = rapid ? seg.VMax : move.FeedMmPerMin / 60.0;
        seg.NominalLength = seg.Length;
        seg.Tolerance = tolerance;
        seg.Term = term;
        return seg;
    }

    /// <summary>Decides how the last queued segment joins the new one (LinuxCNC tpAddLine/tpAddCircle).</summary>
    private void Link(Window w, Segment seg)
    {
        var prev = w.Last;
        if (prev.IsRapid != seg.IsRapid) prev.Term = TermCond.Stop;  // no blending between rapid and feed
        if (prev.Term == TermCond.Stop) return;
        var u1 = prev.Path.EndTangent;
        var u2 = seg.Path.StartTangent;
        if (u1.Dot(u2) < SharpCornerCos) { prev.Term = TermCond.Stop; return; }

        // Tangent or nearly so: the direction change at full speed within one servo period needs an
        // acceleration; below the kink ratio of the axis limits the joint is taken at speed.
        double fs = _m.Planner.MaxFeedOverride;
        double vMax = Math.Min(Math.Min(prev.VMax, prev.ReqVel * fs), Math.Min(seg.VMax, seg.ReqVel * fs));
        double aInst = vMax / _m.Planner.ServoPeriodS;
        var diff = (u2 - u1) * aInst;
        double scale = Math.Max(Math.Abs(diff.X) / _m.X.MaxAccelerationMmPerS2, Math.Max(Math.Abs(diff.Y) / _m.Y.MaxAccelerationMmPerS2, Math.Abs(diff.Z) / _m.Z.MaxAccelerationMmPerS2));
        if (prev.IsCircular || seg.IsCircular) scale /= TangentialAccelRatio;
        double kinkRatio = _m.Planner.TangentKinkRatio;
        if (scale < kinkRatio)
        {
            prev.Term = TermCond.Tangent;
            prev.JunctionMax = vMax;
            // leave room for the kink's normal acceleration (LinuxCNC tcSetKinkProperties: the larger reduction
            // of a move's two joints applies)
            prev.KinkReduce = Math.Max(prev.KinkReduce, scale);
            seg.KinkReduce = Math.Max(seg.KinkReduce, scale);
            return;
        }
        double kinkVel = vMax * kinkRatio / scale;
        if (prev.Term != TermCond.Parabolic)
        {
            // G61: stop at the corner. LinuxCNC has already set the kink properties while testing for tangency,
            // so both moves keep the kink ratio of their acceleration back (the oracle: 640 instead of 700 mm/s²
            // on 0.2 mm moves in G61; G61.1 skips the test and keeps it all).
            prev.KinkReduce = Math.Max(prev.KinkReduce, kinkRatio);
            seg.KinkReduce = Math.Max(seg.KinkReduce, kinkRatio);
            return;
        }
        if (_m.Planner.ArcBlending && !prev.IsCircular && !seg.IsCircular && !prev.IsBlend)
        {
            var blend = LineLineBlend(w, prev, seg, kinkVel);
            if (blend == Blend.Inserted) return;
            if (blend == Blend.KinkFaster) { prev.Term = TermCond.Tangent; prev.JunctionMax = kinkVel; return; }
        }
        else if (_m.Planner.ArcBlending && (prev.IsBlend || Coplanar(prev, seg)))
        {
            // Corners with programmed arcs: passed at the speed a tangent blend arc would allow. LinuxCNC builds
            // such a blend only when both moves lie in one plane (a Z plunge into an XY arc is not blended: it
            // falls back to the parabolic blend below, both moves at half rate, as the oracle shows).
            prev.Term = TermCond.Tangent;
            prev.JunctionMax = Math.Max(kinkVel, ArcCornerSpeed(prev, seg));
            return;
        }
        // No blend arc: LinuxCNC's parabolic blend, both segments at half rate.
        prev.ParabolicJoin = true;
        prev.JunctionMax = ParabolicBlendSpeed(prev, seg);
        seg.BlendPrev = true;
    }

    private enum Blend { Failed, Inserted, KinkFaster }

    /// <summary>
    /// How far a blend arc may leave the programmed corner (LinuxCNC tcFindBlendTolerance): the G64 P of each move,
    /// or a quarter of its length without one, and never more than a quarter of the shorter move.
    /// </summary>
    private static double BlendTolerance(Segment a, Segment b)
    {
        const double ratio = 0.25;
        double t1 = a.Tolerance > 0 ? a.Tolerance : a.NominalLength * ratio;
        double t2 = b.Tolerance > 0 ? b.Tolerance : b.NominalLength * ratio;
        return Math.Min(Math.Min(t1, t2), Math.Min(a.NominalLength, b.NominalLength) * ratio);
    }

    /// <summary>Whether two moves, one or both of them arcs, lie in one plane (an arc's helical rise counts as leaving it).</summary>
    private static bool Coplanar(Segment a, Segment b)
    {
        var ca = a.Path as CirclePath;
        var cb = b.Path as CirclePath;
        if (ca == null && cb == null) return true;
        if ((ca != null && ca.Rise.Length > 1e-9) || (cb != null && cb.Rise.Length > 1e-9)) return false;
        var n = PathGeometry.Unit((ca ?? cb)!.U.Cross((ca ?? cb)!.V));
        if (ca != null && cb != null) return Math.Abs(Math.Abs(n.Dot(PathGeometry.Unit(cb.U.Cross(cb.V)))) - 1) <= 1e-6;
        var line = ca == null ? a : b;
        return Math.Abs(PathGeometry.Unit(line.Path.End - line.Path.Start).Dot(n)) <= 1e-6;
    }

    /// <summary>
    /// LinuxCNC's line-line blend arc (blendInit3FromLineLine, blendComputeParameters, blendFindPoints3):
    /// the arc tangent to both lines with the radius needed for the speed it can hold, bounded by the
    /// tolerance and by half of each line. Trims both lines and queues the arc between them.
    /// </summary>
    private Blend LineLineBlend(Window w, Segment prev, Segment seg, double kinkVel)
    {
        var u1 = prev.Path.EndTangent;
        var u2 = seg.Path.StartTangent;
        double theta = Math.Acos(Math.Clamp(-u1.Dot(u2), -1, 1)) / 2;   // half the angle between the lines
        if (Math.PI / 2 - theta < 1e-6 || theta < 1e-6) return Blend.Failed;
        double phi = Math.PI - 2 * theta;                                // direction change = arc sweep
        double tol = BlendTolerance(prev, seg);

        var binormal = PathGeometry.Unit(u1.Cross(u2));
        double aMax = InscribedLimit(binormal, _m.X.MaxAccelerationMmPerS2, _m.Y.MaxAccelerationMmPerS2, _m.Z.MaxAccelerationMmPerS2);
        double aNormal = aMax * NormalAccelRatio;
        double vReq = Math.Max(prev.ReqVel, seg.ReqVel);
        double vGoal = vReq * _m.Planner.MaxFeedOverride;
        double vPlanar = InscribedLimit(binormal, _m.X.MaxVelocityMmPerS, _m.Y.MaxVelocityMmPerS, _m.Z.MaxVelocityMmPerS);
        double phiEff = Math.Min(phi, Math.PI * 0.49);
        double vMax1 = Math.Min(prev.VMax, seg.VMax / Math.Cos(phiEff));
        double vMax2 = Math.Min(seg.VMax, prev.VMax / Math.Cos(phiEff));
        double area = vMax1 * vMax2 / 2 * Math.Sin(phi);
        double bas = (u2 * vMax2 - u1 * vMax1).Length;
        double vAlt = bas > 0 ? 2 * area / bas : 0;
        vGoal = Math.Min(vGoal, Math.Max(vAlt, vPlanar));

        double l1 = Math.Min(prev.Length, prev.NominalLength * 0.5);
        double l2 = seg.Length * 0.5;
        double dTol = Math.Cos(theta) * tol / (1 - Math.Sin(theta));
        double dGeom = Math.Min(Math.Min(l1, l2), dTol);
        double rGeom = Math.Tan(theta) * dGeom;
        double vPlan = Math.Min(Math.Sqrt(aNormal * rGeom), vGoal);
        // Radius no larger than needed: the distance a parabolic blend at half acceleration would use.
        double aParabolic = aMax * 0.5;
        double vTriangle = Math.Sqrt(2 * aParabolic * dGeom);
        double sBlend = Math.Min(vTriangle, vPlan) / aParabolic * vPlan;
        double rBlend = Math.Min(sBlend / phi, rGeom);
        double r = Math.Max(vPlan * vPlan / aNormal, rBlend);
        double d = r / Math.Tan(theta);
        if (r < 1e-9 || r * phi < 1e-9) return Blend.Failed;
        if (kinkVel >= vPlan) return Blend.KinkFaster;   // tpCheckTangentPerformance

        var p = prev.Path.End;
        var arcStart = p - u1 * d;
        var arcEnd = p + u2 * d;
        var center = p + PathGeometry.Unit(u2 - u1) * (r / Math.Sin(theta));
        var arc = new CirclePath(center, PathGeometry.Unit(arcStart - center), u1, r, phi, Vec3.Zero);
        var blend = new Segment
        {
            Move = seg.Move, Path = arc, IsBlend = true, IsCircular = true, IsRapid = seg.IsRapid,
            NominalLength = arc.LengthMm, ReqVel = Math.Min(vPlan, vReq), VMax = vPlan,
            Accel = aMax * TangentialAccelRatio, Tolerance = seg.Tolerance, Term = TermCond.Tangent,
            Jerk = prev.Jerk > 0 && seg.Jerk > 0 ? InscribedLimit(binormal, _m.X.MaxJerkMmPerS3, _m.Y.MaxJerkMmPerS3, _m.Z.MaxJerkMmPerS3) : 0,
        };
        prev.Path = new LinePath(prev.Path.Start, arcStart);
        prev.Term = TermCond.Tangent;
        seg.Path = new LinePath(arcEnd, seg.Path.End);
        if (prev.Length < 1e-9) w.RemoveLast();   // the line is all blend now (LinuxCNC "consumes" it)
        w.Add(blend);
        return Blend.Inserted;
    }

    /// <summary>LinuxCNC calculateInscribedDiameter: the limit available in every direction of the plane with this normal.</summary>
    private static double InscribedLimit(Vec3 normal, double bx, double by, double bz)
    {
        double Scale(double n) => Math.Sqrt(Math.Max(0, 1 - n * n));
        double best = double.PositiveInfinity;
        double sx = Scale(normal.X), sy = Scale(normal.Y), sz = Scale(normal.Z);
        if (sx > 1e-12) best = Math.Min(best, bx / sx);
        if (sy > 1e-12) best = Math.Min(best, by / sy);
        if (sz > 1e-12) best = Math.Min(best, bz / sz);
        return double.IsPositiveInfinity(best) ? Math.Min(bx, Math.Min(by, bz)) : best;
    }

    /// <summary>
    /// Speed through a corner involving a programmed arc: that of the blend arc LinuxCNC would fit there
    /// (blendInit3FromLineArc/ArcLine/ArcArc, blendComputeParameters). How far the blend may reach into a move: half
    /// a line; up to 2/3 of the previous arc's sweep and 1/3 of the next's, capped at 90°, or, where the arc bulges
    /// into the corner (convex), the corner's half-angle and only half the chord of a quarter of that, which also
    /// tightens the corner angle used for the radius. The radius follows from those reaches and the G64 tolerance;
    /// the speed from the normal acceleration on it. The path itself is kept as programmed.
    /// </summary>
    private double ArcCornerSpeed(Segment a, Segment b)
    {
        var u1 = a.Path.EndTangent;
        var u2 = b.Path.StartTangent;
        var corner = a.Path.End;
        double thetaTan = Math.Acos(Math.Clamp(-u1.Dot(u2), -1, 1)) / 2;   // half the angle between the tangents
        double theta = thetaTan;
        double Reach(Segment s, bool previous)
        {
            if (s.Path is not CirclePath c) return previous ? Math.Min(s.Length, s.NominalLength / 2) : s.NominalLength / 2;
            // arcConvexTest: the arc bulges into the corner
            var other = previous ? u2 : u1;
            double dot = (corner - c.Center).Dot(other);
            bool convex = previous ? dot < 0 : dot >= 0;
            double phiMax = Math.Min(c.SweepRad * (previous ? 2.0 / 3 : 1.0 / 3), convex ? thetaTan : Math.PI / 2);
            if (!convex) return phiMax * c.RadiusMm;
            theta = Math.Min(theta, thetaTan - phiMax / 4);
            return Math.Sin(phiMax / 4) * c.RadiusMm;
        }
        double l1 = Reach(a, true), l2 = Reach(b, false);
        // Between two arcs LinuxCNC gives up below 15° and falls back to a parabolic blend.
        if (a.IsCircular && b.IsCircular && theta < Math.PI / 12) return ParabolicBlendSpeed(a, b);
        if (theta <= 1e-6 || theta >= Math.PI / 2 - 1e-6) return Math.Min(a.Speed, b.Speed);
        double tol = BlendTolerance(a, b);
        double dTol = Math.Cos(theta) * tol / (1 - Math.Sin(theta));
        double radius = Math.Tan(theta) * Math.Min(Math.Min(l1, l2), dTol);
        var binormal = PathGeometry.Unit(u1.Cross(u2));
        double aMax = InscribedLimit(binormal, _m.X.MaxAccelerationMmPerS2, _m.Y.MaxAccelerationMmPerS2, _m.Z.MaxAccelerationMmPerS2);
        double vPlanar = InscribedLimit(binormal, _m.X.MaxVelocityMmPerS, _m.Y.MaxVelocityMmPerS, _m.Z.MaxVelocityMmPerS);
        double vGoal = Math.Min(Math.Max(a.ReqVel, b.ReqVel) * _m.Planner.MaxFeedOverride, vPlanar);
        return Math.Min(Math.Min(a.Speed, b.Speed), Math.Min(vGoal, Math.Sqrt(NormalAccelRatio * aMax * radius)));
    }

    /// <summary>LinuxCNC tpComputeBlendVelocity: the speed at which a parabolic blend hands over to the next move.</summary>
    private static double ParabolicBlendSpeed(Segment a, Segment b)
    {
        double accA = a.Accel * 0.5, accB = b.Accel * 0.5;
        double vA = Math.Min(Math.Sqrt(accA * a.Length), a.Speed);
        double vB = Math.Min(Math.Sqrt(accB * b.Length), b.Speed);
        double tMax = Math.Min(a.Length / vA, b.Length / vB);
        double tBlend = Math.Min(tMax, Math.Max(vA / accA, vB / accB));
        double v = Math.Min(vA, tBlend * accA);
        if (a.Tolerance > 0)
        {
            double cosTheta = Math.Cos(Math.Acos(Math.Clamp(-a.Path.EndTangent.Dot(b.Path.StartTangent), -1, 1)) / 2);
            if (cosTheta > 1e-6) v = Math.Min(v, 2 * Math.Sqrt(accA * a.Tolerance / cosTheta));
        }
        return v;
    }
}
