using System.Globalization;

namespace CncTwin.GCode;

/// <summary>Just enough of a G-code line's structure to change its F word or read its axis words, leaving comments and everything else as written.</summary>
public static class GCodeLineEditor
{
    private readonly record struct Word(char Letter, int Start, int End, string Value);

    private static List<Word>? Words(string line)
    {
        var words = new List<Word>();
        int i = 0;
        while (i < line.Length)
        {
            char c = line[i];
            if (c == '(') { int e = line.IndexOf(')', i); i = e < 0 ? line.Length : e + 1; continue; }
            if (c == ';') break;
            if (char.IsWhiteSpace(c) || c == '/' && words.Count == 0 || c == '%') { i++; continue; }
            if (!char.IsLetter(c)) return null;
            int start = i++;
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            int vStart = i;
            if (i < line.Length && line[i] == '[')
            {
                int depth = 0;
                for (; i < line.Length; i++) { if (line[i] == '[') depth++; else if (line[i] == ']' && --depth == 0) { i++; break; } }
            }
            else if (i < line.Length && line[i] == '#')
            {
                // A parameter value (#1, #<name>, #[expr], ##1): kept as an expression.
                while (i < line.Length && line[i] == '#') i++;
                if (i < line.Length && line[i] == '<') { int e = line.IndexOf('>', i); i = e < 0 ? line.Length : e + 1; }
                else if (i < line.Length && line[i] == '[')
                {
                    int depth = 0;
                    for (; i < line.Length; i++) { if (line[i] == '[') depth++; else if (line[i] == ']' && --depth == 0) { i++; break; } }
                }
                else while (i < line.Length && char.IsDigit(line[i])) i++;
            }
            else while (i < line.Length && (char.IsDigit(line[i]) || line[i] is '.' or '-' or '+' || char.IsWhiteSpace(line[i]) && i + 1 < line.Length && (char.IsDigit(line[i + 1]) || line[i + 1] == '.'))) i++;
            words.Add(new Word(char.ToUpperInvariant(c), start, i, line[vStart..i].Replace(" ", "")));
        }
        return words;
    }

    /// <summary>The line with its F word set to the value (inserted before any comment when missing); null when its F is an expression or the line cannot be read.</summary>
    public static string? SetFeed(string line, string value)
    {
        var words = Words(line);
        if (words == null) return null;
        var f = words.Where(w => w.Letter == 'F').ToList();
        // An F given as an expression is replaced by the number too: the optimiser's feed already accounts for every execution of the line.
        if (f.Count > 1) return null;
        if (f.Count == 1) return line[..f[0].Start] + "F" + value + line[f[0].End..];
        int insert = words.Count > 0 ? words[^1].End : line.Length;
        return line[..insert].TrimEnd() + " F" + value + (insert < line.Length ? " " + line[insert..].TrimStart() : "");
    }

    /// <summary>
    /// For a line holding only G1 (or nothing), N, X/Y/Z and F words with plain numbers: the axis values (null where
    /// absent) and the comment text; null for anything else.
    /// </summary>
    public static (decimal?[] Words, string Trailing)? AxisWords(string line)
    {
        var words = Words(line);
        if (words == null) return null;
        var axes = new decimal?[3];
        foreach (var w in words)
        {
            switch (w.Letter)
            {
                case 'N': continue;
                case 'F':
                    continue;
                case 'G':
                    if (w.Value is "1" or "01" or "1.0") continue;
                    return null;
                case 'X': case 'Y': case 'Z':
                    if (!decimal.TryParse(w.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) return null;
                    axes["XYZ".IndexOf(w.Letter)] = v;
                    continue;
                default: return null;
            }
        }
        int end = words.Count > 0 ? words[^1].End : 0;
        return (axes, line[end..].Trim());
    }
}
