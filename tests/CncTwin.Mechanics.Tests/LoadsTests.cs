using CncTwin.Core;
using CncTwin.GCode;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Simulation;

namespace CncTwin.Mechanics.Tests;

/// <summary>The mechanics stage inside the pipeline: signatures, drilling, deflection, spindle capacity and per-move loads from the voxel engagement.</summary>
public class LoadsTests
{
    private static readonly CuttingCoefficients Al = new(796.1, 168.8, 222, 27.7, 30.8, 1.4);

    [Theory]
    [InlineData(0.03, 0.25, true)]
    [InlineData(0.08, 1.0, false)]
    [InlineData(0.15, 0.5, false)]
    public void Signature_IsTheForceModelAtAnyFeed(double fz, double immersion, bool down)
    {
        // F(θ, fz) = fz·C(θ) + E(θ) must reproduce the direct integration at every feed, not only the one it was built at.
        var edge = EdgeSlices.Cylinder(12, 4, 30, 8);
        var eng = ImmersionEngagement.FromRadialDepth(12, immersion * 12, down);
        var sig = ForceSignature.Milling(edge, Al, eng, 128);
        var a = sig.Evaluate(fz, 6000);
        var b = MillingForces.Revolution(edge, Al, fz, 6000, eng, 128);
        foreach (var (x, y) in new[] { (a.FxMeanN, b.FxMeanN), (a.FyMeanN, b.FyMeanN), (a.FzMeanN, b.FzMeanN), (a.TorqueMeanNm, b.TorqueMeanNm), (a.PowerMeanW, b.PowerMeanW),
                     (a.ResultantMaxN, b.ResultantMaxN), (a.FxyMaxN, b.FxyMaxN), (a.TorqueMaxNm, b.TorqueMaxNm) })
            Assert.True(Math.Abs(x - y) <= 1e-9 * Math.Max(1, Math.Abs(y)), $"{x} vs {y}");
        // Chip factor: the largest sin φ in the cut (1 when 90° is inside it).
        double expect = Math.Max(Math.Sin(eng.StartRad), Math.Sin(eng.ExitRad));
        if (eng.StartRad <= Math.PI / 2 && eng.ExitRad >= Math.PI / 2) expect = 1;
        Assert.InRange(sig.ChipFactor, expect - 0.03, expect + 1e-9);
    }

    [Fact]
    public void FeedForPeakForce_HitsTheTarget()
    {
        var edge = EdgeSlices.Cylinder(10, 3, 35, 5);
        var sig = ForceSignature.Milling(edge, Al, ImmersionEngagement.FromRadialDepth(10, 3, true));
        double fz = sig.FeedPerToothForPeakForce(400);
        Assert.InRange(sig.Evaluate(fz, 1).ResultantMaxN, 399.9, 400.0001);
        Assert.Equal(0, sig.FeedPerToothForPeakForce(1e-3)); // edge forces alone exceed it
    }

    [Theory]
    [InlineData(118.0, 8.0, 2, 0.05)]
    [InlineData(140.0, 12.0, 2, 0.1)]
    [InlineData(90.0, 6.0, 3, 0.03)]
    public void TwistDrill_MatchesTextbookTorqueAndThrust(double pointDeg, double d, int lips, double fz)
    {
        // Zero edge terms: torque Mc = Ktc·f·D²/8 with f = lips·fz (per revolution); thrust = lips·Krc·fz·R·sin(σ/2) (Krc acting normal to the lip).
        var k = new CuttingCoefficients(1500, 600, 0, 0, 0, 0);
        var drill = new Drill(d, pointDeg, lips, 40, 30, 50, d, 2 * d);
        var sig = ForceSignature.Axial(drill.Profile, lips, k, 0, d / 2, 100);
        var r = sig.Evaluate(fz, 1000);
        double torque = k.Ktc * lips * fz * d * d / 8 / 1000, thrust = lips * k.Krc * fz * d / 2 * Math.Sin(pointDeg / 2 * Math.PI / 180);
        Assert.True(Math.Abs(r.TorqueMeanNm - torque) <= 0.005 * torque, $"torque {r.TorqueMeanNm} vs {torque}");
        Assert.True(Math.Abs(r.FzMeanN - thrust) <= 0.005 * thrust, $"thrust {r.FzMeanN} vs {thrust}");
        Assert.Equal(0, r.FxMeanN);
        // Chip normal to the lip: h = fz·sin(σ/2).
        Assert.Equal(Math.Sin(pointDeg / 2 * Math.PI / 180), sig.ChipFactor, 3);
        // A pre-drilled pilot removes the centre: torque falls by exactly the inner disc's share (R² − r²).
        var pilot = ForceSignature.Axial(drill.Profile, lips, k, d / 4, d / 2, 100).Evaluate(fz, 1000);
        Assert.Equal(torque * 0.75, pilot.TorqueMeanNm, 3);
        // A partly entered point engages only the tip.
        var entering = ForceSignature.Axial(drill.Profile, lips, k, 0, d / 2, drill.Profile.HeightAt(d / 4)).Evaluate(fz, 1000);
        Assert.InRange(entering.TorqueMeanNm, torque * 0.24, torque * 0.26);
    }

