using System.Globalization;
using CncTwin.Core;

namespace CncTwin.GCode;

// Executing one block in LinuxCNC's documented order of execution.
public sealed partial class Interpreter
{
    private static int GGroup(int code) => code switch
    {
        40 or 100 or 280 or 281 or 300 or 301 or 520 or 530 or 920 or 921 or 922 or 923 => 0,
        0 or 10 or 20 or 30 or 50 or 51 or 52 or 330 or 331 or 382 or 383 or 384 or 385 or 730 or 740 or 760
            or 800 or 810 or 820 or 830 or 840 or 850 or 860 or 870 or 880 or 890 or 741 or 742 => 1,
        170 or 180 or 190 or 171 or 181 or 191 => 2,
        900 or 910 => 3,
        901 or 911 => 4,
        930 or 940 or 950 => 5,
        200 or 210 => 6,
        400 or 410 or 411 or 420 or 421 => 7,
        430 or 431 or 432 or 490 => 8,
        980 or 990 => 10,
        540 or 550 or 560 or 570 or 580 or 590 or 591 or 592 or 593 => 12,
        610 or 611 or 640 => 13,
        960 or 970 => 14,
        70 or 80 => 15,
        _ => -1,
    };

    private static int MGroup(int code) => code switch
    {
        0 or 1 or 2 or 30 or 60 or 99 => 4,
        62 or 63 or 64 or 65 => 5,
        6 or 61 => 6,
        3 or 4 or 5 or 19 => 7,
        7 or 8 or 9 => 8,
        48 or 49 or 50 or 51 or 52 or 53 => 9,
        66 or 67 or 68 or 70 or 71 or 72 or 73 or 98 => 10,
        >= 100 and <= 199 => 10,
        _ => -1,
    };

    private static string GName(int code) => code % 10 == 0 ? $"G{code / 10}" : $"G{code / 10}.{code % 10}";

    private void ApplyAssignments()
    {
        foreach (var (index, name, value, col) in _block.Assignments)
        {
            if (name != null)
            {
                // LinuxCNC's predefined names mirror interpreter state; a program cannot write them.
                if (IsPredefinedNamed(name)) throw Err(col, $"cannot assign to read-only parameter #<{name}>");
                _params.SetNamed(name, value);
            }
            else _params.SetNumbered(index, value, this);
        }
    }

