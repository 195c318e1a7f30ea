using CncTwin.Core;

namespace CncTwin.GCode;

// Cutter radius compensation (G41/G42, G41.1/G42.1) with LinuxCNC's rules, worked out in program
// coordinates of the active plane (XY or XZ):
//  * the entry move runs from the uncompensated start to its end offset by the radius, square to the
//    programmed direction;
//  * every move is held until the next one is known: at a convex corner turning more than 0.05 rad
//    the held move ends at its offset end point and an arc about the programmed corner joins the next
//    offset path (a straight traverse for G0); at a concave corner turning more than 0.05 rad both
//    offset paths are cut back to their intersection (an error if that would make a move run backwards);
//    a corner within 0.05 rad of tangent gets neither: the next move starts where the held one ends;
//  * moves along the plane's normal only (Z in G17) ride along with the held move;
//  * G40: the held move is finished at its offset end and the next move goes to the programmed point.
public sealed partial class Interpreter
{
    /// <summary>Cutter radius compensation in force, and the move it holds back until the next one is known.</summary>
    private sealed class CutterCompState
    {
        public int Side;                   // +1 left (G41), -1 right (G42), 0 off
        public bool ArcNotAllowed;         // set by G40 until the next straight move
        public double Radius;              // mm
        public bool Entry;                 // next plane move is the entry move
        public CompMove? Held;
        public int HeldIndex = -1;         // where the held move's place marker is in the output
    }

    private static readonly CanonicalCommand HeldMarker = new Message(new SourceLocation("", 0, 0), "held by cutter compensation", true);

    // How far (mm) a cut-back line may seem to run backwards before it counts as gouging: far below any real
    // distance, far above the rounding of coordinates up to metres.
    private const double CutBackToleranceMm = 1e-9;

    // LinuxCNC's TOLERANCE_CONCAVE_CORNER: corners turning less than this are joined by intersection.
    private const double SmallCornerRadians = 0.05;

    private sealed class CompMove
    {
        public bool IsArc, Rapid, Clockwise;
        public int Turns;
        public Vec3 Start;          // compensated start (program coordinates)
        public Vec3 End;            // compensated end (tentative until the next move is known)
        public Vec3 Center;         // arc centre (program coordinates)
        public double Radius;       // offset arc radius
        public double DirA, DirB;   // unit tangent at the end (plane coordinates), programmed path
        public double CheckA, CheckB; // a line's direction for the cut-back check (LinuxCNC keeps the normal for entry moves)
        public double ProgrammedSweep; // an arc's programmed sweep (rad, signed); 0 for arcs that are never cut back
        public SourceLocation Loc;
        public FeedRateMode FeedMode;
        public double FeedRate;
        public readonly List<(Vec3 End, bool Rapid, SourceLocation Loc, FeedRateMode Mode, double Feed)> Riders = new();
    }

    private void ConvertCutterComp(int code, int col)
    {
        if (code == 400)
        {
            if (_comp.Side != 0 && _comp.Radius > 0)
            {
                // LinuxCNC finishes the held move with the same gouge checks as a corner, and then wants a straight
                // move before any arc.
                if (_comp.Held != null)
                {
                    var (ea, eb, _) = _modal.Plane.Split(_comp.Held.End);
                    CheckCutBack(_comp.Held, ea, eb, col);
                }
                _comp.ArcNotAllowed = true;
            }
            FlushComp();
            _comp.Side = 0;
            return;
        }
        if (_comp.Side != 0) throw Err(col, "cannot turn cutter radius compensation on when it is already on");
        if (_modal.Plane == Plane.YZ) throw Err(col, "cutter radius compensation works only in the XY (G17) and XZ (G18) planes");
        double radius;
        if (code is 411 or 421)
        {
            if (!_block.Has('d')) throw Err(col, $"{GName(code)} needs a D word (tool diameter)");
            double d = _block.Get('d');
            if (d < 0) throw Err(_block.Col('d'), "negative tool diameter D");
            radius = d * _modal.MmPerUnit / 2;
        }
        else
        {
            int tool = _modal.ToolInSpindle;
            if (_block.Has('d'))
            {
                double d = _block.Get('d');
                if (d < 0 || d != Math.Floor(d)) throw Err(_block.Col('d'), "D word must be a whole tool number >= 0");
                tool = (int)d;
            }
            var entry = LookUpTool(tool);
            if (entry == null && tool != 0) throw Err(_block.Has('d') ? _block.Col('d') : col, $"tool {tool} is not in the tool table (cutter compensation)");
            radius = entry?.RadiusMm ?? 0;
        }
        _comp.Radius = radius;
        _comp.Side = code is 410 or 411 ? 1 : -1;
        _comp.Entry = true;
    }

