using CncTwin.Core;
using CncTwin.GCode;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Simulation;

namespace CncTwin.Simulation.Tests;

public class OptimizerTests
{
    private const string Tools = """{"tools":[{"number":1,"type":"flat","diameter_mm":10,"flutes":3,"helix_deg":30,"stickout_mm":40,"flute_length_mm":25}]}""";
    private static readonly CuttingCoefficients Al = new(796.1, 168.8, 222, 27.7, 30.8, 1.4);

    [Theory]
    [InlineData("G1 X10 F500", "800", "G1 X10 F800")]
    [InlineData("G1 X10 (slot)", "800", "G1 X10 F800 (slot)")]
    [InlineData("N20 G1 X10 F 500 ; finish", "75.5", "N20 G1 X10 F75.5 ; finish")]
    [InlineData("G1 X[#1+2] Y3", "800", "G1 X[#1+2] Y3 F800")]
    public void SetFeed_ChangesOnlyTheFWord(string line, string feed, string expected) => Assert.Equal(expected, GCodeLineEditor.SetFeed(line, feed));

    [Theory]
    [InlineData("G1 X10 F[#<f>*2] (c)", "G1 X10 F800 (c)")]
    [InlineData("G1 X#1 F#<feed>", "G1 X#1 F800")]
    [InlineData("G1 X10 F##2", "G1 X10 F800")]
    [InlineData("    G1 X#<x> Y#<y> Z#<zt> F2400", "    G1 X#<x> Y#<y> Z#<zt> F800")]
    public void SetFeed_ReplacesAnExpressionFeedByTheNumber(string line, string expected) => Assert.Equal(expected, GCodeLineEditor.SetFeed(line, "800"));

    [Fact]
    public void SetFeed_RefusesTwoFWords() => Assert.Null(GCodeLineEditor.SetFeed("G1 X10 F100 F200", "800"));

    [Theory]
    [InlineData("G1 X10 Y-2.5 F300 (c)", true)]
    [InlineData("X10 Z-1", true)]
    [InlineData("G1 X10 S2000", false)]   // another word: splitting would repeat or move it
    [InlineData("G90 G1 X10", false)]
    [InlineData("G1 X#1", false)]
    [InlineData("G1 X10 F[#2]", true)]
    [InlineData("G2 X10 Y0 R5", false)]
    public void AxisWords_OnlyForPlainStraightMoves(string line, bool plain) => Assert.Equal(plain, GCodeLineEditor.AxisWords(line) != null);

    private sealed record Pass(double CycleS, double MaxForceN, double MaxChipMm, List<Move> Moves);

