using CncTwin.Core;

namespace CncTwin.GCode.Tests.Conformance;

/// <summary>
/// rs274 has no Fanuc M98/M99, so the Fanuc sample is checked in two steps: the same job written with
/// LinuxCNC O-word subroutines must match rs274, and the Fanuc program must produce exactly the moves
/// of that LinuxCNC version.
/// </summary>
public class FanucDialectTests
{
    private static string Fanuc => Path.Combine(TestPaths.Samples, "fanuc-slots.nc");
    private static string Equivalent => Path.Combine(TestPaths.TestData, "fanuc-slots-linuxcnc.ngc");
    private static string Tools => Path.Combine(TestPaths.Samples, "tools.tbl");

    private static List<Move> Moves(string path)
    {
        using var interp = Interpreter.FromFile(path, new InterpreterOptions { Tools = ToolTable.Load(Tools) });
        return interp.Run().OfType<Move>().ToList();
    }

    [Fact]
    public void LinuxCncVersionMatchesRs274()
    {
        if (Rs274Oracle.FindRs274() == null)
        {
            if (TestPaths.InCi) Assert.Fail("rs274 missing");
            Assert.Skip("rs274 (linuxcnc-uspace) not installed");
        }
        var report = ConformanceTests.Compare(Equivalent, Tools);
        Assert.True(report.Ok, report.Text);
    }

    [Fact]
    public void FanucSubprogramsProduceTheSameMovesAsOWordSubroutines()
    {
        var fanuc = Moves(Fanuc);
        var linuxcnc = Moves(Equivalent);
        Assert.Equal(linuxcnc.Count, fanuc.Count);
        for (int i = 0; i < fanuc.Count; i++)
        {
            Assert.Equal(linuxcnc[i].Kind, fanuc[i].Kind);
            Assert.True(linuxcnc[i].End.DistanceTo(fanuc[i].End) < 1e-9, $"move {i + 1}: {fanuc[i].End} vs {linuxcnc[i].End}");
            Assert.Equal(linuxcnc[i].FeedMmPerMin, fanuc[i].FeedMmPerMin, 9);
        }
        // 3 slots x 2 passes x (plunge + out + back)
        Assert.Equal(18, fanuc.Count(m => m.Kind == MotionKind.Feed && m.Source.Line >= 33));
    }

    [Fact]
    public void M98RepeatCountAndNestedReturnWork()
    {
        const string program = """
            O0001
            G21 G90 G94
            G0 X0 Y0 Z0
            M98 P2 L3
            M30
            O0002
            G91 G1 X1 F100
            M98 P3
            G90
            M99
            O0003
            G91 G1 Y1
            M99
            """;
        var moves = Interpreter.InterpretString(program).OfType<Move>().ToList();
        Assert.Equal(7, moves.Count);
        Assert.Equal(new Vec3(3, 3, 0), moves[^1].End);
    }

    [Fact]
    public void MissingSubprogramIsReportedAtTheCall()
    {
        var ex = Assert.Throws<GCodeException>(() => Interpreter.InterpretString("G21\nM98 P77\nM30\n"));
        Assert.Equal(2, ex.Line);
        Assert.Contains("77", ex.Reason);
    }
}