    private void FlushCompIfPending() { }

    /// <summary>Finishes a held move at its tentative end point.</summary>
    private void FlushComp()
    {
        if (_comp.Held == null) return;
        ReleaseHeld(null);
    }

    private (double A, double B) Normal(double da, double db) =>
        _comp.Side > 0 ? (-db, da) : (db, -da);

    private void CompStraight(Vec3 end, bool rapid, int col)
    {
        var plane = _modal.Plane;
        var (a0, b0, _) = plane.Split(_pos);
        var (a1, b1, n1) = plane.Split(end);
        double len = Math.Sqrt((a1 - a0) * (a1 - a0) + (b1 - b0) * (b1 - b0));
        if (len < 1e-9)
        {
            // along the normal axis only: rides with the held move (or runs at the current point)
            if (_comp.Held != null) { _comp.Held.Riders.Add((end, rapid, Loc(col), _modal.FeedMode, _modal.FeedRate)); return; }
            var cur = FromMachine(_machineLast);
            var (ca, cb, _) = plane.Split(cur);
            var target = plane.Join(ca, cb, n1);
            if (rapid) EmitRapid(target, col); else EmitFeed(target, col);
            return;
        }
        double da = (a1 - a0) / len, db = (b1 - b0) / len;
        var (na, nb) = Normal(da, db);
        double r = _comp.Radius;
        if (_comp.Entry)
        {
            var (ea, eb) = (a1 + r * na, b1 + r * nb);
            if (len <= r && r > 0) throw Err(col, "length of cutter compensation entry move is not greater than the tool radius");
            var start = FromMachine(_machineLast);
            var mv = new CompMove { Rapid = rapid, Start = start, End = plane.Join(ea, eb, n1), DirA = da, DirB = db, CheckA = na, CheckB = nb, Loc = Loc(col), FeedMode = _modal.FeedMode, FeedRate = _modal.FeedRate };
            if (_comp.Held != null) ReleaseHeld(null);
            Hold(mv);
            _comp.Entry = false;
            return;
        }
        var next = new CompMove { Rapid = rapid, DirA = da, DirB = db, CheckA = da, CheckB = db, Loc = Loc(col), FeedMode = _modal.FeedMode, FeedRate = _modal.FeedRate };
        var (sa, sb) = (a0 + r * na, b0 + r * nb);
        next.Start = plane.Join(sa, sb, n1);
        next.End = plane.Join(a1 + r * na, b1 + r * nb, n1);
        JoinAndHold(next, da, db, col);
    }

