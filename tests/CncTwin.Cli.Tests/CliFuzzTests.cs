using System.Text;

namespace CncTwin.Cli.Tests;

/// <summary>
/// Every command with mutated arguments and damaged input files, as a newcomer's typos and a shop's broken
/// exports would give them: the process must end (bounded time), with exit code 0, 1 or 2 only, and never show
/// a stack frame or a .NET type name. Seeded: the same cases every run.
/// </summary>
public class CliFuzzTests
{
    private static string Damaged(string dir, string name, byte[] bytes)
    {
        string p = Path.Combine(dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    [Fact]
    public void EveryCommand_WithMutatedArgumentsAndDamagedFiles_FailsCleanly()
    {
        string repo = TestSupport.Repo(), s = Path.Combine(repo, "gcode-samples");
        string dir = Path.Combine(Path.GetTempPath(), "cnctwin-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var rnd = new Random(20261203);
        byte[] pocket = File.ReadAllBytes(Path.Combine(s, "pocket.ngc"));
        byte[] tools = File.ReadAllBytes(Path.Combine(s, "tools.json"));
        byte[] cuts = File.ReadAllBytes(Path.Combine(s, "calibration-cuts.csv"));
        byte[] telemetry = File.ReadAllBytes(Path.Combine(s, "twin-slots-telemetry.csv"));
        byte[] Truncated(byte[] b) => b[..(b.Length / 3)];
        byte[] Noise(int n) { var b = new byte[n]; rnd.NextBytes(b); return b; }
        byte[] Utf16(byte[] b) => Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Encoding.Latin1.GetString(b))).ToArray();
        // Damaged inputs: cut short, random bytes, UTF-16, a valid file of the wrong kind.
        string badProgram = Damaged(dir, "bad.ngc", Truncated(pocket)), noiseProgram = Damaged(dir, "noise.ngc", Noise(3000)), utf16Program = Damaged(dir, "utf16.ngc", Utf16(pocket));
        string badTools = Damaged(dir, "tools-cut.json", Truncated(tools)), noiseTools = Damaged(dir, "tools-noise.tbl", Noise(500));
        string badMachine = Damaged(dir, "m.json", Truncated(File.ReadAllBytes(Path.Combine(s, "insperger-stepan-1dof.json")))), noiseIni = Damaged(dir, "m.ini", Noise(400));
        string badCuts = Damaged(dir, "cuts.csv", Truncated(cuts)), badTelemetry = Damaged(dir, "tel.csv", Truncated(telemetry)), noiseTelemetry = Damaged(dir, "tel-noise.csv", Noise(2000));
        string program = Path.Combine(s, "pocket.ngc");
        var quick = new[] { "--resolution", "1", "--dt", "0.1" };
        static string[] A(params string[][] parts) => parts.SelectMany(x => x).ToArray();
        var templates = new List<string[]>
        {
            A(["parse", program]),
            A(["simulate", program, "--out", Path.Combine(dir, "o")], quick, ["--quiet"]),
            A(["optimize", program, "--out", Path.Combine(dir, "opt.ngc"), "--max-force", "300", "--resolution", "1"]),
            A(["forces", "--diameter", "10", "--flutes", "3", "--radial-depth", "5", "--axial-depth", "2", "--feed-per-tooth", "0.05", "--rpm", "8000", "--material", "al6061"]),
            A(["lobes", "--dynamics", Path.Combine(s, "insperger-stepan-1dof.json"), "--teeth", "2", "--material", "al6061", "--rpm", "5000,8000"]),
            A(["calibrate", "--data", Path.Combine(s, "calibration-cuts.csv")]),
            A(["replay", "--program", Path.Combine(s, "twin-slots.ngc"), "--source", "csv:" + Path.Combine(s, "twin-slots-telemetry.csv"), "--tool", "4", "--out", Path.Combine(dir, "r"), "--resolution", "1"]),
            A(["wear", "predict", "--dataset", "phm2010", "--cutter", "c1"]),
        };
        string[] values = ["", "-1", "-3", "0", "1e999", "NaN", "abc", "2.5", "99999", Path.Combine(dir, "missing.ngc"), badProgram, noiseProgram, utf16Program, badTools,
            noiseTools, badMachine, noiseIni, badCuts, badTelemetry, noiseTelemetry, "csv:" + badTelemetry, "box:1,2", "shdr://", "--quiet"];
        string[] extraOptions = ["--tools", "--machine", "--stock", "--tool", "--material", "--resolution", "--dt", "--home-z", "--max-timeline-rows", "--mesh-resolution", "--format", "--vb-limit", "--spindle-power-w"];
        var cases = new List<string[]>();
        foreach (var t in templates)
            for (int k = 0; k < 8; k++)
            {
                var args = t.ToList();
                switch (rnd.Next(4))
                {
                    case 0: // a value replaced
                        { int i = 1 + rnd.Next(args.Count - 1); args[i] = values[rnd.Next(values.Length)]; break; }
                    case 1: // an argument dropped
                        args.RemoveAt(1 + rnd.Next(args.Count - 1)); break;
                    case 2: // an option added with an odd value
                        args.Add(extraOptions[rnd.Next(extraOptions.Length)]); args.Add(values[rnd.Next(values.Length)]); break;
                    default: // the input file damaged
                        { int i = args.FindIndex(a => a.EndsWith(".ngc") || a.EndsWith(".csv") || a.EndsWith(".json"));
                          if (i >= 0) args[i] = (args[i].StartsWith("csv:") ? "csv:" : "") + new[] { badProgram, noiseProgram, utf16Program, badCuts, badTelemetry, noiseTelemetry, badTools }[rnd.Next(7)];
                          else args.Add("--no-such-option");
                          break; }
                }
                cases.Add([.. args]);
            }
        foreach (var args in cases)
        {
            var (code, _, err) = NewcomerTests.Cnctwin(dir, args);
            string shown = string.Join(' ', args.Select(a => a.Replace(dir, "DIR")));
            Assert.True(code is 0 or 1 or 2, $"cnctwin {shown} exited {code}: {err}");
            Assert.False(err.Contains("   at ", StringComparison.Ordinal), $"cnctwin {shown} printed a stack trace: {err}");
            Assert.DoesNotMatch(@"System\.[A-Z][A-Za-z]+|[A-Za-z]+Exception\b|CncTwin\.[A-Z][a-z]+\.[A-Z]", err);
        }
    }
}
