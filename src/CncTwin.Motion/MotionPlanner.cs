using CncTwin.Core;

namespace CncTwin.Motion;

/// <summary>One item of the planned timeline: a move with its velocity profile, or a pause.</summary>
public abstract record PlanItem(SourceLocation Source, double StartS)
{
    public abstract double DurationS { get; }
    public double EndS => StartS + DurationS;
}

/// <summary>A move time-parameterised along its path: entry/exit speeds and a trapezoidal profile.</summary>
public sealed record PlannedMove(CncTwin.Core.Motion Move, double StartS, TrapezoidProfile Profile) : PlanItem(Move.Source, StartS)
{
    public override double DurationS => Profile.TotalS;
}

/// <summary>Time with no path motion: dwell, spindle at-speed wait, tool change.</summary>
public sealed record PlannedPause(SourceLocation Source, double StartS, double Seconds, string Reason) : PlanItem(Source, StartS)
{
    public override double DurationS => Seconds;
}

/// <summary>
/// Look-ahead trajectory planner in the manner of LinuxCNC's: each move gets a speed cap (programmed
/// feed, path and per-axis limits projected on its direction, centripetal limit on arcs) and an
/// acceleration (per-axis limits projected likewise); corners in G64 are passed at the speed a tangent
/// blend arc allows (within the P tolerance and half of the shorter segment), G61/G61.1 and non-motion
/// events (dwell, spindle change, tool change, stops, end) come to rest. A backward pass over the
/// look-ahead window guarantees the machine can always stop at its end. Streaming: memory is the window.
/// </summary>
/// <remarks>
/// Ratios measured on LinuxCNC 2.9's planner (shared/oracles/linuxcnc-sim, see tests/oracle-data):
/// arcs keep sqrt(3)/2 of the acceleration for the normal direction (v ≤ sqrt(0.866·a·R)) and half for
/// the tangential; a G64 segment that ends without a blend (stop, last move) accelerates at half rate.
/// </remarks>
public sealed class MotionPlanner
{
    private const double NormalAccelRatio = 0.8660254037844386; // sqrt(3)/2, LinuxCNC TP_ACC_RATIO_NORMAL
    private const double TangentialAccelRatio = 0.5;             // LinuxCNC TP_ACC_RATIO_TANGENTIAL
    private readonly MachineProfile _m;

    public MotionPlanner(MachineProfile machine) => _m = machine;

    private sealed class Segment
    {
        public required CncTwin.Core.Motion Move;
        public double Length, VMax, Accel;
        public Vec3 StartDir, EndDir;
        public bool IsArc;
        public double JunctionMax;    // max speed at the junction with the next segment (set when the next arrives)
        public bool StopAfter;        // comes to rest at its end
        public bool Blended;          // the junction after it is a tangent blend (full acceleration)
        public bool ExactStopMode;
        public bool HalfRateApplied;
    }

