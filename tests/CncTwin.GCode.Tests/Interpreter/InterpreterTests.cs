using System.Diagnostics;
using System.Text;
using CncTwin.Core;
using CncTwin.Core.IO;

namespace CncTwin.GCode.Tests.InterpreterBehaviour;

/// <summary>Behaviour checked against hand-worked geometry and LinuxCNC's documentation.</summary>
public class InterpreterTests
{
    private static List<Move> Moves(string program, InterpreterOptions? opt = null) =>
        Interpreter.InterpretString(program, opt).OfType<Move>().ToList();

    private static GCodeException Fails(string program) => Assert.Throws<GCodeException>(() => Moves(program));

    private static void Near(Vec3 expected, Vec3 actual, double tol = 1e-9) =>
        Assert.True(expected.DistanceTo(actual) <= tol, $"expected {expected}, got {actual}");

    [Fact]
    public void InchProgramsAreConvertedExactly()
    {
        var m = Moves("G20 G90\nG0 X1 Y-2.5 Z0.1\nG21 G1 X10 F100\nM2");
        Near(new Vec3(25.4, -63.5, 2.54), m[0].End, 1e-12);
        Near(new Vec3(10, -63.5, 2.54), m[1].End, 1e-12);
        var f = Moves("G20 G1 X1 F10\nM2");
        Assert.Equal(254, f[0].FeedMmPerMin, 9);
    }

    [Fact]
    public void QuarterArcInIjkFormHasItsCentreAndLength()
    {
        var arc = Assert.IsType<ArcFeed>(Moves("G21 G17 G90 G0 X10 Y0\nG3 X0 Y10 I-10 J0 F100\nM2")[1]);
        Near(Vec3.Zero, arc.Center);
        Assert.False(arc.Clockwise);
        Assert.Equal(1, arc.Turns);
        Assert.Equal(Math.PI * 10 / 2, arc.LengthMm, 9);
    }

    [Fact]
    public void NegativeRSelectsTheLongArc()
    {
        // From (0,0) to (10,0), R -10 clockwise: the centre is below the chord for the short arc and above for the long one.
        var shortArc = Assert.IsType<ArcFeed>(Moves("G21 G0 X0 Y0\nG2 X10 Y0 R10 F100\nM2")[1]);
        var longArc = Assert.IsType<ArcFeed>(Moves("G21 G0 X0 Y0\nG2 X10 Y0 R-10 F100\nM2")[1]);
        Near(new Vec3(5, -Math.Sqrt(75), 0), shortArc.Center, 1e-9);
        Near(new Vec3(5, Math.Sqrt(75), 0), longArc.Center, 1e-9);
        Assert.True(longArc.LengthMm > shortArc.LengthMm * 4);
    }

    [Fact]
    public void FullCircleHelixWithTurns()
    {
        var arc = Assert.IsType<ArcFeed>(Moves("G21 G0 X5 Y0 Z0\nG2 X5 Y0 Z-3 I-5 J0 P3 F200\nM2")[1]);
        Assert.Equal(3, arc.Turns);
        Near(new Vec3(5, 0, -3), arc.End);
        double planar = 3 * 2 * Math.PI * 5;
        Assert.Equal(Math.Sqrt(planar * planar + 9), arc.LengthMm, 6);
    }

    [Fact]
    public void XzPlaneArcLeavesTheNormalAxisCentreEmptyInCsv()
    {
        var cmds = Interpreter.InterpretString("G21 G18 G0 X0 Y7 Z0\nG2 X10 Z0 I5 K0 F100\nM2");
        var sw = new StringWriter();
        MoveListWriter.WriteCsv(cmds, sw);
        var lines = sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var f = lines[2].Split(',');
        Assert.Equal("arc_cw", f[1]);
        Assert.Equal("5", f[5]);   // cx
        Assert.Equal("", f[6]);    // cy: normal axis of XZ
        Assert.Equal("0", f[7]);   // cz
        Assert.Equal("XZ", f[8]);
    }

    [Fact]
    public void CsvHeaderIsTheContract()
    {
        var sw = new StringWriter();
        MoveListWriter.WriteCsv(Interpreter.InterpretString("G0 X1\nM2"), sw);
        Assert.StartsWith("line,motion,x,y,z,cx,cy,cz,plane,turns,feed_mm_min,spindle_rpm,tool", sw.ToString().Split('\n')[0]);
    }

    [Fact]
    public void WorkOffsetsAndG92AddUpInMachineCoordinates()
    {
        var m = Moves("G21 G10 L2 P2 X100 Y50 Z-20\nG55 G0 X0 Y0 Z0\nG92 X10\nG0 X10 Y5\nG92.1\nG0 X0\nM2");
        Near(new Vec3(100, 50, -20), m[0].End);
        Near(new Vec3(100, 55, -20), m[1].End);   // G92 made the current X read 10, so X10 is where we were
        Near(new Vec3(100, 55, -20), m[2].End);   // after G92.1, G55's X0
    }

