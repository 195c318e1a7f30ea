using System.Diagnostics;
using System.Text;
using CncTwin.Core;
using CncTwin.GCode.Tests.Conformance;

namespace CncTwin.GCode.Tests.InterpreterBehaviour;

/// <summary>
/// The mechanisms behind disagreements found on real CAM and machinist programs, each pinned with hand-worked
/// numbers (LinuxCNC's rs274 gave the same where it has an opinion).
/// </summary>
public class RealProgramMechanismTests
{
    private static List<Move> Moves(string program, InterpreterOptions? opt = null) =>
        Interpreter.InterpretString(program, opt).OfType<Move>().ToList();

    private static GCodeException Fails(string program, InterpreterOptions? opt = null) => Assert.Throws<GCodeException>(() => Moves(program, opt));

    private static void Near(Vec3 expected, Vec3 actual, double tol = 1e-9) =>
        Assert.True(expected.DistanceTo(actual) <= tol, $"expected {expected}, got {actual}");

    private static ToolTable Table(string tbl) => ToolTable.Parse(new StringReader(tbl), "t.tbl");

    // ---- G38.x probing: #5061-#5063, #5070, where the tool stands afterwards ----------------------

    [Fact]
    public void ProbeSetsTheProbedPointInProgramCoordinatesAndBacksOffLikeLinuxCnc()
    {
        // G54 Z-10: program Z0 is machine Z-10. The probe runs from program Z5 to Z-2, so #5061-#5063 = 1, 2, -2
        // and the next move goes to X[1+1] Y2 Z[-2+3] = (2, 2, 1) program = (2, 2, -9) machine. It starts where
        // the tool backed off to: 0.254 mm above the probed point, machine Z -12 + 0.254 = -11.746.
        var m = Moves("G21 G90\nG10 L2 P1 Z-10\nG0 X1 Y2 Z5\nG38.2 Z-2 F100\nG0 X[#5061 + 1] Y#5062 Z[#5063 + 3]\nM2");
        var probe = Assert.IsType<ProbeMove>(m[1]);
        Near(new Vec3(1, 2, -12), probe.End);
        Near(new Vec3(2, 2, -9), m[2].End);
        Near(new Vec3(1, 2, -11.746), m[2].Start);
    }

    [Fact]
    public void IncrementalMoveAfterAProbeStartsFromTheBackedOffPoint()
    {
        // rs274: G38.2 Z-2 from Z5, then G91 G0 Z1 ends at -2 + 0.254 + 1 = -0.746.
        var m = Moves("G21 G90 G0 Z5\nG38.2 Z-2 F100\nG91 G0 Z1\nM2");
        Near(new Vec3(0, 0, -0.746), m[2].End);
    }

    [Fact]
    public void ProbeParametersAreInTheUnitsOfTheProbeBlock()
    {
        // G20: #5063 = -0.1 (inches); Z[#5063 * 10] = -1 in = -25.4 mm; the back-off is 0.010 in = 0.254 mm.
        var m = Moves("G20 G90 G0 Z0.2\nG38.2 Z-0.1 F10\nG0 X1 Z[#5063 * 10]\nM2");
        Near(new Vec3(25.4, 0, -25.4), m[2].End);
        Near(new Vec3(0, 0, -2.286), m[2].Start);
    }

    [Fact]
    public void ProbeTowardsTheWorkTripsAndProbeThatMayMissDoesNotWithoutContactSimulation()
    {
        // #5070: 1 after G38.2 (the program goes on only if it tripped), 0 after G38.3 that ran to its end.
        var m = Moves("G21 G90 G0 Z5\nG38.2 Z-2 F100\nG0 X#5070\nG38.3 Z-4\nG0 Y[#5070 + 7]\nG38.4 Z0\nG0 X[#5070 * 3]\nM2");
        Assert.Equal(1, m[2].End.X, 12);
        Assert.Equal(7, m[4].End.Y, 12);
        Assert.Equal(3, m[6].End.X, 12);
    }

