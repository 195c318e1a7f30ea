namespace CncTwin.GCode.Tests.Conformance;

/// <summary>
/// Programs written by CAM systems and machinists outside this project (../shared/data/gcode-real, see its
/// SOURCES.md; never copied into the repository): each must give rs274 -g's moves (1e-3 mm plus its 4-decimal
/// print resolution), or be refused on the same line after the same moves. rs274 gets the folder's tool table
/// converted to inches, cnctwin the mm one, as a user would run them.
/// </summary>
public class RealProgramConformanceTests
{
    private const string Folder = "gcode-real";
    private const string Missing = "(gcode-real missing)";

    public static TheoryData<string> Programs()
    {
        var data = new TheoryData<string>();
        var root = TestPaths.SharedData;
        string dir = root == null ? "" : Path.Combine(root, Folder);
        if (root == null || !Directory.Exists(dir)) { data.Add(Missing); return data; }
        foreach (var f in Directory.EnumerateFiles(dir, "*.ngc").OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void RealProgramMatchesLinuxCnc(string program)
    {
        string dir = TestPaths.RequireSharedData(Folder);
        if (program == Missing) Assert.Fail("gcode-real appeared while the tests ran");
        if (Rs274Oracle.FindRs274() == null)
        {
            const string msg = "rs274 (LinuxCNC's reference interpreter) is not installed: apt-get install --no-install-recommends linuxcnc-uspace (.ci/run does this)";
            if (TestPaths.InCi) Assert.Fail(msg);
            Assert.Skip(msg);
        }
        var report = ConformanceTests.Compare(Path.Combine(dir, program), Path.Combine(dir, "tools-mm.tbl"));
        Assert.True(report.Ok, report.Text);
    }
}
