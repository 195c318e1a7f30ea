using System.Globalization;
using CncTwin.Core;

namespace CncTwin.GCode;

/// <summary>One tool-table row; lengths in mm.</summary>
public sealed record ToolEntry(int Number, int Pocket, Vec3 Offset, double DiameterMm, string Comment)
{
    public double RadiusMm => DiameterMm / 2;
}

/// <summary>
/// Tool table in LinuxCNC's <c>.tbl</c> format: one tool per line, words <c>T P X Y Z A B C U V W D I J Q</c>
/// in any order, a <c>;</c> comment to the end of the line. Values are in machine units.
/// </summary>
public sealed class ToolTable
{
    private readonly Dictionary<int, ToolEntry> _tools = new();

    public IReadOnlyCollection<ToolEntry> Tools => _tools.Values;

    public ToolEntry? Get(int number) => _tools.TryGetValue(number, out var t) ? t : null;

    public void Set(ToolEntry entry) => _tools[entry.Number] = entry;

    /// <summary>Parses a .tbl file. <paramref name="unitsToMm"/> is 1 for a mm machine, 25.4 for an inch one.</summary>
    public static ToolTable Load(string path, double unitsToMm = 1.0)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, path, unitsToMm);
    }

    public static ToolTable Parse(TextReader reader, string fileName, double unitsToMm = 1.0)
    {
        var table = new ToolTable();
        string? raw;
        int lineNo = 0;
        while ((raw = reader.ReadLine()) != null)
        {
            lineNo++;
            int semi = raw.IndexOf(';');
            string comment = semi >= 0 ? raw[(semi + 1)..].Trim() : "";
            string body = semi >= 0 ? raw[..semi] : raw;
            int? number = null; int pocket = 0; double x = 0, y = 0, z = 0, d = 0;
            int i = 0;
            while (i < body.Length)
            {
                if (char.IsWhiteSpace(body[i])) { i++; continue; }
                char letter = char.ToUpperInvariant(body[i]);
                int col = i + 1;
                int start = ++i;
                while (i < body.Length && !char.IsWhiteSpace(body[i])) i++;
                string text = body[start..i];
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                    throw new GCodeException(fileName, lineNo, col, $"tool table: '{GCodeException.Printable($"{letter}{text}")}' is not a number");
                switch (letter)
                {
                    case 'T':
                        if (v < 0 || v != Math.Floor(v) || v > int.MaxValue) throw new GCodeException(fileName, lineNo, col, $"tool table: tool number '{text}' must be a whole number >= 0");
                        number = (int)v; break;
                    case 'P': pocket = (int)v; break;
                    case 'X': x = v * unitsToMm; break;
                    case 'Y': y = v * unitsToMm; break;
                    case 'Z': z = v * unitsToMm; break;
                    case 'D':
                        if (v < 0) throw new GCodeException(fileName, lineNo, col, "tool table: negative diameter");
                        d = v * unitsToMm; break;
                    case 'A' or 'B' or 'C' or 'U' or 'V' or 'W' or 'I' or 'J' or 'Q': break;
                    default: throw new GCodeException(fileName, lineNo, col, $"tool table: unknown word {GCodeException.Describe(letter)}");
                }
            }
            if (number is null)
            {
                if (body.Trim().Length == 0) continue;
                throw new GCodeException(fileName, lineNo, 1, "tool table: line has no T word");
            }
            table.Set(new ToolEntry(number.Value, pocket, new Vec3(x, y, z), d, comment));
        }
        return table;
    }
}
