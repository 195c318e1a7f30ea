using CncTwin.Core;

namespace CncTwin.GCode;

// O-word subroutines and flow control (LinuxCNC), plus Fanuc M98/M99 subprograms. Only the byte
// offsets of O-word lines are remembered, so memory stays bounded however long the program is.
public sealed partial class Interpreter
{
    private sealed class CallFrame
    {
        public required string Name;
        public long ReturnOffset;
        public int ReturnLine;
        public int ControlDepth;
        public bool Fanuc;
        public bool Macro;                 // a G65 call: its own locals #1-#33
        public int RepeatsLeft;
        public long BodyOffset;
        public int BodyLine;
        public LineSource? CallerSource;   // set when the subroutine lives in its own file
        public readonly Dictionary<string, int> Labels = new(StringComparer.Ordinal); // control labels used in this call
    }

    private sealed class ControlFrame
    {
        public required string Name;
        public OWordKeyword Kind;   // If, While, Do, Repeat
        public long Offset;         // offset of the while / do / repeat line
        public int Line;
        public long BodyOffset;     // offset of the first line of the body
        public int BodyLine;
        public long Iterations;
        public long RepeatsLeft;
    }

    /// <summary>Subroutine calls in progress, the if / while / do / repeat blocks open, and where subroutines and programs start.</summary>
    private sealed class ProgramFlow
    {
        public readonly Stack<CallFrame> CallStack = new();
        public readonly Stack<ControlFrame> Control = new();
        public readonly Dictionary<string, (long Offset, int Line)> Subroutines = new(StringComparer.Ordinal);     // o<name> sub: first body line
        public readonly Dictionary<string, (long Offset, int Line)> ProgramNumbers = new(StringComparer.Ordinal);  // Fanuc O1234: first body line
        public readonly Dictionary<string, int> MainLabels = new(StringComparer.Ordinal);  // control labels used in the main program
        public bool ScannedWholeFile;

        /// <summary>The innermost open if / while / do / repeat block, if any.</summary>
        public ControlFrame? InnermostControl => Control.Count > 0 ? Control.Peek() : null;
    }

    /// <summary>
    /// LinuxCNC lets a label open one if/while/do/repeat only, at one line, per call (main program or each
    /// subroutine call): a second block on another line with the same label is refused.
    /// </summary>
    private void UseControlLabel(string name, int col)
    {
        var labels = _flow.CallStack.Count > 0 ? _flow.CallStack.Peek().Labels : _flow.MainLabels;
        int line = _source.LineNumber;
        if (labels.TryGetValue(name, out int first) && first != line)
            throw Err(col, $"duplicate O-word label o{name}: it already opened a block at line {first}");
        labels[name] = line;
    }

    private void ExecuteOWord()
    {
        string name = _block.OName!;
        int col = _block.OColumn;
        switch (_block.OKeyword)
        {
            case OWordKeyword.ProgramNumber: RememberProgramNumber(name); return;
            case OWordKeyword.Sub: DefineSubroutine(name, col); return;
            case OWordKeyword.EndSub: ExecuteEndSub(name, col); return;
            case OWordKeyword.Return: ExecuteReturn(name, col); return;
            case OWordKeyword.Call: CallSubroutine(name, col); return;
            case OWordKeyword.If: ExecuteIf(name, col); return;
            case OWordKeyword.ElseIf:
            case OWordKeyword.Else: SkipToEndIf(name, col); return;
            case OWordKeyword.EndIf: ExecuteEndIf(name, col); return;
            case OWordKeyword.Do: ExecuteDo(name, col); return;
            case OWordKeyword.While: ExecuteWhile(name, col); return;
            case OWordKeyword.EndWhile: ExecuteEndWhile(name, col); return;
            case OWordKeyword.Repeat: ExecuteRepeat(name, col); return;
            case OWordKeyword.EndRepeat: ExecuteEndRepeat(name, col); return;
            case OWordKeyword.Break: ExecuteBreak(name, col); return;
            case OWordKeyword.Continue: ExecuteContinue(name, col); return;
        }
    }

    /// <summary>Fanuc program number / subprogram label: remember where its body starts.</summary>
    private void RememberProgramNumber(string name) =>
        _flow.ProgramNumbers.TryAdd(name, (_source.NextOffset, _source.LineNumber + 1));

    /// <summary>o&lt;name&gt; sub: remember where the body starts and skip it (it runs when called).</summary>
    private void DefineSubroutine(string name, int col)
    {
        if (_flow.CallStack.Count > 0 && _flow.CallStack.Peek().Name == name && !_flow.CallStack.Peek().Fanuc)
            throw Err(col, $"o<{name}> sub is nested inside itself");
        _flow.Subroutines[name] = (_source.NextOffset, _source.LineNumber + 1);
        SkipTo(b => b.OKeyword == OWordKeyword.EndSub && b.OName == name, $"o<{name}> endsub");
    }