    private void ExecuteBlock()
    {
        // LinuxCNC applies all parameter settings of a line after reading it, before executing it.
        ApplyAssignments();
        if (_block.OKeyword != OWordKeyword.None) { ExecuteOWord(); return; }
        if (_block.Fanuc != FanucStatement.None) { ExecuteFanucStatement(); return; }
        // G65's letters are the macro's arguments, not words of this block.
        if (_fanuc && _block.GCodes.Exists(g => g.Code == 650)) { CallMacro(_block.GCodes.Find(g => g.Code == 650).Column); return; }

        // The block's G- and M-codes by modal group (-1: none from that group on the line), and their columns.
        Span<int> g = stackalloc int[16];
        Span<int> gCol = stackalloc int[16];
        Span<int> m = stackalloc int[12];
        Span<int> mCol = stackalloc int[12];
        GroupGCodes(g, gCol);
        GroupMCodes(m, mCol);
        CheckBlock(g, gCol, m, mCol);

        // LinuxCNC's order of execution:
        ConvertComment();                                                  // 1. comments and messages
        if (g[5] >= 0) ConvertFeedMode(g[5]);                              // 2. feed rate mode
        if (_block.Has('f')) ConvertFeedRate(UnitFor(g));                  // 3. feed rate
        if (_block.Has('s')) ConvertSpindleSpeed();                        // 4. spindle speed
        if (_block.Has('t')) ConvertToolSelect();                          // 5. tool select
        if (m[6] == 6) ConvertToolChange(mCol[6]);                         // 6. tool change
        else if (m[6] == 61) ConvertSetCurrentTool(mCol[6]);
        if (m[7] >= 0) ConvertSpindleControl(m[7], mCol[7]);               // 7. spindle
        if (m[8] >= 0) ConvertCoolant(m[8], mCol[8]);                      // 8. coolant
        if (g[0] == 40) ConvertDwell(gCol[0]);                             // 9. dwell
        if (g[2] >= 0) ConvertPlane(g[2], gCol[2]);                        // 10. plane
        if (g[6] >= 0) ConvertLengthUnits(g[6]);                           // 11. units
        if (g[7] >= 0) ConvertCutterComp(g[7], gCol[7]);                   // 12. cutter radius compensation
        if (g[8] >= 0) ConvertToolLengthOffset(g[8], gCol[8]);             // 13. tool length offset
        if (g[12] >= 0) ConvertCoordinateSystem(g[12], gCol[12]);          // 14. coordinate system
        if (g[13] >= 0) ConvertPathControl(g[13], gCol[13]);               // 15. path control
        if (g[3] >= 0) ConvertDistanceMode(g[3]);                          // 16. distance modes
        if (g[4] >= 0) ConvertArcDistanceMode(g[4]);
        if (g[10] >= 0) ConvertRetractMode(g[10]);                         // 17. retract mode
        RefuseLatheModes(g[14], gCol[14], g[15], gCol[15]);
        // 18. home, offsets, G53
        // G43.1 takes its axis words as the dynamic tool length, so they are not a move.
        bool axesUsedByGroup0 = g[8] == 431 || (_fanuc && g[0] == 40 && _block.Has('x'));
        if (g[0] >= 0 && g[0] != 40 && g[0] != 530)
        {
            axesUsedByGroup0 = true;
            ConvertNonModal(g[0], gCol[0]);
        }
        ConvertMotion(g[1], gCol[1], g53: g[0] == 530, axesUsedByGroup0);  // 19. motion
        // 20. Fanuc subprogram call / return and program stops. The call happens after the modal settings of its line.
        if (m[10] == 98) CallFanucSub(mCol[10]);
        else if (m[4] >= 0) ConvertStop(m[4], mCol[4]);
    }

    /// <summary>Sorts the block's G-codes into their modal groups, refusing unknown codes and two from one group.</summary>
    private void GroupGCodes(Span<int> g, Span<int> gCol)
    {
        g.Fill(-1);
        foreach (var (code, col) in _block.GCodes)
        {
            int grp = GGroup(code);
            if (grp < 0) throw Err(col, $"{GName(code)} is not a G-code this controller knows");
            if (g[grp] >= 0)
            {
                // LinuxCNC lets G80 share a line with another motion code, which then wins.
                if (grp == 1 && code == 800) continue;
                if (!(grp == 1 && g[grp] == 800)) throw Err(col, $"two G-codes from the same modal group on one line ({GName(g[grp])} and {GName(code)})");
            }
            g[grp] = code; gCol[grp] = col;
        }
    }

    /// <summary>Sorts the block's M-codes into their modal groups, refusing unknown and user-defined codes and two from one group.</summary>
    private void GroupMCodes(Span<int> m, Span<int> mCol)
    {
        m.Fill(-1);
        if (_block.MCodes.Count > 5) throw Err(_block.MCodes[5].Column, "too many M-codes on one line");
        foreach (var (code, col) in _block.MCodes)
        {
            int grp = MGroup(code);
            if (grp < 0) throw Err(col, $"M{code} is not an M-code this controller knows");
            if (code >= 100) throw Err(col, $"M{code}: user-defined M-codes run external programs and are not supported");
            if (m[grp] >= 0 && grp != 10) throw Err(col, $"two M-codes from the same modal group on one line (M{m[grp]} and M{code})");
            m[grp] = code; mCol[grp] = col;
        }
    }

    private void ConvertComment()
    {
        if (_block.MessageText != null) _out.Add(new Message(Loc(), _block.MessageText.Trim(), false));
        else if (_block.CommentText != null && _opt.EmitComments) _out.Add(new Message(Loc(), _block.CommentText, true));
    }

    private void ConvertFeedMode(int code)
    {
        var mode = code switch { 930 => FeedRateMode.InverseTime, 950 => FeedRateMode.UnitsPerRevolution, _ => FeedRateMode.UnitsPerMinute };
        // LinuxCNC sets the feed rate to 0 on every G93, G94 or G95 word, a change of mode or not: a feed move
        // needs an F after it (G93 needs one on every feed move anyway).
        _modal.FeedRate = 0;
        _modal.FeedMode = mode;
    }

