using CncTwin.Core;

namespace CncTwin.GCode.Tests.Conformance;

/// <summary>
/// Fanuc Macro B (--dialect fanuc, or a program that starts with its O number), where LinuxCNC has no oracle:
/// hand-worked programs with the moves a Fanuc control makes.
/// </summary>
public class FanucMacroTests
{
    private static readonly InterpreterOptions Fanuc = new() { Dialect = GCodeDialect.Fanuc };

    private static List<CanonicalCommand> Run(string program, InterpreterOptions? opt = null) => Interpreter.InterpretString(program, opt ?? Fanuc, "f.nc");
    private static List<Move> Moves(string program, InterpreterOptions? opt = null) => Run(program, opt).OfType<Move>().ToList();
    private static GCodeException Fails(string program) => Assert.Throws<GCodeException>(() => Run(program));

    private static void Near(Vec3 expected, Vec3 actual, double tol = 1e-9) =>
        Assert.True(expected.DistanceTo(actual) <= tol, $"expected {expected}, got {actual}");

    [Fact]
    public void BoltCircleMacroCalledWithG65DrillsItsHoles()
    {
        // G65 P9010: X50 Y20 -> #24 #25 (centre), R30 -> #18, A0 -> #1 (first angle), B90 -> #2 (step), H4 -> #11 (holes),
        // Z-5 -> #26. Holes at 0, 90, 180, 270 degrees on R30 about (50, 20): (80, 20), (50, 50), (20, 20), (50, -10).
        const string program = """
            %
            O1000 (BOLT CIRCLE)
            G21 G90 G17 G54
            G0 X0 Y0 Z10
            G65 P9010 X50. Y20. R30. A0 B90. H4 Z-5.
            G0 X0 Y0
            M30
            O9010 (BOLT HOLE CIRCLE MACRO)
            #100 = 0
            WHILE [#100 LT #11] DO1
            #101 = #1 + #100 * #2
            G81 X[#24 + #18 * COS[#101]] Y[#25 + #18 * SIN[#101]] Z#26 R2. F100
            #100 = #100 + 1
            END1
            G80
            M99
            %
            """;
        var m = Moves(program, new InterpreterOptions());   // auto: the O number at the top makes it Fanuc
        var holes = m.OfType<LinearFeed>().Select(f => f.End).ToList();
        Assert.Equal(4, holes.Count);
        Near(new Vec3(80, 20, -5), holes[0]);
        Near(new Vec3(50, 50, -5), holes[1]);
        Near(new Vec3(20, 20, -5), holes[2]);
        Near(new Vec3(50, -10, -5), holes[3]);
        Near(new Vec3(0, 0, 2), m[^1].End);               // back in the main program after M99 (G99: the tool is at R)
    }

    [Fact]
    public void IfGotoLoopsWithCommonVariablesAndUnbracketedAssignments()
    {
        var m = Moves("O2000\nG21 G90 G0 X0 Y0 Z5\n#1 = 0\nN10 #1 = #1 + 1\nG1 X[#1 * 10] F200\nIF [#1 LT 3] GOTO 10\nGOTO 30\nG0 X99 (skipped)\nN30 G0 Z7\nM30\n");
        Assert.Equal(new[] { 10.0, 20, 30, 30 }, m.Skip(1).Select(x => x.End.X).ToArray());
        Near(new Vec3(30, 0, 7), m[^1].End);
    }

    [Fact]
    public void VacantVariablesLeaveWordsOutAndDifferFromZeroOnlyInEqAndNe()
    {
        const string program = """
            O3000
            G21 G90 G0 X1 Y1 Z1
            G0 X#2 Y5
            #3 = #2
            IF [#3 EQ #0] THEN #4 = 7
            IF [#3 EQ 0] THEN #4 = 9
            #5 = #2 + 2
            G0 X#4 Y#5
            M30
            """;
        var m = Moves(program);
        Near(new Vec3(1, 5, 1), m[1].End);                // X#2 with #2 vacant: no X word
        Near(new Vec3(7, 2, 1), m[2].End);                // vacant EQ #0, not EQ 0; vacant + 2 = 2
    }

    [Fact]
    public void OperatorsFollowFanucPrecedence()
    {
        // * / AND bind tighter than + - OR XOR; AND, OR, XOR are bitwise: 6 AND 3 = 2, 5 OR [2 * 1] = 7, 2 + 3 * 4 = 14
        var m = Moves("O1\nG21 G90\n#6 = 2 + 3 * 4\n#7 = 6 AND 3\n#8 = 5 OR 2 * 1\n#9 = [1 + 2] * 3\nG0 X#6 Y#7 Z#8\nG0 X#9 Y[ATAN[-1]/[1]]\nM30\n");
        Near(new Vec3(14, 2, 7), m[0].End);
        Near(new Vec3(9, 315, 7), m[1].End);              // Fanuc ATAN gives 0..360 degrees
    }