    private void CompArc(Vec3 end, Vec3 center, bool clockwise, int turns, int col)
    {
        var plane = _modal.Plane;
        var (a0, b0, _) = plane.Split(_pos);
        var (a1, b1, n1) = plane.Split(end);
        var (ca, cb, _) = plane.Split(center);
        double r = _comp.Radius;
        double progRadius = Math.Sqrt((a1 - ca) * (a1 - ca) + (b1 - cb) * (b1 - cb));
        // Left of a counter-clockwise arc is towards the centre.
        bool towardsCentre = (_comp.Side > 0) != clockwise;
        double offR = towardsCentre ? progRadius - r : progRadius + r;
        if (offR <= 1e-9) throw Err(col, "tool radius is not less than the arc radius with cutter compensation");
        double ua1 = (a1 - ca) / progRadius, ub1 = (b1 - cb) / progRadius;
        double r0 = Math.Sqrt((a0 - ca) * (a0 - ca) + (b0 - cb) * (b0 - cb));
        double ua0 = (a0 - ca) / r0, ub0 = (b0 - cb) / r0;
        // tangent (direction of travel) = radial rotated by +90 deg for CCW, -90 for CW
        (double, double) Tangent(double ua, double ub) => clockwise ? (ub, -ua) : (-ub, ua);
        var (ta0, tb0) = Tangent(ua0, ub0);
        var (ta1, tb1) = Tangent(ua1, ub1);
        var mv = new CompMove
        {
            IsArc = true, Clockwise = clockwise, Turns = turns, Center = plane.Join(ca, cb, 0), Radius = offR,
            End = plane.Join(ca + offR * ua1, cb + offR * ub1, n1), DirA = ta1, DirB = tb1,
            ProgrammedSweep = Sweep(a0 - ca, b0 - cb, a1 - ca, b1 - cb, clockwise, turns),
            Loc = Loc(col), FeedMode = _modal.FeedMode, FeedRate = _modal.FeedRate,
        };
        if (_comp.Entry)
        {
            // Entry arc: it starts at the uncompensated point and ends offset by the radius, so its centre
            // slides along the end radius until it is equidistant from both ends.
            mv.Start = FromMachine(_machineLast);
            var (sa, sb, _) = plane.Split(mv.Start);
            if (Math.Sqrt((a1 - sa) * (a1 - sa) + (b1 - sb) * (b1 - sb)) <= r && r > 0)
                throw Err(col, "radius of cutter compensation entry arc is not greater than the tool radius");
            double ea = ca + offR * ua1, eb = cb + offR * ub1;
            double d1a = ca - sa, d1b = cb - sb, d2a = ca - ea, d2b = cb - eb;
            double den = 2 * (ua1 * (d1a - d2a) + ub1 * (d1b - d2b));
            if (Math.Abs(den) > 1e-12)
            {
                double t = (d2a * d2a + d2b * d2b - d1a * d1a - d1b * d1b) / den;
                double nca = ca + t * ua1, ncb = cb + t * ub1;
                mv.Center = plane.Join(nca, ncb, 0);
                mv.Radius = Math.Sqrt((ea - nca) * (ea - nca) + (eb - ncb) * (eb - ncb));
            }
            // a later cut-back is checked against the sweep of this arc as it is cut, not as programmed
            var (fca, fcb, _) = plane.Split(mv.Center);
            mv.ProgrammedSweep = Sweep(sa - fca, sb - fcb, ea - fca, eb - fcb, clockwise, turns);
            if (_comp.Held != null) ReleaseHeld(null);
            Hold(mv);
            _comp.Entry = false;
            return;
        }
        mv.Start = plane.Join(ca + offR * ua0, cb + offR * ub0, n1);
        JoinAndHold(mv, ta0, tb0, col);
    }

    /// <summary>Resolves the corner between the held move and <paramref name="next"/> (whose start tangent is (ta, tb)), then holds <paramref name="next"/>.</summary>
    private void JoinAndHold(CompMove next, double ta, double tb, int col)
    {
        var plane = _modal.Plane;
        var held = _comp.Held;
        if (held == null)
        {
            // first move after a normal-axis-only move or after the entry was flushed: start where the tool is
            next.Start = FromMachine(_machineLast);
            Hold(next);
            return;
        }
        // LinuxCNC's corner angle: how far the path turns away from the compensated side, in
        // [-90 deg, 270 deg). Positive is convex (the tool must swing round the corner), negative concave.
        double cross = held.DirA * tb - held.DirB * ta;
        double dot = held.DirA * ta + held.DirB * tb;
        double beta = -_comp.Side * Math.Atan2(cross, dot);
        if (beta < -Math.PI / 2) beta += 2 * Math.PI;
        const double small = SmallCornerRadians;
        bool concave = beta < -small || beta > Math.PI + small;
        if (!concave && beta > Math.PI - small)
        {
            // Reversing over an arc ("h" and "m" shapes): LinuxCNC stays on the same side by treating the corner
            // as concave when the tool would otherwise have to loop round the outside.
            concave = next.IsArc
                ? Math.Abs(beta - Math.PI) < small && !ToolInsideArc(next)
                : held.IsArc && !ToolInsideArc(held);
        }
        var (pa, pb, _) = plane.Split(_pos);                // programmed corner
        if (!concave && beta > small)
        {
            // convex: finish the held move, then go round the programmed corner to the next offset path
            // (a rapid cannot arc, so it goes straight there)
            var arcStart = next.Start;
            if (!next.IsArc)
            {
                // LinuxCNC re-checks the held move at its own end before a line's corner arc (an arc that began a
                // little round a tangent corner can fail its sweep check here)
                var (ea, eb, _) = plane.Split(held.End);
                CheckCutBack(held, ea, eb, col);
            }
            ReleaseHeld(null);
            var (_, _, n) = plane.Split(FromMachine(_machineLast));
            var (sa, sb, _) = plane.Split(arcStart);
            var target = plane.Join(sa, sb, n);
            if (next.Rapid && !next.IsArc) EmitRapid(target, next.Loc);
            else EmitArc(target, plane.Join(pa, pb, n), plane, clockwise: _comp.Side > 0, 1, next.Loc, next.FeedMode, next.FeedRate);
            next.Start = target;
            Hold(next);
            return;
        }
        if (!concave)
        {
            // nearly tangent (within 0.05 rad either way): no corner move; the next path starts where the held one ends
            ReleaseHeld(null);
            next.Start = held.End;
            Hold(next);
            return;
        }
        // concave: both offset paths are cut back to where they meet (for arcs, the meeting point LinuxCNC picks)
        (double A, double B) p;
        if (held.IsArc && next.IsArc) p = ArcToArcCorner(held, next, col);
        else if (held.IsArc) p = ArcToLineCorner(held, next, pa, pb, col);
        else if (next.IsArc) p = LineToArcCorner(held, next, beta, col);
        else
        {
            var (ha, hb, _) = plane.Split(held.End);
            var (sa2, sb2, _) = plane.Split(next.Start);
            p = Intersect(held, next, (ha + sa2) / 2, (hb + sb2) / 2, col);
        }
        CheckCutBack(held, p.A, p.B, col);
        var (_, _, hn) = plane.Split(held.End);
        var meet = plane.Join(p.A, p.B, hn);
        ReleaseHeld(meet);
        var (_, _, nn) = plane.Split(next.Start);
        next.Start = plane.Join(p.A, p.B, nn);
        Hold(next);
    }