    /// <summary>F, read in the units of its line (<paramref name="mmPerUnit"/>: a G20/G21 on the line applies already).</summary>
    private void ConvertFeedRate(double mmPerUnit)
    {
        double f = _block.Get('f');
        if (f < 0) throw Err(_block.Col('f'), "negative feed rate F");
        _modal.FeedRate = _modal.FeedMode == FeedRateMode.InverseTime ? f : f * mmPerUnit;
        _out.Add(new SetFeedRate(Loc(_block.Col('f')), _modal.FeedMode == FeedRateMode.InverseTime ? f : _modal.FeedRate, _modal.FeedMode));
    }

    private void ConvertSpindleSpeed()
    {
        double s = _block.Get('s');
        if (s < 0) throw Err(_block.Col('s'), "negative spindle speed S");
        _modal.SpindleRpm = s;
        _out.Add(new SetSpindleSpeed(Loc(_block.Col('s')), s));
    }

    private void ConvertToolSelect()
    {
        double t = _block.Get('t');
        if (t < 0 || t != Math.Floor(t) || t > int.MaxValue) throw Err(_block.Col('t'), "tool number T must be a whole number >= 0");
        // With a tool table loaded, a tool that is not in it is an error at the T word, as on LinuxCNC.
        // Without one (a bare interpretation) any tool is accepted, with zero offsets.
        if (t != 0 && LookUpTool((int)t) == null)
            throw Err(_block.Col('t'), $"requested tool {(int)t} is not in the tool table");
        _modal.SelectedTool = (int)t;
        _out.Add(new SelectTool(Loc(_block.Col('t')), _modal.SelectedTool));
    }

    /// <summary>
    /// A tool's table entry. With a table loaded, a tool not in it is null (an error where LinuxCNC errs). With no
    /// table (none given, none beside the program: a bare interpretation) every tool exists, with zero length
    /// and diameter, so a program's G43 H / D / T words run.
    /// </summary>
    private ToolEntry? LookUpTool(int number) =>
        _opt.Tools.Get(number) ?? (_anyToolAccepted ? new ToolEntry(number, 0, Vec3.Zero, 0, "") : null);

    /// <summary>M6: the selected tool goes into the spindle.</summary>
    private void ConvertToolChange(int col)
    {
        FlushComp();
        if (_comp.Side != 0) throw Err(col, "cannot change tools with cutter radius compensation on");
        if (_modal.Spindle != SpindleDirection.Off) { _modal.Spindle = SpindleDirection.Off; _out.Add(new SpindleStop(Loc(col))); }
        _modal.ToolInSpindle = _modal.SelectedTool;
        if (_opt.ToolChangeAtMachineZ0)
        {
            // The changer lifts the spindle to machine Z0 as part of M6 (its time is the tool-change time):
            // the next move starts from there.
            var here = ToMachine(_pos);
            _machineLast = new Vec3(here.X, here.Y, -_offsets.ToolLength.Z);
            _pos = FromMachine(_machineLast);
        }
        _out.Add(new ToolChange(Loc(col), _modal.ToolInSpindle));
        _rereadPositionBeforeNextLine = true;
    }

    /// <summary>M61 Q: tells the control which tool is in the spindle, without a change.</summary>
    private void ConvertSetCurrentTool(int col)
    {
        if (!_block.Has('q')) throw Err(col, "M61 needs a Q word (tool number)");
        double q = _block.Get('q');
        if (q < 0 || q != Math.Floor(q)) throw Err(_block.Col('q'), "M61 Q must be a whole tool number");
        _modal.ToolInSpindle = _modal.SelectedTool = (int)q;
        _out.Add(new ToolChange(Loc(col), _modal.ToolInSpindle));
        _rereadPositionBeforeNextLine = true;   // as after M6
    }

