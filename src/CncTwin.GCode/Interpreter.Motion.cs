using CncTwin.Core;

namespace CncTwin.GCode;

// Straight moves, arcs, probes, G53, G28/G30, G10, G92 and G52.
public sealed partial class Interpreter
{
    /// <summary>End point of a move in program coordinates, from the axis words and G90/G91.</summary>
    private Vec3 TargetFromWords(bool incremental)
    {
        double x = _pos.X, y = _pos.Y, z = _pos.Z;
        if (_block.HasPolar)
        {
            // LinuxCNC polar words: @ distance and ^ angle (degrees) in the XY plane, from the program
            // origin in G90 (missing ones keep the current distance / angle) or from the current point in G91.
            if (_modal.Plane != Plane.XY) throw Err(_block.PolarColumn > 0 ? _block.PolarColumn : _block.AngleColumn, "polar coordinates (@ ^) only work in the XY plane (G17)");
            (x, y) = PolarPoint(x, y, incremental);
            if (_block.Has('z')) z = incremental ? _pos.Z + _block.Get('z') * _modal.MmPerUnit : _block.Get('z') * _modal.MmPerUnit;
            return new Vec3(x, y, z);
        }
        if (_block.Has('x')) x = incremental ? _pos.X + _block.Get('x') * _modal.MmPerUnit : _block.Get('x') * _modal.MmPerUnit;
        if (_block.Has('y')) y = incremental ? _pos.Y + _block.Get('y') * _modal.MmPerUnit : _block.Get('y') * _modal.MmPerUnit;
        if (_block.Has('z')) z = incremental ? _pos.Z + _block.Get('z') * _modal.MmPerUnit : _block.Get('z') * _modal.MmPerUnit;
        return new Vec3(x, y, z);
    }

    /// <summary>
    /// LinuxCNC polar words: @ distance and ^ angle (degrees) about the program origin. In G90 a missing
    /// word keeps the current distance / angle; in G91 both add to the current distance and angle.
    /// </summary>
    private (double X, double Y) PolarPoint(double x, double y, bool incremental)
    {
        if (incremental && x == 0 && y == 0)
            throw Err(_block.PolarColumn > 0 ? _block.PolarColumn : _block.AngleColumn, "incremental polar move (G91 @ ^) from the origin: the angle there is undefined");
        double d0 = Math.Sqrt(x * x + y * y), a0 = Math.Atan2(y, x);
        double d = incremental ? d0 + (_block.PolarColumn > 0 ? _block.Polar * _modal.MmPerUnit : 0) : (_block.PolarColumn > 0 ? _block.Polar * _modal.MmPerUnit : d0);
        double a = incremental ? a0 + (_block.AngleColumn > 0 ? _block.Angle * Math.PI / 180 : 0) : (_block.AngleColumn > 0 ? _block.Angle * Math.PI / 180 : a0);
        return (d * Math.Cos(a), d * Math.Sin(a));
    }

