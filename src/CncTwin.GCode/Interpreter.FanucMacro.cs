using CncTwin.Core;

namespace CncTwin.GCode;

// Fanuc Macro B (--dialect fanuc, or a program that starts with its O number): IF [..] GOTO n, IF [..] THEN,
// GOTO n, WHILE [..] DO m ... END m, G65 macro calls with arguments, vacant variables and the system variables
// programs read (#3000 alarms, #4001- modal state, #5001- positions). The control keeps no table of sequence
// numbers: a GOTO searches the program text (streaming, as the control does), and remembers only the targets
// it found.
public sealed partial class Interpreter
{
    /// <summary>Where each GOTO target was found, by (start of the program it is in, N number): one per target.</summary>
    private readonly Dictionary<(long Program, int N), (long Offset, int Line)> _sequenceNumbers = new();
    /// <summary>Jumps back to each target so far: an IF/GOTO loop gets the same guard as a WHILE loop.</summary>
    private readonly Dictionary<(long Program, int N), long> _jumpsBack = new();

    /// <summary>A Macro B statement at the start of the block (after its N word): read it, evaluating nothing yet.</summary>
    private bool TryParseFanucStatement(bool oWordOnly)
    {
        char c = Peek();
        if (c is not ('i' or 'w' or 'g' or 'e' or 'd')) return false;
        int col = _cur + 1;
        if (TryKeyword("if"))
        {
            _block.FanucColumn = col;
            ReadConditionPosition("IF");
            if (TryKeyword("goto")) { _block.Fanuc = FanucStatement.IfGoto; _block.FanucTargetStart = _cur; }
            else if (TryKeyword("then")) { _block.Fanuc = FanucStatement.IfThen; _block.FanucTargetStart = _cur; }
            else if (!oWordOnly) throw ErrHere("IF [condition] needs GOTO n or THEN #variable = value");
            return true;
        }
        if (TryKeyword("while"))
        {
            _block.FanucColumn = col;
            ReadConditionPosition("WHILE");
            if (!TryKeyword("do")) { if (oWordOnly) return true; throw ErrHere("WHILE [condition] needs DO m (m = 1, 2 or 3)"); }
            _block.Fanuc = FanucStatement.While;
            _block.FanucLabel = ReadLoopNumber(oWordOnly);
            return true;
        }
        if (c == 'g' && TryKeyword("goto"))
        {
            _block.FanucColumn = col;
            _block.Fanuc = FanucStatement.Goto;
            _block.FanucTargetStart = _cur;
            return true;
        }
        if (c == 'e' && TryKeyword("end"))
        {
            _block.FanucColumn = col;
            _block.Fanuc = FanucStatement.End;
            _block.FanucLabel = ReadLoopNumber(oWordOnly);
            return true;
        }
        if (c == 'd' && TryKeyword("do"))
        {
            _block.FanucColumn = col;
            _block.Fanuc = FanucStatement.Do;
            _block.FanucLabel = ReadLoopNumber(oWordOnly);
            return true;
        }
        return false;
    }

    private void ReadConditionPosition(string keyword)
    {
        if (Peek() != '[') throw ErrHere($"{keyword} needs a condition in [brackets]");
        _block.FanucCondStart = _cur;
        SkipBracket();
    }

    /// <summary>The m of DO m / END m: a literal whole number (Fanuc allows 1 to 3: the nesting level).</summary>
    private int ReadLoopNumber(bool oWordOnly)
    {
        SkipSpaces();
        int start = _cur, n = 0;
        while (_cur < L.Length && char.IsAsciiDigit(L[_cur]) && n < 1000) n = n * 10 + (L[_cur++] - '0');
        if (_cur == start && !oWordOnly) throw ErrHere("DO and END need their loop number (DO1 ... END1)");
        if (!oWordOnly) { SkipComments(); if (!AtEnd) throw ErrHere("unexpected text after DO / END"); }
        return n;
    }

    private void ExecuteFanucStatement()
    {
        int col = _block.FanucColumn;
        switch (_block.Fanuc)
        {
            case FanucStatement.IfGoto:
                if (FanucCondition()) GotoSequenceNumber(ReadGotoTarget(), col);
                return;
            case FanucStatement.IfThen:
                if (FanucCondition()) ExecuteThen(col);
                return;
            case FanucStatement.Goto:
                GotoSequenceNumber(ReadGotoTarget(), col);
                return;
            case FanucStatement.While:
                ExecuteFanucLoop(_block.FanucLabel, FanucCondition(), col);
                return;
            case FanucStatement.Do:
                ExecuteFanucLoop(_block.FanucLabel, true, col);
                return;
            case FanucStatement.End:
                ExecuteFanucEnd(_block.FanucLabel, col);
                return;
        }
    }

