using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CncTwin.Core;

namespace CncTwin.GCode.Tests.Conformance;

/// <summary>One motion as LinuxCNC's reference interpreter reports it, converted to machine mm.</summary>
public sealed record OracleMove(int Line, MotionKind Kind, Vec3 End, Vec3? Center, Plane Plane, int Turns, double ResolutionMm);

public sealed record OracleResult(List<OracleMove> Moves, int? ErrorLine, string? ErrorMessage, string RawOutput);

/// <summary>
/// Runs LinuxCNC's <c>rs274 -g</c> on a program and reads back its canonical calls. rs274 prints
/// program coordinates in program units without line numbers, so the program is first copied with an
/// N word holding the true line number at the start of every line; SET_G5X_OFFSET / SET_G92_OFFSET /
/// SET_XY_ROTATION are applied to get machine coordinates. rs274 reads tool tables in inches.
/// </summary>
public static class Rs274Oracle
{
    public static string? FindRs274()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            var p = Path.Combine(dir, "rs274");
            if (File.Exists(p)) return p;
        }
        return File.Exists("/usr/bin/rs274") ? "/usr/bin/rs274" : null;
    }

    private static readonly Regex LeadingN = new(@"^\s*[nN]\s*\d+(\.\d*)?", RegexOptions.Compiled);

    /// <summary>Copies the program with "N&lt;line&gt;" on every line so rs274 reports where each call came from.</summary>
    public static string Numbered(string programText)
    {
        var sb = new StringBuilder(programText.Length + programText.Length / 4);
        var lines = programText.Replace("\r", "").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string l = lines[i];
            string t = l.TrimStart();
            if (t.StartsWith('%') || (i == lines.Length - 1 && l.Length == 0)) { sb.Append(l); }
            else
            {
                int k = 0;
                while (k < l.Length && char.IsWhiteSpace(l[k])) k++;
                string prefix = "";
                if (k < l.Length && l[k] == '/') { prefix = "/"; k++; }
                string rest = l[k..];
                var m = LeadingN.Match(rest);
                if (m.Success) rest = rest[m.Length..];
                sb.Append(prefix).Append('N').Append(i + 1).Append(' ').Append(rest);
            }
            if (i < lines.Length - 1) sb.Append('\n');
        }
        return sb.ToString();
    }

    // rs274 instances running side by side in one folder have been seen to fail with no message (they share
    // interpreter files there), so runs are serialised: they take milliseconds each.
    private static readonly object OneAtATime = new();

    public static OracleResult Run(string programPath, string? toolTableMmPath, string workDir)
    {
        lock (OneAtATime) return RunAlone(programPath, toolTableMmPath, workDir);
    }

    private static OracleResult RunAlone(string programPath, string? toolTableMmPath, string workDir)
    {
        string rs274 = FindRs274() ?? throw new InvalidOperationException("rs274 (LinuxCNC) not found: apt-get install --no-install-recommends linuxcnc-uspace");
        Directory.CreateDirectory(workDir);
        string numbered = Path.Combine(workDir, Path.GetFileNameWithoutExtension(programPath) + ".numbered.ngc");
        // Bytes as they are: File.ReadAllText would drop a byte-order mark, which rs274 must see (it refuses it).
        File.WriteAllText(numbered, Numbered(Encoding.Latin1.GetString(File.ReadAllBytes(programPath))), Encoding.Latin1);
        var args = new List<string> { "-g" };
        if (toolTableMmPath != null)
        {
            string inch = Path.Combine(workDir, "tools-inch.tbl");
            File.WriteAllText(inch, ToInchTable(File.ReadAllText(toolTableMmPath)));
            args.Add("-t"); args.Add(inch);
        }
        args.Add(numbered);
        var psi = new ProcessStartInfo(rs274) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(programPath))! };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("rs274 did not finish in 120 s on " + programPath); }
        string stdout = stdoutTask.Result, stderr = stderrTask.Result;
        var moves = ParseCanon(stdout);
        int? errLine = null; string? errMsg = null;
        if (p.ExitCode != 0)
        {
            var errLines = stderr.Split('\n').Select(s => s.Trim()).Where(s => s.Length > 0 && s != "executing").ToList();
            errMsg = errLines.FirstOrDefault() ?? $"exit code {p.ExitCode} with no message";
            // The offending block is echoed after the message; its N word is our line number.
            foreach (var l in errLines.Skip(1))
            {
                var m = Regex.Match(l, @"^/?\s*[nN]\s*(\d+)");
                if (m.Success) { errLine = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture); break; }
            }
            // Some messages name the line themselves (an undefined subroutine is reported while seeking at end of file).
            var named = Regex.Match(errMsg ?? "", @"from line:\s*(\d+)");
            if (named.Success) errLine = int.Parse(named.Groups[1].Value, CultureInfo.InvariantCulture);
            errLine ??= -1;
        }
        return new OracleResult(moves, errLine, errMsg, stdout + stderr);
    }

    private static string ToInchTable(string mmTable)
    {
        var sb = new StringBuilder();
        foreach (var raw in mmTable.Replace("\r", "").Split('\n'))
        {
            int semi = raw.IndexOf(';');
            string body = semi >= 0 ? raw[..semi] : raw, comment = semi >= 0 ? raw[semi..] : "";
            var parts = body.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w =>
            {
                char c = char.ToUpperInvariant(w[0]);
                if ("XYZUVWD".Contains(c) && double.TryParse(w[1..], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    return c + (v / 25.4).ToString("0.##########", CultureInfo.InvariantCulture);
                return w;
            });
            sb.Append(string.Join(' ', parts)).Append(comment).Append('\n');
        }
        return sb.ToString();
    }

    private static readonly Regex Call = new(@"^\s*\d+\s+N(\S+)\s+([A-Z0-9_]+)\((.*)\)\s*$", RegexOptions.Compiled);

    public static List<OracleMove> ParseCanon(string stdout)
    {
        var moves = new List<OracleMove>();
        double unit = 1; // mm per program unit
        double[] g5x = new double[3], g92 = new double[3];
        double rot = 0;
        double g5xRes = 0, g92Res = 0; // print resolution of the offsets in force (mm)
        var plane = Plane.XY;
        foreach (var line in stdout.Split('\n'))
        {
            var m = Call.Match(line);
            if (!m.Success) continue;
            string n = m.Groups[1].Value, name = m.Groups[2].Value, argText = m.Groups[3].Value;
            int src = n.StartsWith('.') ? 0 : int.TryParse(n, NumberStyles.Integer, CultureInfo.InvariantCulture, out int li) ? li : 0;
            double[] Args() => argText.Split(new[] { ',', ' ' }, StringSplitOptions.RemoveEmptyEntries)
                .Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN).ToArray();
            // Offsets are printed in the units in force when they were set and are not printed again when the
            // units change (the machine keeps them in its own units), so they are kept here in mm.
            Vec3 ToMachine(double x, double y, double z)
            {
                x = x * unit + g92[0]; y = y * unit + g92[1]; z = z * unit + g92[2];
                if (rot != 0)
                {
                    double a = rot * Math.PI / 180, c = Math.Cos(a), s = Math.Sin(a);
                    (x, y) = (x * c - y * s, x * s + y * c);
                }
                return new Vec3(x + g5x[0], y + g5x[1], z + g5x[2]);
            }
            // rs274 prints 4 decimals in program units, the offsets too (in the units of the moment they were set).
            double res = 0.00005 * unit + g5xRes + g92Res;
            switch (name)
            {
                case "USE_LENGTH_UNITS": unit = argText.Contains("INCHES") ? 25.4 : 1; break;
                case "SET_G5X_OFFSET": { var a = Args(); g5x[0] = a[1] * unit; g5x[1] = a[2] * unit; g5x[2] = a[3] * unit; g5xRes = 0.00005 * unit; break; }
                case "SET_G92_OFFSET": { var a = Args(); g92[0] = a[0] * unit; g92[1] = a[1] * unit; g92[2] = a[2] * unit; g92Res = 0.00005 * unit; break; }
                case "SET_XY_ROTATION": rot = Args()[0]; break;
                case "SELECT_PLANE": plane = argText.Contains("XZ") ? Plane.XZ : argText.Contains("YZ") ? Plane.YZ : Plane.XY; break;
                case "STRAIGHT_TRAVERSE": { var a = Args(); moves.Add(new OracleMove(src, MotionKind.Rapid, ToMachine(a[0], a[1], a[2]), null, plane, 0, res)); break; }
                case "STRAIGHT_FEED": { var a = Args(); moves.Add(new OracleMove(src, MotionKind.Feed, ToMachine(a[0], a[1], a[2]), null, plane, 0, res)); break; }
                case "STRAIGHT_PROBE": { var a = Args(); moves.Add(new OracleMove(src, MotionKind.Probe, ToMachine(a[0], a[1], a[2]), null, plane, 0, res)); break; }
                case "ARC_FEED":
                    {
                        var a = Args();
                        double fe = a[0], se = a[1], fc = a[2], sc = a[3], turnsSigned = a[4], ne = a[5];
                        Vec3 end, centre;
                        switch (plane)
                        {
                            case Plane.XY: end = ToMachine(fe, se, ne); centre = ToMachine(fc, sc, ne); break;
                            case Plane.XZ: end = ToMachine(se, ne, fe); centre = ToMachine(sc, ne, fc); break;
                            default: end = ToMachine(ne, fe, se); centre = ToMachine(ne, fc, sc); break;
                        }
                        int turns = (int)Math.Round(turnsSigned);
                        moves.Add(new OracleMove(src, turns < 0 ? MotionKind.ArcClockwise : MotionKind.ArcCounterClockwise, end, centre, plane, Math.Abs(turns), res));
                        break;
                    }
            }
        }
        return moves;
    }
}