    [Fact]
    public void ProbeMovesLinuxCncRefusesAreRefused()
    {
        Assert.Contains("zero length", Fails("G21 G0 Z0\nG38.2 Z0 F10\nM2").Reason);
        // G38.5 from where it ends is accepted (LinuxCNC does), and leaves the tool there.
        var m = Moves("G21 G0 Z1\nG38.5 Z1 F10\nG0 X1\nM2");
        Near(new Vec3(1, 0, 1), m[2].End);
        Assert.Contains("G95", Fails("G21 G0 Z0 S100 M3\nG95 F0.1 G38.2 Z-1\nM2").Reason);
    }

    [Fact]
    public void ProbeStopsWhereTheContactCallbackSaysAndTheToolStaysThere()
    {
        ProbeRequest? asked = null;
        var opt = new InterpreterOptions
        {
            // the contact comes back a little off the move: it is taken to the nearest point of the move
            ProbeContact = r => { asked = r; return new Vec3(1.3, 2, -10.5); },
        };
        var m = Moves("G21 G90\nG10 L2 P1 Z-10\nG0 X1 Y2 Z5\nG38.2 Z-2 F100\nG0 Y[#5063 * 10 + #5070]\nG91 G0 Z1\nM2", opt);
        Assert.NotNull(asked);
        Near(new Vec3(1, 2, -5), asked!.Start);
        Near(new Vec3(1, 2, -12), asked.End);
        Assert.True(asked.TripsOnContact && asked.ErrorIfNoTrip);
        Assert.Equal("G38.2", asked.GCode);
        Assert.Equal(100, asked.FeedMmPerMin, 9);
        Assert.Equal(4, asked.Source.Line);
        Near(new Vec3(1, 2, -10.5), m[1].End);
        // #5063 = -0.5 (program), #5070 = 1: Y = -5 + 1 = -4; no back-off: Z1 incremental from -0.5 is 0.5 = machine -9.5
        Near(new Vec3(1, -4, -10.5), m[2].End);
        Near(new Vec3(1, -4, -9.5), m[3].End);
    }

    [Fact]
    public void ProbeThatFindsNoContactRunsToItsEndAndSaysSo()
    {
        var opt = new InterpreterOptions { ProbeContact = _ => null };
        var all = Interpreter.InterpretString("G21 G90 G0 Z5\nG38.3 Z-2 F100\nG0 X[#5070 + 2]\nG91 G0 Z1\nM2", opt);
        var m = all.OfType<Move>().ToList();
        Near(new Vec3(0, 0, -2), m[1].End);
        Assert.Equal(2, m[2].End.X, 12);             // #5070 = 0
        Near(new Vec3(2, 0, -1), m[3].End);          // no back-off without a contact
        Assert.Contains(all.OfType<Message>(), x => x.Text.Contains("G38.3") && x.Text.Contains("without the probe tripping"));
    }

    // ---- after a tool change LinuxCNC reads back where the tool stands ---------------------------

    private const string CompThenG40 = "G21 G90 T1 M6 F100\nG0 X0 Y0 Z5\nG41 G1 X10 Y0\nG1 X10 Y10\nG40\n";
    private static InterpreterOptions QuarterInchTool => new() { Tools = Table("T1 P1 D6.35 Z25.4\n") };

    [Fact]
    public void ZOnlyMoveAfterG40AndAToolChangeStaysAtTheCompensatedPoint()
    {
        // G41 with a 6.35 mm tool (r 3.175) left of X0->X10 then up X10: the tool stands at X 10 - 3.175 = 6.825,
        // Y10. G40 leaves the interpreter at the programmed X10; M6 re-reads the tool's place, so Z10 stays there.
        var withM6 = Moves(CompThenG40 + "M6\nG0 Z10\nM2", QuarterInchTool);
        Near(new Vec3(6.825, 10, 10), withM6[^1].End);
        var withM61 = Moves(CompThenG40 + "M61 Q1\nG0 Z10\nM2", QuarterInchTool);
        Near(new Vec3(6.825, 10, 10), withM61[^1].End);
        // Without a tool change LinuxCNC goes to the programmed point; a motion on the M6 line itself too (the
        // position is read back before the next line).
        Near(new Vec3(10, 10, 10), Moves(CompThenG40 + "G0 Z10\nM2", QuarterInchTool)[^1].End);
        var sameLine = Moves(CompThenG40 + "M6 G0 Z10\nG0 Z12\nM2", QuarterInchTool);
        Near(new Vec3(10, 10, 10), sameLine[^2].End);
        Near(new Vec3(10, 10, 12), sameLine[^1].End);
    }