    private void ExecuteEndSub(string name, int col)
    {
        if (_flow.CallStack.Count == 0) throw Err(col, $"o<{name}> endsub without a call");
        var frame = _flow.CallStack.Peek();
        if (frame.Fanuc || frame.Name != name) throw Err(col, $"o<{name}> endsub does not match the subroutine being executed (o<{frame.Name}>)");
        ReturnFromSubroutine();
    }

    private void ExecuteReturn(string name, int col)
    {
        // LinuxCNC lets "oNNN return" name an enclosing if/while label; any return leaves the current subroutine.
        if (_flow.CallStack.Count == 0) throw Err(col, $"o<{name}> return outside a subroutine");
        var frame = _flow.CallStack.Peek();
        if (frame.Fanuc) throw Err(col, $"o<{name}> return does not match the subroutine being executed (o<{frame.Name}>)");
        ReturnFromSubroutine();
    }

    /// <summary>Leaves the subroutine being executed (endsub or return), with its value if the line gives one.</summary>
    private void ReturnFromSubroutine()
    {
        var frame = _flow.CallStack.Pop();
        while (_flow.Control.Count > frame.ControlDepth) _flow.Control.Pop();
        _params.PopCall();
        if (frame.CallerSource != null) { _source.Dispose(); _source = frame.CallerSource; }
        _params.SetNamed("_value", _block.OValue ?? 0);
        _params.SetNamed("_value_returned", _block.OValue.HasValue ? 1 : 0);
        _source.Seek(frame.ReturnOffset, frame.ReturnLine);
    }

    private void CallSubroutine(string name, int col)
    {
        if (_flow.CallStack.Count >= _opt.MaxCallDepth) throw Err(col, $"subroutine calls nested deeper than {_opt.MaxCallDepth} levels");
        // Finding the definition (further down this file, or in NAME.ngc) parses other lines into the
        // block, so the call's arguments are taken first.
        var args = _block.OArgs.ToArray();
        var frame = new CallFrame { Name = name, ReturnOffset = _source.NextOffset, ReturnLine = _source.LineNumber + 1, ControlDepth = _flow.Control.Count };
        if (_source == _mainSource || _flow.Subroutines.ContainsKey(name))
        {
            // LinuxCNC's order: a subroutine already seen, then NAME.ngc beside the program, then a
            // search down this file (which stops at a line it cannot read).
            if (!_flow.Subroutines.TryGetValue(name, out var loc) && (SubroutineFileExists(name) || !TryFindDefinition(_flow.Subroutines, name, out loc)))
            {
                var external = OpenSubroutineFile(name, col);
                frame.CallerSource = _source;
                _source = external;
            }
            else _source.Seek(loc.Offset, loc.Line);
        }
        else
        {
            var external = OpenSubroutineFile(name, col);
            frame.CallerSource = _source;
            _source = external;
        }
        _flow.CallStack.Push(frame);
        _params.PushCall(args);
    }

    private void ExecuteIf(string name, int col)
    {
        UseControlLabel(name, col);
        var frame = new ControlFrame { Name = name, Kind = OWordKeyword.If };
        if (EvaluateOCondition() != 0) { _flow.Control.Push(frame); return; }
        _flow.Control.Push(frame);
        SkipIfBranch(name);
    }

    /// <summary>elseif / else, reached after executing a taken branch: skip to the matching endif.</summary>
    private void SkipToEndIf(string name, int col)
    {
        var top = _flow.InnermostControl;
        if (top == null || top.Kind != OWordKeyword.If || top.Name != name) throw Err(col, $"o{name} {_block.OKeyword.ToString().ToLowerInvariant()} without a matching o{name} if");
        SkipTo(b => b.OKeyword == OWordKeyword.EndIf && b.OName == name, $"o{name} endif");
        _flow.Control.Pop();
    }

    private void ExecuteEndIf(string name, int col)
    {
        var top = _flow.InnermostControl;
        if (top == null || top.Kind != OWordKeyword.If || top.Name != name) throw Err(col, $"o{name} endif without a matching o{name} if");
        _flow.Control.Pop();
    }

