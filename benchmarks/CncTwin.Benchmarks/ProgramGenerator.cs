using System.Globalization;
using System.Text;

namespace CncTwin.Benchmarks;

/// <summary>
/// Writes a synthetic but CAM-like milling program of a given number of lines: mostly short G1 moves,
/// semicircular G2/G3 arcs, retracts and plunges, comments and some parameter arithmetic, the way
/// adaptive-clearing posts look. Deterministic, so runs compare like with like. rs274 accepts it.
/// </summary>
public static class ProgramGenerator
{
    public static void WriteFile(string path, int lines)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        Write(w, lines);
    }

    public static string WriteString(int lines)
    {
        var sw = new StringWriter(CultureInfo.InvariantCulture);
        Write(sw, lines);
        return sw.ToString();
    }

    public static void Write(TextWriter w, int lines)
    {
        var ic = CultureInfo.InvariantCulture;
        w.Write("(synthetic benchmark program)\nG21 G90 G17 G94 G54 G40 G49 G80\nG64 P0.01\nS12000 M3\nF1500\n#<step> = 0\nG0 X0 Y0 Z5\nG1 Z-1\n");
        int written = 8;
        double x = 0, y = 0;
        int i = 0;
        while (written < lines - 1)
        {
            int k = i % 20;
            if (k == 0) w.Write($"(pass {i / 20})\n");
            else if (k == 5)
            {
                // semicircle of radius 1.5 mm to the right, alternating direction
                string g = (i / 20) % 2 == 0 ? "G2" : "G3";
                x += 3;
                w.Write(string.Format(ic, "{0} X{1:0.####} Y{2:0.####} I1.5 J0\n", g, x, y));
            }
            else if (k == 10) w.Write("G0 Z1\n");
            else if (k == 11) w.Write("G1 Z-1 F800\n");
            else if (k == 12) w.Write("F1500\n");
            else if (k == 15)
            {
                w.Write("#<step> = [#<step> + 0.25]\n");
            }
            else if (k == 16)
            {
                w.Write("G1 Y[#<step> MOD 40]\n");
                y = 0; // value not tracked exactly; the next absolute move re-anchors
            }
            else
            {
                x = (x + 0.731) % 200;
                y = (y + ((i & 1) == 0 ? 0.417 : -0.383) + 40) % 40;
                w.Write(string.Format(ic, "G1 X{0:0.####} Y{1:0.####}\n", x, y));
            }
            written++;
            i++;
        }
        w.Write("M2\n");
    }
}
