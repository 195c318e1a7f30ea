using CncTwin.Wear.Learning;
using CncTwin.Wear;

namespace CncTwin.Twin.Tests;

/// <summary>The recorded MTConnect files in ../shared/data/mtconnect (required in CI, skipped with a message elsewhere).</summary>
internal static class Recorded
{
    public static string Dir
    {
        get
        {
            var d = DataLocation.Find();
            if (d != null && Directory.Exists(Path.Combine(d, "mtconnect"))) return Path.Combine(d, "mtconnect");
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                Assert.Fail($"../shared/data/mtconnect not found in CI: {DataLocation.Help}");
            Assert.Skip($"recorded MTConnect data not found: {DataLocation.Help}");
            return "";
        }
    }

    public static string File(string relative) => Path.Combine(Dir, relative);
}
