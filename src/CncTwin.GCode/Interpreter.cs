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

    // ---- modal state -------------------------------------------------------------------------
    private int _motionMode = 800;                 // G-code*10 of the modal motion (800 = G80: none)
    private Plane _plane = Plane.XY;
    private bool _absolute = true;                 // G90
    private bool _arcAbsolute;                     // G90.1
    private FeedRateMode _feedMode = FeedRateMode.UnitsPerMinute;
    private double _unit = 1.0;                    // mm per program unit (25.4 in G20)
    private Vec3 _toolOffset;                      // tool length offset in force (G43), mm
    private int _coordSystem = 1;                  // 1..9 = G54..G59.3
    private readonly Vec3[] _workOffsets = new Vec3[10];
    private readonly double[] _workRotation = new double[10]; // degrees, G10 L2 R
    private Vec3 _g92;
    private bool _g92Enabled;
    private readonly double[] _g92Saved = new double[3];
    private PathControlMode _pathMode = PathControlMode.Continuous;
    private double _pathTolerance, _naiveTolerance; // mm
    private bool _retractToOldZ;                    // G98 (true) or G99 (false, LinuxCNC's default)
    private double _feedRate;                       // program units/min (G94), 1/min (G93) or units/rev (G95); stored in mm where a length
    private double _spindleRpm;
    private SpindleDirection _spindleDir = SpindleDirection.Off;
    private int _toolInSpindle;
    private int _selectedTool;
    private bool _mist, _flood;
    private Vec3 _pos;                              // current point, program coordinates, mm
    private Vec3 _machineLast;                      // machine position of the last emitted point
    private bool _ended;
    private bool _percentMode;
    private int _lastContentLine;
    private double _cycleR, _cycleZ, _cycleQ, _cycleP;
    private bool _cycleRSet;

    public Interpreter(LineSource source, InterpreterOptions? options = null)
    {
        _source = source;
        _mainSourceField = source;
        _programDirectory = source.FileName.StartsWith('<') ? null : Path.GetDirectoryName(Path.GetFullPath(source.FileName));
        _opt = options ?? new InterpreterOptions();
        _toolInSpindle = _selectedTool = _opt.InitialTool;
        _workOffsets[1] = _opt.InitialG54Offset;
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
        foreach (var f in _callStack) f.CallerSource?.Dispose();
        _source.Dispose();
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
    public ModalSnapshot Modal => new(_absolute, _unit, _feedMode, _compSide != 0, _workRotation[_coordSystem], _block.Line, _source.FileName);

    /// <summary>Streams the canonical commands of the program, one block at a time.</summary>
    public IEnumerable<CanonicalCommand> Run()
    {
        bool first = true;
        int sinceProgress = 0;
        while (!_ended)
        {
            if (++sinceProgress == 1024) { sinceProgress = 0; NoteProgress(); }
            if (!_source.TryReadLine(out var line))
            {
                {
                    FlushComp();
                    if (_callStack.Count > 0)
                        throw new GCodeException(_source.FileName, _lastContentLine, 1, $"file ended inside subroutine o<{_callStack.Peek().Name}> (missing endsub / M99)");
                    if (_control.Count > 0)
                        throw new GCodeException(_source.FileName, _lastContentLine, 1, $"file ended inside o{_control.Peek().Name} {_control.Peek().Kind.ToString().ToLowerInvariant()} (missing end)");
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
            GCodeException? failed = null;
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
            int limit = _held != null ? _heldIndex : _out.Count;
            for (int i = 0; i < limit; i++) yield return _out[i];
            if (failed != null) { _out.Clear(); System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed); }
            if (limit == _out.Count) _out.Clear();
            else { _out.RemoveRange(0, limit); _heldIndex -= limit; }
        }
    }

    // ---- coordinate frames ---------------------------------------------------------------------

    /// <summary>Machine = rotate(program + G92 offset, work rotation) + work offset (LinuxCNC's order).</summary>
    private Vec3 ToMachine(Vec3 p) => RotateXY(p + _g92, _workRotation[_coordSystem]) + _workOffsets[_coordSystem];

    private Vec3 FromMachine(Vec3 m) => FromMachineIn(_coordSystem, m);

    /// <summary>Program coordinates in coordinate system <paramref name="cs"/> (G92 shift included) of a machine point.</summary>
    private Vec3 FromMachineIn(int cs, Vec3 m) => RotateXY(m - _workOffsets[cs], -_workRotation[cs]) - _g92;

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
        _out.Add(new OffsetsChanged(Loc(), _workOffsets[_coordSystem], _g92, _workRotation[_coordSystem], _coordSystem));
    }

    // ---- emission ------------------------------------------------------------------------------

    /// <summary>Where emitted commands go: the output list, or a scratch list while cutter compensation resolves a held move.</summary>
    private List<CanonicalCommand> _emit => _emitScratch ?? _out;
    private List<CanonicalCommand>? _emitScratch;

    private void EmitRapid(Vec3 programEnd, int column) => EmitRapid(programEnd, Loc(column));

    private void EmitRapid(Vec3 programEnd, SourceLocation loc)
    {
        var end = ToMachine(programEnd);
        _emit.Add(new RapidMove(loc, _machineLast, end, _spindleRpm, _toolInSpindle));
        _machineLast = end;
    }

    private void EmitFeed(Vec3 programEnd, int column) => EmitFeed(programEnd, Loc(column), _feedMode, _feedRate);

    private void EmitFeed(Vec3 programEnd, SourceLocation loc, FeedRateMode mode, double feedRate)
    {
        var end = ToMachine(programEnd);
        double feed = EffectiveFeed(mode, feedRate, _machineLast.DistanceTo(end));
        _emit.Add(new LinearFeed(loc, _machineLast, end, feed, _spindleRpm, _toolInSpindle));
        _machineLast = end;
    }

    private void EmitProbe(Vec3 programEnd, int column)
    {
        var end = ToMachine(programEnd);
        _emit.Add(new ProbeMove(Loc(column), _machineLast, end, EffectiveFeed(_feedMode, _feedRate, _machineLast.DistanceTo(end)), _spindleRpm, _toolInSpindle));
        _machineLast = end;
    }

    private void EmitArc(Vec3 programEnd, Vec3 programCenter, Plane plane, bool clockwise, int turns, int column) =>
        EmitArc(programEnd, programCenter, plane, clockwise, turns, Loc(column), _feedMode, _feedRate);

    private void EmitArc(Vec3 programEnd, Vec3 programCenter, Plane plane, bool clockwise, int turns, SourceLocation loc, FeedRateMode mode, double feedRate)
    {
        var end = ToMachine(programEnd);
        var center = ToMachine(programCenter);
        // The centre's normal coordinate is the start's, so the centre lies in the arc's starting plane.
        var (cf, cs, _) = plane.Split(center);
        var (_, _, sn) = plane.Split(_machineLast);
        center = plane.Join(cf, cs, sn);
        var arc = new ArcFeed(loc, _machineLast, end, center, plane, clockwise, turns, 0, _spindleRpm, _toolInSpindle);
        double feed = EffectiveFeed(mode, feedRate, arc.LengthMm);
        _emit.Add(feed == 0 ? arc : arc with { FeedMmPerMin = feed });
        _machineLast = end;
    }

    private double EffectiveFeed(FeedRateMode mode, double feedRate, double lengthMm) => mode switch
    {
        // F = 1 / minutes for the move; LinuxCNC never goes below 0.1 program units/min
        FeedRateMode.InverseTime => Math.Max(feedRate * lengthMm, 0.1 * _unit),
        FeedRateMode.UnitsPerRevolution => feedRate * _spindleRpm,     // mm/rev * rev/min
        _ => feedRate,
    };
}

/// <summary>Modal state of the interpreter at a block (see <see cref="Interpreter.Modal"/>). MmPerUnit: 1 in G21, 25.4 in G20.</summary>
public readonly record struct ModalSnapshot(bool Absolute, double MmPerUnit, FeedRateMode FeedMode, bool CutterCompensation, double XyRotationDeg, int Line, string File);
