using CncTwin.Mechanics.Stability;

namespace CncTwin.Mechanics.Tests;

public class StabilityTests
{
    /// <summary>Insperger and Stépán (2004): 2 teeth, Kt 6e8 and Kn 2e8 N/m², fn 922 Hz, ζ 0.011, modal mass 0.03993 kg, down milling.</summary>
    private static readonly ToolDynamics Benchmark = new([new Mode(922, 0.011, 0.03993 * Math.Pow(2 * Math.PI * 922, 2))], []);

    private static CuttingProcess Process(double immersion) => CuttingProcess.FromImmersion(2, 600, 200, immersion, downMilling: true);

    /// <summary>
    /// The default discretization against a converged reference (four times the steps, no extrapolation; the
    /// method converges as 1/m², so that reference is within ~0.3 % of the limit), within the 2 %.
    /// </summary>
    [Theory]
    [InlineData(1.0, 5000)]
    [InlineData(1.0, 10200)]
    [InlineData(1.0, 15800)]
    [InlineData(1.0, 25000)]
    [InlineData(0.05, 10800)]
    [InlineData(0.05, 18200)]
    [InlineData(0.05, 25000)]
    public void Sdm_InspergerStepanBenchmark_IsConverged(double immersion, double rpm)
    {
        var sdm = new SemiDiscretization(Benchmark, Process(immersion));
        double a = sdm.LimitingDepthExtrapolated(rpm, 10, 100);
        double reference = new SemiDiscretization(Benchmark, Process(immersion), 4 * sdm.Steps, 4 * sdm.StepsPerVibration).LimitingDepth(rpm, 10, 100, 1e-4);
        Assert.True(Math.Abs(a - reference) <= 0.02 * reference, $"a/D {immersion} at {rpm} rpm: {a:F4} mm vs converged {reference:F4} mm");
    }

    /// <summary>
    /// Values from a second, independent implementation written separately in Python for this check (zeroth-order
    /// updated SDM, m = 240, power-iteration spectral radius; see README): a different discretization of the same
    /// equation must land within 2 %.
    /// </summary>
    [Theory]
    [InlineData(1.0, 5000, 0.411)]
    [InlineData(1.0, 15800, 0.317)]
    [InlineData(1.0, 20000, 1.418)]
    [InlineData(0.05, 10800, 1.504)]
    [InlineData(0.05, 18200, 1.078)]
    public void Sdm_AgreesWithAnIndependentImplementation(double immersion, double rpm, double expectedMm)
    {
        double a = new SemiDiscretization(Benchmark, Process(immersion)).LimitingDepthExtrapolated(rpm, 10, 100);
        Assert.True(Math.Abs(a - expectedMm) <= 0.02 * expectedMm, $"a/D {immersion} at {rpm} rpm: {a:F4} mm vs {expectedMm} mm");
    }

    [Fact]
    public void Zoa_SingleMode_FloorIsTheClassicalAbsoluteLimit()
    {
        // 1-DOF along x, slot: H0xx = N·Kr/4 and min Re G = −1/(4kζ(1+ζ)), so a_min = 2kζ(1+ζ)/H0xx (Tlusty).
        var mode = Benchmark.X[0];
        double expected = 2 * mode.StiffnessNPerM * mode.Zeta * (1 + mode.Zeta) / (2 * 2e8 / 4) * 1000;
        var rpms = Enumerable.Range(0, 2001).Select(i => 5000 + 10.0 * i).ToArray();
        double min = new ZeroOrderLobes(Benchmark, Process(1.0)).Chart(rpms).Min(p => p.AlimMm);
        Assert.True(Math.Abs(min - expected) <= 0.01 * expected, $"ZOA floor {min:F4} mm vs {expected:F4} mm");
    }

    /// <summary>
    /// A symmetric-ish 2-DOF tool in a 4-tooth slot: enough teeth in cut that H(t) is nearly constant, the case
    /// where the zero-order method is known to be accurate (Altintas and Budak 1995; Insperger et al. 2003
    /// compare it with SDM). Lobe minima and the chart at high speed agree within 5 %.
    /// </summary>
    [Fact]
    public void Zoa_AgreesWithSdm_OnATwoModeSlot()
    {
        var dyn = new ToolDynamics([new Mode(600, 0.03, 2.0e7)], [new Mode(660, 0.035, 2.4e7)]);
        var proc = CuttingProcess.FromImmersion(4, 800, 240, 1.0, downMilling: true);
        var rpms = Enumerable.Range(0, 25).Select(i => 6000 + 500.0 * i).ToArray();
        var zoa = new ZeroOrderLobes(dyn, proc).Chart(rpms);
        var sdm = StabilityChart.Compute("sdm", dyn, proc, rpms).Points;
        double zMin = zoa.Min(p => p.AlimMm), sMin = sdm.Min(p => p.AlimMm);
        Assert.True(Math.Abs(zMin - sMin) <= 0.05 * sMin, $"minimum: ZOA {zMin:F4} vs SDM {sMin:F4} mm");
        for (int i = 0; i < rpms.Length; i++)
            Assert.True(Math.Abs(zoa[i].AlimMm - sdm[i].AlimMm) <= 0.05 * sdm[i].AlimMm, $"{rpms[i]} rpm: ZOA {zoa[i].AlimMm:F4} vs SDM {sdm[i].AlimMm:F4} mm");
    }

    [Fact]
    public void RigidDirections_AndBadModes_AreRejectedClearly()
    {
        Assert.Throws<FormatException>(() => ToolDynamics.Parse("{\"x\":[]}", "d.json"));
        var e = Assert.Throws<FormatException>(() => ToolDynamics.Parse("{\"x\":[{\"fn_hz\":500,\"zeta\":1.5,\"k_n_per_m\":1e7}]}", "d.json"));
        Assert.Contains("d.json", e.Message);
        var bad = Assert.Throws<FormatException>(() => ToolDynamics.Parse("{\"x\":[{\"fn_hz\":500,", "d.json"));
        Assert.StartsWith("d.json:1:", bad.Message);
        var ok = ToolDynamics.Parse("{\"y\":[{\"fn_hz\":500,\"zeta\":0.02,\"k_n_per_m\":1e7}]}", "d.json");
        Assert.Empty(ok.X);
    }
}