    [Fact]
    public void FlatEndMillPlunge_BottomEdgeClosedForm()
    {
        var k = new CuttingCoefficients(900, 300, 0, 20, 10, 0);
        var cutter = new FlatEndMill(10, 3, 25, 30, 40, 10, 30);
        var r = ForceSignature.Axial(cutter.Profile, 3, k, 0, 5, 2).Evaluate(0.04, 3000);
        double torque = 3 * (k.Ktc * 0.04 + k.Kte) * 25.0 / 2 / 1000; // ∫(Ktc·fz + Kte)·r dr over 0..R per tooth
        double thrust = 3 * (k.Krc * 0.04 + k.Kre) * 5;
        Assert.Equal(torque, r.TorqueMeanNm, 6);
        Assert.Equal(thrust, r.FzMeanN, 6);
        Assert.Equal(torque * 3000 * 2 * Math.PI / 60, r.PowerMeanW, 6);
    }

    [Fact]
    public void Deflection_UniformCantileverAndSteppedByIntegration()
    {
        // Uniform: shank = equivalent fluted diameter, flutes all the way: δ = P·L³/(3EI) at the tip.
        double d = 10, l = 40;
        var uniform = new FlatEndMill(d, 3, l, 30, l, ToolDeflection.FlutedDiameterRatio * d, 30);
        double i = Math.PI * Math.Pow(0.8 * d, 4) / 64;
        Assert.Equal(Math.Pow(l, 3) / (3 * ToolDeflection.CarbideModulusNPerMm2 * i), ToolDeflection.ComplianceMmPerN(uniform, 0), 12);
        // Stepped (shank Ø10, flutes 22 mm), load 3 mm above the tip: against a numerical double integration of M/EI.
        var stepped = new FlatEndMill(d, 3, 22, 30, 50, d, 30);
        double h = 3, c = 50 - h, slope = 0, defl = 0;
        int n = 200_000;
        double dx = c / n;
        for (int s = 0; s < n; s++)
        {
            double x = (s + 0.5) * dx;
            double ix = x < 50 - 22 ? Math.PI * Math.Pow(d, 4) / 64 : i;
            double kappa = (c - x) / (ToolDeflection.CarbideModulusNPerMm2 * ix); // unit load
            defl += (slope + 0.5 * kappa * dx) * dx;
            slope += kappa * dx;
        }
        Assert.Equal(defl, ToolDeflection.ComplianceMmPerN(stepped, h), 8);
    }

    [Fact]
    public void SpindleCapacity_FollowsTorqueCurveAndRatedPower()
    {
        var vmc = MachineProfile.DefaultVmc.Spindle; // 122 N·m to 1 750 rpm, 26.4 N·m at 8 100, 22.4 kW
        Assert.Equal(122, SpindleCapacity.TorqueNm(vmc, 1000), 9);
        Assert.Equal(122 * 1000 * 2 * Math.PI / 60, SpindleCapacity.PowerW(vmc, 1000), 6);
        double t5000 = 122 + (26.4 - 122) * (5000 - 1750) / (8100 - 1750.0);
        Assert.Equal(Math.Min(22_400, t5000 * 5000 * 2 * Math.PI / 60), SpindleCapacity.PowerW(vmc, 5000), 6);
        Assert.Equal(50, SpindleCapacity.LoadPct(vmc, 1000, 0.5 * 122 * 1000 * 2 * Math.PI / 60), 9);
        Assert.True(double.IsNaN(SpindleCapacity.LoadPct(new SpindleModel(), 1000, 100)));
    }

