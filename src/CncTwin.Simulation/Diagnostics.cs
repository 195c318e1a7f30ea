namespace CncTwin.Simulation;

/// <summary>What kind of problem a diagnostic reports: the caller decides what it means for its exit code or page.</summary>
public enum DiagnosticKind
{
    /// <summary>A request value out of range or malformed (a usage problem).</summary>
    InvalidRequest,
    /// <summary>A file that is missing, unreadable or malformed (machine, tools, stock, materials, dynamics, design).</summary>
    InvalidFile,
    /// <summary>The program itself: an interpreter error at a file, line and column.</summary>
    ProgramError,
    /// <summary>Something the run could not do on this computer (no GPU, out of room, an output folder it cannot write).</summary>
    Environment,
    /// <summary>A warning: the run goes on.</summary>
    Warning,
}

/// <summary>The request field a diagnostic is about, so each front end can name it in its own words (a CLI flag, a form field).</summary>
public enum RequestField
{
    None, Program, Machine, Tools, Stock, ResolutionMm, Device, Design, MeshResolutionMm, HomeZ, Material, Materials, Coefficients, Dynamics,
    ChatterMethod, VbLimitUm, InitialWear, SpindlePowerW, TimelineStepS, MaxTimelineRows, InitialTool, OutputFolder,
}

/// <summary>
/// One problem found while setting up or running a simulation. Message never names a command-line flag: the
/// front end prefixes the field's own name (see <see cref="Format"/>). File/Line/Column locate it when known.
/// </summary>
public sealed record Diagnostic(DiagnosticKind Kind, string Message)
{
    public RequestField Field { get; init; }
    /// <summary>The value the field had, as given (shown after the field's name).</summary>
    public string? Value { get; init; }
    public string? File { get; init; }
    public int Line { get; init; }
    public int Column { get; init; }
    /// <summary>Message is already a complete line with its own location (a lower layer's formatted error).</summary>
    public bool Located { get; init; }
    /// <summary>A stable name for warnings a front end may word in its own terms (over-travel, timeline-truncated, stage).</summary>
    public string? Code { get; init; }

    public bool IsError => Kind != DiagnosticKind.Warning;

    /// <summary>
    /// One line: FILE:LINE:COLUMN: message for a program error; NAME VALUE: error: message for a request field;
    /// FILE: error: message for a file; else CONTEXT: error: message.
    /// </summary>
    public string Format(Func<RequestField, string> fieldName, string context)
    {
        if (Located) return Message;
        string level = Kind == DiagnosticKind.Warning ? "warning" : "error";
        if (File != null && Line > 0) return Kind == DiagnosticKind.Warning ? $"{File}:{Line}:{Column}: warning: {Message}" : $"{File}:{Line}:{Column}: {Message}";
        if (Field != RequestField.None) return $"{fieldName(Field)}{(Value != null ? " " + Value : "")}: {level}: {Message}";
        if (File != null) return $"{File}: {level}: {Message}";
        return $"{context}: {level}: {Message}";
    }

    public override string ToString() => Format(f => f.ToString(), "simulation");

    public static Diagnostic InvalidValue(RequestField field, string? value, string message) => new(DiagnosticKind.InvalidRequest, message) { Field = field, Value = value };
    public static Diagnostic BadFile(string file, string message) => new(DiagnosticKind.InvalidFile, message) { File = file };
    public static Diagnostic Preformatted(DiagnosticKind kind, string line) => new(kind, line) { Located = true };
    public static Diagnostic FromProgram(CncTwin.GCode.GCodeException ex) => new(DiagnosticKind.ProgramError, ex.Reason) { File = ex.File, Line = ex.Line, Column = ex.Column };
}

/// <summary>Setup failed: the diagnostics say why.</summary>
public sealed class SimulationSetupException(IReadOnlyList<Diagnostic> diagnostics)
    : Exception(string.Join("; ", diagnostics.Select(d => d.ToString())))
{
    public IReadOnlyList<Diagnostic> Diagnostics { get; } = diagnostics;
}
