using CncTwin.Core;

namespace CncTwin.GCode;

// Canned cycles G73, G74, G81-G89 as LinuxCNC expands them (checked against rs274 -g). Everything is worked
// out in the active plane: "depth" is the plane's normal axis (Z in G17, Y in G18, X in G19).
public sealed partial class Interpreter
{
    // Retract used between pecks in G73 and above the last depth in G83: 0.010 inch (LinuxCNC's G83_RAPID_DELTA).
    private const double PeckClearance = 0.010 * 25.4;

    /// <summary>What LinuxCNC keeps from one canned-cycle block to the next.</summary>
    private sealed class CannedCycleState
    {
        public double R, Z, Q, P;        // the R plane, depth (along the plane's normal), peck (mm) and dwell (s) last given
        public bool HasR;
        public double I, J, K;           // G87 offsets and back-bore start (mm), kept for repeats
        public double InitialLevel;      // where the depth axis was when the series of cycles began
        public bool InitialLevelKnown;
    }

    /// <summary>One hole of a canned cycle: its place in the plane (A, B) and the levels along the plane's normal it works between (program coordinates, mm).</summary>
    private readonly record struct CycleHole(Plane Plane, double A, double B, double R, double Bottom, double Clear, int Column);

    private void ExecuteCycle(int motion, int col)
    {
        if (_comp.Side != 0) throw Err(col, "cannot use canned cycles with cutter radius compensation on");
        var plane = _modal.Plane;
        bool incremental = !_modal.Absolute;
        int repeats = ReadCycleWords(motion, plane, col);
        if (_modal.FeedMode == FeedRateMode.InverseTime) throw Err(col, "cannot use canned cycles in inverse time feed mode (G93)");
        CheckFeed(col, GName(motion));

        var (p1, p2, pn) = plane.Split(_pos);
        var (initialLevel, r, bottom, clear) = CycleLevels(pn, incremental, col);

        char fl = plane switch { Plane.XY => 'x', Plane.XZ => 'z', _ => 'y' };
        char sl = plane switch { Plane.XY => 'y', Plane.XZ => 'x', _ => 'z' };
        double w1 = _block.Has(fl) ? _block.Get(fl) * _modal.MmPerUnit : (incremental ? 0 : p1);
        double w2 = _block.Has(sl) ? _block.Get(sl) * _modal.MmPerUnit : (incremental ? 0 : p2);

        var save = (_modal.PathMode, _modal.PathTolerance, _modal.NaiveTolerance);
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
            var hole = new CycleHole(plane, a, b, r, bottom, clear, col);
            switch (motion)
            {
                case 810: case 820: DrillHole(hole, dwell: motion == 820); break;
                case 730: case 830: PeckDrillHole(hole, fullRetract: motion == 830); break;
                case 740: case 840: TapHole(hole, rightHand: motion == 840); break;
                case 850: BoreFeedOut(hole); break;
                case 860: BoreRapidOut(hole); break;
                case 870: BackBore(hole, firstHole: i == 0, incremental); break;
                case 880: BoreManualOut(hole); break;
                case 890: BoreDwellFeedOut(hole); break;
            }
            cur = clear;
        }
        _pos = plane.Join(a, b, cur);
        _out.Add(new PathControl(Loc(col), save.PathMode, save.PathTolerance, save.NaiveTolerance));
    }

    /// <summary>
    /// Takes the block's R, depth, P and Q words into the cycle state (a cycle repeated on later blocks may leave
    /// out the ones it had) and checks them; returns the L word, the number of holes.
    /// </summary>
    private int ReadCycleWords(int motion, Plane plane, int col)
    {
        char depthLetter = plane switch { Plane.XY => 'z', Plane.XZ => 'y', _ => 'x' };
        if (_block.Has('r')) { _cycle.R = _block.Get('r') * _modal.MmPerUnit; _cycle.HasR = true; }
        else if (!_cycle.HasR || _modal.PreviousMotion != motion) throw Err(col, "R clearance plane unspecified in canned cycle");
        if (_block.Has(depthLetter)) _cycle.Z = _block.Get(depthLetter) * _modal.MmPerUnit;
        else if (_modal.PreviousMotion != motion) throw Err(col, $"{char.ToUpperInvariant(depthLetter)} depth unspecified in canned cycle");
        if (_block.Has('p')) { _cycle.P = FanucAwareDwell(_block.Get('p')); if (_cycle.P < 0) throw Err(_block.Col('p'), "negative dwell P in canned cycle"); }
        if (_block.Has('q')) { _cycle.Q = _block.Get('q') * _modal.MmPerUnit; }
        if (motion is 730 or 830)
        {
            if (!_block.Has('q') && _modal.PreviousMotion != motion) throw Err(col, $"Q word missing with {GName(motion)}");
            if (_cycle.Q <= 0) throw Err(_block.Has('q') ? _block.Col('q') : col, $"{GName(motion)} needs a positive peck depth Q");
        }
        if (motion is 820 or 860 or 880 or 890 && !_block.Has('p') && _modal.PreviousMotion != motion)
            throw Err(col, $"{GName(motion)} needs a dwell time P");
        int repeats = 1;
        // Fanuc counts repeats with K (Haas and LinuxCNC with L); G87's K is its back-bore level.
        char repeatLetter = _fanuc && _block.Has('k') && motion != 870 ? 'k' : 'l';
        if (_block.Has(repeatLetter))
        {
            double l = _block.Get(repeatLetter);
            if (l < 0 || l != Math.Floor(l)) throw Err(_block.Col(repeatLetter), $"canned cycle {char.ToUpperInvariant(repeatLetter)} (repeats) must be a whole number >= 0");
            repeats = (int)l;
        }
        return repeats;
    }

    /// <summary>
    /// The levels along the depth axis the cycle works between, from the tool's depth-axis position
    /// <paramref name="depthNow"/>: the initial level, the R plane, the bottom and the clearance (retract) level.
    /// </summary>
    private (double InitialLevel, double R, double Bottom, double Clear) CycleLevels(double depthNow, bool incremental, int col)
    {
        // LinuxCNC remembers the depth-axis position where a series of contiguous cycles began (its "initial
        // level"): G98 returns there, incremental R is measured from it, and while it is below R each block
        // first rises to R at the current position. Switching from one cycle to another (G81 -> G83) keeps
        // the level; any non-cycle motion (G0-G3, G80) ends the series. Checked against rs274 -g.
        if (!_cycle.InitialLevelKnown) { _cycle.InitialLevel = depthNow; _cycle.InitialLevelKnown = true; }
        double initialLevel = _cycle.InitialLevel;
        double r = incremental ? initialLevel + _cycle.R : _cycle.R;
        double bottom = incremental ? r + _cycle.Z : _cycle.Z;
        if (bottom > r) throw Err(col, $"R plane is below the bottom of the canned cycle (R {Fmt(r / _modal.MmPerUnit)}, bottom {Fmt(bottom / _modal.MmPerUnit)})");
        double clear = _modal.RetractToOldZ ? Math.Max(r, initialLevel) : r;
        return (initialLevel, r, bottom, clear);
    }

    // ---- one hole of each cycle, from R at the hole back to the clearance level ------------------

    /// <summary>G81 drilling, G82 with a dwell at the bottom.</summary>
    private void DrillHole(in CycleHole h, bool dwell)
    {
        Feed(h, h.Bottom);
        if (dwell) _out.Add(new Dwell(Loc(h.Column), _cycle.P));
        Traverse(h, h.Clear);
    }

    /// <summary>G73 chip-breaking and G83 deep-hole peck drilling (which retracts to R after each peck).</summary>
    private void PeckDrillHole(in CycleHole h, bool fullRetract)
    {
        double delta = PeckClearance;
        // A peck that lands on the bottom (within rounding: values arrive in mm from inch programs)
        // is the final feed, not one more peck.
        for (double d = h.R - _cycle.Q; d > h.Bottom + 1e-6; d -= _cycle.Q)
        {
            Feed(h, d);
            if (fullRetract) { Traverse(h, h.R); Traverse(h, d + delta); }
            else Traverse(h, d + delta);
        }
        Feed(h, h.Bottom);
        Traverse(h, h.Clear);
    }

    /// <summary>G84 right-hand and G74 left-hand tapping.</summary>
    private void TapHole(in CycleHole h, bool rightHand)
    {
        // Floating-holder tapping: feed in, reverse the spindle (dwelling P, 0 unless given), feed out, restore.
        var forward = rightHand ? SpindleDirection.Clockwise : SpindleDirection.CounterClockwise;
        var reverse = rightHand ? SpindleDirection.CounterClockwise : SpindleDirection.Clockwise;
        Feed(h, h.Bottom);
        _out.Add(new SpindleStop(Loc(h.Column)));
        _out.Add(new SpindleStart(Loc(h.Column), reverse, _modal.SpindleRpm));
        _out.Add(new Dwell(Loc(h.Column), _cycle.P));
        Feed(h, h.Clear);
        _out.Add(new SpindleStop(Loc(h.Column)));
        _out.Add(new SpindleStart(Loc(h.Column), forward, _modal.SpindleRpm));
    }

    /// <summary>G85 boring: feed in, feed out to R.</summary>
    private void BoreFeedOut(in CycleHole h)
    {
        Feed(h, h.Bottom);
        Feed(h, h.R);
        Traverse(h, h.Clear);   // LinuxCNC issues it even when it does not move (G99)
    }

    /// <summary>G86 boring: feed in, dwell, stop the spindle, rapid out, restart it.</summary>
    private void BoreRapidOut(in CycleHole h)
    {
        Feed(h, h.Bottom);
        _out.Add(new Dwell(Loc(h.Column), _cycle.P));
        _out.Add(new SpindleStop(Loc(h.Column)));
        Traverse(h, h.Clear);
        _out.Add(new SpindleStart(Loc(h.Column), _modal.Spindle, _modal.SpindleRpm));
    }

    /// <summary>G87 back boring.</summary>
    private void BackBore(in CycleHole h, bool firstHole, bool incremental)
    {
        // Back boring: I/J offset the tool sideways to pass through the hole, K is the start of the back bore.
        char io = h.Plane switch { Plane.XY => 'i', Plane.XZ => 'k', _ => 'j' };
        char jo = h.Plane switch { Plane.XY => 'j', Plane.XZ => 'i', _ => 'k' };
        char ko = h.Plane switch { Plane.XY => 'k', Plane.XZ => 'j', _ => 'i' };
        // The first G87 of a series needs all three; repeats reuse the last value of each (as LinuxCNC).
        if (firstHole)
        {
            foreach (char w in stackalloc[] { io, jo, ko })
                if (!_block.Has(w) && _modal.PreviousMotion != 870) throw Err(h.Column, $"{char.ToUpperInvariant(w)} word missing with G87 back boring (it needs I, J and K)");
            if (_block.Has(io)) _cycle.I = _block.Get(io) * _modal.MmPerUnit;
            if (_block.Has(jo)) _cycle.J = _block.Get(jo) * _modal.MmPerUnit;
            if (_block.Has(ko)) _cycle.K = _block.Get(ko) * _modal.MmPerUnit;
        }
        var aside = h with { A = h.A + _cycle.I, B = h.B + _cycle.J };   // the tool off the hole's axis
        double kz = incremental ? h.Bottom + _cycle.K : _cycle.K;
        Traverse(aside, h.R);
        _out.Add(new SpindleStop(Loc(h.Column)));
        Traverse(aside, h.Bottom);
        Traverse(h, h.Bottom);
        _out.Add(new SpindleStart(Loc(h.Column), _modal.Spindle, _modal.SpindleRpm));
        Feed(h, kz);
        Feed(h, h.Bottom);
        _out.Add(new SpindleStop(Loc(h.Column)));
        Traverse(aside, h.Bottom);
        Traverse(aside, h.Clear);
        Traverse(h, h.Clear);
        _out.Add(new SpindleStart(Loc(h.Column), _modal.Spindle, _modal.SpindleRpm));
    }

    /// <summary>G88 boring: feed in, dwell, stop the spindle and the program (the operator takes the tool out), restart.</summary>
    private void BoreManualOut(in CycleHole h)
    {
        Feed(h, h.Bottom);
        _out.Add(new Dwell(Loc(h.Column), _cycle.P));
        _out.Add(new SpindleStop(Loc(h.Column)));
        _out.Add(new ProgramStop(Loc(h.Column), false));
        _out.Add(new SpindleStart(Loc(h.Column), _modal.Spindle, _modal.SpindleRpm));
    }

    /// <summary>G89 boring: feed in, dwell, feed out.</summary>
    private void BoreDwellFeedOut(in CycleHole h)
    {
        Feed(h, h.Bottom);
        _out.Add(new Dwell(Loc(h.Column), _cycle.P));
        Feed(h, h.Clear);
    }

    /// <summary>
    /// Tapping and the boring cycles that stop and restart the spindle need it turning, tapping in its own
    /// direction. LinuxCNC checks this once the tool stands over the first hole at R, so the approach is made first.
    /// </summary>
    private void CheckCycleSpindle(int motion, int col)
    {
        if (motion is 740 or 840 or 860 or 870 or 880 && _modal.Spindle == SpindleDirection.Off)
            throw Err(col, $"spindle not turning in {GName(motion)}" + (motion is 740 or 840 ? " tapping" : " boring"));
        if (motion == 840 && _modal.Spindle != SpindleDirection.Clockwise) throw Err(col, "G84 right-hand tapping needs the spindle turning clockwise (M3)");
        if (motion == 740 && _modal.Spindle != SpindleDirection.CounterClockwise) throw Err(col, "G74 left-hand tapping needs the spindle turning counterclockwise (M4)");
    }

    private void Traverse(Plane plane, double a, double b, double n, int col) => EmitRapid(plane.Join(a, b, n), col);
    private void Feed(Plane plane, double a, double b, double n, int col) => EmitFeed(plane.Join(a, b, n), col);
    private void Traverse(in CycleHole h, double n) => Traverse(h.Plane, h.A, h.B, n, h.Column);
    private void Feed(in CycleHole h, double n) => Feed(h.Plane, h.A, h.B, n, h.Column);
}