    private void ExecuteMotion(int motion, int col, bool g53, bool explicitMotion)
    {
        if (motion is not (730 or 740 or >= 810 and <= 890)) _cycle.InitialLevelKnown = false;
        switch (motion)
        {
            case 0:
            case 10:
                {
                    if (motion == 10) CheckFeed(col, "G1");
                    _comp.ArcNotAllowed = false;
                    if (g53)
                    {
                        if (_comp.Side != 0 && _comp.Radius > 0) throw Err(col, "cannot use G53 with cutter radius compensation on");
                        // G53 words are machine coordinates of the controlled point (spindle side); the tip is the tool length below it.
                        var m = ToMachine(_pos);
                        var mt = new Vec3(_block.Has('x') ? _block.Get('x') * _modal.MmPerUnit - _offsets.ToolLength.X : m.X, _block.Has('y') ? _block.Get('y') * _modal.MmPerUnit - _offsets.ToolLength.Y : m.Y, _block.Has('z') ? _block.Get('z') * _modal.MmPerUnit - _offsets.ToolLength.Z : m.Z);
                        var target = FromMachine(mt);
                        if (motion == 0) EmitRapid(target, col); else EmitFeed(target, col);
                        _pos = target;
                        return;
                    }
                    var end = TargetFromWords(!_modal.Absolute);
                    // As on LinuxCNC, a zero tool radius compensates nothing: the moves go through as programmed.
                    if (_comp.Side != 0 && _comp.Radius > 0) CompStraight(end, motion == 0, col);
                    else
                    {
                        if (motion == 0) EmitRapid(end, col); else EmitFeed(end, col);
                    }
                    _pos = end;
                    return;
                }
            case 20:
            case 30:
                ExecuteArc(motion == 20, col);
                return;
            case 382: case 383: case 384: case 385:
                {
                    if (_comp.Side != 0) throw Err(col, "cannot probe with cutter radius compensation on");
                    if (_modal.FeedMode == FeedRateMode.UnitsPerRevolution) throw Err(col, "cannot probe in feed per revolution mode (G95)");
                    CheckFeed(col, "G38");
                    var end = TargetFromWords(!_modal.Absolute);
                    // LinuxCNC refuses a probe towards the work that starts where it ends; G38.3 / G38.5 may.
                    if (end == _pos && motion is 382 or 384) throw Err(col, "probe move has zero length (start point is the probe point)");
                    ExecuteProbe(motion, end, col);
                    return;
                }
            case 730: case 740: case 810: case 820: case 830: case 840: case 850: case 860: case 870: case 880: case 890:
                ExecuteCycle(motion, col);
                return;
            case 800:
                return;
            default:
                throw Err(col, $"{GName(motion)} is not supported");
        }
    }

    // LinuxCNC's reference interpreter (saicanon.cc) backs the probe off 0.010 in or 0.254 mm (the same length) from
    // the probed point towards where it came from.
    private const double ProbeBackOffMm = 0.254;

    /// <summary>
    /// G38.2-G38.5: the probe move, then the probed point in #5061-#5063 (program coordinates and units of the probe
    /// block, as LinuxCNC stores them; #5064-#5069, the other axes, 0) and #5070 (1 tripped, 0 not), and the tool
    /// where it stands afterwards, which LinuxCNC reads back from the machine before the next line.
    /// </summary>
    private void ExecuteProbe(int motion, Vec3 end, int col)
    {
        var start = _machineLast;
        var machineEnd = ToMachine(end);
        Vec3 probed = machineEnd, standsAt;
        bool tripped = true;
        if (_opt.ProbeContact == null)
        {
            // No contact simulation: the move runs to its end. A G38.2 / G38.4 program goes on only if the probe
            // tripped, so it did, there; a G38.3 / G38.5 that runs to its end did not trip (a loop probing
            // "while #5070" then ends, as on LinuxCNC's reference interpreter, which never trips).
            tripped = motion is 382 or 384;
            EmitProbe(end, col);
            var back = start - machineEnd;
            standsAt = back.Length > 0 ? machineEnd + back * (ProbeBackOffMm / back.Length) : machineEnd;
        }
        else
        {
            var request = new ProbeRequest(Loc(col), start, machineEnd, TripsOnContact: motion is 382 or 383, ErrorIfNoTrip: motion is 382 or 384,
                _modal.ToolInSpindle, EffectiveFeed(_modal.FeedMode, _modal.FeedRate, start.DistanceTo(machineEnd)));
            var contact = _opt.ProbeContact(request);
            if (contact is { } c && double.IsFinite(c.X) && double.IsFinite(c.Y) && double.IsFinite(c.Z))
            {
                // Where the probe trips is on the move (the nearest point of it, should the callback round).
                var d = machineEnd - start;
                double u = d.Dot(d) > 0 ? Math.Clamp((c - start).Dot(d) / d.Dot(d), 0, 1) : 1;
                probed = start + d * u;
                EmitProbe(FromMachine(probed), col);
            }
            else
            {
                tripped = false;
                EmitProbe(end, col);
                _out.Add(new Message(Loc(col), $"{request.GCode} probe move ended without the probe tripping", false));
            }
            standsAt = probed;
        }
        var p = FromMachine(probed);
        double u1 = _modal.MmPerUnit;
        _params.SetRawNumbered(5061, p.X / u1); _params.SetRawNumbered(5062, p.Y / u1); _params.SetRawNumbered(5063, p.Z / u1);
        for (int i = 5064; i <= 5069; i++) _params.SetRawNumbered(i, 0);
        _params.SetRawNumbered(5070, tripped ? 1 : 0);
        _machineLast = standsAt;
        _pos = FromMachine(standsAt);
    }