    [Fact]
    public void LinuxCncsUsefulSubroutinesWithASixteenthInchToolMatchRs274()
    {
        string program = Path.Combine(TestPaths.LinuxCncExamples, "useful-subroutines.ngc");
        if (Rs274Oracle.FindRs274() == null || !File.Exists(program))
        {
            const string msg = "rs274 and LinuxCNC's examples are needed: apt-get install --no-install-recommends linuxcnc-uspace";
            if (TestPaths.InCi) Assert.Fail(msg);
            Assert.Skip(msg);
        }
        string table = Path.Combine(Path.GetTempPath(), "cnctwin-sixteenth-" + Guid.NewGuid().ToString("N") + ".tbl");
        File.WriteAllText(table, "T1 P1 D1.5875 Z25.4 ;1/16 in end mill\n");
        try
        {
            var report = ConformanceTests.Compare(program, table);
            Assert.True(report.Ok, report.Text);
        }
        finally { File.Delete(table); }
    }

    // ---- cutter compensation with a zero radius --------------------------------------------------

    [Fact]
    public void ZeroRadiusCompensationRunsTheContourAsProgrammed()
    {
        // LinuxCNC compensates nothing with a zero radius: no held moves, no gouge checks (a concave corner's
        // cut-back check used to be decided by a rounding-size dot product).
        var m = Moves("G21 G90 F100\nG0 X0.3 Y0.7 Z1\nG41.1 D0\nG1 X10.1 Y0.3\nG1 X10.7 Y10.9\nG3 X0.1 Y9.7 R6.1\nG1 X0.3 Y0.7\nG53 G0 Z0\nG40\nM2");
        Near(new Vec3(10.1, 0.3, 1), m[1].End);
        Near(new Vec3(10.7, 10.9, 1), m[2].End);
        Near(new Vec3(0.1, 9.7, 1), m[3].End);
        Near(new Vec3(0.3, 0.7, 1), m[4].End);
        Near(new Vec3(0.3, 0.7, 0), m[5].End);
        // the same with a zero-diameter tool from the table (G41 D2)
        var t = Moves("G21 G90 F100\nG0 X0.3 Y0.7\nG41 D2 G1 X10.1 Y0.3\nG1 X10.7 Y10.9\nG40 G1 X0 Y0\nM2", new InterpreterOptions { Tools = Table("T1 P1 D6\nT2 P2 D0\n") });
        Near(new Vec3(10.1, 0.3, 0), t[1].End);
        Near(new Vec3(10.7, 10.9, 0), t[2].End);
    }

    // ---- no tool table ---------------------------------------------------------------------------

    [Fact]
    public void WithoutAToolTableEveryToolExistsWithZeroOffsets()
    {
        var m = Moves("G21 G90 T4 M6 G43 H4\nG0 X1 Z5\nG41 D7 G1 X10 F100\nG40 G0 X0\nG43.2 H3\nG10 L1 P3 Z2\nT5 M6 G43 H5\nG0 Z5\nM2");
        Near(new Vec3(1, 0, 5), m[0].End);
        Near(new Vec3(10, 0, 5), m[1].End);         // D7: zero radius, nothing compensated
        Near(new Vec3(0, 0, 5), m[^1].End);          // T5 still exists after G10 L1 wrote T3
        // With a table, a tool missing from it is still the error LinuxCNC gives, where it gives it.
        var e = Fails("G21\nT4 M6\nM2", new InterpreterOptions { Tools = Table("T1 P1 D6 Z50\n") });
        Assert.Equal((2, 1), (e.Line, e.Column));
        var h = Fails("G21\nG43 H4\nM2", new InterpreterOptions { Tools = Table("T1 P1 D6 Z50\n") });
        Assert.Equal((2, 5), (h.Line, h.Column));
    }

