using CncTwin.Mechanics;

namespace CncTwin.Mechanics.Tests;

public class CalibrationAndMaterialTests
{
    [Fact]
    public void Calibration_RecoversCoefficients_FromMeanForcesAtSeveralFeeds()
    {
        var truth = new CuttingCoefficients(796.1, 168.8, 222, 27.7, 30.8, 1.4);
        var cuts = new List<CalibrationCut>();
        foreach (double fz in new[] { 0.05, 0.1, 0.15, 0.2 })
        foreach (double ae in new[] { 19.05, 6.0 })
        {
            var edge = EdgeSlices.Cylinder(19.05, 4, 30, 3);
            var r = MillingForces.Revolution(edge, truth, fz, 1000, ImmersionEngagement.FromRadialDepth(19.05, ae, true), 360);
            cuts.Add(new CalibrationCut(19.05, 4, 30, ae, 3, true, 1000, fz, r.FxMeanN, r.FyMeanN, r.FzMeanN));
        }
        var fit = Calibration.Fit(cuts);
        Assert.All(fit.Identified, Assert.True);
        for (int k = 0; k < 6; k++)
            Assert.True(Math.Abs(fit.Coefficients[k] - truth[k]) <= 0.005 * Math.Abs(truth[k]) + 1e-6, $"{CuttingCoefficients.Names[k]}: {fit.Coefficients[k]} vs {truth[k]}");
    }

    [Fact]
    public void Calibration_FromSpindlePowerAlone_FindsTheTangentialPair_AndSaysSo()
    {
        var truth = new CuttingCoefficients(1500, 500, 150, 30, 40, 3);
        var cuts = new[] { 0.04, 0.08, 0.12 }.Select(fz =>
        {
            var r = MillingForces.Revolution(EdgeSlices.Cylinder(10, 3, 35, 4), truth, fz, 4000, ImmersionEngagement.FromRadialDepth(10, 4, false), 360);
            return new CalibrationCut(10, 3, 35, 4, 4, false, 4000, fz, PowerMeanW: r.PowerMeanW * 1.0);
        }).ToList();
        var fit = Calibration.Fit(cuts);
        Assert.Equal([true, false, false, true, false, false], fit.Identified);
        Assert.Equal(1500, fit.Coefficients.Ktc, 1);
        Assert.Equal(30, fit.Coefficients.Kte, 2);
        Assert.Throws<ArgumentException>(() => Calibration.Fit([cuts[0]]));
    }

    [Fact]
    public void BuiltInLibrary_EveryMaterialHasASourceAndSaneCoefficients()
    {
        var lib = MaterialLibrary.BuiltIn();
        Assert.True(lib.All.Count >= 9);
        foreach (var name in new[] { "al6061", "al7075", "steel1045", "steel4140", "stainless304", "ti6al4v", "castiron", "wax", "pom" })
        {
            var m = lib.Get(name);
            Assert.False(string.IsNullOrWhiteSpace(m.Source), name);
            Assert.True(m.Coefficients.Ktc > 0 && m.Coefficients.Krc > 0 && m.Coefficients.Kte >= 0, name);
        }
        // Harder materials need more energy per chip: titanium and stainless above steel above aluminium.
        Assert.True(lib.Get("ti6al4v").SpecificEnergyAt01 > lib.Get("steel1045").SpecificEnergyAt01);
        Assert.True(lib.Get("steel1045").SpecificEnergyAt01 > lib.Get("al6061").SpecificEnergyAt01);
        Assert.Same(lib.Get("al6061"), lib.Get("6061-T6"));
    }

    [Fact]
    public void KienzleLine_FollowsThePowerLawOverTheFittedRange()
    {
        var k = CuttingCoefficients.FromKienzle(1500, 0.22, 0.4, 0.15);
        foreach (double h in new[] { 0.03, 0.06, 0.1, 0.15, 0.2 })
        {
            double law = 1500 * Math.Pow(h, 1 - 0.22), line = k.Ktc * h + k.Kte;
            Assert.True(Math.Abs(line - law) <= 0.06 * law, $"h {h}: line {line:F1} vs Kienzle {law:F1} N/mm");
        }
        Assert.Equal(0.4 * k.Ktc, k.Krc, 9);
    }

