using CncTwin.Core;

namespace CncTwin.GCode.Tests.InterpreterBehaviour;

/// <summary>
/// LinuxCNC rules the random-program differential test (RandomProgramConformanceTests) found missing or different,
/// pinned here with hand-worked numbers so they hold without rs274 installed.
/// </summary>
public class LinuxCncRulesTests
{
    private static List<CanonicalCommand> Run(string program, InterpreterOptions? opt = null) =>
        Interpreter.InterpretString(program, opt).ToList();

    private static List<Move> Moves(string program, InterpreterOptions? opt = null) => Run(program, opt).OfType<Move>().ToList();

    private static GCodeException Fails(string program, InterpreterOptions? opt = null) => Assert.Throws<GCodeException>(() => Run(program, opt));

    private static void Near(Vec3 expected, Vec3 actual, double tol = 1e-6) =>
        Assert.True(expected.DistanceTo(actual) <= tol, $"expected {expected}, got {actual}");

    private static InterpreterOptions Tool(int number, double diameterMm, double lengthMm)
    {
        var table = new ToolTable();
        table.Set(new ToolEntry(number, number, new Vec3(0, 0, lengthMm), diameterMm, ""));
        return new InterpreterOptions { Tools = table };
    }

    [Fact]
    public void PredefinedNamedParametersAreReadOnly()
    {
        var e = Fails("G21\n#<_x> = 5\nM2");
        Assert.Equal(2, e.Line);
        Assert.Contains("read-only", e.Message);
        // a name LinuxCNC does not predefine is the program's own
        Assert.Single(Moves("G21\n#<_pi> = 3\nG0 X#<_pi>\nM2"));
    }

    [Fact]
    public void ASettingCreatesItsNameBeforeReadingItsValue()
    {
        var m = Moves("G21\n#<n> = [#<n> + 1]\nG0 X#<n>\nM2");
        Assert.Equal(1, m[0].End.X, 12);
        Assert.Equal(3, Fails("G21\n#<a> = 1\n#<b> = [#<c> + 1]\nM2").Line);
    }

    [Fact]
    public void CornerWithinTheTangentToleranceIsNeitherCutBackNorRounded()
    {
        // Line along +X, then a line turning left by 0.02 rad (< 0.05): with G42 (tool on the right) that is a
        // slightly concave corner. LinuxCNC leaves the first offset line at its own end and starts the next there.
        double turn = 0.02, r = 3;
        string x2 = (10 + 20 * Math.Cos(turn)).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        string y2 = (20 * Math.Sin(turn)).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var m = Moves($"G21 G17 G90 F100\nT1 M6\nG0 X0 Y-20\nG42 D1\nG1 X0 Y0\nG1 X10 Y0\nG1 X{x2} Y{y2}\nG40\nG0 X0 Y0\nM2", Tool(1, 2 * r, 0));
        var first = m[2];   // the line along X (after the rapid and the entry)
        Near(new Vec3(10, -r, 0), first.End);
        Assert.IsType<LinearFeed>(m[3]);
        Near(new Vec3(10, -r, 0), m[3].Start);
    }

    [Fact]
    public void RapidRoundsAConvexCornerWithAStraightTraverse()
    {
        var m = Moves("G21 G17 G90 F100\nT1 M6\nG0 X-20 Y-20\nG41 D1\nG1 X0 Y0\nG0 X10 Y0\nG40\nG0 X0 Y20\nM2", Tool(1, 6, 0));
        Assert.DoesNotContain(m, x => x is ArcFeed);
    }

    [Fact]
    public void ArcRightAfterG40IsRefused()
    {
        var e = Fails("G21 G17 G90 F100\nT1 M6\nG0 X-10 Y-10\nG41 D1\nG1 X0 Y0\nG1 X10 Y0\nG40\nG2 X20 Y0 R5\nM2", Tool(1, 6, 0));
        Assert.Equal(8, e.Line);
        var last = Moves("G21 G17 G90 F100\nT1 M6\nG0 X-10 Y-10\nG41 D1\nG1 X0 Y0\nG1 X10 Y0\nG40\nG0 Z5\nG2 X20 Y0 R5\nM2", Tool(1, 6, 0))[^1];
        Assert.IsType<ArcFeed>(last);
        Assert.Equal(9, last.Source.Line);
    }