    /// <summary>One pass through the pipeline library; the planner and rewriter (if given) watch every move, as optimize's first pass.</summary>
    private static Pass Run(string program, (FeedPlanner Planner, ProgramFeedRewriter Rewriter)? opt)
    {
        var tools = ToolLibrary.ParseJson(Tools, "tools.json");
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(program, tools, () => VoxelStock.Box(new Vec3(0, 0, -10), new Vec3(100, 50, 0), 0.2), "p.ngc")
            with { CuttingCoefficients = Al });
        var moves = new List<Move>();
        using var pass = new SimulationPass(context, new PassOptions
        {
            Stages = PipelineStages.Loads,
            OnCanonicalMove = (m, interp) => { moves.Add(m); opt?.Rewriter.AddMove(m, interp.Modal); },
            OnMove = r => opt?.Planner.AddLoads(r.Loads!),
        });
        foreach (var _ in pass.Moves()) { }
        return new Pass(pass.Plan.CycleTimeS, pass.Loads.MaxForceN, pass.Loads.MaxChipMm, moves);
    }

    private static (FeedPlanner, ProgramFeedRewriter) Optimizer(FeedOptimizerOptions options)
    {
        var planner = new FeedPlanner(options);
        return (planner, new ProgramFeedRewriter(planner, "p.ngc"));
    }

    private static double DistanceToSegment(Vec3 p, Vec3 a, Vec3 b)
    {
        var d = b - a;
        double t = Math.Clamp(((p - a).X * d.X + (p - a).Y * d.Y + (p - a).Z * d.Z) / Math.Max(1e-12, d.X * d.X + d.Y * d.Y + d.Z * d.Z), 0, 1);
        return (p - (a + d * t)).Length;
    }

    [Theory]
    // Slots entering and leaving the stock, metric absolute; the same in inch and incremental.
    [InlineData("G21 G90 G17 G94\nS8000 M3\nG0 X-10 Y20 Z5\nG0 Z-2\nG1 X110 F600\nG1 Y26\nG1 X-10\nG0 Z5\nM2\n")]
    [InlineData("G20 G90 G17 G94\nS8000 M3\nG0 X-0.4 Y0.8 Z0.2\nG0 Z-0.08\nG91\nG1 X4.72 F24\nG90\nG1 Y1.1 F24\nG1 X-0.4\nG0 Z0.2\nM2\n")]
    public void ForceTarget_HeldAlongTheCut_GeometryUnchanged_Faster(string program)
    {
        var options = new FeedOptimizerOptions { Target = FeedTargetKind.Force, TargetValue = 300, Spindle = MachineProfile.DefaultVmc.Spindle, MaxFeedMmPerMin = 10_000, ChipCapMm = 0.2 };
        var opt = Optimizer(options);
        var before = Run(program, opt);
        var sw = new StringWriter { NewLine = "\n" };
        var stats = opt.Item2.Rewrite(program.TrimEnd('\n').Split('\n'), sw);
        string optimised = sw.ToString();
        Assert.True(stats.LinesSplit >= 2, optimised);
        var after = Run(optimised, null);
        // The target holds (to the rounding of feeds downward) and is approached, and the program got faster.
        Assert.True(after.MaxForceN >= 0.9 * 300 && after.MaxForceN <= 300 * 1.001, $"max force {after.MaxForceN} in\n{optimised}");
        Assert.True(after.CycleS < before.CycleS, $"{after.CycleS} vs {before.CycleS}");
        // Same geometry: every optimised move lies on the original path, pieces in order, ends matching.
        int j = 0;
        foreach (var o in before.Moves)
        {
            while (true)
            {
                var p = after.Moves[j++];
                Assert.Equal(o.Kind, p.Kind);
                Assert.True(DistanceToSegment(p.End, o.Start, o.End) < 2e-3, $"line {p.Source.Line} leaves the path of line {o.Source.Line}");
                if ((p.End - o.End).Length < 2e-3) break;
            }
        }
        Assert.Equal(after.Moves.Count, j);
        // The rewritten program re-optimised changes nothing further (feeds already at the target).
        var again = Optimizer(options);
        Run(optimised, again);
        var sw2 = new StringWriter { NewLine = "\n" };
        again.Item2.Rewrite(optimised.TrimEnd('\n').Split('\n'), sw2);
        Assert.True(Run(sw2.ToString(), null).MaxForceN <= 300 * 1.001);
    }

    [Fact]
    public void ChipCap_LimitsFeedWhereTheForceTargetWouldAllowMore()
    {
        string program = "G21 G90 G17 G94\nS8000 M3\nG0 X-10 Y20 Z5\nG0 Z-2\nG1 X110 F600\nG0 Z5\nM2\n";
        var opt = Optimizer(new FeedOptimizerOptions { Target = FeedTargetKind.Force, TargetValue = 5000, Spindle = MachineProfile.DefaultVmc.Spindle, MaxFeedMmPerMin = 20_000 });
        Run(program, opt);
        var sw = new StringWriter { NewLine = "\n" };
        opt.Item2.Rewrite(program.TrimEnd('\n').Split('\n'), sw);
        // Default cap: 1 % of the 10 mm diameter = 0.1 mm chip (a slot's chip is fz).
        var after = Run(sw.ToString(), null);
        Assert.InRange(after.MaxChipMm, 0.095, 0.1 + 1e-6);
    }

    [Fact]
    public void AirMovesKeepTheirFeed_UnlessAnAirFeedIsGiven()
    {
        string program = "G21 G90 G17 G94\nS8000 M3\nG0 X10 Y10 Z5\nG1 X60 F700\nM2\n"; // entirely above the stock
        foreach (var (air, expect) in new[] { ((double?)null, "F700"), (3000.0, "F3000") })
        {
            var opt = Optimizer(new FeedOptimizerOptions { Target = FeedTargetKind.ChipThickness, TargetValue = 0.05, Spindle = MachineProfile.DefaultVmc.Spindle, MaxFeedMmPerMin = 10_000, AirFeedMmPerMin = air });
            Run(program, opt);
            var sw = new StringWriter { NewLine = "\n" };
            opt.Item2.Rewrite(program.TrimEnd('\n').Split('\n'), sw);
            Assert.Contains("G1 X60 " + expect, sw.ToString());
        }
    }
}
