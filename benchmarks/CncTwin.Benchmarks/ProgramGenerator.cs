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

/// <summary>
/// The deep pocket of gcode-samples/pocket-deep.ngc, written the way a CAM post writes it (one move per line,
/// no loops): a 60 × 60 mm pocket 30 mm deep in a 100 × 100 × 30 block, 20 levels of 1.5 mm (7.5 voxels at
/// 0.2 mm: the case whose removed volume used to be 3 % high), each a zig-zag at 1.2 mm stepover and a lap of
/// the walls, with a 6 mm flat end mill (T21). The removed solid is the 54 × 54 mm square of tool-centre
/// positions grown by the 3 mm radius, times the depth: (54² + 4·54·3 + 9π)·30 = 107,768.2 mm³.
/// </summary>
public static class DeepPocketGenerator
{
    public const double AnalyticRemovedMm3 = (54.0 * 54 + 4 * 54 * 3 + 9 * Math.PI) * 30;

    public static void Write(TextWriter w)
    {
        var ic = CultureInfo.InvariantCulture;
        w.Write("%\n(pocket-deep.ngc -- 60 x 60 x 30 mm pocket in a 100 x 100 x 30 mm block, 20 levels of 1.5 mm, written one move per line as a CAM post does)\n");
        w.Write("(stock: box:0,0,-30,100,100,0 -- G54 zero at the lower-left corner of the top face)\n");
        w.Write("(T21: 6 mm flat end mill, 32 mm flutes; tool centre stays in X23..77 Y23..77, so the pocket walls are at 20 and 80)\n");
        w.Write("(removed volume: 30 * [54^2 + 4*54*3 + 9*pi] = 107768.2 mm^3)\n");
        w.Write("G21 G17 G40 G49 G80 G90 G94 G54\nG64 P0.01\nT21 M6\nS9000 M3\nM8\nG0 X23 Y23 Z5\n");
        for (int level = 1; level <= 20; level++)
        {
            double z = -1.5 * level;
            w.Write(string.Format(ic, "(level {0}: Z{1:0.###})\n", level, z));
            w.Write("G0 X23 Y23\n");
            w.Write(string.Format(ic, "G0 Z{0:0.###}\n", z + 2));
            w.Write(string.Format(ic, "G1 Z{0:0.###} F400\n", z));
            w.Write("F2000\n");
            for (int row = 0; row <= 45; row++)
            {
                double y = 23 + 1.2 * row;
                if (row > 0) w.Write(string.Format(ic, "G1 Y{0:0.###}\n", y));
                w.Write(row % 2 == 0 ? "G1 X77\n" : "G1 X23\n");
            }
            w.Write("G1 Y23\nG1 X77\nG1 Y77\nG1 X23\n");
            w.Write("G0 Z5\n");
        }
        w.Write("M9\nM5\nG0 X0 Y0\nM30\n%\n");
    }
}
