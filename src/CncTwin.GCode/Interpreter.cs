using CncTwin.Core;

namespace CncTwin.GCode;

/// <summary>
/// RS274/NGC interpreter with LinuxCNC semantics (plus the common Fanuc O-number / M98 / M99 dialect).
/// It streams: <see cref="Run"/> reads one block at a time and yields the canonical commands it
/// produces, so memory does not grow with program length. Positions are kept in program coordinates
/// (as LinuxCNC does) and converted to the machine frame when a motion is emitted.
/// Errors are reported as <see cref="GCodeException"/> with file, line and column.
/// </summary>
public sealed partial class Interpreter : IDisposable
{
    private LineSource _source;            // the file being read (a called subroutine file while inside it)
    private readonly string? _programDirectory;
    private readonly InterpreterOptions _opt;
    private readonly Block _block = new();
    private readonly Parameters _params = new();
    private readonly List<CanonicalCommand> _out = new();
    private bool BlockDeleteSwitch => _opt.BlockDelete;

    private readonly ModalState _modal = new();
    private readonly OffsetState _offsets = new();
    private readonly CannedCycleState _cycle = new();
    private readonly CutterCompState _comp = new();
    private readonly ProgramFlow _flow = new();
    private Vec3 _pos;                              // current point, program coordinates, mm
    private Vec3 _machineLast;                      // machine position of the last emitted point
    // LinuxCNC re-reads the current point from the machine after a tool change (M6, M61) before it reads the
    // next line. It matters where the interpreter's point is not where the tool stands: after G40 the
    // interpreter is at the programmed point, the tool at the compensated one, and a later Z-only move stays there.
    private bool _rereadPositionBeforeNextLine;
    private readonly bool _anyToolAccepted;          // no tool table: every tool exists, with zero offsets
    private bool _fanuc;                            // reading Fanuc Macro B (decided at the first line with Auto)
    private bool _dialectDecided;
    private bool _ended;
    private bool _percentMode;
    private int _lastContentLine;

    /// <summary>
    /// The modes a block leaves in force for the blocks after it (LinuxCNC's modal groups), and the feed, speed,
    /// spindle, tool and coolant last set.
    /// </summary>
    private sealed class ModalState
    {
        public int Motion = 800;                       // G-code*10 of the modal motion (800 = G80: none)
        public int PreviousMotion = 800;               // the motion mode in force before the current block
        public Plane Plane = Plane.XY;
        public bool Absolute = true;                   // G90
        public bool ArcCentersAbsolute;                // G90.1
        public FeedRateMode FeedMode = FeedRateMode.UnitsPerMinute;
        public double MmPerUnit = 1.0;                 // mm per program unit (25.4 in G20)
        public PathControlMode PathMode = PathControlMode.Continuous;
        public double PathTolerance, NaiveTolerance;   // mm
        public bool RetractToOldZ;                     // G98 (true) or G99 (false, LinuxCNC's default)
        public double FeedRate;                        // program units/min (G94), 1/min (G93) or units/rev (G95); stored in mm where a length
        public double SpindleRpm;
        public SpindleDirection Spindle = SpindleDirection.Off;
        public int ToolInSpindle;
        public int SelectedTool;
        public bool Mist, Flood;
    }

    /// <summary>Where program zero is: the work offsets G54..G59.3 with their XY rotations, the G92 shift, and the tool length offset.</summary>
    private sealed class OffsetState
    {
        public int CoordSystem = 1;                    // 1..9 = G54..G59.3
        public readonly Vec3[] WorkOffset = new Vec3[10];
        public readonly double[] XyRotation = new double[10]; // degrees, G10 L2 R
        public Vec3 G92;
        public bool G92Enabled;
        public readonly double[] G92Saved = new double[3];
        public Vec3 ToolLength;                        // tool length offset in force (G43), mm
    }