    [Fact]
    public void BackBoringKeepsIJKForRepeatsAndNeedsThemFirst()
    {
        var m = Moves("G21 G17 G90 S1000 M3\nG0 X0 Y0 Z10\nG98 G87 X5 Y5 Z-2 R2 I1 J0.5 K3 F100\nX20 Y5\nG80\nM2");
        // second hole: the sideways move uses the kept I/J
        Assert.Contains(m, x => x.Source.Line == 4 && Math.Abs(x.End.X - 21) < 1e-9 && Math.Abs(x.End.Y - 5.5) < 1e-9);
        Assert.Equal(3, Fails("G21 G17 G90 S1000 M3\nG0 X0 Y0 Z10\nG98 G87 X5 Y5 Z-2 R2 J0.5 K3 F100\nG80\nM2").Line);
    }

    [Fact]
    public void LeftHandTappingNeedsTheSpindleCounterClockwiseAndDwellsP()
    {
        var cmds = Run("G21 G17 G90 S500 M4\nG0 X0 Y0 Z10\nG99 G74 X5 Y5 Z-2 R2 P0.7 F100\nG80\nM2");
        var dwell = Assert.Single(cmds.OfType<Dwell>());
        Assert.Equal(0.7, dwell.Seconds, 12);
        Assert.Contains(cmds, c => c is SpindleStart s && s.Direction == SpindleDirection.Clockwise);  // reversed out
        var e = Fails("G21 G17 G90 S500 M3\nG0 X0 Y0 Z10\nG99 G74 X5 Y5 Z-2 R2 F100\nG80\nM2");
        Assert.Equal(3, e.Line);
        Assert.Equal(3, Fails("G21 G17 G90 S500 M4\nG0 X0 Y0 Z10\nG99 G74 X5 Y5 Z-2 R2 L2 F100\nG80\nM2").Line);
    }

    [Fact]
    public void CycleSpindleCheckComesAfterTheApproach()
    {
        // LinuxCNC makes the approach to the first hole before it notices the stopped spindle.
        var moves = new List<Move>();
        using var interp = Interpreter.FromString("G21 G17 G90 M5\nG0 X0 Y0 Z10\nG98 G86 X5 Y5 Z-2 R2 P1 F100\nG80\nM2");
        var e = Assert.Throws<GCodeException>(() => { foreach (var c in interp.Run()) if (c is Move m) moves.Add(m); });
        Assert.Equal(3, e.Line);
        Assert.Equal(3, moves.Count);
        Near(new Vec3(5, 5, 2), moves[^1].End);
    }

    [Fact]
    public void HomeParametersSurviveAUnitsChange()
    {
        var m = Moves("G21 G90\nG0 X10 Y20 Z30\nG30.1\nG0 X0 Y0 Z0\nG20\nG30\nM2");
        Near(new Vec3(10, 20, 30), m[^1].End, 1e-9);
    }

    [Fact]
    public void LongLinesAndDuplicateLabelsAreRefusedAsLinuxCncDoes()
    {
        string longLine = "G0 X1 (" + new string('x', 250) + ")";
        Assert.Equal(2, Fails("G21\n" + longLine + "\nM2").Line);
        Assert.Equal(5, Fails("G21\no100 if [1 GT 0]\nG0 X1\no100 endif\no100 if [1 GT 0]\nG0 X2\no100 endif\nM2").Line);
        // the same label again in each call of a subroutine, or a loop line run again, is fine
        Assert.Equal(3, Moves("G21\no<s> sub\no100 if [1 GT 0]\nG0 X1\no100 endif\no<s> endsub\no<s> call\no<s> call\n#1=0\no200 while [#1 LT 1]\n#1=[#1+1]\nG0 Y1\no200 endwhile\nM2").Count);
    }