    private void CheckFeed(int col, string what)
    {
        switch (_modal.FeedMode)
        {
            case FeedRateMode.InverseTime:
                if (!_block.Has('f')) throw Err(col, $"F word missing with inverse time {what} move");
                // F0 is accepted: LinuxCNC then crawls at its floor of 0.1 units/min (see EffectiveFeed)
                break;
            case FeedRateMode.UnitsPerRevolution:
                if (_modal.FeedRate <= 0) throw Err(col, $"cannot do {what} with zero feed per revolution");
                if (_modal.SpindleRpm <= 0) throw Err(col, $"cannot do {what} in G95 (feed per revolution) with the spindle speed at zero");
                break;
            default:
                if (_modal.FeedRate <= 0) throw Err(col, $"cannot do {what} with zero feed rate (missing F)");
                break;
        }
    }

    // LinuxCNC's arc tolerances (interp_internal.hh): R-form half-chord may exceed |R| by this much,
    // IJK-form start and end radii may differ by this much (absolute) ...
    private double ArcRTolerance => _modal.MmPerUnit == 1 ? 0.002 : 0.0002 * 25.4;
    private double CenterRadiusTolerance => _modal.MmPerUnit == 1 ? 0.01 * 2 : 0.0005 * 2 * 25.4;
    private const double CenterRadiusRelativeTolerance = 0.001; // ... or by this fraction of the radius