    public Interpreter(LineSource source, InterpreterOptions? options = null)
    {
        _source = source;
        _mainSourceField = source;
        _programDirectory = source.FileName.StartsWith('<') ? null : Path.GetDirectoryName(Path.GetFullPath(source.FileName));
        _opt = options ?? new InterpreterOptions();
        // Decided once: entries a program writes itself (G10 L1) do not make the other tools disappear.
        _anyToolAccepted = _opt.Tools.Tools.Count == 0;
        if (_opt.Dialect != GCodeDialect.Auto) SetDialect(_opt.Dialect == GCodeDialect.Fanuc);
        _modal.ToolInSpindle = _modal.SelectedTool = _opt.InitialTool;
        _offsets.WorkOffset[1] = _opt.InitialG54Offset;
        _pos = _opt.InitialPosition;
        _machineLast = ToMachine(_pos);
    }

    public static Interpreter FromFile(string path, InterpreterOptions? options = null) => new(LineSource.FromFile(path), options);
    public static Interpreter FromString(string program, string fileName = "<string>", InterpreterOptions? options = null) => new(LineSource.FromString(program, fileName), options);

    /// <summary>Interprets the whole program; convenient for tests and small programs.</summary>
    public static List<CanonicalCommand> InterpretString(string program, InterpreterOptions? options = null, string fileName = "<string>")
    {
        using var interp = FromString(program, fileName, options);
        return interp.Run().ToList();
    }

    public void Dispose()
    {
        foreach (var f in _flow.CallStack) f.CallerSource?.Dispose();
        _source.Dispose();
    }

    /// <summary>The dialect the program is read in: the option's, or with Auto what its first line said (LinuxCNC until then).</summary>
    public GCodeDialect Dialect => _fanuc ? GCodeDialect.Fanuc : GCodeDialect.LinuxCnc;

    private void SetDialect(bool fanuc)
    {
        _dialectDecided = true;
        _fanuc = fanuc;
        if (fanuc) _params.UseFanucVariables();
    }

    /// <summary>
    /// Auto dialect: a Fanuc program begins with its O number ("O1000", maybe with a comment), after the % and
    /// any comment lines; anything else at the top is LinuxCNC's language.
    /// </summary>
    private void DecideDialect(ReadOnlySpan<char> firstContent)
    {
        if (firstContent[0] is '(' or ';') return;
        // "O1000" or "O1000 (PART NAME)" alone on its line: LinuxCNC's "o100 sub" or "o<x> call" are not program numbers.
        var s = firstContent;
        int k = 0;
        if (s[0] is 'o' or 'O') { k = 1; while (k < s.Length && s[k] == ' ') k++; }
        int digits = k;
        while (k > 0 && k < s.Length && char.IsAsciiDigit(s[k])) k++;
        var rest = s[k..].Trim();
        SetDialect(k > digits && (rest.Length == 0 || rest[0] is '(' or ';'));
    }

    /// <summary>Bytes of the main program read so far (for progress displays; may be read from another thread).</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);
    private long _bytesRead;
    private void NoteProgress() => Volatile.Write(ref _bytesRead, _mainSource.NextOffset);

    /// <summary>Current machine-frame position of the tool tip (mm).</summary>
    public Vec3 MachinePosition => ToMachine(_pos);

    private SourceLocation Loc(int column = 1) => new(_source.FileName, _block.Line, column);

    /// <summary>
    /// The modal state a program rewriter needs (distance mode, units, feed mode, cutter compensation, the
    /// active coordinate system's XY rotation), as of the block interpreted last: read it while a block's
    /// commands are being yielded.
    /// </summary>
    public ModalSnapshot Modal => new(_modal.Absolute, _modal.MmPerUnit, _modal.FeedMode, _comp.Side != 0, _offsets.XyRotation[_offsets.CoordSystem], _block.Line, _source.FileName);