    [Fact]
    public void ZeroRadiusToleranceIsLinuxCncs()
    {
        Assert.Equal(2, Fails("G21 G17 G90 F100 G0 X0 Y0\nG2 X0 Y0 I0.00126 J0\nM2").Line);
        Assert.Single(Moves("G21 G17 G90 F100 G0 X0 Y0\nG2 X0 Y0 I0.00128 J0\nM2").OfType<ArcFeed>());
    }

    [Fact]
    public void ToolLengthFromG10L10MeasuresTheSpindle()
    {
        // Tool 1 (50 mm) loaded, tip at Z10: the spindle is at 60. Setting tool 2 so that Z reads 5 with it gives 55.
        var table = new ToolTable();
        table.Set(new ToolEntry(1, 1, new Vec3(0, 0, 50), 6, ""));
        table.Set(new ToolEntry(2, 2, Vec3.Zero, 6, ""));
        var opt = new InterpreterOptions { Tools = table };
        Run("G21 G90\nT1 M6\nG43 H1\nG0 Z10\nG10 L10 P2 Z5\nM2", opt);
        Assert.Equal(55, table.Get(2)!.Offset.Z, 9);
    }

    [Fact]
    public void InverseTimeFeedHasLinuxCncsFloor()
    {
        var m = Moves("G21 G90\nG93\nG1 X1 F0\nG1 X101 F0.5\nM2");
        Assert.Equal(0.1, m[0].FeedMmPerMin, 12);
        Assert.Equal(50, m[1].FeedMmPerMin, 9);
    }

    [Fact]
    public void SubroutineDefinedLaterOrInItsOwnFileGetsItsArguments()
    {
        // Finding the definition parsed other lines into the call's block: the arguments were lost (X0).
        var m = Moves("G21 G90\no<later> call [7] [2]\nM2\no<later> sub\nG1 X#1 Y#2 F100\no<later> endsub\n");
        Near(new Vec3(7, 2, 0), m[^1].End, 1e-12);
        string dir = Path.Combine(Path.GetTempPath(), "cnctwin-subfile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "shape.ngc"), "o<shape> sub\n  #<s> = #1\n  G91 G1 X#<s> F100\n  G90\no<shape> endsub [#<s> * 2]\nM2\n");
            string main = Path.Combine(dir, "main.ngc");
            File.WriteAllText(main, "G21 G90\no<shape> call [3]\nG1 X#<_value> F100\nM2\n");
            using var interp = Interpreter.FromFile(main);
            var moves = interp.Run().OfType<Move>().ToList();
            Near(new Vec3(3, 0, 0), moves[0].End, 1e-12);
            Near(new Vec3(6, 0, 0), moves[1].End, 1e-12);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void SkippedLinesMustStillBeReadable()
    {
        // A false branch may hold any words, but not a comment LinuxCNC cannot read.
        Assert.Single(Moves("G21\no100 if [0 GT 1]\nG0 Q5 X3\no100 endif\nG0 X2\nM2"));
        Assert.Equal(3, Fails("G21\no100 if [0 GT 1]\nG0 X1 (unclosed\no100 endif\nG0 X2\nM2").Line);
        Assert.Equal(3, Fails("G21\no100 if [0 GT 1]\nG0 X1 ((nested) comment)\no100 endif\nG0 X2\nM2").Line);
        // Searching down the file for a subroutine stops at such a line, before the call runs.
        var moves = new List<Move>();
        using var interp = Interpreter.FromString("G21\nG0 X1\no200 call\nG0 X2 (never closed\nM2\no200 sub\nG0 Y5\no200 endsub\n");
        var e = Assert.Throws<GCodeException>(() => { foreach (var c in interp.Run()) if (c is Move m) moves.Add(m); });
        Assert.Equal(4, e.Line);
        Assert.Single(moves);
    }

    [Fact]
    public void IncrementalPolarFromTheOriginIsRefused()
    {
        Assert.Equal(2, Fails("G21 G90 G0 X0 Y0\nG91 G1 @5 ^30 F100\nM2").Line);
        var m = Moves("G21 G90 G0 X10 Y0\nG91 G1 @5 ^90 F100\nM2");
        Near(new Vec3(0, 15, 0), m[^1].End, 1e-9);   // 15 mm out at 90 degrees: polar increments from (10, 0)
    }
}