    // Concave corners involving an arc: the offset paths can cross twice; LinuxCNC's choice of crossing follows from
    // the direction of travel, worked out below in angles about the arc's centre (same results as its interpreter).

    /// <summary>Where the held offset line meets the next offset arc.</summary>
    private (double A, double B) LineToArcCorner(CompMove line, CompMove arc, double beta, int col)
    {
        var (ca, cb, _) = _modal.Plane.Split(arc.Center);
        double r = _comp.Radius;
        bool inside = ToolInsideArc(arc);
        double progRadius = inside ? arc.Radius + r : arc.Radius - r;
        double lineDir = Math.Atan2(line.DirB, line.DirA);
        // signed distance of the programmed line from the arc's centre, measured towards the tool side
        double offsetOfLine = -progRadius * Math.Cos(beta);
        double l = (inside ? offsetOfLine + r : offsetOfLine - r) / arc.Radius;
        if (l > 1 || l < -1) throw Err(col, "cutter compensation: arc move in this concave corner cannot be reached by the tool without gouging");
        double ang = inside
            ? (arc.Clockwise ? lineDir - Math.Asin(l) : lineDir + Math.Asin(l))
            : (arc.Clockwise ? lineDir + Math.PI + Math.Asin(l) : lineDir + Math.PI - Math.Asin(l));
        return (ca + arc.Radius * Math.Cos(ang), cb + arc.Radius * Math.Sin(ang));
    }

    /// <summary>Where the held offset arc meets the next offset line (through the programmed corner (pa, pb)).</summary>
    private (double A, double B) ArcToLineCorner(CompMove arc, CompMove line, double pa, double pb, int col)
    {
        var (ca, cb, _) = _modal.Plane.Split(arc.Center);
        double r = _comp.Radius;
        bool inside = ToolInsideArc(arc);
        double lineDir = Math.Atan2(line.DirB, line.DirA);
        double normal = arc.Clockwise ? lineDir - Math.PI / 2 : lineDir + Math.PI / 2;
        double toCentre = Math.Atan2(cb - pb, ca - pa);
        double progRadius = inside ? arc.Radius + r : arc.Radius - r;
        double d = progRadius * Math.Cos(normal - toCentre);
        double l = (inside ? d - r : d + r) / arc.Radius;
        if (l > 1 || l < -1) throw Err(col, "cutter compensation: arc to straight motion makes a corner the tool cannot fit in without gouging");
        double ang = inside == !arc.Clockwise ? normal + Math.PI - Math.Acos(l) : normal + Math.PI + Math.Acos(l);
        return (ca + arc.Radius * Math.Cos(ang), cb + arc.Radius * Math.Sin(ang));
    }