    private void ExecuteArc(bool clockwise, int col)
    {
        if (_comp.ArcNotAllowed) throw Err(col, "the move just after cutter compensation is turned off (G40) must be straight, not an arc");
        string what = clockwise ? "G2" : "G3";
        var end = TargetFromWords(!_modal.Absolute);
        var plane = _modal.Plane;
        char fa, sa, na; // offset letters for the first and second plane axis, and the one not allowed
        switch (plane)
        {
            case Plane.XY: fa = 'i'; sa = 'j'; na = 'k'; break;
            case Plane.XZ: fa = 'k'; sa = 'i'; na = 'j'; break;
            default: fa = 'j'; sa = 'k'; na = 'i'; break;
        }
        bool hasR = _block.Has('r');
        if (_block.Has(na)) throw Err(_block.Col(na), $"{char.ToUpperInvariant(na)} word given for an arc in the {plane.GCode()} plane");
        if (hasR && (_block.Has(fa) || _block.Has(sa))) throw Err(_block.Col('r'), "mixed radius (R) and centre (I J K) format arc");
        if (!hasR && !_block.Has(fa) && !_block.Has(sa))
            throw Err(col, $"{what} arc needs a centre ({char.ToUpperInvariant(fa)}, {char.ToUpperInvariant(sa)}) or a radius R");
        CheckFeed(col, what);

        int turns = 1;
        if (_block.Has('p'))
        {
            double p = _block.Get('p');
            if (p < 1 || p != Math.Floor(p)) throw Err(_block.Col('p'), "arc P (number of turns) must be a whole number >= 1");
            turns = (int)p;
        }
        var (s1, s2, sn) = plane.Split(_pos);
        var (e1, e2, _) = plane.Split(end);
        double c1, c2;
        if (hasR)
        {
            double r = _block.Get('r') * _modal.MmPerUnit;
            if (Math.Abs(e1 - s1) < 1e-12 && Math.Abs(e2 - s2) < 1e-12)
                throw Err(_block.Col('r'), "current point is the same as the end point of an R-form arc (a full circle needs I J K)");
            double mid1 = (s1 + e1) / 2, mid2 = (s2 + e2) / 2;
            double half = Math.Sqrt((mid1 - e1) * (mid1 - e1) + (mid2 - e2) * (mid2 - e2));
            double absR = Math.Abs(r);
            if (half - absR > ArcRTolerance) throw Err(_block.Col('r'), $"arc radius too small to reach the end point (R {Fmt(absR / _modal.MmPerUnit)}, half the chord {Fmt(half / _modal.MmPerUnit)})");
            if (half / absR > 1 - 1e-12) half = absR;
            // Centre lies on the chord's perpendicular bisector, to the right of the chord for G2 with R>0.
            double theta = Math.Atan2(e2 - s2, e1 - s1) + ((clockwise == (r > 0)) ? -Math.PI / 2 : Math.PI / 2);
            double offset = absR * Math.Cos(Math.Asin(Math.Min(1, half / absR)));
            c1 = mid1 + offset * Math.Cos(theta);
            c2 = mid2 + offset * Math.Sin(theta);
        }
        else
        {
            double o1 = _block.Has(fa) ? _block.Get(fa) * _modal.MmPerUnit : 0, o2 = _block.Has(sa) ? _block.Get(sa) * _modal.MmPerUnit : 0;
            if (_modal.ArcCentersAbsolute)
            {
                var (p1, p2, _) = plane.Split(new Vec3(_block.Has('i') ? _block.Get('i') * _modal.MmPerUnit : 0, _block.Has('j') ? _block.Get('j') * _modal.MmPerUnit : 0, _block.Has('k') ? _block.Get('k') * _modal.MmPerUnit : 0));
                c1 = _block.Has(fa) ? p1 : 0; c2 = _block.Has(sa) ? p2 : 0;
                if (!_block.Has(fa)) c1 = 0; if (!_block.Has(sa)) c2 = 0;
            }
            else { c1 = s1 + o1; c2 = s2 + o2; }
            double r1 = Math.Sqrt((s1 - c1) * (s1 - c1) + (s2 - c2) * (s2 - c2));
            double r2 = Math.Sqrt((e1 - c1) * (e1 - c1) + (e2 - c2) * (e2 - c2));
            // LinuxCNC's RADIUS_TOLERANCE: 0.00127 mm in G21, 0.00005 inch in G20 (the same length).
            const double tol = 0.00127;
            if (r1 < tol || r2 < tol) throw Err(col, $"zero-radius arc: the centre is within {Fmt(tol / _modal.MmPerUnit)} of the start or end point");
            double absErr = Math.Abs(r1 - r2);
            double relErr = absErr / Math.Max(r1, r2);
            if (absErr > CenterRadiusTolerance * 100 || (absErr > CenterRadiusTolerance && relErr > CenterRadiusRelativeTolerance))
                throw Err(col, $"radius to end of arc differs from radius to start (start {Fmt(r1 / _modal.MmPerUnit)}, end {Fmt(r2 / _modal.MmPerUnit)})");
        }
        var center = plane.Join(c1, c2, sn);
        if (_comp.Side != 0 && _comp.Radius > 0) CompArc(end, center, clockwise, turns, col);
        else EmitArc(end, center, plane, clockwise, turns, col);
        _pos = end;
    }

    // ---- non-modal group 0 ---------------------------------------------------------------------