    private void ExecuteDo(string name, int col)
    {
        var top = _flow.InnermostControl;
        if (top != null && top.Kind == OWordKeyword.Do && top.Name == name && top.Line == _source.LineNumber) return; // looping
        UseControlLabel(name, col);
        _flow.Control.Push(new ControlFrame { Name = name, Kind = OWordKeyword.Do, Offset = _source.LineOffset, Line = _source.LineNumber, BodyOffset = _source.NextOffset, BodyLine = _source.LineNumber + 1 });
    }

    /// <summary>The while of a do ... while loop (its end), or the start of a while ... endwhile loop (each time round).</summary>
    private void ExecuteWhile(string name, int col)
    {
        var top = _flow.InnermostControl;
        if (top != null && top.Kind == OWordKeyword.Do && top.Name == name) { EndDoWhile(top, name, col); return; }
        UseControlLabel(name, col);
        ControlFrame frame;
        if (top != null && top.Kind == OWordKeyword.While && top.Name == name && top.Line == _source.LineNumber) frame = top;
        else
        {
            frame = new ControlFrame { Name = name, Kind = OWordKeyword.While, Offset = _source.LineOffset, Line = _source.LineNumber };
            _flow.Control.Push(frame);
        }
        if (EvaluateOCondition() != 0)
        {
            CountIteration(frame, name, col);
            return;
        }
        _flow.Control.Pop();
        SkipTo(b => b.OKeyword == OWordKeyword.EndWhile && b.OName == name, $"o{name} endwhile");
    }

    /// <summary>End of a do ... while loop: back to the first line of the body while the condition holds.</summary>
    private void EndDoWhile(ControlFrame loop, string name, int col)
    {
        if (EvaluateOCondition() != 0)
        {
            CountIteration(loop, name, col);
            _source.Seek(loop.BodyOffset, loop.BodyLine);
        }
        else _flow.Control.Pop();
    }

    private void ExecuteEndWhile(string name, int col)
    {
        var top = _flow.InnermostControl;
        if (top == null || top.Kind != OWordKeyword.While || top.Name != name) throw Err(col, $"o{name} endwhile without a matching o{name} while");
        _source.Seek(top.Offset, top.Line);
    }

    private void ExecuteRepeat(string name, int col)
    {
        UseControlLabel(name, col);
        var top = _flow.InnermostControl;
        ControlFrame frame;
        if (top != null && top.Kind == OWordKeyword.Repeat && top.Name == name && top.Line == _source.LineNumber) frame = top;
        else
        {
            double n = EvaluateOCondition();
            frame = new ControlFrame { Name = name, Kind = OWordKeyword.Repeat, Offset = _source.LineOffset, Line = _source.LineNumber, RepeatsLeft = (long)Math.Floor(n) };
            _flow.Control.Push(frame);
        }
        if (frame.RepeatsLeft-- > 0)
        {
            CountIteration(frame, name, col);
            return;
        }
        _flow.Control.Pop();
        SkipTo(b => b.OKeyword == OWordKeyword.EndRepeat && b.OName == name, $"o{name} endrepeat");
    }

    private void ExecuteEndRepeat(string name, int col)
    {
        var top = _flow.InnermostControl;
        if (top == null || top.Kind != OWordKeyword.Repeat || top.Name != name) throw Err(col, $"o{name} endrepeat without a matching o{name} repeat");
        _source.Seek(top.Offset, top.Line);
    }

    /// <summary>Guard against runaway loops: counts one more time round <paramref name="loop"/>.</summary>
    private void CountIteration(ControlFrame loop, string name, int col)
    {
        if (++loop.Iterations > _opt.MaxLoopIterations) throw Err(col, $"loop o{name} ran more than {_opt.MaxLoopIterations} times (endless loop?)");
    }

    private void ExecuteBreak(string name, int col)
    {
        var loop = InnermostLoop(name, col);
        _flow.Control.Pop();
        var endKw = loop.Kind switch { OWordKeyword.While => OWordKeyword.EndWhile, OWordKeyword.Repeat => OWordKeyword.EndRepeat, _ => OWordKeyword.While };
        SkipTo(b => b.OKeyword == endKw && b.OName == name, $"o{name} {endKw.ToString().ToLowerInvariant()}");
    }

    private void ExecuteContinue(string name, int col)
    {
        var loop = InnermostLoop(name, col);
        if (loop.Kind == OWordKeyword.Do)
        {
            // continue in a do-loop jumps to its while test
            SkipTo(b => b.OKeyword == OWordKeyword.While && b.OName == name, $"o{name} while");
            _source.Seek(_source.LineOffset, _source.LineNumber);
        }
        else _source.Seek(loop.Offset, loop.Line);
    }