    [Fact]
    public void NestedMacroCallsKeepTheirOwnLocals()
    {
        // O100 is called with X1: it calls O200 with X5 (O200's #24 = 5), and after the return its own #24 is 1 again.
        const string program = "O1\nG21 G90\nG65 P100 X1.\nM30\nO100\nG65 P200 X5.\nG0 X#24 Y#24\nM99\nO200\nG0 X#24 Y[#24 * 2]\n#500 = #24 + 1\nM99\n";
        var m = Moves(program);
        Near(new Vec3(5, 10, 0), m[0].End);
        Near(new Vec3(1, 1, 0), m[1].End);
        // #500 is common: it keeps 6 after the macro returns
        var back = Moves(program.Replace("M30\nO100", "G0 Z#500\nM30\nO100"));
        Assert.Equal(6, back[^1].End.Z, 12);
    }

    [Fact]
    public void WhileLoopsNestAndAFalseConditionSkipsToItsEnd()
    {
        const string program = """
            O1
            G21 G90 G0 X0 Y0 Z0
            #1 = 0
            WHILE [#1 LT 2] DO1
            #2 = 0
            WHILE [#2 LT 3] DO2
            G1 X[#2 * 10] Y[#1 * 10] F500
            #2 = #2 + 1
            END2
            #1 = #1 + 1
            END1
            WHILE [#1 GT 100] DO1
            G0 X999
            END1
            M30
            """;
        var ends = Moves(program).Skip(1).Select(x => (x.End.X, x.End.Y)).ToArray();
        Assert.Equal(new[] { (0.0, 0.0), (10, 0), (20, 0), (0, 10), (10, 10), (20, 10) }, ends);
    }

    [Fact]
    public void DwellsAreMillisecondsWithoutADecimalPoint()
    {
        var dwells = Run("O1\nG21 G90 G0 Z5\nG04 P500\nG04 X1.5\nG04 P2.5\nG82 X1 Y1 Z-1 R1 P250 F100\nG80\nM30\n").OfType<Dwell>().Select(d => d.Seconds).ToArray();
        Assert.Equal(new[] { 0.5, 1.5, 2.5, 0.25 }, dwells);
        // LinuxCNC reads P in seconds
        Assert.Equal(500, Interpreter.InterpretString("G21 G4 P500\nM2").OfType<Dwell>().Single().Seconds);
    }

    [Fact]
    public void SubprogramRepeatsInThePWordAndCycleRepeatsInK()
    {
        // M98 P21001: O1001 twice (Fanuc 0-series); G91 G81 ... K3: three holes 10 mm apart.
        var m = Moves("O1\nG21 G90 G0 X0 Y0 Z5\nM98 P21001\nG90 G0 X0 Y0 Z5\nG91 G81 X10. Z-6. R-3. K3 F100\nG80 G90\nM30\nO1001\nG91 G1 X5. F100\nM99\n");
        Assert.Equal(10, m[2].End.X, 12);                  // two passes of X5
        var holes = m.OfType<LinearFeed>().Skip(2).Select(f => f.End.X).ToArray();
        Assert.Equal(new[] { 10.0, 20, 30 }, holes);
    }

    [Fact]
    public void HaasStyleProgramGivesTheMachinesMoves()
    {
        // G91 G28 Z0 (through the current point to machine Z0), G43 H / G41 D, G83 peck drilling with Q:
        // from R2 pecks of 4 to -2 and -6, each back to R then down to 0.254 mm above the last depth, then -10.
        const string program = """
            %
            O0100 (HAAS STYLE)
            T1 M06
            G00 G90 G17 G40 G80 G21 G54
            G91 G28 Z0.
            G90 G00 X0. Y0. S3000 M03
            G43 H01 Z10.
            G99 G83 Z-10. R2. Q4. F100.
            G80
            G41 D01 G01 X20. F300.
            G40 G00 X30.
            M30
            %
            """;
        var opt = new InterpreterOptions { Tools = ToolTable.Parse(new StringReader("T1 P1 D6 Z50\n"), "t.tbl") };
        var m = Moves(program, opt);
        Near(new Vec3(0, 0, 0), m[0].End);                 // G91 G28 Z0: through here ...
        Near(new Vec3(0, 0, 0), m[1].End);                 // ... to machine Z0 (the tip, no offset yet)
        var feeds = m.OfType<LinearFeed>().Take(3).Select(f => f.End.Z).ToArray();
        Assert.Equal(new[] { -2.0, -6, -10 }, feeds);
        var rapidsAfterSecondPeck = m.SkipWhile(x => x.End.Z != -6).Skip(1).Take(2).Select(x => x.End.Z).ToArray();
        Assert.Equal(2, rapidsAfterSecondPeck[0], 9);
        Assert.Equal(-5.746, rapidsAfterSecondPeck[1], 9);
        Near(new Vec3(20, 3, 2), m.OfType<LinearFeed>().Last().End);   // G41 D01, 3 mm radius, left of +X
    }

