using System.Text.Json;
using System.Text.RegularExpressions;

namespace CncTwin.Core.IO;

/// <summary>
/// System.Text.Json's errors in the words of the file's author: which key, what was expected. Its own messages
/// name .NET types ("could not be converted to System.Int32", "could not be mapped to any .NET member
/// contained in type 'CncTwin.Motion.MachineProfile'"), which mean nothing to a machinist.
/// </summary>
public static partial class JsonErrors
{
    /// <summary>file:line:column: message (line and column 1-based where the parser knows them).</summary>
    public static string Describe(JsonException ex, string file)
    {
        string where = ex.LineNumber is long l ? $"{file}:{l + 1}:{(ex.BytePositionInLine ?? 0) + 1}" : file;
        return $"{where}: error: {Reason(ex)}";
    }

    public static string Reason(JsonException ex)
    {
        string msg = ex.Message;
        string key = KeyOf(ex.Path);
        var unmapped = UnmappedProperty().Match(msg);
        if (unmapped.Success) return $"unknown key '{unmapped.Groups[1].Value}'{(key.Length > 0 && key != unmapped.Groups[1].Value ? $" (in {ParentOf(ex.Path)})" : "")}";
        var converted = ConvertedTo().Match(msg);
        if (converted.Success)
        {
            string expected = converted.Groups[1].Value switch
            {
                "System.Double" or "System.Single" or "System.Decimal" => "a finite number",
                "System.Int32" or "System.Int64" or "System.Int16" => "a whole number",
                "System.Boolean" => "true or false",
                "System.String" => "a text in quotes",
                var t when t.StartsWith("System.Collections", StringComparison.Ordinal) || t.EndsWith("[]", StringComparison.Ordinal) || t.Contains("List", StringComparison.Ordinal) => "a list [ ... ]",
                _ => "an object { ... }",
            };
            return key.Length > 0 ? $"'{key}': expected {expected}" : $"expected {expected}";
        }
        // Anything else: the parser's sentence without its path suffix and without type names.
        string text = msg.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd('.', ' ');
        text = TypeName().Replace(text, "value");
        return key.Length > 0 ? $"{text} (at '{key}')" : text;
    }

    private static string KeyOf(string? path) => path is null or "$" ? "" : path.TrimStart('$', '.');
    private static string ParentOf(string? path) => path is null ? "" : path.Contains('.') ? path[..path.LastIndexOf('.')].TrimStart('$', '.') : "";

    [GeneratedRegex(@"The JSON property '([^']*)' could not be mapped")]
    private static partial Regex UnmappedProperty();
    [GeneratedRegex(@"could not be converted to ([\w.\[\]`]+)")]
    private static partial Regex ConvertedTo();
    [GeneratedRegex(@"'?(System|CncTwin)\.[\w.`\[\]]+'?")]
    private static partial Regex TypeName();
}