    /// <summary>M3, M4, M5 (M19, spindle orient, has no effect here).</summary>
    private void ConvertSpindleControl(int code, int col)
    {
        if (code is 3 or 4)
        {
            _modal.Spindle = code == 3 ? SpindleDirection.Clockwise : SpindleDirection.CounterClockwise;
            _out.Add(new SpindleStart(Loc(col), _modal.Spindle, _modal.SpindleRpm));
        }
        else if (code == 5)
        {
            _modal.Spindle = SpindleDirection.Off;
            _out.Add(new SpindleStop(Loc(col)));
        }
    }

    private void ConvertCoolant(int code, int col)
    {
        if (code == 7) _modal.Mist = true; else if (code == 8) _modal.Flood = true; else { _modal.Mist = _modal.Flood = false; }
        _out.Add(new Coolant(Loc(col), _modal.Mist, _modal.Flood));
    }

    private void ConvertDwell(int col)
    {
        if (_fanuc && _block.Has('x') && !_block.Has('p'))
        {
            // Fanuc G4 X: seconds.
            double x = _block.Get('x');
            if (x < 0) throw Err(_block.Col('x'), "negative dwell time");
            FlushComp();
            _out.Add(new Dwell(Loc(col), x));
            return;
        }
        if (!_block.Has('p')) throw Err(col, _fanuc ? "G4 dwell needs a P word (ms) or an X word (s)" : "G4 dwell needs a P word (seconds)");
        double p = FanucAwareDwell(_block.Get('p'));
        if (p < 0) throw Err(_block.Col('p'), "negative dwell time");
        FlushComp();
        _out.Add(new Dwell(Loc(col), p));
    }

    /// <summary>A P dwell in seconds: Fanuc writes milliseconds without a decimal point ("P500" = 0.5 s), seconds with one.</summary>
    private double FanucAwareDwell(double p) => _fanuc && !_block.PHasDecimalPoint ? p / 1000 : p;

    private void ConvertPlane(int code, int col)
    {
        var plane = code switch { 170 => Plane.XY, 180 => Plane.XZ, 190 => Plane.YZ, _ => throw Err(col, $"{GName(code)} (UVW planes) is not supported") };
        if (plane != _modal.Plane && _comp.Side != 0) throw Err(col, "cannot change planes with cutter radius compensation on");
        _modal.Plane = plane;
    }

    private void ConvertLengthUnits(int code) => _modal.MmPerUnit = code == 200 ? 25.4 : 1.0;

    private void ConvertCoordinateSystem(int code, int col)
    {
        int cs = code switch { 540 => 1, 550 => 2, 560 => 3, 570 => 4, 580 => 5, 590 => 6, 591 => 7, 592 => 8, _ => 9 };
        if (_comp.Side != 0) throw Err(col, "cannot change coordinate systems with cutter radius compensation on");
        ChangeOffsetsKeepingMachinePosition(() => _offsets.CoordSystem = cs);
    }

    private void ConvertPathControl(int code, int col)
    {
        FlushCompIfPending();
        if (code == 610) { _modal.PathMode = PathControlMode.ExactPath; }
        else if (code == 611) { _modal.PathMode = PathControlMode.ExactStop; }
        else
        {
            _modal.PathMode = PathControlMode.Continuous;
            _modal.PathTolerance = _block.Has('p') ? _block.Get('p') * _modal.MmPerUnit : 0;
            _modal.NaiveTolerance = _block.Has('q') ? _block.Get('q') * _modal.MmPerUnit : _modal.PathTolerance;
            if (_modal.PathTolerance < 0) throw Err(_block.Col('p'), "G64 P tolerance must not be negative");
        }
        _out.Add(new PathControl(Loc(col), _modal.PathMode, _modal.PathTolerance, _modal.NaiveTolerance));
    }

    private void ConvertDistanceMode(int code) => _modal.Absolute = code == 900;

    private void ConvertArcDistanceMode(int code) => _modal.ArcCentersAbsolute = code == 901;

    private void ConvertRetractMode(int code) => _modal.RetractToOldZ = code == 980;

