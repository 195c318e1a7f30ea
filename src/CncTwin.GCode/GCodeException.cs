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
}