    private void ConvertNonModal(int code, int col)
    {
        switch (code)
        {
            case 100: ExecuteG10(col); break;
            case 280: case 300: ExecuteHome(code == 280 ? 5161 : 5181, col); break;
            case 281: case 301:
                {
                    var m = ToMachine(_pos) + _offsets.ToolLength;
                    int b = code == 281 ? 5161 : 5181;
                    _params.SetRawNumbered(b, m.X); _params.SetRawNumbered(b + 1, m.Y); _params.SetRawNumbered(b + 2, m.Z); // kept in mm
                    break;
                }
            case 920:
                {
                    if (!_block.HasAxis) throw Err(col, "G92 needs at least one axis word");
                    if (_comp.Side != 0) throw Err(col, "cannot set G92 offsets with cutter radius compensation on");
                    ChangeOffsetsKeepingMachinePosition(() =>
                    {
                        // new offset makes the current point read as the given value
                        var cur = _pos;
                        double gx = _offsets.G92.X, gy = _offsets.G92.Y, gz = _offsets.G92.Z;
                        if (_block.Has('x')) gx = cur.X + _offsets.G92.X - _block.Get('x') * _modal.MmPerUnit;
                        if (_block.Has('y')) gy = cur.Y + _offsets.G92.Y - _block.Get('y') * _modal.MmPerUnit;
                        if (_block.Has('z')) gz = cur.Z + _offsets.G92.Z - _block.Get('z') * _modal.MmPerUnit;
                        _offsets.G92 = new Vec3(gx, gy, gz);
                        _offsets.G92Enabled = true;
                    });
                    SaveG92();
                    break;
                }
            case 921: case 922:
                ChangeOffsetsKeepingMachinePosition(() => { _offsets.G92 = Vec3.Zero; _offsets.G92Enabled = false; });
                if (code == 921) SaveG92();
                break;
            case 923:
                ChangeOffsetsKeepingMachinePosition(() => { _offsets.G92 = new Vec3(_offsets.G92Saved[0], _offsets.G92Saved[1], _offsets.G92Saved[2]); _offsets.G92Enabled = true; });
                break;
            case 520:
                ChangeOffsetsKeepingMachinePosition(() =>
                {
                    _offsets.G92 = new Vec3(_block.Has('x') ? _block.Get('x') * _modal.MmPerUnit : _offsets.G92.X, _block.Has('y') ? _block.Get('y') * _modal.MmPerUnit : _offsets.G92.Y, _block.Has('z') ? _block.Get('z') * _modal.MmPerUnit : _offsets.G92.Z);
                    _offsets.G92Enabled = true;
                });
                SaveG92();
                break;
        }
    }

    private void SaveG92() { _offsets.G92Saved[0] = _offsets.G92.X; _offsets.G92Saved[1] = _offsets.G92.Y; _offsets.G92Saved[2] = _offsets.G92.Z; }

    private void ExecuteHome(int paramBase, int col)
    {
        if (_comp.Side != 0) throw Err(col, "cannot use G28/G30 with cutter radius compensation on");
        // Intermediate point (program coordinates, G90/G91 apply), then the stored home position
        // (machine coordinates). Only the named axes move; with no axis words all axes go home.
        var home = new Vec3(_params.RawNumbered(paramBase), _params.RawNumbered(paramBase + 1), _params.RawNumbered(paramBase + 2)) - _offsets.ToolLength;
        // Always two traverses (as LinuxCNC): to the intermediate point (the current point when no
        // axis words are given), then the named axes (all when none are named) to home.
        var mid = TargetFromWords(!_modal.Absolute);
        EmitRapid(mid, col);
        _pos = mid;
        // Axes are picked in program coordinates (as LinuxCNC does): in a rotated G10 L2 R frame, homing X alone
        // moves along the program's X, so the machine's Y changes too.
        var homeProg = FromMachine(home);
        bool all = !_block.HasAxis;
        var prog = new Vec3(all || _block.Has('x') ? homeProg.X : _pos.X, all || _block.Has('y') ? homeProg.Y : _pos.Y, all || _block.Has('z') ? homeProg.Z : _pos.Z);
        EmitRapid(prog, col);
        _pos = prog;
    }

