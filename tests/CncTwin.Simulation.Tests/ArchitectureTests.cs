using System.Xml.Linq;

namespace CncTwin.Simulation.Tests;

/// <summary>The project graph under src/: one project per stage, dependencies pointing downstream only.</summary>
public class ArchitectureTests
{
    /// <summary>Upstream first: a project may reference only projects before it.</summary>
    private static readonly string[] Order =
    [
        "CncTwin.Core", "CncTwin.GCode", "CncTwin.Geometry", "CncTwin.Motion", "CncTwin.Removal", "CncTwin.Mechanics", "CncTwin.Wear", "CncTwin.Wear.Learning",
        "CncTwin.Twin", "CncTwin.Report", "CncTwin.Simulation", "CncTwin.Studies", "CncTwin.Fleet", "CncTwin.Web", "CncTwin.Cli",
    ];

    private static string Src()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CncTwin.sln"))) return Path.Combine(d.FullName, "src");
        throw new InvalidOperationException("CncTwin.sln not found");
    }

    private static Dictionary<string, (List<string> Projects, List<string> Packages)> Graph()
    {
        var g = new Dictionary<string, (List<string>, List<string>)>();
        foreach (var csproj in Directory.GetFiles(Src(), "*.csproj", SearchOption.AllDirectories))
        {
            var doc = XDocument.Load(csproj);
            var projects = doc.Descendants("ProjectReference").Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/'))).ToList();
            var packages = doc.Descendants("PackageReference").Select(e => e.Attribute("Include")!.Value).ToList();
            g[Path.GetFileNameWithoutExtension(csproj)] = (projects, packages);
        }
        return g;
    }

    private static HashSet<string> Closure(Dictionary<string, (List<string> Projects, List<string> Packages)> g, string project)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>([project]);
        while (stack.Count > 0)
            foreach (var r in g[stack.Pop()].Projects)
                if (seen.Add(r)) stack.Push(r);
        return seen;
    }

    [Fact]
    public void EveryProjectIsInThePipelineOrder_AndReferencesOnlyUpstream()
    {
        var g = Graph();
        Assert.Equal(Order.Order(), g.Keys.Order());
        foreach (var (project, (refs, _)) in g)
            foreach (var r in refs)
                Assert.True(Array.IndexOf(Order, r) < Array.IndexOf(Order, project), $"{project} references {r}, which is downstream of it");
    }

    [Fact]
    public void TheStageRulesOfThePipelineLibrary()
    {
        var g = Graph();
        Assert.True(g.ContainsKey("CncTwin.Simulation"));
        Assert.All(g.Where(kv => kv.Key != "CncTwin.Cli"), kv => Assert.DoesNotContain("CncTwin.Cli", Closure(g, kv.Key)));
        Assert.DoesNotContain("CncTwin.GCode", Closure(g, "CncTwin.Mechanics"));
        Assert.DoesNotContain("CncTwin.Twin", Closure(g, "CncTwin.Report"));
        // The production twin loads no ML.NET: learned wear models live in CncTwin.Wear.Learning.
        var twin = Closure(g, "CncTwin.Twin").Append("CncTwin.Twin");
        Assert.DoesNotContain(twin.SelectMany(p => g[p].Packages), p => p.StartsWith("Microsoft.ML", StringComparison.Ordinal));
        Assert.DoesNotContain("CncTwin.Wear.Learning", Closure(g, "CncTwin.Simulation"));
        // The dashboard runs the pipeline through the library, not through the command line.
        Assert.Contains("CncTwin.Simulation", g["CncTwin.Web"].Projects);
    }
}
