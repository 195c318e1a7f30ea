using CncTwin.Core;

namespace CncTwin.GCode;

// Canned cycles G73, G74, G81-G89 as LinuxCNC expands them (checked against rs274 -g). Everything is worked
// out in the active plane: "depth" is the plane's normal axis (Z in G17, Y in G18, X in G19).
public sealed partial class Interpreter
{
    // Retract used between pecks in G73 and above the last depth in G83: 0.010 inch (LinuxCNC's G83_RAPID_DELTA).
    private const double PeckClearance = 0.010 * 25.4;

    private void ExecuteCycle(int motion, int col)
    {
        if (_compSide != 0) throw Err(col, "cannot use canned cycles with cutter radius compensation on");
        var plane = _plane;
        char depthLetter = plane switch { Plane.XY => 'z', Plane.XZ => 'y', _ => 'x' };
        bool incremental = !_absolute;

        if (_block.Has('r')) { _cycleR = _block.Get('r') * _unit; _cycleRSet = true; }
        else if (!_cycleRSet || _prevMotionMode != motion) throw Err(col, "R clearance plane unspecified in canned cycle");
        if (_block.Has(depthLetter)) _cycleZ = _block.Get(depthLetter) * _unit;
        else if (_prevMotionMode != motion) throw Err(col, $"{char.ToUpperInvariant(depthLetter)} depth unspecified in canned cycle");
        if (_block.Has('p')) { _cycleP = _block.Get('p'); if (_cycleP < 0) throw Err(_block.Col('p'), "negative dwell P in canned cycle"); }
        if (_block.Has('q')) { _cycleQ = _block.Get('q') * _unit; }
        if (motion is 730 or 830)
        {
            if (!_block.Has('q') && _prevMotionMode != motion) throw Err(col, $"Q word missing with {GName(motion)}");
            if (_cycleQ <= 0) throw Err(_block.Has('q') ? _block.Col('q') : col, $"{GName(motion)} needs a positive peck depth Q");
        }
        if (motion is 820 or 860 or 880 or 890 && !_block.Has('p') && _prevMotionMode != motion)
            throw Err(col, $"{GName(motion)} needs a dwell time P");
        int repeats = 1;
        if (_block.Has('l'))
        {
            double l = _block.Get('l');
            if (l < 0 || l != Math.Floor(l)) throw Err(_block.Col('l'), "canned cycle L (repeats) must be a whole number >= 0");
            repeats = (int)l;
        }
        if (_feedMode == FeedRateMode.InverseTime) throw Err(col, "cannot use canned cycles in inverse time feed mode (G93)");
        CheckFeed(col, GName(motion));

        var (p1, p2, pn) = plane.Split(_pos);
        // LinuxCNC remembers the depth-axis position where a series of contiguous cycles began (its "initial
        // level"): G98 returns there, incremental R is measured from it, and while it is below R each block
        // first rises to R at the current position. Switching from one cycle to another (G81 -> G83) keeps
        // the level; any non-cycle motion (G0-G3, G80) ends the series. Checked against rs274 -g.
        if (!_cycleInitialLevelKnown) { _cycleOldZ = pn; _cycleInitialLevelKnown = true; }
        double initialLevel = _cycleOldZ;
        double r = incremental ? initialLevel + _cycleR : _cycleR;
        double bottom = incremental ? r + _cycleZ : _cycleZ;
        if (bottom > r) throw Err(col, $"R plane is below the bottom of the canned cycle (R {Fmt(r / _unit)}, bottom {Fmt(bottom / _unit)})");
        double clear = _retractToOldZ ? Math.Max(r, initialLevel) : r;

        char fl = plane switch { Plane.XY => 'x', Plane.XZ => 'z', _ => 'y' };
        char sl = plane switch { Plane.XY => 'y', Plane.XZ => 'x', _ => 'z' };
        double w1 = _block.Has(fl) ? _block.Get(fl) * _unit : (incremental ? 0 : p1);
        double w2 = _block.Has(sl) ? _block.Get(sl) * _unit : (incremental ? 0 : p2);

        var save = (_pathMode, _pathTolerance, _naiveTolerance);
        _out.Add(new PathControl(Loc(col), PathControlMode.ExactPath, 0, 0));

        double cur = pn;
        if (initialLevel < r)
        {
            Traverse(plane, p1, p2, r, col);
            cur = r;
        }
        // Holes are approached at the clearance height, or higher if the tool already is.
        double approach = Math.Max(cur, clear);
        double a = p1, b = p2;
        for (int i = 0; i < repeats; i++)
        {
            if (_block.HasPolar) (a, b) = PolarPoint(a, b, incremental);
            else if (incremental) { a += w1; b += w2; }
            else { a = w1; b = w2; }
            Traverse(plane, a, b, approach, col);
            if (approach != r) Traverse(plane, a, b, r, col);
            approach = clear;
            if (i == 0) CheckCycleSpindle(motion, col);
            switch (motion)
            {
                case 810:
                    Feed(plane, a, b, bottom, col);
                    Traverse(plane, a, b, clear, col);
                    break;
                case 820:
                    Feed(plane, a, b, bottom, col);
                    _out.Add(new Dwell(Loc(col), _cycleP));
                    Traverse(plane, a, b, clear, col);
                    break;
                case 730:
                case 830:
                    {
                        double delta = PeckClearance;
                        // A peck that lands on the bottom (within rounding: values arrive in mm from inch programs)
                        // is the final feed, not one more peck.
                        for (double d = r - _cycleQ; d > bottom + 1e-6; d -= _cycleQ)
                        {
                            Feed(plane, a, b, d, col);
                            if (motion == 830) { Traverse(plane, a, b, r, col); Traverse(plane, a, b, d + delta, col); }
                            else Traverse(plane, a, b, d + delta, col);
                        }
                        Feed(plane, a, b, bottom, col);
                        Traverse(plane, a, b, clear, col);
                        break;
                    }
                case 740:
                case 840:
                    {
                        // Floating-holder tapping: feed in, reverse the spindle (dwelling P, 0 unless given), feed out, restore.
                        var forward = motion == 840 ? SpindleDirection.Clockwise : SpindleDirection.CounterClockwise;
                        var reverse = motion == 840 ? SpindleDirection.CounterClockwise : SpindleDirection.Clockwise;
                        Feed(plane, a, b, bottom, col);
                        _out.Add(new SpindleStop(Loc(col)));
                        _out.Add(new SpindleStart(Loc(col), reverse, _spindleRpm));
                        _out.Add(new Dwell(Loc(col), _cycleP));
                        Feed(plane, a, b, clear, col);
                        _out.Add(new SpindleStop(Loc(col)));
                        _out.Add(new SpindleStart(Loc(col), forward, _spindleRpm));
                        break;
                    }
                case 850:
                    Feed(plane, a, b, bottom, col);
                    Feed(plane, a, b, r, col);
                    Traverse(plane, a, b, clear, col);   // LinuxCNC issues it even when it does not move (G99)
                    break;
                case 860:
                    Feed(plane, a, b, bottom, col);
                    _out.Add(new Dwell(Loc(col), _cycleP));
                    _out.Add(new SpindleStop(Loc(col)));
                    Traverse(plane, a, b, clear, col);
                    _out.Add(new SpindleStart(Loc(col), _spindleDir, _spindleRpm));
                    break;
                case 870:
                    {
                        // Back boring: I/J offset the tool sideways to pass through the hole, K is the start of the back bore.
                        char io = plane switch { Plane.XY => 'i', Plane.XZ => 'k', _ => 'j' };
                        char jo = plane switch { Plane.XY => 'j', Plane.XZ => 'i', _ => 'k' };
                        char ko = plane switch { Plane.XY => 'k', Plane.XZ => 'j', _ => 'i' };
                        // The first G87 of a series needs all three; repeats reuse the last value of each (as LinuxCNC).
                        if (i == 0)
                        {
                            foreach (char w in stackalloc[] { io, jo, ko })
                                if (!_block.Has(w) && _prevMotionMode != 870) throw Err(col, $"{char.ToUpperInvariant(w)} word missing with G87 back boring (it needs I, J and K)");
                            if (_block.Has(io)) _cycleI = _block.Get(io) * _unit;
                            if (_block.Has(jo)) _cycleJ = _block.Get(jo) * _unit;
                            if (_block.Has(ko)) _cycleK = _block.Get(ko) * _unit;
                        }
                        double oa = a + _cycleI, ob = b + _cycleJ;
                        double kz = incremental ? bottom + _cycleK : _cycleK;
                        Traverse(plane, oa, ob, r, col);
                        _out.Add(new SpindleStop(Loc(col)));
                        Traverse(plane, oa, ob, bottom, col);
                        Traverse(plane, a, b, bottom, col);
                        _out.Add(new SpindleStart(Loc(col), _spindleDir, _spindleRpm));
                        Feed(plane, a, b, kz, col);
                        Feed(plane, a, b, bottom, col);
                        _out.Add(new SpindleStop(Loc(col)));
                        Traverse(plane, oa, ob, bottom, col);
                        Traverse(plane, oa, ob, clear, col);
                        Traverse(plane, a, b, clear, col);
                        _out.Add(new SpindleStart(Loc(col), _spindleDir, _spindleRpm));
                        break;
                    }
                case 880:
                    Feed(plane, a, b, bottom, col);
                    _out.Add(new Dwell(Loc(col), _cycleP));
                    _out.Add(new SpindleStop(Loc(col)));
                    _out.Add(new ProgramStop(Loc(col), false));
                    _out.Add(new SpindleStart(Loc(col), _spindleDir, _spindleRpm));
                    break;
                case 890:
                    Feed(plane, a, b, bottom, col);
                    _out.Add(new Dwell(Loc(col), _cycleP));
                    Feed(plane, a, b, clear, col);
                    break;
            }
            cur = clear;
        }
        _pos = plane.Join(a, b, cur);
        _out.Add(new PathControl(Loc(col), save._pathMode, save._pathTolerance, save._naiveTolerance));
    }

