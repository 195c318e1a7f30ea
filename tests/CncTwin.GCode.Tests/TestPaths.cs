namespace CncTwin.GCode.Tests;

public static class TestPaths
{
    private static string? _root;

    /// <summary>The repository root (the folder holding CncTwin.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            if (_root != null) return _root;
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "CncTwin.sln"))) dir = dir.Parent;
            return _root = dir?.FullName ?? throw new InvalidOperationException("CncTwin.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Samples => Path.Combine(RepoRoot, "gcode-samples");
    public static string TestData => Path.Combine(RepoRoot, "tests", "CncTwin.GCode.Tests", "data");
    public const string LinuxCncExamples = "/usr/share/linuxcnc/ncfiles";
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
