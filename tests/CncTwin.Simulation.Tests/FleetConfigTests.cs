using CncTwin.Fleet;

namespace CncTwin.Simulation.Tests;

/// <summary>FLEET.json as issue 24 spells it: fields, relative paths, the program followed, and errors that say where.</summary>
public class FleetConfigTests
{
    private static string Dir()
    {
        string d = Path.Combine(Path.GetTempPath(), "cnctwin-fleet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(d, "programs"));
        foreach (var f in new[] { "vmc.json", "map.json", "tools.json", "programs/a.ngc", "programs/b.ngc", "log.csv" }) File.WriteAllText(Path.Combine(d, f), "x");
        return d;
    }

    [Fact]
    public void ReadsTheMachines_ResolvingPathsFromTheFleetFile()
    {
        string d = Dir();
        try
        {
            File.WriteAllText(Path.Combine(d, "fleet.json"), """
                {"machines":[
                  {"id":"vmc-01","name":"Haas left","machine":"vmc.json","source":"shdr://10.0.0.5:7878","mapping":"map.json","program":"programs/a.ngc",
                   "programs":{"O1001":"programs/b.ngc"},"tools":"tools.json","tool":4,"material":"al6061","stock":"box:0,0,-10,50,40,0"},
                  {"id":"vmc-02","source":"csv:log.csv","program":"programs/b.ngc"},
                ]}
                """);
            var f = FleetConfig.Load(Path.Combine(d, "fleet.json"));
            Assert.Equal(2, f.Machines.Count);
            var m = f.Machines[0];
            Assert.Equal(("vmc-01", "Haas left", 4, "al6061"), (m.Id, m.Name, m.Tool, m.Material));
            Assert.Equal(Path.Combine(d, "vmc.json"), m.Machine);
            Assert.Equal(Path.Combine(d, "programs", "b.ngc"), m.ProgramFor("O1001"));
            Assert.Equal(Path.Combine(d, "programs", "a.ngc"), m.ProgramFor("O9999"));
            Assert.Equal(Path.Combine(d, "programs", "a.ngc"), m.ProgramFor(null));
            Assert.Equal("csv:" + Path.Combine(d, "log.csv"), f.Machines[1].Source);
        }
        finally { Directory.Delete(d, true); }
    }

    [Theory]
    [InlineData("""{"machines":[{"id":"a","source":"shdr://h:1","program":"programs/a.ngc"},{"id":"A","source":"shdr://h:2","program":"programs/a.ngc"}]}""", "used twice")]
    [InlineData("""{"machines":[{"id":"a b","source":"shdr://h:1","program":"programs/a.ngc"}]}""", "id must be")]
    [InlineData("""{"machines":[{"id":"a","source":"http://h:1","program":"programs/a.ngc"}]}""", "source must be")]
    [InlineData("""{"machines":[{"id":"a","source":"shdr://h:1"}]}""", "give a program")]
    [InlineData("""{"machines":[{"id":"a","source":"shdr://h:1","program":"programs/missing.ngc"}]}""", "not found")]
    [InlineData("""{"machines":[{"id":"a","source":"shdr://h:1","program":"programs/a.ngc","colour":"red"}]}""", "colour")]
    [InlineData("{\"machines\":[{\"id\":\"a\",\n\"source\":", "fleet.json:2:")]
    [InlineData("""{"machines":[{"id":"a","source":"shdr://h:1","program":"programs/a.ngc","spindle_power_w":-5}]}""", "spindle_power_w")]
    public void BadFleetFiles_SayWhatAndWhere(string json, string expected)
    {
        string d = Dir();
        try
        {
            File.WriteAllText(Path.Combine(d, "fleet.json"), json);
            var ex = Assert.Throws<FleetConfigException>(() => FleetConfig.Load(Path.Combine(d, "fleet.json")));
            Assert.Contains(expected, ex.Message);
        }
        finally { Directory.Delete(d, true); }
    }
}