    /// <summary>
    /// Tapping and the boring cycles that stop and restart the spindle need it turning, tapping in its own
    /// direction. LinuxCNC checks this once the tool stands over the first hole at R, so the approach is made first.
    /// </summary>
    private void CheckCycleSpindle(int motion, int col)
    {
        if (motion is 740 or 840 or 860 or 870 or 880 && _spindleDir == SpindleDirection.Off)
            throw Err(col, $"spindle not turning in {GName(motion)}" + (motion is 740 or 840 ? " tapping" : " boring"));
        if (motion == 840 && _spindleDir != SpindleDirection.Clockwise) throw Err(col, "G84 right-hand tapping needs the spindle turning clockwise (M3)");
        if (motion == 740 && _spindleDir != SpindleDirection.CounterClockwise) throw Err(col, "G74 left-hand tapping needs the spindle turning counterclockwise (M4)");
    }

    private double _cycleOldZ;
    private double _cycleI, _cycleJ, _cycleK;    // G87 offsets and back-bore start (mm), kept for repeats
    private bool _cycleInitialLevelKnown;

    private void Traverse(Plane plane, double a, double b, double n, int col) => EmitRapid(plane.Join(a, b, n), col);
    private void Feed(Plane plane, double a, double b, double n, int col) => EmitFeed(plane.Join(a, b, n), col);
}