    [Fact]
    public void UserLibrary_AddsAndReplaces_AndBadFilesNameTheirLine()
    {
        var lib = MaterialLibrary.BuiltIn();
        lib.Add("""{"materials":[{"name":"al6061","coefficients":{"ktc":700,"krc":200}},{"name":"brass","kienzle":{"kc11_n_mm2":700,"mc":0.27},"source":"VDI 3323 group 27"}]}""", "mine.json");
        Assert.Equal(700, lib.Get("al6061").Coefficients.Ktc);
        Assert.True(lib.Get("brass").Coefficients.Ktc > 0);
        var e = Assert.Throws<FormatException>(() => lib.Add("{\"materials\":[\n{\"name\":\"x\",\n\"coefficients\":{\"ktc\":oops}}]}", "bad.json"));
        Assert.StartsWith("bad.json:3:", e.Message);
        Assert.Throws<KeyNotFoundException>(() => lib.Get("unobtainium"));
        Assert.Contains("ktc", Assert.Throws<FormatException>(() => CuttingCoefficients.Parse("krc=100")).Message);
    }
}

public class CalibrationCsvTests
{
    private static string Samples()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "CncTwin.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("CncTwin.sln not found"), "gcode-samples");
    }

    [Fact]
    public void BundledCuts_RecoverTheCoefficientsTheyWereMadeWith()
    {
        // The sample holds the al7050 set's predictions with ±3 % noise and 350 W idle power in power_w.
        var cuts = CalibrationCsv.Read(Path.Combine(Samples(), "calibration-cuts.csv"), idlePowerW: 350);
        Assert.Equal(15, cuts.Count);
        Assert.All(cuts, c => Assert.True(double.IsFinite(c.FxMeanN) && double.IsFinite(c.PowerMeanW)));
        var fit = Calibration.Fit(cuts).Coefficients;
        var truth = new CuttingCoefficients(796.1, 168.8, 222, 27.7, 30.8, 1.4);
        for (int k = 0; k < 5; k++) Assert.True(Math.Abs(fit[k] - truth[k]) <= 0.05 * truth[k], $"{CuttingCoefficients.Names[k]} {fit[k]} vs {truth[k]}");
    }

    [Theory]
    [InlineData("diameter_mm,flutes,radial_depth_mm,axial_depth_mm,rpm,feed_per_tooth_mm,power_w\n10,3,10,2,5000,abc,100\n", ":2:6:", "not a number")]
    [InlineData("diameter_mm,flutes,radial_depth_mm,axial_depth_mm,rpm,power_w\n10,3,10,2,5000,100\n", ":1:", "feed_per_tooth_mm")]
    [InlineData("diameter_mm,flutes,radial_depth_mm,axial_depth_mm,rpm,feed_per_tooth_mm\n10,3,10,2,5000,0.1\n", ":1:", "no measured column")]
    [InlineData("diameter_mm,flutes,radial_depth_mm,axial_depth_mm,rpm,feed_per_tooth_mm,power_w\n10,2.5,10,2,5000,0.1,100\n", ":2:", "impossible cut")]
    [InlineData("diameter_mm,flutes,radial_depth_mm,axial_depth_mm,rpm,feed_per_tooth_mm,power_w,mode\n10,2,10,2,5000,0.1,100,sideways\n", ":2:8:", "mode")]
    [InlineData("diameter_mm,flutes,radial_depth_mm,axial_depth_mm,rpm,feed_per_tooth_mm,power_w\n", ":1:", "no calibration cuts")]
    public void BadFiles_NameFileLineAndColumn(string text, string where, string what)
    {
        string path = Path.Combine(Path.GetTempPath(), $"cal-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text);
        try
        {
            var ex = Assert.Throws<CalibrationDataException>(() => CalibrationCsv.Read(path));
            Assert.Contains(path + where, ex.Message);
            Assert.Contains(what, ex.Message);
        }
        finally { File.Delete(path); }
    }
}