    public IEnumerable<PlanItem> Plan(IEnumerable<CanonicalCommand> commands)
    {
        var window = new List<Segment>();
        double t = 0, entry = 0;
        var mode = PathControlMode.Continuous;
        double tolerance = 0;
        double spindleRpm = 0, commandedRpm = 0;
        bool spindleOn = false, waitForSpindle = false;
        SourceLocation spindleSource = default;

        IEnumerable<PlanItem> Emit(bool flushAll)
        {
            while (window.Count > 0 && (flushAll || window.Count > Math.Max(1, _m.Planner.LookAheadSegments)))
            {
                if (flushAll) window[^1].StopAfter = true;
                var item = EmitFirst(window, ref t, ref entry);
                yield return item;
            }
        }

        foreach (var c in commands)
        {
            switch (c)
            {
                case CncTwin.Core.Motion move:
                    {
                        if (move is RapidMove == false && waitForSpindle && _m.Spindle.WaitForAtSpeed)
                        {
                            // Feed moves wait for the spindle to reach speed: the path stops first.
                            foreach (var i in Emit(true)) yield return i;
                            double target = commandedRpm * _m.Spindle.AtSpeedFraction;
                            double wait = _m.Spindle.AccelerationRpmPerS > 0 ? Math.Max(0, target - spindleRpm) / _m.Spindle.AccelerationRpmPerS : 0;
                            spindleRpm = commandedRpm;
                            if (wait > 0) { yield return new PlannedPause(spindleSource, t, wait, "spindle at-speed wait"); t += wait; }
                            waitForSpindle = false;
                        }
                        var seg = MakeSegment(move, mode);
                        if (seg.Length < 1e-9) continue; // zero-length moves take no time
                        if (window.Count > 0)
                        {
                            var prev = window[^1];
                            if (prev.ExactStopMode || seg.ExactStopMode) prev.StopAfter = true;
                            else
                            {
                                (prev.JunctionMax, prev.Blended) = JunctionSpeed(prev, seg, tolerance);
                                if (prev.JunctionMax <= 0) prev.StopAfter = true;
                            }
                        }
                        window.Add(seg);
                        foreach (var i in Emit(false)) yield return i;
                        break;
                    }
                case PathControl pc:
                    mode = pc.Mode;
                    tolerance = pc.ToleranceMm;
                    break;
                case Dwell d:
                    foreach (var i in Emit(true)) yield return i;
                    if (d.Seconds > 0) { yield return new PlannedPause(d.Source, t, d.Seconds, "dwell"); t += d.Seconds; }
                    break;
                case SpindleStart s:
                    foreach (var i in Emit(true)) yield return i;
                    commandedRpm = s.Rpm; spindleOn = true; waitForSpindle = true; spindleSource = s.Source;
                    break;
                case SetSpindleSpeed s:
                    if (spindleOn && Math.Abs(s.Rpm - commandedRpm) > 1e-9)
                    {
                        foreach (var i in Emit(true)) yield return i;
                        commandedRpm = s.Rpm; waitForSpindle = true; spindleSource = s.Source;
                    }
                    else commandedRpm = s.Rpm;
                    break;
                case SpindleStop:
                    spindleOn = false; waitForSpindle = false; spindleRpm = 0;
                    foreach (var i in Emit(true)) yield return i;
                    break;
                case ToolChange tc:
                    foreach (var i in Emit(true)) yield return i;
                    if (_m.ToolChangeTimeS > 0) { yield return new PlannedPause(tc.Source, t, _m.ToolChangeTimeS, "tool change"); t += _m.ToolChangeTimeS; }
                    break;
                case ProgramStop or ProgramEnd or Coolant:
                    // Non-motion M-codes end blending: LinuxCNC's task waits for motion to finish.
                    foreach (var i in Emit(true)) yield return i;
                    break;
            }
        }
        foreach (var i in Emit(true)) yield return i;
    }