    /// <summary>A condition holds when it is not 0 and not vacant.</summary>
    private bool FanucCondition()
    {
        _cur = _block.FanucCondStart;
        double v = ReadExpression();
        return !double.IsNaN(v) && v != 0;
    }

    private int ReadGotoTarget()
    {
        _cur = _block.FanucTargetStart;
        int col = _cur + 1;
        double n = ReadRealValue();
        SkipComments();
        if (!AtEnd) throw ErrHere("unexpected text after GOTO n");
        if (double.IsNaN(n) || n < 0 || n != Math.Floor(n) || n > 99_999_999) throw Err(col, "GOTO needs a whole sequence number n >= 0");
        return (int)n;
    }

    /// <summary>IF [..] THEN #i = value: the assignment runs only when the condition holds.</summary>
    private void ExecuteThen(int col)
    {
        _cur = _block.FanucTargetStart;
        if (Peek() != '#') throw ErrHere("THEN must be followed by an assignment #i = value");
        ReadAssignment();
        SkipComments();
        if (!AtEnd) throw ErrHere("unexpected text after the THEN assignment");
        ApplyAssignments();
    }

    /// <summary>
    /// GOTO n: on to the block numbered Nn in the program being run (the main program, or the subprogram or macro
    /// called): searched from here to the program's end, then from its start, as the control does.
    /// </summary>
    private void GotoSequenceNumber(int n, int col)
    {
        var frame = _flow.CallStack.Count > 0 ? _flow.CallStack.Peek() : null;
        long programStart = frame?.Fanuc == true ? frame.BodyOffset : 0;
        int programLine = frame?.Fanuc == true ? frame.BodyLine : 1;
        if (!_sequenceNumbers.TryGetValue((programStart, n), out var target))
        {
            long here = _source.LineOffset;
            int hereLine = _source.LineNumber;
            if (!ScanForSequenceNumber(n, stopAt: long.MaxValue, fromProgramStart: false, out target))
            {
                _source.Seek(programStart, programLine);
                if (!ScanForSequenceNumber(n, stopAt: here, fromProgramStart: frame?.Fanuc != true, out target))
                {
                    _source.Seek(here, hereLine);
                    _source.TryReadLine(out _);
                    throw Err(col, $"GOTO {n}: there is no block N{n} in this program");
                }
            }
            _sequenceNumbers[(programStart, n)] = target;
        }
        if (target.Offset <= _source.LineOffset)
        {
            long jumps = _jumpsBack.GetValueOrDefault((programStart, n)) + 1;
            if (jumps > _opt.MaxLoopIterations) throw Err(col, $"GOTO {n} jumped back more than {_opt.MaxLoopIterations} times (endless loop?)");
            _jumpsBack[(programStart, n)] = jumps;
        }
        // A loop left by GOTO is abandoned (its DO is re-entered from the top if the program comes back to it).
        _source.Seek(target.Offset, target.Line);
    }

    /// <summary>
    /// Reads lines up to the end of the program (a % or another program's O number) or <paramref name="stopAt"/>, looking
    /// for Nn. From the top of the file (<paramref name="fromProgramStart"/>) the leading % and the main program's own O
    /// number are passed over.
    /// </summary>
    private bool ScanForSequenceNumber(int n, long stopAt, bool fromProgramStart, out (long Offset, int Line) found)
    {
        found = default;
        bool headerSeen = !fromProgramStart;
        while (_source.NextOffset <= stopAt && _source.TryReadLine(out var line))
        {
            if (_source.LineOffset >= stopAt) break;
            var s = line.Span.TrimStart();
            if (s.Length == 0) continue;
            if (s[0] == '%') { if (headerSeen) return false; continue; }
            if (s[0] == '/') s = s[1..].TrimStart();
            if (s.Length > 1 && s[0] is 'o' or 'O' && char.IsAsciiDigit(s[1]))
            {
                if (headerSeen) return false;   // the next program
                headerSeen = true;
                continue;
            }
            if (s.Length < 2 || s[0] is not ('n' or 'N')) continue;
            int k = 1, v = 0;
            while (k < s.Length && s[k] == ' ') k++;
            int digits = k;
            while (k < s.Length && char.IsAsciiDigit(s[k]) && v < 100_000_000) v = v * 10 + (s[k++] - '0');
            if (k > digits && v == n) { found = (_source.LineOffset, _source.LineNumber); return true; }
        }
        return false;
    }