    /// <summary>Where the held offset arc meets the next offset arc.</summary>
    private (double A, double B) ArcToArcCorner(CompMove held, CompMove next, int col)
    {
        var (c1a, c1b, _) = _modal.Plane.Split(held.Center);
        var (c2a, c2b, _) = _modal.Plane.Split(next.Center);
        double between = Math.Sqrt((c2a - c1a) * (c2a - c1a) + (c2b - c1b) * (c2b - c1b));
        if (held.Radius == 0 || between == 0) throw Err(col, "cutter compensation: arc to arc motion with both arcs about the same centre");
        double cosPull = (held.Radius * held.Radius + between * between - next.Radius * next.Radius) / (2 * held.Radius * between);
        if (cosPull > 1 || cosPull < -1) throw Err(col, "cutter compensation: arc to arc motion makes a corner the tool cannot fit in without gouging");
        double pull = Math.Acos(cosPull), dir = Math.Atan2(c2b - c1b, c2a - c1a);
        bool plus = ToolInsideArc(held) ? !next.Clockwise : next.Clockwise;
        double ang = plus ? dir + pull : dir - pull;
        return (c1a + held.Radius * Math.Cos(ang), c1b + held.Radius * Math.Sin(ang));
    }

    /// <summary>Left of a counter-clockwise arc (or right of a clockwise one) is towards its centre.</summary>
    private bool ToolInsideArc(CompMove arc) => (_comp.Side > 0) != arc.Clockwise;

    /// <summary>
    /// A held move cut back to a concave corner must still run the way it was programmed: a line cut back past its
    /// start, or an arc whose sweep grows, would gouge (LinuxCNC refuses both, on the line of the next move).
    /// </summary>
    private void CheckCutBack(CompMove held, double a, double b, int col)
    {
        var (sa, sb, _) = _modal.Plane.Split(held.Start);
        if (!held.IsArc)
        {
            // The projection is in mm: a cut-back to the start itself (a tiny radius, a move as short as the
            // cut-back) comes out a rounding error either side of zero, which must not decide.
            if (held.CheckA * (a - sa) + held.CheckB * (b - sb) < -CutBackToleranceMm)
                throw Err(col, $"cutter compensation: straight {(held.Rapid ? "traverse" : "feed")} in this concave corner cannot be reached by the tool without gouging");
            return;
        }
        if (held.ProgrammedSweep == 0) return;
        var (ca, cb, _) = _modal.Plane.Split(held.Center);
        double sweep = Sweep(sa - ca, sb - cb, a - ca, b - cb, held.Clockwise, held.Turns);
        double tol = _modal.MmPerUnit == 1 ? 0.0254 : 0.001;
        if (Math.Abs(sweep) > Math.Abs(held.ProgrammedSweep) + tol)
            throw Err(col, "cutter compensation: arc move in this concave corner cannot be reached by the tool without gouging");
    }

    /// <summary>Signed angle swept from (sa, sb) to (ea, eb) about the origin in the arc's direction, extra turns included.</summary>
    private static double Sweep(double sa, double sb, double ea, double eb, bool clockwise, int turns)
    {
        double a0 = Math.Atan2(sb, sa), a1 = Math.Atan2(eb, ea);
        int extra = Math.Max(turns, 1) - 1;
        if (!clockwise)
        {
            if (a1 <= a0) a1 += 2 * Math.PI;
            return a1 - a0 + extra * 2 * Math.PI;
        }
        if (a1 >= a0) a1 -= 2 * Math.PI;
        return a1 - a0 - extra * 2 * Math.PI;
    }