    private PlannedMove EmitFirst(List<Segment> w, ref double t, ref double entry)
    {
        // Backward pass: speed at each junction such that every later segment can still stop in time.
        int n = w.Count;
        double next = 0; // speed at the end of the window: assume a stop there
        var limit = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            var s = w[i];
            double cap = s.StopAfter ? 0 : Math.Min(s.JunctionMax, next);
            limit[i] = cap;
            // entry of segment i can be at most what lets it decelerate to its exit
            next = Math.Min(s.VMax, Math.Sqrt(cap * cap + 2 * s.Accel * s.Length));
            if (i > 0) next = Math.Min(next, w[i - 1].VMax);
        }
        var first = w[0];
        // A continuous-mode move that ends at rest without a blend ramps at half rate (LinuxCNC's parabolic
        // terminal condition, measured on its planner); exact-stop moves use the full rate.
        if (first.StopAfter && !first.ExactStopMode && !first.HalfRateApplied) { first.Accel *= 0.5; first.HalfRateApplied = true; }
        double exit = Math.Min(limit[0], Math.Sqrt(entry * entry + 2 * first.Accel * first.Length));
        var profile = new TrapezoidProfile(first.Length, entry, exit, first.VMax, first.Accel);
        var item = new PlannedMove(first.Move, t, profile);
        t += profile.TotalS;
        entry = profile.ExitMmPerS;
        w.RemoveAt(0);
        return item;
    }

    private Segment MakeSegment(CncTwin.Core.Motion move, PathControlMode mode)
    {
        double traj = _m.MaxLinearVelocityMmPerS;
        double feed = move.Kind == MotionKind.Rapid ? traj : Math.Min(move.FeedMmPerMin / 60.0, traj);
        var seg = new Segment { Move = move, ExactStopMode = mode != PathControlMode.Continuous };
        if (move is ArcFeed arc)
        {
            var (c1, c2, _) = arc.Plane.Split(arc.Center);
            var (s1, s2, sn) = arc.Plane.Split(arc.Start);
            var (e1, e2, en) = arc.Plane.Split(arc.End);
            double r = Math.Sqrt((s1 - c1) * (s1 - c1) + (s2 - c2) * (s2 - c2));
            double a0 = Math.Atan2(s2 - c2, s1 - c1), a1 = Math.Atan2(e2 - c2, e1 - c1);
            double sweep = arc.Clockwise ? a0 - a1 : a1 - a0;
            while (sweep <= 1e-12) sweep += 2 * Math.PI;
            sweep += 2 * Math.PI * (arc.Turns - 1);
            double planar = r * sweep, dz = en - sn;
            seg.Length = Math.Sqrt(planar * planar + dz * dz);
            seg.IsArc = true;
            // Axis limits bound an arc by its smallest axis figures (its direction sweeps through them).
            // (the two axes of the plane, plus the normal axis when the arc is a helix)
            var (p1, p2, pn) = arc.Plane switch { Plane.XY => (_m.X, _m.Y, _m.Z), Plane.XZ => (_m.Z, _m.X, _m.Y), _ => (_m.Y, _m.Z, _m.X) };
            bool helix = Math.Abs(en - sn) > 1e-9;
            double aAxis = Math.Min(p1.MaxAccelerationMmPerS2, p2.MaxAccelerationMmPerS2);
            double vAxis = Math.Min(p1.MaxVelocityMmPerS, p2.MaxVelocityMmPerS);
            if (helix) { aAxis = Math.Min(aAxis, pn.MaxAccelerationMmPerS2); vAxis = Math.Min(vAxis, pn.MaxVelocityMmPerS); }
            double a = Math.Min(_m.MaxLinearAccelerationMmPerS2, aAxis);
            seg.Accel = a * TangentialAccelRatio;
            seg.VMax = Math.Min(Math.Min(feed, vAxis), Math.Sqrt(NormalAccelRatio * a * r));
            double sign = arc.Clockwise ? -1 : 1;
            Vec3 Tangent(double ang) => Normalize(arc.Plane.Join(-Math.Sin(ang) * sign * r * sweep, Math.Cos(ang) * sign * r * sweep, dz));
            seg.StartDir = Tangent(a0);
            seg.EndDir = Tangent(a1);
        }
        else
        {
            var d = move.End - move.Start;
            seg.Length = d.Length;
            var u = seg.Length > 0 ? d * (1 / seg.Length) : Vec3.Zero;
            seg.StartDir = seg.EndDir = u;
            double v = feed, a = _m.MaxLinearAccelerationMmPerS2;
            for (int i = 0; i < 3; i++)
            {
                double ui = Math.Abs(i == 0 ? u.X : i == 1 ? u.Y : u.Z);
                if (ui < 1e-12) continue;
                var ax = _m.Axis(i);
                v = Math.Min(v, ax.MaxVelocityMmPerS / ui);
                a = Math.Min(a, ax.MaxAccelerationMmPerS2 / ui);
            }
            seg.VMax = v; seg.Accel = a;
        }
        return seg;
    }

    private static Vec3 Normalize(Vec3 v) { double l = v.Length; return l > 0 ? v * (1 / l) : v; }

    /// <summary>Speed allowed through the corner between two segments, and whether it is a tangent blend.</summary>
    private (double Speed, bool Blended) JunctionSpeed(Segment a, Segment b, double tolerance)
    {
        double cos = Math.Clamp(a.EndDir.X * b.StartDir.X + a.EndDir.Y * b.StartDir.Y + a.EndDir.Z * b.StartDir.Z, -1, 1);
        double deflection = Math.Acos(cos);
        double vCap = Math.Min(a.VMax, b.VMax);
        if (deflection < 1e-4) return (vCap, true);                 // tangent: no corner
        if (deflection > Math.PI - 1e-3) return (0, false);          // reversal: must stop
        if (!_m.Planner.ArcBlending) return (0, false);
        // Largest blend arc: tangent to both moves, using at most half of each straight move.
        double half = Math.Tan(deflection / 2);
        double tangentLength = Math.Min(a.IsArc ? a.Length * 0.5 : a.Length * 0.5, b.IsArc ? b.Length * 0.5 : b.Length * 0.5);
        double radius = tangentLength / half;
        if (tolerance > 0)
        {
            double perRadius = 1 / Math.Cos(deflection / 2) - 1;  // corner deviation per unit blend radius
            if (perRadius > 0) radius = Math.Min(radius, tolerance / perRadius);
        }
        double accel = Math.Min(a.Accel / (a.IsArc ? TangentialAccelRatio : 1), b.Accel / (b.IsArc ? TangentialAccelRatio : 1));
        double v = Math.Min(vCap, Math.Sqrt(NormalAccelRatio * accel * radius));
        return (v, true);
    }
}