    [Fact]
    public void ToolLengthOffsetIsNotAddedToTheTip()
    {
        var tools = ToolTable.Parse(new StringReader("T3 P3 Z40 D10\n"), "t.tbl");
        var m = Moves("G21 T3 M6\nG43 H3\nG0 X0 Y0 Z5\nG49\nG0 Z5\nM2", new InterpreterOptions { Tools = tools });
        Assert.All(m, x => Assert.Equal(5, x.End.Z, 9));
        Assert.Equal(3, m[0].Tool);
    }

    [Fact]
    public void ToolMissingFromALoadedTableIsAnErrorAtTheTWord()
    {
        var tools = ToolTable.Parse(new StringReader("T3 P3 Z40 D10\n"), "t.tbl");
        var ex = Assert.Throws<GCodeException>(() => Moves("G21\nT99 M6\nM2", new InterpreterOptions { Tools = tools }));
        Assert.Equal((2, 1), (ex.Line, ex.Column));
        Assert.Contains("99", ex.Reason);
        Assert.Single(Moves("G21\nT99 M6\nG0 X1\nM2")); // no table: accepted
    }

    [Fact]
    public void G43_1TakesAxisWordsAsLengthNotMotion()
    {
        var m = Moves("G21 G0 X0 Y0 Z0\nG43.1 Z25\nG0 Z0\nM2");
        Assert.Equal(2, m.Count);
    }

    [Theory]
    [InlineData("2 + 3 * 4 ** 2", 50)]
    [InlineData("[2 + 3] * 4", 20)]
    [InlineData("ATAN[1]/[1]", 45)]
    [InlineData("SIN[30]", 0.5)]
    [InlineData("ACOS[0]", 90)]
    [InlineData("SQRT[16] + ABS[-2]", 6)]
    [InlineData("7 MOD 3", 1)]
    [InlineData("-7 MOD 3", 2)]
    [InlineData("FIX[-2.5] + FUP[2.1] + ROUND[2.5]", 3)]
    [InlineData("1 LT 2 AND 3 GE 3", 1)]
    [InlineData("1 EQ 2 OR 0 XOR 1", 1)]
    [InlineData("EXP[LN[5]]", 5)]
    [InlineData("EXISTS[#<nope>]", 0)]
    [InlineData("10 / 4", 2.5)]
    public void ExpressionsFollowLinuxCncPrecedenceAndFunctions(string expr, double expected)
    {
        var m = Moves($"G21 G0 X[{expr}]\nM2");
        Assert.Equal(expected, m[0].End.X, 9);
    }

    [Theory]
    [InlineData("0.00000000000000000001", 1e-20)]
    [InlineData("123456789012345678", 123456789012345678.0)]
    [InlineData("0.1234567890123456789", 0.1234567890123456789)]
    [InlineData("25.4", 25.4)]
    public void NumbersParseExactlyWhateverTheirLength(string text, double expected)
    {
        Assert.Equal(expected, Moves($"G21 G0 X{text}\nM2")[0].End.X);
    }

    [Fact]
    public void ParametersAreSetAfterTheLineIsRead()
    {
        // LinuxCNC: "#1=5 G0 X#1" on one line uses the old #1 (0).
        var m = Moves("G21 #1=3\n#1=5 G0 X#1\nG0 X#1\nM2");
        Assert.Equal(3, m[0].End.X, 9);
        Assert.Equal(5, m[1].End.X, 9);
    }

    [Fact]
    public void SubroutinesTakeArgumentsAndReturnValues()
    {
        const string program = """
            o<sq> sub
              o<sq> return [#1 * #1]
            o<sq> endsub
            G21
            o<sq> call [7]
            G0 X#<_value>
            M2
            """;
        Assert.Equal(49, Moves(program)[0].End.X, 9);
    }

    [Fact]
    public void CannedCycleExpandsIntoRealMoves()
    {
        var m = Moves("G21 G0 X0 Y0 Z10\nG98 G81 X5 Y5 Z-3 R2 F100\nG80\nM2");
        Assert.Equal(new[] { MotionKind.Rapid, MotionKind.Rapid, MotionKind.Rapid, MotionKind.Feed, MotionKind.Rapid }, m.Select(x => x.Kind));
        Near(new Vec3(5, 5, 10), m[1].End);
        Near(new Vec3(5, 5, 2), m[2].End);
        Near(new Vec3(5, 5, -3), m[3].End);
        Near(new Vec3(5, 5, 10), m[4].End);
    }

    [Fact]
    public void CutterCompensationOffsetsAStraightCutByTheRadius()
    {
        var tools = ToolTable.Parse(new StringReader("T1 P1 D10 Z0\n"), "t.tbl");
        var m = Moves("G21 T1 M6\nG0 X-20 Y-20\nG41 G1 X0 Y0 F100\nG1 X50\nG40 G1 X70 Y-20\nM2", new InterpreterOptions { Tools = tools });
        // Climbing along +X with the tool on the left: the centre runs at Y = +5.
        Assert.Contains(m, x => Math.Abs(x.End.X - 50) < 1e-6 && Math.Abs(x.End.Y - 5) < 1e-6);
    }