    private (double A, double B) Intersect(CompMove m1, CompMove m2, double nearA, double nearB, int col)
    {
        var plane = _modal.Plane;
        Span<(double A, double B)> cands = stackalloc (double, double)[2];
        int count;
        if (!m1.IsArc && !m2.IsArc)
        {
            var (a1, b1, _) = plane.Split(m1.End);
            var (a2, b2, _) = plane.Split(m2.Start);
            double den = m1.DirA * m2.DirB - m1.DirB * m2.DirA;
            if (Math.Abs(den) < 1e-12) return (a1, b1);
            double t = ((a2 - a1) * m2.DirB - (b2 - b1) * m2.DirA) / den;
            return (a1 + t * m1.DirA, b1 + t * m1.DirB);
        }
        if (m1.IsArc && m2.IsArc)
        {
            var (c1a, c1b, _) = plane.Split(m1.Center);
            var (c2a, c2b, _) = plane.Split(m2.Center);
            count = CircleCircle(c1a, c1b, m1.Radius, c2a, c2b, m2.Radius, cands);
        }
        else
        {
            var line = m1.IsArc ? m2 : m1;
            var arc = m1.IsArc ? m1 : m2;
            var (la, lb, _) = plane.Split(line == m1 ? m1.End : m2.Start);
            var (ca, cb, _) = plane.Split(arc.Center);
            count = LineCircle(la, lb, line.DirA, line.DirB, ca, cb, arc.Radius, cands);
        }
        if (count == 0) throw Err(col, "cutter compensation: the offset paths do not meet at this corner (tool too big for the concave corner)");
        var best = cands[0];
        if (count == 2)
        {
            double d0 = Sq(cands[0].A - nearA) + Sq(cands[0].B - nearB), d1 = Sq(cands[1].A - nearA) + Sq(cands[1].B - nearB);
            if (d1 < d0) best = cands[1];
        }
        return best;
    }

    private static double Sq(double x) => x * x;

    private static int LineCircle(double pa, double pb, double da, double db, double ca, double cb, double r, Span<(double A, double B)> res)
    {
        double fa = pa - ca, fb = pb - cb;
        double bq = fa * da + fb * db;
        double cq = fa * fa + fb * fb - r * r;
        double disc = bq * bq - cq;
        if (disc < -1e-9) return 0;
        disc = Math.Sqrt(Math.Max(0, disc));
        res[0] = (pa + (-bq - disc) * da, pb + (-bq - disc) * db);
        res[1] = (pa + (-bq + disc) * da, pb + (-bq + disc) * db);
        return 2;
    }

    private static int CircleCircle(double a1, double b1, double r1, double a2, double b2, double r2, Span<(double A, double B)> res)
    {
        double dx = a2 - a1, dy = b2 - b1;
        double d = Math.Sqrt(dx * dx + dy * dy);
        if (d < 1e-12 || d > r1 + r2 + 1e-9 || d < Math.Abs(r1 - r2) - 1e-9) return 0;
        double a = (r1 * r1 - r2 * r2 + d * d) / (2 * d);
        double h = Math.Sqrt(Math.Max(0, r1 * r1 - a * a));
        double ma = a1 + a * dx / d, mb = b1 + a * dy / d;
        res[0] = (ma + h * dy / d, mb - h * dx / d);
        res[1] = (ma - h * dy / d, mb + h * dx / d);
        return 2;
    }

    private void Hold(CompMove mv)
    {
        _comp.Held = mv;
        _comp.HeldIndex = _out.Count;
        _out.Add(HeldMarker);
    }

    /// <summary>Emits the held move ending at <paramref name="end"/> (or its tentative end) with its riders, in its place in the output.</summary>
    private void ReleaseHeld(Vec3? end)
    {
        var held = _comp.Held!;
        _comp.Held = null;
        var plane = _modal.Plane;
        var scratch = new List<CanonicalCommand>(2 + held.Riders.Count);
        _emitScratch = scratch;
        try
        {
            var e = end ?? held.End;
            if (held.IsArc)
            {
                var (ea, eb, en) = plane.Split(e);
                // the centre sits at the end's level along the plane's normal (it matters in a rotated frame)
                var (hca, hcb, _) = plane.Split(held.Center);
                EmitArc(plane.Join(ea, eb, en), plane.Join(hca, hcb, en), plane, held.Clockwise, held.Turns, held.Loc, held.FeedMode, held.FeedRate);
            }
            else if (held.Rapid) EmitRapid(e, held.Loc);
            else EmitFeed(e, held.Loc, held.FeedMode, held.FeedRate);
            var (pa, pb, _) = plane.Split(e);
            foreach (var rider in held.Riders)
            {
                var (_, _, rn) = plane.Split(rider.End);
                var target = plane.Join(pa, pb, rn);
                if (rider.Rapid) EmitRapid(target, rider.Loc); else EmitFeed(target, rider.Loc, rider.Mode, rider.Feed);
            }
        }
        finally { _emitScratch = null; }
        _out.RemoveAt(_comp.HeldIndex);
        _out.InsertRange(_comp.HeldIndex, scratch);
        _comp.HeldIndex = -1;
    }
}
