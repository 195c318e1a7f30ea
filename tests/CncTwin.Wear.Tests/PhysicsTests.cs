using CncTwin.Core;
using CncTwin.Mechanics;
using CncTwin.Motion;
using CncTwin.Removal;
using CncTwin.Simulation;
using CncTwin.Wear;

namespace CncTwin.Wear.Tests;

public class PhysicsTests
{
    private static readonly CuttingCoefficients Steel = new(2000, 700, 200, 30, 20, 2);
    private static readonly WearPair Pair = new("carbide", "steel1045", 0.25, 250, 0.3, "test");
    private static readonly WorkThermal Thermal = new("steel1045", 3.82e6, 1.30e-5, "test");

    [Fact]
    public void Taylor_HandComputed()
    {
        // C = 250·15^0.25 = 492.00; at v = 300 m/min, h = 0.05 mm: T = (492.00 / (300·0.5^0.3))^4 = (492.00/243.68)^4 = 16.62 min.
        double c = 250 * Math.Pow(15, 0.25);
        Assert.Equal(492.00, c, 2);
        Assert.Equal(c, Pair.C, 9);
        double t = Math.Pow(c / (300 * Math.Pow(0.5, 0.3)), 4);
        Assert.Equal(16.62, t, 2);
        Assert.Equal(t, Pair.TaylorLifeMin(300, 0.05), 9);
        // The reference: v15 at h0 lasts 15 minutes.
        Assert.Equal(15, Pair.TaylorLifeMin(250, 0.1), 9);
        Assert.True(double.IsPositiveInfinity(Pair.TaylorLifeMin(0, 0.1)));
    }

    [Fact]
    public void CookTemperature_HandComputed()
    {
        var law = new WearLaw(Pair, Thermal, Steel, 5302);
        // u = 2000 N/mm² = 2e9 J/m³; v·h = (200/60 m/s)(1e-4 m) = 3.333e-4 m²/s; (v·h/α)^(1/3) = (25.64)^(1/3) = 2.949;
        // ΔT = 0.4·2e9/3.82e6·2.949 = 617.55 K, θ = 910.70 K.
        double expect = 293.15 + 0.4 * 2e9 / 3.82e6 * Math.Cbrt(200.0 / 60 * 1e-4 / 1.30e-5);
        Assert.Equal(910.70, expect, 2);
        Assert.Equal(expect, law.InterfaceKelvin(200, 0.1), 9);
    }

    [Fact]
    public void UsuiRate_AgreesWithTaylorAtTheReference_AndFollowsArrhenius()
    {
        var law = new WearLaw(Pair, Thermal, Steel, 5302, vbLimitUm: 300);
        // At (v15, h0) the rate is VB limit / 15 min = 20 µm/min: both laws give 15 minutes there.
        Assert.Equal(20, law.RateUmPerMin(250, 0.1), 9);
        // Elsewhere: rate ∝ σ·v·exp(−B/θ), with σ ∝ Krc·h + Kre.
        double th0 = law.InterfaceKelvin(250, 0.1), th1 = law.InterfaceKelvin(300, 0.05);
        double ratio = (700 * 0.05 + 20) / (700 * 0.1 + 20) * (300.0 / 250) * Math.Exp(5302 / th0 - 5302 / th1);
        Assert.Equal(20 * ratio, law.RateUmPerMin(300, 0.05), 9);
        // Hotter (faster) wears faster; no chip, no wear.
        Assert.True(law.RateUmPerMin(350, 0.1) > law.RateUmPerMin(250, 0.1));
        Assert.Equal(0, law.RateUmPerMin(250, 0));
    }

    [Fact]
    public void BuiltInLibrary_HasSourcedPairs()
    {
        var lib = WearLibrary.BuiltIn();
        Assert.Equal(5302, lib.UsuiBKelvin);
        Assert.Contains("Usui", lib.UsuiSource);
        Assert.All(lib.Pairs, p => Assert.False(string.IsNullOrWhiteSpace(p.Source)));
        Assert.NotNull(lib.Law("carbide", "steel1045", Steel));
        Assert.NotNull(lib.Law("CARBIDE", "Ti6Al4V", Steel));
        Assert.Null(lib.Law("diamond", "steel1045", Steel));
    }

    [Fact]
    public void Integration_OverASlot_IsRateTimesEngagedTime()
    {
        // One 60 mm slot at constant conditions: VB = rate(v, h) × engaged minutes, by hand from the move's own figures.
        const string program = "G21 G90 G17 G94\nS3000 M3\nG0 X-10 Y25 Z5\nG0 Z-2\nG1 X60 F600\nG0 Z5\nM2\n";
        var tools = ToolLibrary.ParseJson("""{"tools":[{"number":1,"type":"flat","diameter_mm":10,"flutes":3,"stickout_mm":40,"flute_length_mm":25}]}""", "t.json");
        var law = new WearLaw(Pair, Thermal, Steel, 5302);
        var wear = new ToolWearSimulator(_ => law, 300, new Dictionary<int, double> { [1] = 50 });
        // The pipeline library up to the loads; this test's own wear law on each move.
        var context = SimulationContext.CreateOrThrow(SimulationRequest.ForText(program, tools, () => VoxelStock.Box(new Vec3(0, 0, -10), new Vec3(50, 50, 0), 0.2), "t.ngc")
            with { CuttingCoefficients = Steel });
        using var pass = new SimulationPass(context, new PassOptions { Stages = PipelineStages.Loads });
        MoveWear? slot = null;
        foreach (var r in pass.Moves())
        {
            var w = wear.Process(r.Loads!);
            if (r.Line == 5) slot = w;
        }
        Assert.NotNull(slot);
        double v = Math.PI * 10 * 3000 / 1000;                   // 94.2 m/min
        Assert.Equal(v, slot!.SpeedMPerMin, 6);
        double h = 600.0 / (3 * 3000);                            // a slot's largest chip is fz
        double rate = law.RateUmPerMin(v, slot.Loads.MaxChipMm);
        Assert.Equal(h, slot.Loads.MaxChipMm, 3);
        Assert.Equal(rate, slot.RateUmPerMin, 9);
        Assert.Equal(50, slot.StartUm, 9);                        // the tool's given wear
        Assert.Equal(50 + rate * slot.CuttingMin, slot.EndUm, 9);
        // Engaged from X−5 (edge meets the stock) to X50+5... of the 70 mm move: about 60/70 of its time.
        double share = slot.CuttingMin / (slot.Loads.Removal.Move.DurationS / 60);
        Assert.True(share > 0.75 && share < 0.95, $"engaged share {share}");
        Assert.Equal(slot.EndUm, wear.WearUm(1), 9);
        double perPart = slot.EndUm - 50;
        Assert.Equal((300 - slot.EndUm) / perPart, wear.RemainingParts(1), 6);
        Assert.Equal((300 - slot.EndUm) / rate, wear.RemainingLifeMin(1), 6);
        // The physics-only 90 % band: the grown part scaled by exp(±1.645·0.3) = ÷1.638 / ×1.638; the given 50 µm is known.
        var (lo, hi) = wear.WearBandUm(1);
        Assert.Equal(50 + perPart / 1.63797, lo, 3);
        Assert.Equal(50 + perPart * 1.63797, hi, 3);
    }
}