    // ---- encoding --------------------------------------------------------------------------------

    [Fact]
    public void ByteOrderMarksAreNamedAndRefusedOnTheFirstLine()
    {
        var bom = Fails("\u00EF\u00BB\u00BF(program)\nG0 X1\nM2");
        Assert.Equal((1, 1), (bom.Line, bom.Column));
        Assert.Contains("UTF-8 byte-order mark", bom.Reason);
        Assert.Contains("without BOM", bom.Reason);
        var utf16 = Fails("\u00FF\u00FEG\u00000\u0000 \u0000X\u00001\u0000\n\u0000M\u00002\u0000\n\u0000");
        Assert.Equal(1, utf16.Line);
        Assert.Contains("UTF-16", utf16.Reason);
    }

    [Fact]
    public void ControlAndNonAsciiBytesAreNeverEchoedRaw()
    {
        var ctl = Fails("G0 X1 \u0001\nM2");
        Assert.Contains("control character 0x01", ctl.Reason);
        Assert.DoesNotContain('\u0001', ctl.Message);
        var utf8 = Fails("G0 X1 \u00C3\u00A9\nM2");
        Assert.Contains("byte 0xC3 (not ASCII)", utf8.Reason);
        var nul = Fails("G0 X1\u0000\nM2");
        Assert.DoesNotContain('\u0000', nul.Message);
        Assert.Contains("NUL", nul.Reason);
        // comments may hold anything (LinuxCNC accepts UTF-8 there)
        Assert.Single(Moves("G0 X1 (\u00C3\u00A9t\u00C3\u00A9)\nM2"));
    }

    // ---- feed mode words reset the feed (LinuxCNC) ------------------------------------------------

    [Fact]
    public void EveryFeedModeWordNeedsANewFeed()
    {
        Assert.Contains("zero feed", Fails("G21 G90 F100\nG94\nG1 X1\nM2").Reason);
        Assert.Single(Moves("G21 G90 F100\nG94 F200\nG1 X1\nM2"));
        Assert.Equal(200, Moves("G21 G90 G94 F200 G1 X1\nM2")[0].FeedMmPerMin, 9);
    }
}

