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
    /// <summary>The shared data folder: $CNCTWIN_DATA, else ../shared/data beside the checkout; null when missing.</summary>
    public static string? SharedData
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("CNCTWIN_DATA");
            if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? Path.GetFullPath(env) : null;
            string beside = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));
            return Directory.Exists(beside) ? beside : null;
        }
    }

    /// <summary>Skips (outside CI) or fails (in CI) a test whose shared data folder is missing.</summary>
    public static string RequireSharedData(string subfolder)
    {
        var root = SharedData;
        string? dir = root == null ? null : Path.Combine(root, subfolder);
        if (dir != null && Directory.Exists(dir)) return dir;
        string msg = $"{subfolder} not found: it lives in ../shared/data beside the checkout, or set CNCTWIN_DATA to the data folder";
        if (InCi) Assert.Fail(msg);
        Assert.Skip(msg);
        return "";
    }

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Runs the built cnctwin CLI (copied beside the tests) from the repository root.</summary>
    public static (int Code, string Out, string Err) RunCnctwin(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "cnctwin.dll");
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); Assert.Fail("cnctwin did not finish"); }
        return (p.ExitCode, o.Result, e.Result);
    }
}