    /// <summary>G96 (constant surface speed) and G7/G8 (diameter/radius mode) belong to lathes.</summary>
    private void RefuseLatheModes(int spindleMode, int spindleModeCol, int latheMode, int latheModeCol)
    {
        if (spindleMode == 960) throw Err(spindleModeCol, "G96 constant surface speed is a lathe mode and is not supported");
        if (latheMode >= 0) throw Err(latheModeCol, $"{GName(latheMode)} (lathe diameter/radius mode) is not supported on a mill");
    }

    /// <summary>
    /// The motion mode (group 1) and a move in it: <paramref name="code"/> is the block's motion code (-1 for
    /// none: the modal one moves if the block has axis words).
    /// </summary>
    private void ConvertMotion(int code, int col, bool g53, bool axesUsedByGroup0)
    {
        int motion = code >= 0 ? code : _modal.Motion;
        _modal.PreviousMotion = _modal.Motion;
        if (code >= 0) _modal.Motion = code;
        // A block without a motion code moves only if it has axis words (G53 alone does nothing).
        if (!axesUsedByGroup0 && (code >= 0 || _block.HasAxis))
            ExecuteMotion(motion, code >= 0 ? col : FirstAxisColumn(), g53, code >= 0);
    }

    private double UnitFor(Span<int> g) => g[6] >= 0 ? (g[6] == 200 ? 25.4 : 1.0) : _modal.MmPerUnit;

    private int FirstAxisColumn()
    {
        int col = int.MaxValue;
        foreach (char c in "xyzabcuvw") if (_block.Has(c)) col = Math.Min(col, _block.Col(c));
        return col == int.MaxValue ? 1 : col;
    }

    /// <summary>Word-usage checks in the spirit of LinuxCNC's: every word must have a code that uses it.</summary>
    private void CheckBlock(Span<int> g, Span<int> gCol, Span<int> m, Span<int> mCol)
    {
        // Say "not supported" before complaining about the words such a G-code would have used.
        if (g[1] >= 0 && g[1] is 50 or 51 or 52 or 330 or 331 or 760 or 741 or 742)
            throw Err(gCol[1], $"{GName(g[1])} is not supported by this interpreter (splines, spindle-synchronised and lathe cycles)");
        int motion = g[1] >= 0 ? g[1] : _modal.Motion;
        bool motionOnLine = g[1] >= 0;
        // Fanuc's G4 X is the dwell in seconds, not a move.
        bool g0UsesAxes = g[0] is 100 or 280 or 300 or 520 or 920 || (_fanuc && g[0] == 40);
        if (g0UsesAxes && motionOnLine && g[1] != 800 && _block.HasAxis)
            throw Err(gCol[0], $"cannot use two G-codes that both use axis values ({GName(g[0])} and {GName(g[1])})");
        if (_block.HasAxis && !g0UsesAxes && g[0] != 530)
        {
            if (motion == 800 && motionOnLine) throw Err(FirstAxisColumn(), "cannot use axis values with G80");
            if (motion == 800) throw Err(FirstAxisColumn(), "cannot use axis values without a G-code that uses them (no motion mode active)");
        }
        if (g[0] == 530 && motionOnLine && g[1] is not (0 or 10)) throw Err(gCol[0], "G53 can only be used with G0 or G1");
        if (g[0] == 530 && !motionOnLine && motion is not (0 or 10) && _block.HasAxis) throw Err(gCol[0], "G53 can only be used with G0 or G1");
        bool arcMotion = (motionOnLine || _block.HasAxis) && motion is 20 or 30;
        bool cycle = (motionOnLine || _block.HasAxis) && motion is 730 or 740 or 810 or 820 or 830 or 840 or 850 or 860 or 870 or 880 or 890;
        foreach (char c in "ijk")
            if (_block.Has(c) && !(arcMotion || (cycle && motion == 870) || g[0] == 100 || (_fanuc && c == 'k' && cycle)))
                throw Err(_block.Col(c), $"{char.ToUpperInvariant(c)} word with no G2 or G3 to use it");
        if (_block.Has('r') && !(arcMotion || cycle || g[0] == 100))
            throw Err(_block.Col('r'), "R word with no G-code that uses it");
        bool io = m[5] >= 0 || m[10] is 66 or 67 or 68;   // digital / analog I/O: accepted, no motion effect
        if (_block.Has('e') && !(m[10] is 66 or 67 or 68))
            throw Err(_block.Col('e'), "E word with no M66, M67 or M68 to use it");
        if (_block.Has('p') && !(io || arcMotion || g[0] == 40 || g[0] == 100 || g[13] == 640 || (cycle && motion is 740 or 820 or 840 or 860 or 880 or 890) || m[10] == 98 || m[4] == 99 || g[7] is 411 or 421))
            throw Err(_block.Col('p'), "P word with no G2, G3, G4, G10, G64, G74, G82, G84, G86, G88, G89 or M98 to use it");
        if (_block.Has('q') && !(io || g[13] == 640 || (cycle && motion is 730 or 830) || m[6] == 61))
            throw Err(_block.Col('q'), "Q word with no G64, G73, G83 or M61 to use it");
        // LinuxCNC 2.9 takes no L (repeats) with G74: it refuses the word there as it does elsewhere.
        if (_block.Has('l') && !(io || (cycle && motion != 740) || g[0] == 100 || m[10] == 98))
            throw Err(_block.Col('l'), "L word with no G10, canned cycle (G74 excepted) or M98 to use it");
        if (_block.Has('d') && g[7] is not (410 or 420 or 411 or 421))
            throw Err(_block.Col('d'), "D word with no G41 or G42 to use it");
        if (_block.Has('h') && g[8] is not (430 or 432))
            throw Err(_block.Col('h'), "H word with no G43 to use it");
        if (g[0] == 100 && !_block.Has('l')) throw Err(gCol[0], "G10 needs an L word (L1, L2, L10, L11 or L20)");
        foreach (char c in "uvw") if (_block.Has(c)) throw Err(_block.Col(c), $"bad character '{c}': the {char.ToUpperInvariant(c)} axis is not configured on this machine");
        if ((_block.Has('@') || _block.Has('^')) && (_block.Has('x') || _block.Has('y')))
            throw Err(_block.Has('@') ? _block.PolarColumn : _block.AngleColumn, "cannot mix polar (@ ^) and X Y words on one line");
    }