    /// <summary>For break and continue: the innermost loop with this name, left on top of the open blocks.</summary>
    private ControlFrame InnermostLoop(string name, int col)
    {
        // find the innermost loop with this name
        ControlFrame? loop = null;
        foreach (var f in _flow.Control) { if (f.Name == name && f.Kind is OWordKeyword.While or OWordKeyword.Do or OWordKeyword.Repeat) { loop = f; break; } }
        if (loop == null) throw Err(col, $"o{name} {_block.OKeyword.ToString().ToLowerInvariant()} outside an o{name} loop");
        while (_flow.Control.Peek() != loop) _flow.Control.Pop();
        return loop;
    }

    /// <summary>Skips a false if-branch: stops after a true elseif, at an else, or after the endif.</summary>
    private void SkipIfBranch(string name)
    {
        while (true)
        {
            SkipTo(b => b.OName == name && b.OKeyword is OWordKeyword.ElseIf or OWordKeyword.Else or OWordKeyword.EndIf, $"o{name} endif");
            switch (_block.OKeyword)
            {
                case OWordKeyword.EndIf:
                    _flow.Control.Pop();
                    return;
                case OWordKeyword.Else:
                    return;
                case OWordKeyword.ElseIf:
                    // parse fully to evaluate the condition
                    ReparseCurrentLine();
                    if (EvaluateOCondition() != 0) return;
                    break;
            }
        }
    }

    private ReadOnlyMemory<char> _skipLine;

    private void ReparseCurrentLine() => ParseLine(_skipLine, _source.LineNumber, oWordOnly: false);

    /// <summary>Reads lines (O-words only, nothing evaluated) until <paramref name="stop"/> matches the block.</summary>
    private void SkipTo(Func<Block, bool> stop, string what)
    {
        int startLine = _block.Line, startCol = _block.OColumn;
        while (_source.TryReadLine(out var line))
        {
            _skipLine = line;
            var span = line.Span.TrimStart();
            if (span.Length == 0) continue;
            _lastContentLine = _source.LineNumber;
            ParseLine(line, _source.LineNumber, oWordOnly: true);
            if (_block.OKeyword == OWordKeyword.None) { if (_block.Fanuc != FanucStatement.None && stop(_block)) return; continue; }
            if (_block.OKeyword == OWordKeyword.Sub) _flow.Subroutines.TryAdd(_block.OName!, (_source.NextOffset, _source.LineNumber + 1));
            if (_block.OKeyword == OWordKeyword.ProgramNumber) _flow.ProgramNumbers.TryAdd(_block.OName!, (_source.NextOffset, _source.LineNumber + 1));
            if (stop(_block)) return;
        }
        throw new GCodeException(_source.FileName, startLine, startCol, $"file ended before {what} was found");
    }

    private LineSource? _mainSourceField;
    private LineSource _mainSource => _mainSourceField ??= _source;

    /// <summary>
    /// A subroutine not defined in the program is looked for as NAME.ngc beside the program (LinuxCNC's
    /// subroutine path); the reader is left on the first line of its body.
    /// </summary>
    private bool SubroutineFileExists(string name) =>
        _programDirectory != null && File.Exists(Path.Combine(_programDirectory, name + ".ngc"));

    private LineSource OpenSubroutineFile(string name, int col)
    {
        string? path = _programDirectory == null ? null : Path.Combine(_programDirectory, name + ".ngc");
        if (path == null || !File.Exists(path)) throw Err(col, $"o<{name}> sub is not defined in this file, and no {name}.ngc was found beside the program");
        var src = LineSource.FromFile(path);
        while (src.TryReadLine(out var l))
        {
            var span = l.Span.TrimStart();
            if (span.Length == 0 || !(span[0] is 'o' or 'O' or 'n' or 'N')) continue;
            var saved = _source;
            _source = src;
            try { ParseLine(l, src.LineNumber, oWordOnly: true); }
            catch (GCodeException) { continue; }
            finally { _source = saved; }
            if (_block.OKeyword == OWordKeyword.Sub && _block.OName == name) return src;
        }
        src.Dispose();
        throw Err(col, $"{path} does not define o<{name}> sub");
    }

    private bool TryFindDefinition(Dictionary<string, (long Offset, int Line)> table, string name, out (long Offset, int Line) loc)
    {
        loc = FindDefinition(table, name, 1, "", throwIfMissing: false);
        return loc.Line > 0;
    }

