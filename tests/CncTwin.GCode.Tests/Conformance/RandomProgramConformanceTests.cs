namespace CncTwin.GCode.Tests.Conformance;

/// <summary>
/// Differential test against LinuxCNC's rs274 on programs nobody wrote by hand: every seed gives a random
/// program (<see cref="RandomPrograms"/>) mixing offsets, units, planes, arcs, cycles, expressions, O-words and
/// cutter compensation; both interpreters must produce the same moves, end points and arc centres, or fail
/// on the same line. CNCTWIN_RANDOM_PROGRAMS sets how many seeds run (default 400), CNCTWIN_RANDOM_SEED the
/// first one, to search further when the interpreter changes.
/// </summary>
public class RandomProgramConformanceTests
{
    public static TheoryData<int> Seeds()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("CNCTWIN_RANDOM_PROGRAMS"), out int c) && c > 0 ? c : 400;
        int first = int.TryParse(Environment.GetEnvironmentVariable("CNCTWIN_RANDOM_SEED"), out int s) ? s : 1;
        var data = new TheoryData<int>();
        for (int i = 0; i < count; i++) data.Add(first + i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomProgramMatchesLinuxCnc(int seed)
    {
        if (Rs274Oracle.FindRs274() == null)
        {
            const string msg = "rs274 (LinuxCNC's reference interpreter) is not installed: apt-get install --no-install-recommends linuxcnc-uspace (.ci/run does this)";
            if (TestPaths.InCi) Assert.Fail(msg);
            Assert.Skip(msg);
        }
        string dir = Path.Combine(Path.GetTempPath(), "cnctwin-random-programs");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"random-{seed}.ngc");
        var (program, files) = RandomPrograms.GenerateWithFiles(seed);
        File.WriteAllText(path, program);
        foreach (var (name, text) in files) File.WriteAllText(Path.Combine(dir, name), text);
        var report = ConformanceTests.Compare(path, RandomPrograms.ToolTablePath);
        Assert.True(report.Ok, $"seed {seed} (program kept at {path}):\n{report.Text}");
        File.Delete(path);
        foreach (var (name, _) in files) File.Delete(Path.Combine(dir, name));
    }
}