    /// <summary>WHILE [..] DO m (or DO m alone, an endless loop): into the body, or past END m when the condition fails.</summary>
    private void ExecuteFanucLoop(int label, bool condition, int col)
    {
        string name = "DO" + label;
        int floor = _flow.CallStack.Count > 0 ? _flow.CallStack.Peek().ControlDepth : 0;
        ControlFrame? frame = null;
        foreach (var f in _flow.Control) { if (f.Name == name) { frame = f; break; } }
        if (frame != null && frame.Line != _source.LineNumber)
        {
            // The same loop number opened elsewhere and left by GOTO: that loop is over.
            while (_flow.Control.Count > floor && _flow.Control.Peek() != frame) _flow.Control.Pop();
            if (_flow.Control.Count > floor) _flow.Control.Pop();
            frame = null;
        }
        if (frame == null)
        {
            frame = new ControlFrame { Name = name, Kind = OWordKeyword.While, Offset = _source.LineOffset, Line = _source.LineNumber };
            _flow.Control.Push(frame);
        }
        else while (_flow.Control.Peek() != frame) _flow.Control.Pop();
        if (condition)
        {
            CountIteration(frame, name, col);
            return;
        }
        _flow.Control.Pop();
        SkipTo(b => b.Fanuc == FanucStatement.End && b.FanucLabel == label, $"END{label}");
    }

    /// <summary>END m: back to the WHILE (or DO) of loop m, which tests its condition again.</summary>
    private void ExecuteFanucEnd(int label, int col)
    {
        string name = "DO" + label;
        ControlFrame? frame = null;
        foreach (var f in _flow.Control) { if (f.Name == name) { frame = f; break; } }
        if (frame == null) throw Err(col, $"END{label} without its WHILE [..] DO{label}");
        while (_flow.Control.Peek() != frame) _flow.Control.Pop();
        _source.Seek(frame.Offset, frame.Line);
    }

    /// <summary>G65 P.. L.. A.. B..: calls macro program O(P), L times, with the letters as its locals #1-#26 (the others vacant).</summary>
    private void CallMacro(int col)
    {
        if (!_block.Has('p')) throw Err(col, "G65 needs a P word (the macro's program number)");
        foreach (var (code, gcol) in _block.GCodes) if (code != 650) throw Err(gcol, "G65 must be alone on its line with its arguments");
        if (_block.MCodes.Count > 1) throw Err(_block.MCodes[1].Column, "G65 takes one M argument (#13)");
        string name = FormatONumber(_block.Get('p'));
        int repeats = 1;
        if (_block.Has('l'))
        {
            double l = _block.Get('l');
            if (l < 0 || l != Math.Floor(l)) throw Err(_block.Col('l'), "G65 L (repeat count) must be a whole number");
            repeats = (int)l;
        }
        var args = new double[33];
        Array.Fill(args, double.NaN);
        // Fanuc argument specification I (G, L, N, O and P are not arguments; M is #13, read from the M-codes).
        static int Local(char c) => c switch
        {
            'a' => 1, 'b' => 2, 'c' => 3, 'i' => 4, 'j' => 5, 'k' => 6, 'd' => 7, 'e' => 8, 'f' => 9, 'h' => 11,
            'q' => 17, 'r' => 18, 's' => 19, 't' => 20, 'u' => 21, 'v' => 22, 'w' => 23, 'x' => 24, 'y' => 25, 'z' => 26, _ => 0,
        };
        for (char c = 'a'; c <= 'z'; c++)
        {
            if (!_block.Has(c) || c is 'p' or 'l') continue;
            int local = Local(c);
            if (local == 0) throw Err(_block.Col(c), $"{char.ToUpperInvariant(c)} is not a G65 argument (A-F, H, I-K, M, Q-Z)");
            args[local - 1] = _block.Get(c);
        }
        if (_block.MCodes.Count == 1) args[12] = _block.MCodes[0].Code;
        if (_block.HasPolar) throw Err(_block.PolarColumn > 0 ? _block.PolarColumn : _block.AngleColumn, "polar words are not G65 arguments");
        if (repeats == 0) return;
        if (_flow.CallStack.Count >= _opt.MaxCallDepth) throw Err(col, $"macro calls nested deeper than {_opt.MaxCallDepth} levels");
        var loc = FindDefinition(_flow.ProgramNumbers, name, _block.Col('p'), $"macro program O{name}");
        _flow.CallStack.Push(new CallFrame
        {
            Name = name, Fanuc = true, Macro = true, RepeatsLeft = repeats, ReturnOffset = _source.NextOffset, ReturnLine = _source.LineNumber + 1,
            BodyOffset = loc.Offset, BodyLine = loc.Line, ControlDepth = _flow.Control.Count,
        });
        _params.PushCall(args);
        _source.Seek(loc.Offset, loc.Line);
    }