    [Theory]
    [InlineData("G21\nG1 X1 (unclosed\nM2", 2, 7, "comment")]
    [InlineData("G21\nG0 G1 X1 F1\nM2", 2, 4, "modal group")]
    [InlineData("G21\nG1 X1\nM2", 2, 1, "feed")]
    [InlineData("G21\nG2 X1 Y1 F10\nM2", 2, 1, "centre")]
    [InlineData("G21\nG0 X1 E4\nM2", 2, 7, "E word")]
    [InlineData("G21\nG0 X[1+]\nM2", 2, 8, "")]
    [InlineData("G21\nG0 X[1/0]\nM2", 2, 7, "divide by zero")]
    [InlineData("G21\nG0 X1 X2\nM2", 2, 7, "X")]
    [InlineData("G21\nG0 X1.2.3\nM2", 2, 8, "decimal")]
    [InlineData("G21\nG0 X#<missing>\nM2", 2, 5, "missing")]
    [InlineData("G21\nG2 X10 Y0 I3 J0 F10\nM2", 2, 1, "radius")]
    public void ErrorsNameLineColumnAndCause(string program, int line, int column, string words)
    {
        var ex = Fails(program);
        Assert.Equal(line, ex.Line);
        Assert.Equal(column, ex.Column);
        Assert.Contains(words, ex.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Equal($"<string>:{line}:{column}: {ex.Reason}", ex.Message);
    }

    [Fact]
    public void InterpretationStreamsWithoutReadingAheadOfWhatIsConsumed()
    {
        // An endless program: the first moves still come out, because the interpreter reads block by block.
        var endless = new EndlessProgramStream();
        using var interp = new Interpreter(new LineSource(endless, "<endless>"));
        var first = interp.Run().OfType<Move>().Take(1000).ToList();
        Assert.Equal(1000, first.Count);
        Assert.True(endless.BytesRead < 1 << 20, $"read {endless.BytesRead} bytes for 1000 moves");
    }

    private sealed class EndlessProgramStream : Stream
    {
        private long _line;
        private byte[] _pending = Array.Empty<byte>();
        private int _at;
        public long BytesRead { get; private set; }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (BytesRead > 64 << 20) return 0; // a reader that does not stream still ends (and fails the test)
            if (_at >= _pending.Length) { _pending = Encoding.ASCII.GetBytes($"G1 X{_line % 100} Y{_line++ % 37} F1000\n"); _at = 0; }
            int n = Math.Min(count, _pending.Length - _at);
            Array.Copy(_pending, _at, buffer, offset, n);
            _at += n; BytesRead += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long o, SeekOrigin s) => throw new NotSupportedException();
        public override void SetLength(long v) => throw new NotSupportedException();
        public override void Write(byte[] b, int o, int c) => throw new NotSupportedException();
    }
}

/// <summary>The command line, run as a real process: exit codes and the FILE:LINE:COLUMN contract on stderr.</summary>
public class CliTests
{
    private static (int Code, string Out, string Err) Cnctwin(params string[] args) => TestPaths.RunCnctwin(args);

    [Fact]
    public void ParseWritesTheCsvContract()
    {
        var (code, stdout, _) = Cnctwin("parse", "gcode-samples/contour.ngc");
        Assert.Equal(0, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("line,motion,x,y,z,cx,cy,cz,plane,turns,feed_mm_min,spindle_rpm,tool", lines[0]);
        Assert.Contains(lines, l => l.Split(',')[1] == "arc_cw");
        Assert.All(lines.Skip(1), l => Assert.Contains(l.Split(',')[1], new[] { "rapid", "feed", "arc_cw", "arc_ccw", "probe" }));
    }

    [Fact]
    public void ParseJsonHasTheSameMoves()
    {
        var csv = Cnctwin("parse", "gcode-samples/drilling.ngc");
        var json = Cnctwin("parse", "gcode-samples/drilling.ngc", "--format", "json");
        Assert.Equal(0, json.Code);
        using var doc = System.Text.Json.JsonDocument.Parse(json.Out);
        int csvMoves = csv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1;
        Assert.Equal(csvMoves, doc.RootElement.GetArrayLength());
        Assert.Equal("rapid", doc.RootElement[0].GetProperty("motion").GetString());
    }

    [Fact]
    public void ErrorsGoToStderrAsFileLineColumn()
    {
        var (code, _, stderr) = Cnctwin("parse", "gcode-samples/errors/unclosed-comment.ngc");
        Assert.Equal(1, code);
        Assert.StartsWith("gcode-samples/errors/unclosed-comment.ngc:4:13: ", stderr);
    }

    [Fact]
    public void MissingFileIsAUsageError()
    {
        var (code, _, stderr) = Cnctwin("parse", "no/such/file.ngc");
        Assert.Equal(2, code);
        Assert.Contains("no/such/file.ngc", stderr);
    }
}