    private void ConvertStop(int code, int col)
    {
        switch (code)
        {
            case 0: FlushComp(); _out.Add(new ProgramStop(Loc(col), false)); break;
            case 1: FlushComp(); _out.Add(new ProgramStop(Loc(col), true)); break;
            case 60: FlushComp(); _out.Add(new ProgramStop(Loc(col), false)); break;
            case 99: ReturnFanucSub(col); break;
            default: // M2, M30
                FlushComp();
                ProgramEndReset();
                _out.Add(new ProgramEnd(Loc(col)));
                _ended = true;
                break;
        }
    }

    /// <summary>M2/M30 resets (RS274/NGC): G54, G17, G90, G94, G40, G80, spindle and coolant off.</summary>
    private void ProgramEndReset()
    {
        if (_modal.Spindle != SpindleDirection.Off) { _modal.Spindle = SpindleDirection.Off; _out.Add(new SpindleStop(Loc())); }
        if (_modal.Mist || _modal.Flood) { _modal.Mist = _modal.Flood = false; _out.Add(new Coolant(Loc(), false, false)); }
        _modal.Motion = 800;
        _comp.Side = 0;
    }

    private void ConvertToolLengthOffset(int code, int col)
    {
        FlushCompIfPending();
        var before = _offsets.ToolLength;
        switch (code)
        {
            case 490: _offsets.ToolLength = Vec3.Zero; break;
            case 430:
                {
                    int h = _modal.ToolInSpindle;
                    if (_block.Has('h'))
                    {
                        double hv = _block.Get('h');
                        if (hv < 0 || hv != Math.Floor(hv)) throw Err(_block.Col('h'), "H word must be a whole tool number >= 0");
                        h = (int)hv;
                    }
                    var t = LookUpTool(h);
                    if (t == null && h != 0) throw Err(_block.Has('h') ? _block.Col('h') : col, $"tool {h} is not in the tool table (G43)");
                    _offsets.ToolLength = t?.Offset ?? Vec3.Zero;
                    break;
                }
            case 431:
                _offsets.ToolLength = new Vec3(Axis('x', 0) , Axis('y', 0), Axis('z', 0));
                break;
            case 432:
                {
                    if (!_block.Has('h')) throw Err(col, "G43.2 needs an H word");
                    var t = LookUpTool((int)_block.Get('h')) ?? throw Err(_block.Col('h'), $"tool {(int)_block.Get('h')} is not in the tool table (G43.2)");
                    _offsets.ToolLength += t.Offset;
                    break;
                }
        }
        // The spindle does not move when the offset changes, so the tool tip (our frame) moves by the change.
        _pos -= _offsets.ToolLength - before;
        _machineLast = ToMachine(_pos);
        _out.Add(new ToolLengthOffset(Loc(col), _offsets.ToolLength));
    }