    [Fact]
    public void SurfaceLocationError_DownMillingLeavesMaterial_AndIsComplianceTimesWallForce()
    {
        var edge = EdgeSlices.Cylinder(10, 2, 30, 10);
        var down = ForceSignature.Milling(edge, Al, ImmersionEngagement.FromRadialDepth(10, 1, true));
        // The static deflection pushes the tool away from the wall it finishes in down milling (the classic undercut).
        Assert.True(down.SurfaceLocationErrorMm(0.1, 1e-4) > 0);
        Assert.Equal(+1, down.WallForce.Side);
        // Magnitude: compliance × feed-normal force when a tooth at the load height sweeps the wall.
        double theta = Math.PI - 1e-9 + 5.0 * Math.Tan(30 * Math.PI / 180) / 5.0;
        var f = MillingForces.At(edge, Al, 0.1, ImmersionEngagement.FromRadialDepth(10, 1, true), theta);
        double sle = down.SurfaceLocationErrorMm(0.1, 1e-4);
        Assert.True(Math.Abs(sle - f.Fy * 1e-4) <= 0.03 * Math.Abs(f.Fy * 1e-4), $"SLE {sle} vs {f.Fy * 1e-4}");
        var up = ForceSignature.Milling(edge, Al, ImmersionEngagement.FromRadialDepth(10, 1, false));
        Assert.Equal(-1, up.WallForce.Side);
    }