/// <summary><c>cnctwin parse</c> and <c>simulate</c> on programs that stop on an error, or have no tool table beside them.</summary>
public sealed class ParseCliRealProgramTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cnctwin-parse-" + Guid.NewGuid().ToString("N"));
    public ParseCliRealProgramTests() => Directory.CreateDirectory(_dir);
    public void Dispose() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    // 3000 moves (about 300 kB of CSV, several write buffers), then a Mach3 M-code LinuxCNC does not have.
    private const string StopsOnLine7 = "G21 G90 F100\n#1=0\no1 while [#1 lt 3000]\nG1 X[#1 / 10] Y1\n#1=[#1+1]\no1 endwhile\nM25\nM2\n";

    [Fact]
    public void CsvKeepsEveryMoveBeforeTheError()
    {
        string prog = Path.Combine(_dir, "stops.ngc");
        File.WriteAllText(prog, StopsOnLine7);
        var (code, stdout, err) = TestPaths.RunCnctwin("parse", prog);
        Assert.Equal(1, code);
        Assert.Contains("stops.ngc:7:1:", err);
        var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("line,motion,x,y,z", rows[0]);
        Assert.Equal(3001, rows.Length);
        Assert.StartsWith("4,feed,299.9,1,0,", rows[^1]);
        // JSON too: every move before the error
        var json = TestPaths.RunCnctwin("parse", prog, "--format", "json");
        Assert.Equal(1, json.Code);
        Assert.Equal(3000, System.Text.RegularExpressions.Regex.Matches(json.Out, "\"motion\"").Count);
    }

    [Fact]
    public void SimulateKeepsTheTimelineUpToTheError()
    {
        string prog = Path.Combine(_dir, "short.ngc");
        File.WriteAllText(prog, "G21 G90 F600\nG1 X10\nG1 Y10\nG82 X5 Y5 Z-1 P1\nM2\n");
        string outDir = Path.Combine(_dir, "out");
        // A stock is given: the automatic one is sized by interpreting the whole program first, which stops at the error.
        var (code, _, err) = TestPaths.RunCnctwin("simulate", prog, "--out", outDir, "--dt", "0.01", "--quiet", "--stock", "box:-1,-1,-5,20,20,0");
        Assert.Equal(1, code);
        Assert.Contains("short.ngc:4:", err);
        var rows = File.ReadAllLines(Path.Combine(outDir, "timeline.csv"));
        Assert.True(rows.Length > 10, "timeline rows: " + rows.Length);
        var lines = rows.Skip(1).Select(r => int.Parse(r.Split(',')[1])).ToList();
        Assert.Contains(3, lines);                   // the moves of lines 2 and 3 were made
        Assert.All(lines, l => Assert.True(l < 4));
        // The summary says where the run stopped.
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        Assert.Equal(4, summary.RootElement.GetProperty("error").GetProperty("line").GetInt32());
    }

    [Fact]
    public void ProgramsWithoutAToolTableBesideThemRun()
    {
        string copy = Path.Combine(_dir, "pocket.ngc");
        File.Copy(Path.Combine(TestPaths.Samples, "pocket.ngc"), copy);
        var (code, stdout, err) = TestPaths.RunCnctwin("parse", copy);
        Assert.True(code == 0, err);
        // the same moves as beside its table, with zero tool lengths (G43 H4 adds nothing)
        var withTable = TestPaths.RunCnctwin("parse", "gcode-samples/pocket.ngc");
        Assert.Equal(withTable.Out.Split('\n').Length, stdout.Split('\n').Length);
        Assert.StartsWith("11,rapid,50,40,0,", stdout.Split('\n')[1]);
        Assert.StartsWith("11,rapid,50,40,-55,", withTable.Out.Split('\n')[1]);
        var (stdinCode, stdinOut, stdinErr) = RunWithStdin(File.ReadAllText(Path.Combine(TestPaths.Samples, "fanuc-slots.nc")), "parse", "-");
        Assert.True(stdinCode == 0, stdinErr);
        Assert.Contains(",feed,", stdinOut);
        // With the table given, a tool missing from it is still refused where rs274 refuses it (line 4: T42).
        var missing = TestPaths.RunCnctwin("parse", "gcode-samples/errors/tool-not-in-table.ngc", "--tools", "gcode-samples/tools.tbl");
        Assert.Equal(1, missing.Code);
        Assert.Contains("tool-not-in-table.ngc:4:", missing.Err);
    }

    [Fact]
    public void ByteOrderMarkFileGetsAMessageAMachinistUnderstands()
    {
        string prog = Path.Combine(_dir, "bom.nc");
        File.WriteAllBytes(prog, [0xEF, 0xBB, 0xBF, .. Encoding.ASCII.GetBytes("O1000\nG0 X1\nM30\n")]);
        var (code, _, err) = TestPaths.RunCnctwin("parse", prog);
        Assert.Equal(1, code);
        Assert.Contains("bom.nc:1:1: the file starts with a UTF-8 byte-order mark", err);
        Assert.DoesNotContain("\u00EF", err);
    }

    private static (int Code, string Out, string Err) RunWithStdin(string input, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "cnctwin.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = TestPaths.RepoRoot };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(input);
        p.StandardInput.Close();
        if (!p.WaitForExit(120_000)) { p.Kill(true); Assert.Fail("cnctwin did not finish"); }
        return (p.ExitCode, o.Result, e.Result);
    }
}