    private double Axis(char c, double fallback) => _block.Has(c) ? _block.Get(c) * _modal.MmPerUnit : fallback;

    // ---- system parameters ---------------------------------------------------------------------

    internal bool TryGetSystemParameter(int index, out double value)
    {
        if (_fanuc && TryGetFanucSystemVariable(index, out value)) return true;
        value = 0;
        double u = _modal.MmPerUnit;
        // G28/G30 positions are kept in mm and read in the program's units, so a G20/G21 switch between G28.1
        // and G28 does not move the stored point.
        if (index is >= 5161 and <= 5163 or >= 5181 and <= 5183) { value = _params.RawNumbered(index) / u; return true; }
        if (index == 5210) { value = _offsets.G92Enabled ? 1 : 0; return true; }
        if (index >= 5211 && index <= 5213) { value = Comp(_offsets.G92, index - 5211) / u; return true; }
        if (index == 5220) { value = _offsets.CoordSystem; return true; }
        if (index >= 5221 && index <= 5390)
        {
            int cs = (index - 5201) / 20, k = (index - 5201) % 20;
            if (k < 3) { value = Comp(_offsets.WorkOffset[cs], k) / u; return true; }
            if (k == 9) { value = _offsets.XyRotation[cs]; return true; }
            return false;
        }
        if (index == 5400) { value = _modal.ToolInSpindle; return true; }
        if (index >= 5401 && index <= 5403) { value = Comp(_offsets.ToolLength, index - 5401) / u; return true; }
        if (index == 5410) { value = (_opt.Tools.Get(_modal.ToolInSpindle)?.DiameterMm ?? 0) / u; return true; }
        if (index >= 5420 && index <= 5422) { value = Comp(_pos, index - 5420) / u; return true; }
        return false;
    }

    internal bool TrySetSystemParameter(int index, double value)
    {
        if (_fanuc && TrySetFanucSystemVariable(index, value)) return true;
        if (index is >= 5161 and <= 5163 or >= 5181 and <= 5183) { _params.SetRawNumbered(index, value * _modal.MmPerUnit); return true; }
        if (index >= 5221 && index <= 5390)
        {
            int cs = (index - 5201) / 20, k = (index - 5201) % 20;
            if (k < 3)
            {
                var o = _offsets.WorkOffset[cs];
                double v = value * _modal.MmPerUnit;
                o = k == 0 ? o with { X = v } : k == 1 ? o with { Y = v } : o with { Z = v };
                if (cs == _offsets.CoordSystem) ChangeOffsetsKeepingMachinePosition(() => _offsets.WorkOffset[cs] = o);
                else _offsets.WorkOffset[cs] = o;
                return true;
            }
            if (k == 9) { _offsets.XyRotation[cs] = value; return true; }
        }
        return index is 5210 or 5211 or 5212 or 5213 or 5220 or 5400 or 5401 or 5402 or 5403 or 5410 or 5420 or 5421 or 5422;
    }

    private static double Comp(Vec3 v, int k) => k == 0 ? v.X : k == 1 ? v.Y : v.Z;

    private bool IsPredefinedNamed(string name) => name is "_value" or "_value_returned" || TryGetSystemNamed(name, out _);