    private static (List<MoveLoads> Moves, CuttingLoadSimulator Loads) Simulate(string gcode, VoxelStock stock, string toolJson, CuttingCoefficients k)
    {
        // The real interpreter, planner and removal through the pipeline library, up to the loads.
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(gcode, ToolLibrary.ParseJson(toolJson, "tools.json"), () => stock) with { CuttingCoefficients = k });
        using var pass = new SimulationPass(context, new PassOptions { Stages = PipelineStages.Loads });
        var moves = pass.Moves().Select(r => r.Loads!).ToList();
        return (moves, pass.Loads);
    }

    [Fact]
    public void SlotFromTheVoxelStock_MatchesConstantImmersionModel()
    {
        // A 3 mm deep full slot along +Y with a Ø10 3-flute 30° helix cutter at 8 000 rpm, 1 200 mm/min.
        const string program = "G21 G90 G17 G94\nS8000 M3\nG0 X25 Y-10 Z5\nG0 Z-3\nG1 Y60 F1200\nG0 Z5\nM2\n";
        var stock = VoxelStock.Box(new Vec3(0, 0, -10), new Vec3(50, 50, 0), 0.2);
        var (moves, loads) = Simulate(program, stock, """{"tools":[{"number":1,"type":"flat","diameter_mm":10,"flutes":3,"helix_deg":30,"stickout_mm":40,"flute_length_mm":25}]}""", Al);
        var slot = moves.Single(m => m.Removal.Move.Source.Line == 5);
        double fz = 1200.0 / (3 * 8000);
        Assert.Equal(fz, slot.FeedPerToothMm, 9);
        var reference = MillingForces.Revolution(EdgeSlices.Cylinder(10, 3, 30, 3), Al, fz, 8000, ImmersionEngagement.FromRadialDepth(10, 10, true));
        Assert.True(Math.Abs(slot.MaxForceN - reference.ResultantMaxN) <= 0.03 * reference.ResultantMaxN, $"peak {slot.MaxForceN} vs {reference.ResultantMaxN}");
        Assert.True(Math.Abs(slot.MaxTorqueNm - reference.TorqueMeanNm) <= 0.03 * reference.TorqueMeanNm, $"torque {slot.MaxTorqueNm} vs {reference.TorqueMeanNm}");
        Assert.Equal(reference.PowerMeanW, slot.MaxPowerW, reference.PowerMeanW * 0.03);
        Assert.Equal(100 * slot.MaxPowerW / SpindleCapacity.PowerW(MachineProfile.DefaultVmc.Spindle, 8000), slot.MaxLoadPct, 6);
        Assert.True(slot.MaxDeflectionMm > 0 && slot.MaxChipMm > 0.99 * fz && slot.MaxChipMm <= fz);
        Assert.Equal(slot.MaxForceN, loads.MaxForceN);
        Assert.Equal(5, loads.MaxForceLine);
        // Timeline sample mid-slot: mean forces rotated into machine axes (feed along +Y: machine X = −Fy_feed, Y = Fx_feed).
        var m = slot.Removal.Move;
        var values = new double[CuttingLoadSimulator.TimelineColumns.Count];
        double tMid = m.StartS + 0.5 * m.DurationS;
        loads.Fill(slot, new TimelineSample(tMid, m.Source, MachineActivity.Feed, m.PositionAt(tMid), 20, 1200), values);
        Assert.True(Math.Abs(values[0] + reference.FyMeanN) <= 0.03 * Math.Abs(reference.FyMeanN), $"machine fx {values[0]} vs {-reference.FyMeanN}");
        Assert.True(Math.Abs(values[1] - reference.FxMeanN) <= 0.05 * Math.Abs(reference.FyMeanN), $"machine fy {values[1]} vs {reference.FxMeanN}");
        // Rapids and air moves carry no load.
        Assert.All(moves.Where(x => x.Removal.Move.Move.Kind == MotionKind.Rapid), x => Assert.Equal(0, x.MaxForceN));
    }

    [Fact]
    public void DrillingPlunge_GetsThrustAndTorque()
    {
        const string program = "G21 G90 G17 G94\nS2000 M3\nG0 X25 Y25 Z2\nG1 Z-12 F200\nG0 Z5\nM2\n";
        var stock = VoxelStock.Box(new Vec3(0, 0, -20), new Vec3(50, 50, 0), 0.2);
        var k = new CuttingCoefficients(1500, 600, 0, 0, 0, 0);
        var (moves, _) = Simulate(program, stock, """{"tools":[{"number":1,"type":"drill","diameter_mm":8,"tip_angle_deg":118,"flutes":2,"stickout_mm":50,"flute_length_mm":40}]}""", k);
        var plunge = moves.Single(m => m.Removal.Move.Source.Line == 4);
        Assert.True(plunge.Removal.Plunge);
        double fz = 200.0 / (2 * 2000);
        double torque = k.Ktc * 2 * fz * 64 / 8 / 1000;
        Assert.True(Math.Abs(plunge.MaxTorqueNm - torque) <= 0.03 * torque, $"torque {plunge.MaxTorqueNm} vs {torque}");
        double thrust = 2 * k.Krc * fz * 4 * Math.Sin(59 * Math.PI / 180);
        Assert.True(Math.Abs(plunge.MaxForceN - thrust) <= 0.03 * thrust, $"thrust {plunge.MaxForceN} vs {thrust}");
    }

    [Fact]
    public void ChatterFlag_WhenDeeperThanTheLimit()
    {
        // The Insperger–Stépán single-DOF tool (flexible along the feed, X) slotting at 8 000 rpm: the limit lies above the
        // 0.298 mm zero-order floor and below 3 mm; 3 mm deep must chatter, 0.2 mm must not.
        var dyn = new Stability.ToolDynamics([new Stability.Mode(922, 0.011, 0.03993 * Math.Pow(2 * Math.PI * 922, 2))], []);
        var k = new CuttingCoefficients(600, 200, 0, 0, 0, 0);
        string tool = """{"tools":[{"number":1,"type":"flat","diameter_mm":10,"flutes":2,"helix_deg":0,"stickout_mm":40,"flute_length_mm":25}]}""";
        foreach (var (depth, expect) in new[] { (3.0, true), (0.2, false) })
        {
            string program = $"G21 G90 G17 G94\nS8000 M3\nG0 X-10 Y25 Z5\nG0 Z{-depth}\nG1 X60 F800\nG0 Z5\nM2\n";
            var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(program, ToolLibrary.ParseJson(tool, "tools.json"), () => VoxelStock.Box(new Vec3(0, 0, -10), new Vec3(50, 50, 0), 0.1), "t.ngc")
                with { CuttingCoefficients = k, Dynamics = dyn, ChatterMethod = Stability.ChatterMethod.Zoa });
            using var pass = new SimulationPass(context, new PassOptions { Stages = PipelineStages.Loads });
            var loads = pass.Loads;
            MoveLoads? slot = null;
            foreach (var r in pass.Moves()) if (r.Line == 5) slot = r.Loads;
            Assert.NotNull(slot);
            Assert.Equal(expect, slot!.Chatter);
            Assert.True(double.IsFinite(slot.AlimMm) && slot.AlimMm > 0.2 && slot.AlimMm < 3, $"alim {slot.AlimMm}");
            Assert.Equal(expect ? 1 : 0, loads.ChatterLines.Count);
        }
    }
}