    // ---- system variables ----------------------------------------------------------------------

    /// <summary>Fanuc system variables a program reads: modal state (#4001-), positions (#5001-), tool offset (#5081-).</summary>
    private bool TryGetFanucSystemVariable(int index, out double value)
    {
        value = 0;
        double u = _modal.MmPerUnit;
        switch (index)
        {
            case >= 3000 and <= 3999: value = 0; return true;   // clocks, counters, alarms read as 0
            case 4001: value = _modal.Motion is 0 or 10 or 20 or 30 ? _modal.Motion / 10 : _modal.PreviousMotion is 0 or 10 or 20 or 30 ? _modal.PreviousMotion / 10 : 0; return true;
            case 4002: value = _modal.Plane == Plane.XY ? 17 : _modal.Plane == Plane.XZ ? 18 : 19; return true;
            case 4003: value = _modal.Absolute ? 90 : 91; return true;
            case 4005: value = _modal.FeedMode switch { FeedRateMode.InverseTime => 93, FeedRateMode.UnitsPerRevolution => 95, _ => 94 }; return true;
            case 4006: value = _modal.MmPerUnit == 1 ? 21 : 20; return true;
            case 4007: value = _comp.Side == 0 ? 40 : _comp.Side > 0 ? 41 : 42; return true;
            case 4008: value = _offsets.ToolLength == Vec3.Zero ? 49 : 43; return true;
            case 4009: value = _modal.Motion is 730 or 740 or >= 810 and <= 890 ? _modal.Motion / 10 : 80; return true;
            case 4010: value = _modal.RetractToOldZ ? 98 : 99; return true;
            case 4014: value = _offsets.CoordSystem <= 6 ? 53 + _offsets.CoordSystem : 54; return true;
            case 4109: value = _modal.FeedMode == FeedRateMode.InverseTime ? _modal.FeedRate : _modal.FeedRate / u; return true;
            case 4119: value = _modal.SpindleRpm; return true;
            case 4120: value = _modal.SelectedTool; return true;
            case >= 5001 and <= 5003: value = Comp(_pos, index - 5001) / u; return true;         // end of the last block, work coordinates
            case >= 5021 and <= 5023: value = Comp(ToMachine(_pos) + _offsets.ToolLength, index - 5021) / u; return true;  // machine coordinates
            case >= 5041 and <= 5043: value = Comp(_pos, index - 5041) / u; return true;         // current position, work coordinates
            case >= 5081 and <= 5083: value = Comp(_offsets.ToolLength, index - 5081) / u; return true;
            default: return false;
        }
    }

    /// <summary>#3000 = n raises macro alarm n (the block's comment is its message); #3006 = n stops with a message.</summary>
    private bool TrySetFanucSystemVariable(int index, double value)
    {
        string text = (_block.CommentText ?? "").Trim();
        switch (index)
        {
            case 3000:
                throw Err(1, $"macro alarm {3000 + (double.IsNaN(value) ? 0 : value)}" + (text.Length > 0 ? ": " + GCodeException.Printable(text) : ""));
            case 3006:
                _out.Add(new Message(Loc(), text.Length > 0 ? text : $"stop {value}", false));
                _out.Add(new ProgramStop(Loc(), false));
                return true;
            case >= 3001 and <= 3999: return true;   // clocks, counters, settings: nothing to do in a twin
            case >= 4001 and <= 4999 or >= 5001 and <= 5003 or >= 5021 and <= 5023 or >= 5041 and <= 5043 or >= 5081 and <= 5083:
                throw Err(1, $"#{index} is a read-only system variable");
            default: return false;
        }
    }
}
