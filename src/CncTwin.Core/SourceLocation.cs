namespace CncTwin.Core;

/// <summary>Where a command came from: file, 1-based line and 1-based column.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