    /// <summary>Finds a subroutine / label: known ones directly, others by one scan of the whole file.</summary>
    private (long Offset, int Line) FindDefinition(Dictionary<string, (long Offset, int Line)> table, string name, int col, string what, bool throwIfMissing = true)
    {
        if (table.TryGetValue(name, out var loc)) return loc;
        if (!_flow.ScannedWholeFile)
        {
            long resumeOffset = _source.NextOffset;
            int resumeLine = _source.LineNumber + 1;
            int line = _block.Line;
            _source.Seek(0, 1);
            bool found = false;
            while (_source.TryReadLine(out var l))
            {
                // LinuxCNC reads forward from the call to the definition, and a line it cannot read on the way
                // (an unclosed or nested comment, or one too long) stops the program there.
                if (!found && _source.LineNumber > line) CheckReadable(l.Span, _source.LineNumber, comments: true);
                var span = l.Span.TrimStart();
                if (span.Length == 0 || !(span[0] is 'o' or 'O' or 'n' or 'N' or '/' or ':')) continue;
                try { ParseLine(l, _source.LineNumber, oWordOnly: true); }
                catch (GCodeException) { continue; } // reported when (if) the line runs
                if (_block.OKeyword == OWordKeyword.Sub) _flow.Subroutines.TryAdd(_block.OName!, (_source.NextOffset, _source.LineNumber + 1));
                else if (_block.OKeyword == OWordKeyword.ProgramNumber) _flow.ProgramNumbers.TryAdd(_block.OName!, (_source.NextOffset, _source.LineNumber + 1));
                if (_block.OName == name && _block.OKeyword is OWordKeyword.Sub or OWordKeyword.ProgramNumber) found = true;
            }
            _flow.ScannedWholeFile = true;
            _source.Seek(resumeOffset, resumeLine);
            _block.Line = line;
            if (table.TryGetValue(name, out loc)) return loc;
        }
        if (!throwIfMissing) return default;
        throw Err(col, $"{what} is not defined in this file");
    }

    // ---- Fanuc M98 / M99 ----------------------------------------------------------------------

    private void CallFanucSub(int col)
    {
        if (!_block.Has('p')) throw Err(col, "M98 needs a P word (subprogram number)");
        // The block's words are read before any search for the definition: a search down the file parses the lines
        // it passes with this same block, so its words and columns are gone after it.
        double pv = _block.Get('p');
        int pCol = _block.Col('p');
        bool hasL = _block.Has('l');
        double l = hasL ? _block.Get('l') : 0;
        int lCol = hasL ? _block.Col('l') : col;
        string name = FormatONumber(pv);
        int repeats = 1;
        // Fanuc 0-series: M98 P21001 runs O1001 twice (repeat count before a 4-digit program number), unless the
        // program really has that longer number.
        if (_fanuc && !hasL && pv >= 10000 && pv == Math.Floor(pv) && FindDefinition(_flow.ProgramNumbers, name, col, "", throwIfMissing: false).Line <= 0)
        {
            repeats = (int)(pv / 10000);
            name = FormatONumber(pv % 10000);
        }
        if (hasL)
        {
            if (l < 0 || l != Math.Floor(l)) throw Err(lCol, "M98 L (repeat count) must be a whole number");
            repeats = (int)l;
        }
        if (repeats == 0) return;
        if (_flow.CallStack.Count >= _opt.MaxCallDepth) throw Err(col, $"subprogram calls nested deeper than {_opt.MaxCallDepth} levels");
        var loc = FindDefinition(_flow.ProgramNumbers, name, pCol, $"subprogram O{name}");
        _flow.CallStack.Push(new CallFrame { Name = name, Fanuc = true, RepeatsLeft = repeats, ReturnOffset = _source.NextOffset, ReturnLine = _source.LineNumber + 1, BodyOffset = loc.Offset, BodyLine = loc.Line, ControlDepth = _flow.Control.Count });
        _source.Seek(loc.Offset, loc.Line);
    }

    private void ReturnFanucSub(int col)
    {
        if (_flow.CallStack.Count == 0)
        {
            // M99 in a main program restarts it on a Fanuc control (an endless loop); a twin treats it as the end.
            FlushComp();
            _out.Add(new ProgramEnd(Loc(col)));
            _ended = true;
            return;
        }
        var frame = _flow.CallStack.Peek();
        if (!frame.Fanuc) throw Err(col, $"M99 inside o<{frame.Name}> (use endsub or return)");
        if (--frame.RepeatsLeft > 0)
        {
            while (_flow.Control.Count > frame.ControlDepth) _flow.Control.Pop();
            _source.Seek(frame.BodyOffset, frame.BodyLine);
            return;
        }
        _flow.CallStack.Pop();
        while (_flow.Control.Count > frame.ControlDepth) _flow.Control.Pop();
        if (frame.Macro) _params.PopCall();
        _source.Seek(frame.ReturnOffset, frame.ReturnLine);
    }
}