    private void ExecuteG10(int col)
    {
        double l = _block.Get('l');
        int lc = (int)Math.Round(l);
        switch (lc)
        {
            case 2:
            case 20:
                {
                    if (!_block.Has('p')) throw Err(col, $"G10 L{lc} needs a P word (coordinate system 0-9)");
                    double p = _block.Get('p');
                    if (p < 0 || p > 9 || p != Math.Floor(p)) throw Err(_block.Col('p'), "G10 P must be a coordinate system number 0..9");
                    int cs = p == 0 ? _offsets.CoordSystem : (int)p;
                    if (_comp.Side != 0 && cs == _offsets.CoordSystem) throw Err(col, "cannot change the active coordinate system with cutter radius compensation on");
                    var o = _offsets.WorkOffset[cs];
                    double rot = _offsets.XyRotation[cs];
                    if (lc == 2)
                    {
                        o = new Vec3(_block.Has('x') ? _block.Get('x') * _modal.MmPerUnit : o.X, _block.Has('y') ? _block.Get('y') * _modal.MmPerUnit : o.Y, _block.Has('z') ? _block.Get('z') * _modal.MmPerUnit : o.Z);
                        if (_block.Has('r')) rot = _block.Get('r');
                    }
                    else
                    {
                        // L20: offsets chosen so the current machine position reads as the given values in system cs.
                        var m = ToMachine(_pos);
                        if (_block.Has('r')) rot = _block.Get('r');
                        // machine = R(prog + g92) + offset  => offset = machine - R(value + g92)
                        var progNow = FromMachineIn(cs, m);
                        var want = new Vec3(_block.Has('x') ? _block.Get('x') * _modal.MmPerUnit : progNow.X, _block.Has('y') ? _block.Get('y') * _modal.MmPerUnit : progNow.Y, _block.Has('z') ? _block.Get('z') * _modal.MmPerUnit : progNow.Z);
                        var rq = RotateXY(want + _offsets.G92, rot);
                        o = new Vec3(_block.Has('x') ? m.X - rq.X : o.X, _block.Has('y') ? m.Y - rq.Y : o.Y, _block.Has('z') ? m.Z - rq.Z : o.Z);
                    }
                    if (cs == _offsets.CoordSystem && rot != _offsets.XyRotation[cs] && _offsets.G92 != Vec3.Zero)
                    {
                        // LinuxCNC re-expresses the current point as rot(-new)(rot(old)(p) + old offset - new offset),
                        // leaving the G92 shift out of the rotation: with a G92 shift in force, a new rotation of the
                        // active system moves the point the program thinks the tool is at (the next move shows it).
                        _pos = RotateXY(RotateXY(_pos, _offsets.XyRotation[cs]) + _offsets.WorkOffset[cs] - o, -rot);
                        _offsets.WorkOffset[cs] = o; _offsets.XyRotation[cs] = rot;
                        _out.Add(new OffsetsChanged(Loc(), _offsets.WorkOffset[_offsets.CoordSystem], _offsets.G92, _offsets.XyRotation[_offsets.CoordSystem], _offsets.CoordSystem));
                    }
                    else if (cs == _offsets.CoordSystem) ChangeOffsetsKeepingMachinePosition(() => { _offsets.WorkOffset[cs] = o; _offsets.XyRotation[cs] = rot; });
                    else { _offsets.WorkOffset[cs] = o; _offsets.XyRotation[cs] = rot; }
                    break;
                }
            case 1:
            case 10:
            case 11:
                {
                    if (!_block.Has('p')) throw Err(col, $"G10 L{lc} needs a P word (tool number)");
                    int tn = (int)_block.Get('p');
                    var t = _opt.Tools.Get(tn) ?? new ToolEntry(tn, tn, Vec3.Zero, 0, "");
                    var off = t.Offset;
                    if (lc == 1)
                    {
                        off = new Vec3(Axis('x', off.X), Axis('y', off.Y), Axis('z', off.Z));
                    }
                    else
                    {
                        // L10/L11: the tool length that would make the current point read as the given value once
                        // the entry is loaded (G43 H). The spindle (controlled point) is the tip plus the offset in
                        // force; L10 reads it in the current coordinate system, L11 in G59.3 without G92.
                        var spindle = lc == 10 ? _pos + _offsets.ToolLength : FromMachineIn(9, ToMachine(_pos) + _offsets.ToolLength) + _offsets.G92;
                        off = new Vec3(_block.Has('x') ? spindle.X - _block.Get('x') * _modal.MmPerUnit : off.X, _block.Has('y') ? spindle.Y - _block.Get('y') * _modal.MmPerUnit : off.Y, _block.Has('z') ? spindle.Z - _block.Get('z') * _modal.MmPerUnit : off.Z);
                    }
                    double d = _block.Has('r') ? _block.Get('r') * 2 * _modal.MmPerUnit : t.DiameterMm;
                    _opt.Tools.Set(t with { Offset = off, DiameterMm = d });
                    break;
                }
            default:
                throw Err(_block.Col('l'), $"G10 L{Fmt(l)} is not supported (use L1, L2, L10, L11 or L20)");
        }
    }

}
