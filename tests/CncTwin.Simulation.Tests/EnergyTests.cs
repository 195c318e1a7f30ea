using CncTwin.Core;
using CncTwin.Mechanics;
using CncTwin.Removal;

namespace CncTwin.Simulation.Tests;

/// <summary>The predicted energy of a program against its closed forms.</summary>
public class EnergyTests
{
    [Fact]
    public void SlotEnergy_MatchesTheClosedForms_OfEachPart()
    {
        // One 2 mm deep full slot 40 mm long through 1045 steel (Ø10, 3 flutes, 3 000 rpm, 300 mm/min), air before and after.
        const string program = "G21 G90 G17 G94\nS3000 M3\nG0 X-10 Y20 Z5\nG0 Z-2\nG1 X50 F300\nG0 Z5\nM5\nM2\n";
        var tools = ToolLibrary.ParseJson("""{"tools":[{"number":1,"type":"flat","diameter_mm":10,"flutes":3,"stickout_mm":40,"flute_length_mm":25}]}""", "t.json");
        var ctx = SimulationContext.CreateOrThrow(SimulationRequest.ForText(program, tools, () => VoxelStock.Box(new Vec3(0, 0, -10), new Vec3(40, 40, 0), 0.25), "slot.ngc")
            with { Material = "steel1045", InitialTool = 1 });
        using var pass = new SimulationPass(ctx);
        double lengthMm = 0, spindleOnS = 0;
        foreach (var r in pass.Moves())
        {
            lengthMm += r.Planned.Path.LengthMm;
            if (Math.Abs(r.Planned.Move.SpindleRpm) > 0) spindleOnS += r.Planned.DurationS;
        }
        var e = pass.Energy;
        var prof = ctx.Machine.Energy;
        Assert.Equal(prof.BasePowerW * pass.Plan.TotalTimeS, e.BaseJ, 6);
        Assert.Equal(prof.AxesWPerMmPerS * lengthMm, e.AxesJ, 6);
        Assert.Equal(prof.SpindleIdlePowerW(3000) * spindleOnS, e.SpindleIdleJ, 6);
        // Slotting, mean power (Altintas, Manufacturing Automation, ch. 2): P = N·a·R·n/60·(2·Ktc·fz + π·Kte), over the 40 mm of
        // stock at the feed (entry and exit half-moons balance).
        var k = ctx.LoadOptions.Coefficients;
        double fz = 300.0 / (3 * 3000), p = 3 * 2 * 5 * 3000 / 60.0 * (2 * k.Ktc * fz + Math.PI * k.Kte) / 1000; // N·mm/s → W
        double expectJ = p * 40 / (300.0 / 60) / prof.SpindleEfficiency;
        Assert.InRange(e.CuttingJ / expectJ, 0.85, 1.15);
        Assert.Equal(e.BaseJ + e.AxesJ + e.SpindleIdleJ + e.CuttingJ, e.TotalJ, 6);
    }
}
