using System.Text;
using CncTwin.Core;
using CsCheck;

namespace CncTwin.GCode.Tests.Properties;

/// <summary>
/// Random and mutated programs: the interpreter may only ever throw <see cref="GCodeException"/>,
/// must finish (loop guards are small here), and errors must point inside the program text.
/// </summary>
public class FuzzTests
{
    // Tokens a G-code program is made of, plus the punctuation that trips parsers.
    private static readonly string[] Tokens =
    {
        "G0", "G1", "G2", "G3", "G4", "G10", "L2", "L20", "L1", "P1", "P-1", "P0.5", "G17", "G18", "G19", "G20", "G21",
        "G28", "G30", "G28.1", "G40", "G41", "G42", "G41.1", "G42.1", "D3", "D-2", "G43", "G43.1", "G49", "H1", "H99", "G52", "G53",
        "G54", "G55", "G59.3", "G61", "G61.1", "G64", "G73", "G81", "G82", "G83", "G84", "G85", "G86", "G87", "G88", "G89",
        "G80", "G90", "G91", "G90.1", "G91.1", "G92", "G92.1", "G92.2", "G92.3", "G93", "G94", "G95", "G98", "G99",
        "M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "M9", "M30", "M98", "M99", "T1", "T5", "T999", "S1000", "S-5",
        "F100", "F0", "F-1", "X1", "X-10.5", "Y2", "Y1e3", "Z-3", "Z.", "I1", "J-1", "K2", "R5", "R-5", "R0", "Q1", "Q0", "Q-1",
        "@10", "^45", "A5", "N10", "N", "O1", "O100", "o<sub> sub", "o<sub> endsub", "o<sub> call", "o<sub> call [1] [2]",
        "o1 while [#1 LT 3]", "o1 endwhile", "o1 do", "o1 if [#1]", "o1 else", "o1 elseif [1]", "o1 endif", "o1 repeat [3]",
        "o1 endrepeat", "o1 break", "o1 continue", "o1 return", "#1=[#1+1]", "#<a>=5", "#<_g>=[#<a>*2]", "#5220", "[", "]",
        "(", ")", "(MSG,hi)", ";", "%", "/", "#", "#<", "[1/0]", "[SQRT[-1]]", "[ACOS[2]]", "[EXISTS[#<a>]]", "[2**0.5]",
        "[1 MOD 0]", "[ATAN[1]/[0]]", "X[1+]", "X#1", "X#<a>", "X[#5061]", "Y[SIN[30]]", "E1", "U1", "$", "\t", " ", "\n",
        "\n", "\n", "\n", "1e400", "X1e308", "X9999999999999", "G", "M", "G1.5", "G999",
    };

    private static readonly InterpreterOptions Opt = new()
    {
        MaxLoopIterations = 2_000,
        MaxCallDepth = 16,
        Tools = ToolTable.Load(Path.Combine(TestPaths.Samples, "tools.tbl")),
    };

    private static void MustOnlyFailCleanly(string program) => Run(program);

    /// <summary>Runs one program; returns the line it got to (int.MaxValue when it ran to the end).</summary>
    private static int Run(string program)
    {
        try
        {
            using var interp = Interpreter.FromString(program, "<fuzz>", Opt);
            long n = 0;
            foreach (var c in interp.Run())
            {
                if (c is Move m && (double.IsNaN(m.End.X) || double.IsNaN(m.End.Y) || double.IsNaN(m.End.Z)))
                    throw new InvalidOperationException("NaN end point from:\n" + program);
                if (++n > 5_000_000) throw new InvalidOperationException("runaway output from:\n" + program);
            }
            return int.MaxValue;
        }
        catch (GCodeException ex)
        {
            int lines = program.Split('\n').Length;
            if (ex.Line < 1 || ex.Line > lines + 1 || ex.Column < 1)
                throw new InvalidOperationException($"error outside the program ({ex.Line}:{ex.Column}, {lines} lines): {ex.Message}\n{program}");
            if (string.IsNullOrWhiteSpace(ex.Reason)) throw new InvalidOperationException("empty error message");
            return ex.Line;
        }
    }

    private static readonly Gen<string> RandomPrograms =
        Gen.Int[0, Tokens.Length - 1].Array[0, 80].Select(ix =>
        {
            var sb = new StringBuilder();
            foreach (int i in ix) sb.Append(Tokens[i]).Append(i % 3 == 0 ? "" : " ");
            return sb.ToString();
        });

    [Fact]
    public void RandomTokenProgramsFailOnlyWithGCodeException()
    {
        RandomPrograms.Sample(MustOnlyFailCleanly, iter: 20_000);
    }

    [Fact]
    public void RandomBytesFailOnlyWithGCodeException()
    {
        Gen.Char[(char)0, (char)255].Array[0, 200].Select(cs => new string(cs)).Sample(MustOnlyFailCleanly, iter: 10_000);
    }

    private static readonly string[] SamplePrograms = Directory.EnumerateFiles(TestPaths.Samples, "*.*", SearchOption.AllDirectories)
        .Where(f => f.EndsWith(".ngc", StringComparison.Ordinal) || f.EndsWith(".nc", StringComparison.Ordinal))
        .Where(f => !f.Contains("ballend", StringComparison.Ordinal)) // big loops: slow under mutation
        .Select(File.ReadAllText).ToArray();

    [Fact]
    public void MutatedSamplesFailOnlyWithGCodeException()
    {
        const string alphabet = "GMXYZIJKRFSTPQLHDON#[]()<>=+-*/.;%@^0123456789 \n";
        var gen = Gen.Select(Gen.Int[0, SamplePrograms.Length - 1], Gen.Int[0, int.MaxValue].Array[1, 3], Gen.Int[0, 2].Array[12]);
        int completed = 0, failedLate = 0;
        gen.Sample((which, positions, ops) =>
        {
            var text = new StringBuilder(SamplePrograms[which]);
            for (int k = 0; k < positions.Length; k++)
            {
                if (text.Length == 0) break;
                int at = positions[k] % text.Length;
                char c = alphabet[positions[k] / 7 % alphabet.Length];
                switch (ops[k % ops.Length])
                {
                    case 0: text.Remove(at, 1); break;
                    case 1: text.Insert(at, c); break;
                    default: text[at] = c; break;
                }
            }
            int reached = Run(text.ToString());
            if (reached == int.MaxValue) Interlocked.Increment(ref completed);
            else if (reached > 10) Interlocked.Increment(ref failedLate);
        }, iter: 6000);
        // The mutations must leave most programs deep enough to exercise the interpreter, not just the first line.
        Assert.True(completed + failedLate > 1000, $"only {completed} mutated programs ran to the end and {failedLate} failed past line 10");
    }

    [Fact]
    public void EndlessLoopIsReportedNotHung()
    {
        var ex = Assert.Throws<GCodeException>(() => Interpreter.InterpretString("o1 while [1]\no1 endwhile\nM2\n", Opt));
        Assert.Equal(1, ex.Line);
        Assert.Contains("loop", ex.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void RunawayRecursionIsReportedNotAStackOverflow()
    {
        var ex = Assert.Throws<GCodeException>(() => Interpreter.InterpretString("o<r> sub\no<r> call\no<r> endsub\no<r> call\nM2\n", Opt));
        Assert.Contains("deep", ex.Reason, StringComparison.OrdinalIgnoreCase);
    }
}
