namespace CncTwin.GCode;

/// <summary>
/// The one documented error the interpreter throws: a problem in the program (or tool table), with
/// the file, 1-based line and 1-based column where it was found and a machinist-readable message.
/// </summary>
public sealed class GCodeException : Exception
{
    public string File { get; }
    public int Line { get; }
    public int Column { get; }
    public string Reason { get; }

    public GCodeException(string file, int line, int column, string reason, Exception? inner = null)
        : base($"{file}:{line}:{column}: {reason}", inner)
    {
        File = file; Line = line; Column = column; Reason = reason;
    }

    /// <summary>
    /// A character of the program as a message may show it: printable ASCII quoted, anything else by its byte
    /// (programs are read byte for byte, so a control byte or half of a UTF-8 sequence is never echoed raw
    /// into a terminal or log).
    /// </summary>
    public static string Describe(char c) => c switch
    {
        '\0' => "a NUL byte (0x00)",
        < ' ' or '\x7f' => $"control character 0x{(int)c:X2}",
        > '\x7f' => $"byte 0x{(int)c:X2} (not ASCII)",
        _ => $"'{c}'",
    };

    /// <summary>Text from a program or table with every byte that is not printable ASCII written as \xNN.</summary>
    public static string Printable(ReadOnlySpan<char> text)
    {
        var sb = new System.Text.StringBuilder(text.Length);
        foreach (char c in text)
            if (c is >= ' ' and < '\x7f') sb.Append(c); else sb.Append($"\\x{(int)c:X2}");
        return sb.ToString();
    }
}