    /// <summary>Streams the canonical commands of the program, one block at a time.</summary>
    public IEnumerable<CanonicalCommand> Run()
    {
        bool first = true;
        int sinceProgress = 0;
        while (!_ended)
        {
            if (++sinceProgress == 1024) { sinceProgress = 0; NoteProgress(); _opt.Cancellation.ThrowIfCancellationRequested(); }
            if (!_source.TryReadLine(out var line))
            {
                {
                    FlushComp();
                    if (_flow.CallStack.Count > 0)
                        throw new GCodeException(_source.FileName, _lastContentLine, 1, $"file ended inside subroutine o<{_flow.CallStack.Peek().Name}> (missing endsub / M99)");
                    if (_flow.Control.Count > 0)
                        throw new GCodeException(_source.FileName, _lastContentLine, 1, $"file ended inside o{_flow.Control.Peek().Name} {_flow.Control.Peek().Kind.ToString().ToLowerInvariant()} (missing end)");
                    throw new GCodeException(_source.FileName, Math.Max(1, _lastContentLine), 1, "file ended with no percent sign or program end (M2/M30)");
                }
            }
            int lineNo = _source.LineNumber;
            var span = line.Span.Trim();
            if (span.Length > 0) _lastContentLine = lineNo;
            if (span.Length > 0 && span[0] == '%')
            {
                if (first) { _percentMode = true; first = false; continue; }
                if (_percentMode)
                {
                    _block.Reset(lineNo);
                    FlushComp();
                    _out.Add(new ProgramEnd(Loc()));
                    _ended = true;
                }
                foreach (var c in _out) yield return c;
                _out.Clear();
                continue;
            }
            if (span.Length > 0) first = false;
            if (!_dialectDecided && span.Length > 0) DecideDialect(span);
            GCodeException? failed = null;
            if (_rereadPositionBeforeNextLine) RereadPositionFromMachine();
            try
            {
                ParseLine(line, lineNo, oWordOnly: false);
                if (!(_block.BlockDeleted && BlockDeleteSwitch)) ExecuteBlock();
            }
            catch (GCodeException ex) { failed = ex; }
            catch (Exception ex) when (ex is ArithmeticException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException)
            {
                failed = new GCodeException(_source.FileName, lineNo, 1, "internal error while interpreting this line: " + ex.Message, ex);
            }
            // A move held by cutter compensation blocks everything after it until its end is known.
            // Moves a failing line made before its error (a canned cycle's approach to the first hole) are
            // still passed on, as LinuxCNC issues them before it stops.
            int limit = _comp.Held != null ? _comp.HeldIndex : _out.Count;
            for (int i = 0; i < limit; i++) yield return _out[i];
            if (failed != null) { _out.Clear(); System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed); }
            if (limit == _out.Count) _out.Clear();
            else { _out.RemoveRange(0, limit); _comp.HeldIndex -= limit; }
        }
    }

    // ---- coordinate frames ---------------------------------------------------------------------

    /// <summary>The current point becomes where the tool stands (the end of the last move emitted).</summary>
    private void RereadPositionFromMachine()
    {
        _rereadPositionBeforeNextLine = false;
        // A move held by cutter compensation has not reached the machine yet: nothing to read back.
        if (_comp.Held != null) return;
        _pos = FromMachine(_machineLast);
    }

    /// <summary>Machine = rotate(program + G92 offset, work rotation) + work offset (LinuxCNC's order).</summary>
    private Vec3 ToMachine(Vec3 p) => RotateXY(p + _offsets.G92, _offsets.XyRotation[_offsets.CoordSystem]) + _offsets.WorkOffset[_offsets.CoordSystem];

    private Vec3 FromMachine(Vec3 m) => FromMachineIn(_offsets.CoordSystem, m);

    /// <summary>Program coordinates in coordinate system <paramref name="cs"/> (G92 shift included) of a machine point.</summary>
    private Vec3 FromMachineIn(int cs, Vec3 m) => RotateXY(m - _offsets.WorkOffset[cs], -_offsets.XyRotation[cs]) - _offsets.G92;

    /// <summary>Rotates about Z by <paramref name="degrees"/> (G10 L2 R's XY rotation).</summary>
    private static Vec3 RotateXY(Vec3 v, double degrees)
    {
        if (degrees == 0) return v;
        double a = degrees * Math.PI / 180, c = Math.Cos(a), s = Math.Sin(a);
        return new Vec3(v.X * c - v.Y * s, v.X * s + v.Y * c, v.Z);
    }

    /// <summary>Runs <paramref name="change"/> on the offsets while keeping the tool where it is in the machine frame.</summary>
    private void ChangeOffsetsKeepingMachinePosition(Action change)
    {
        var machine = ToMachine(_pos);
        change();
        _pos = FromMachine(machine);
        _out.Add(new OffsetsChanged(Loc(), _offsets.WorkOffset[_offsets.CoordSystem], _offsets.G92, _offsets.XyRotation[_offsets.CoordSystem], _offsets.CoordSystem));
    }

    // ---- emission ------------------------------------------------------------------------------

    /// <summary>Where emitted commands go: the output list, or a scratch list while cutter compensation resolves a held move.</summary>
    private List<CanonicalCommand> _emit => _emitScratch ?? _out;
    private List<CanonicalCommand>? _emitScratch;

    private void EmitRapid(Vec3 programEnd, int column) => EmitRapid(programEnd, Loc(column));

    private void EmitRapid(Vec3 programEnd, SourceLocation loc)
    {
        var end = ToMachine(programEnd);
        _emit.Add(new RapidMove(loc, _machineLast, end, _modal.SpindleRpm, _modal.ToolInSpindle));
        _machineLast = end;
    }

    private void EmitFeed(Vec3 programEnd, int column) => EmitFeed(programEnd, Loc(column), _modal.FeedMode, _modal.FeedRate);

    private void EmitFeed(Vec3 programEnd, SourceLocation loc, FeedRateMode mode, double feedRate)
    {
        var end = ToMachine(programEnd);
        double feed = EffectiveFeed(mode, feedRate, _machineLast.DistanceTo(end));
        _emit.Add(new LinearFeed(loc, _machineLast, end, feed, _modal.SpindleRpm, _modal.ToolInSpindle));
        _machineLast = end;
    }

    private void EmitProbe(Vec3 programEnd, int column)
    {
        var end = ToMachine(programEnd);
        _emit.Add(new ProbeMove(Loc(column), _machineLast, end, EffectiveFeed(_modal.FeedMode, _modal.FeedRate, _machineLast.DistanceTo(end)), _modal.SpindleRpm, _modal.ToolInSpindle));
        _machineLast = end;
    }

    private void EmitArc(Vec3 programEnd, Vec3 programCenter, Plane plane, bool clockwise, int turns, int column) =>
        EmitArc(programEnd, programCenter, plane, clockwise, turns, Loc(column), _modal.FeedMode, _modal.FeedRate);

    private void EmitArc(Vec3 programEnd, Vec3 programCenter, Plane plane, bool clockwise, int turns, SourceLocation loc, FeedRateMode mode, double feedRate)
    {
        var end = ToMachine(programEnd);
        var center = ToMachine(programCenter);
        // The centre's normal coordinate is the start's, so the centre lies in the arc's starting plane.
        var (cf, cs, _) = plane.Split(center);
        var (_, _, sn) = plane.Split(_machineLast);
        center = plane.Join(cf, cs, sn);
        var arc = new ArcFeed(loc, _machineLast, end, center, plane, clockwise, turns, 0, _modal.SpindleRpm, _modal.ToolInSpindle);
        double feed = EffectiveFeed(mode, feedRate, arc.LengthMm);
        _emit.Add(feed == 0 ? arc : arc with { FeedMmPerMin = feed });
        _machineLast = end;
    }

    private double EffectiveFeed(FeedRateMode mode, double feedRate, double lengthMm) => mode switch
    {
        // F = 1 / minutes for the move; LinuxCNC never goes below 0.1 program units/min
        FeedRateMode.InverseTime => Math.Max(feedRate * lengthMm, 0.1 * _modal.MmPerUnit),
        FeedRateMode.UnitsPerRevolution => feedRate * _modal.SpindleRpm,     // mm/rev * rev/min
        _ => feedRate,
    };
}

/// <summary>Modal state of the interpreter at a block (see <see cref="Interpreter.Modal"/>). MmPerUnit: 1 in G21, 25.4 in G20.</summary>
public readonly record struct ModalSnapshot(bool Absolute, double MmPerUnit, FeedRateMode FeedMode, bool CutterCompensation, double XyRotationDeg, int Line, string File);