    internal bool TryGetSystemNamed(string name, out double value)
    {
        value = 0;
        switch (name)
        {
            case "_x": value = _pos.X / _modal.MmPerUnit; return true;
            case "_y": value = _pos.Y / _modal.MmPerUnit; return true;
            case "_z": value = _pos.Z / _modal.MmPerUnit; return true;
            case "_metric": value = _modal.MmPerUnit == 1 ? 1 : 0; return true;
            case "_imperial": value = _modal.MmPerUnit == 1 ? 0 : 1; return true;
            case "_modal.Absolute": value = _modal.Absolute ? 1 : 0; return true;
            case "_incremental": value = _modal.Absolute ? 0 : 1; return true;
            case "_feed": value = _modal.FeedMode == FeedRateMode.InverseTime ? _modal.FeedRate : _modal.FeedRate / _modal.MmPerUnit; return true;
            case "_rpm": value = _modal.SpindleRpm; return true;
            case "_current_tool": value = _modal.ToolInSpindle; return true;
            case "_selected_tool": value = _modal.SelectedTool; return true;
            case "_coord_system": value = _offsets.CoordSystem <= 6 ? 530 + 10 * _offsets.CoordSystem : 590 + (_offsets.CoordSystem - 6); return true;
            case "_motion_mode": value = _modal.Motion / 10.0; return true;
            case "_modal.Plane": value = _modal.Plane == Plane.XY ? 170 : _modal.Plane == Plane.XZ ? 180 : 190; return true;
            case "_call_level": value = _flow.CallStack.Count; return true;
            case "_line": value = _block.Line; return true;
            case "_ccomp": value = _comp.Side == 0 ? 400 : _comp.Side > 0 ? 410 : 420; return true;
            case "_inverse_time": value = _modal.FeedMode == FeedRateMode.InverseTime ? 1 : 0; return true;
            case "_units_per_minute": value = _modal.FeedMode == FeedRateMode.UnitsPerMinute ? 1 : 0; return true;
            case "_units_per_rev": value = _modal.FeedMode == FeedRateMode.UnitsPerRevolution ? 1 : 0; return true;
            case "_tool_offset": value = _offsets.ToolLength == Vec3.Zero ? 0 : 1; return true;
            case "_retract_r": value = _modal.RetractToOldZ ? 0 : 1; return true;
            case "_retract_old": value = _modal.RetractToOldZ ? 1 : 0; return true;
            case "_spindle_on": value = _modal.Spindle == SpindleDirection.Off ? 0 : 1; return true;
            case "_spindle_cw": value = _modal.Spindle == SpindleDirection.Clockwise ? 1 : 0; return true;
            case "_modal.Mist": value = _modal.Mist ? 1 : 0; return true;
            case "_modal.Flood": value = _modal.Flood ? 1 : 0; return true;
            // A twin runs the program as written: overrides enabled (M48) and no feed hold or adaptive feed.
            case "_speed_override" or "_feed_override" or "_feed_hold": value = 1; return true;
            case "_adaptive_feed": value = 0; return true;
            case "_a" or "_b" or "_c" or "_u" or "_v" or "_w": value = 0; return true;
            case "_abs_x": value = _machineLast.X / _modal.MmPerUnit; return true;
            case "_abs_y": value = _machineLast.Y / _modal.MmPerUnit; return true;
            case "_abs_z": value = _machineLast.Z / _modal.MmPerUnit; return true;
            case "_abs_a" or "_abs_b" or "_abs_c" or "_abs_u" or "_abs_v" or "_abs_w": value = 0; return true;
            case "_current_pocket": value = _opt.Tools.Get(_modal.ToolInSpindle)?.Pocket ?? 0; return true;
            case "_selected_pocket": value = _modal.SelectedTool > 0 ? _opt.Tools.Get(_modal.SelectedTool)?.Pocket ?? -1 : -1; return true;
            // rs274 on its own reports 0 (a preview); the twin stands for the machine's task, which reports 1.
            case "_task": value = 1; return true;
            case "_remap_level": value = 0; return true;
            case "_vmajor": value = 2.9; return true;   // the LinuxCNC version whose behaviour the interpreter follows
            case "_vminor": value = 0; return true;
            default: return false;
        }
    }

    private static string Fmt(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}