    [Fact]
    public void MacroAlarmStopsWithItsMessageOnItsLine()
    {
        var e = Fails("O1\nG21\nIF [#5 EQ #0] GOTO 99\nM30\nN99 #3000 = 12 (TOOL LENGTH NOT SET)\nM30\n");
        Assert.Equal(5, e.Line);
        Assert.Equal("macro alarm 3012: TOOL LENGTH NOT SET", e.Reason);
        var g = Fails("O1\nG21\nGOTO 50\nM30\n");
        Assert.Equal(3, g.Line);
        Assert.Contains("no block N50", g.Reason);
    }

    [Fact]
    public void EndlessLoopsStopWithAnErrorNotAHang()
    {
        var opt = new InterpreterOptions { Dialect = GCodeDialect.Fanuc, MaxLoopIterations = 1000 };
        var g = Assert.Throws<GCodeException>(() => Interpreter.InterpretString("O1\nG21\nN10 G0 X1\nGOTO 10\nM30\n", opt));
        Assert.Equal(4, g.Line);
        Assert.Contains("endless loop", g.Reason);
        var w = Assert.Throws<GCodeException>(() => Interpreter.InterpretString("O1\nG21\nDO1\nG0 X1\nEND1\nM30\n", opt));
        Assert.Contains("endless loop", w.Reason);
        var e = Assert.Throws<GCodeException>(() => Interpreter.InterpretString("O1\nG21\nWHILE [1 LT 0] DO1\nG0 X1\nM30\n", opt));
        Assert.Contains("END1", e.Reason);
    }

    [Fact]
    public void ParseTakesTheDialectOnTheCommandLine()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cnctwin-dialect-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // no O number: auto reads LinuxCNC, where "#1 = 2 + 3" is refused; --dialect fanuc runs it
            string prog = Path.Combine(dir, "macro.nc");
            File.WriteAllText(prog, "G21 G90\n#1 = 2 + 3\nG0 X#1\nM30\n");
            var auto = TestPaths.RunCnctwin("parse", prog);
            Assert.Equal(1, auto.Code);
            Assert.Contains("macro.nc:2:", auto.Err);
            var fanuc = TestPaths.RunCnctwin("parse", prog, "--dialect", "fanuc");
            Assert.True(fanuc.Code == 0, fanuc.Err);
            Assert.StartsWith("3,rapid,5,0,0,", fanuc.Out.Split('\n')[1]);
            var bad = TestPaths.RunCnctwin("parse", prog, "--dialect", "haas");
            Assert.NotEqual(0, bad.Code);
            Assert.Contains("'haas' not recognized", bad.Err);
            // simulate reads it in the dialect asked for, as parse does.
            var sim = TestPaths.RunCnctwin("simulate", prog, "--dialect", "fanuc", "--out", Path.Combine(dir, "out"), "--resolution", "1", "--dt", "0.1", "--quiet");
            Assert.True(sim.Code == 0, sim.Err);
            var simAuto = TestPaths.RunCnctwin("simulate", prog, "--out", Path.Combine(dir, "out2"), "--resolution", "1", "--dt", "0.1", "--quiet");
            Assert.Equal(1, simAuto.Code);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void SystemVariablesReadTheModalStateAndPosition()
    {
        var m = Moves("O1\nG21 G90 G0 X10 Y5 Z2\n#10 = #5041\n#11 = #4003\nG91\n#12 = #4003\nG90 G0 X#10 Y#11 Z#12\nM30\n");
        Near(new Vec3(10, 90, 91), m[^1].End);
    }

    [Fact]
    public void AutoDetectsFanucFromTheProgramNumberOnly()
    {
        using var fanuc = Interpreter.FromString("%\n(SHOP HEADER)\nO1234 (PART)\nG21 G0 X1\nM30\n%\n");
        fanuc.Run().ToList();
        Assert.Equal(GCodeDialect.Fanuc, fanuc.Dialect);
        using var linuxcnc = Interpreter.FromString("(header)\nG21 G0 X1\nM2\n");
        linuxcnc.Run().ToList();
        Assert.Equal(GCodeDialect.LinuxCnc, linuxcnc.Dialect);
        // In LinuxCNC's language an assignment needs brackets: "#1 = 2 + 3" is refused there.
        Assert.Throws<GCodeException>(() => Interpreter.InterpretString("G21\n#1 = 2 + 3\nG0 X#1\nM2\n"));
        Assert.Equal(5, Moves("G21\n#1 = 2 + 3\nG0 X#1\nM30\n")[0].End.X, 12);
    }

    [Fact]
    public void AMissingSubprogram_IsNamedAtItsPWord_AfterTheSearchForARepeatCount()
    {
        // M98 P21001: first looked for as O21001, then as O1001 twice; neither exists. The search parses the lines it
        // passes, and the error must still point at this line's P word (column 5), not at a column of another line.
        var ex = Assert.Throws<GCodeException>(() => Run("O1000\nM98 P21001\nG0 X1\nM30\n"));
        Assert.Equal(2, ex.Line);
        Assert.Equal(5, ex.Column);
        Assert.Contains("O1001", ex.Reason);
    }
}
