using System.Globalization;

namespace CncTwin.Twin;

/// <summary>What an observation is, as MTConnect categorises data items.</summary>
public enum ObservationKind { Sample, Event, Condition, Message, TimeSeries, DataSet }

/// <summary>
/// One reported value of one data item: its key (the adapter's or agent's name or id), timestamp, value text
/// and, for conditions, level/native code/message; for time series, the values. Sequence is the agent's
/// sequence number (0 for SHDR, which has none).
/// </summary>
public sealed record Observation(DateTimeOffset Timestamp, string Key, string Value, ObservationKind Kind = ObservationKind.Event, long Sequence = 0,
    string? NativeCode = null, string? Message = null, double[]? Series = null)
{
    /// <summary>The agent's data item id (agent streams); SHDR has only the key.</summary>
    public string? DataItemId { get; init; }
    public double? Number => double.TryParse(Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
    public bool IsUnavailable => string.Equals(Value, "UNAVAILABLE", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Which keys are conditions, messages or time series: from a device file (MTConnectDevices) when there is one.</summary>
public interface IDataItemCatalog
{
    ObservationKind? KindOf(string key);
}

/// <summary>
/// Parses MTConnect SHDR (the adapter protocol, MTConnect Part 1 / cppagent's ShdrTokenizer):
/// <c>timestamp|key|value|key|value...</c>; a condition takes five fields (<c>key|level|native code|native
/// severity|qualifier|message</c>), a message two (<c>key|native code|text</c>), a time series three
/// (<c>key|count|rate|v1 v2 ...</c>). Values may be quoted. Lines starting with <c>*</c> are protocol
/// commands (<c>* PONG 10000</c>), <c>@ASSET@</c> (and other @-commands) are asset documents that may span
/// lines (<c>--multiline--TAG</c> up to a line <c>--multiline--TAG</c>): skipped whole, never read as data.
/// Which items are conditions comes from the catalog; without one, a value that is a condition level
/// (NORMAL, WARNING, FAULT, UNAVAILABLE) followed by the right number of fields is taken as a condition.
/// </summary>
public sealed class ShdrParser(IDataItemCatalog? catalog = null)
{
    private string? _multilineTag;
    public long SkippedAssetLines { get; private set; }
    public long Lines { get; private set; }

    /// <summary>Parses one line; returns the observations on it (none for commands, assets and blank lines).</summary>
    public List<Observation> Parse(string line, string source = "shdr")
    {
        Lines++;
        var result = new List<Observation>();
        if (_multilineTag != null)
        {
            SkippedAssetLines++;
            if (line.Trim() == _multilineTag) _multilineTag = null;
            return result;
        }
        if (line.Length == 0 || line[0] == '*') return result;
        var fields = Split(line);
        if (fields.Count < 2) return result;
        int i = 0;
        DateTimeOffset ts = DateTimeOffset.UtcNow;
        if (TryTimestamp(fields[0], out var parsed)) { ts = parsed; i = 1; }
        else if (fields[0].Length > 0 && !LooksLikeKey(fields[0])) throw new FormatException($"{source}: bad timestamp '{fields[0]}'");
        else if (fields[0].Length == 0) i = 1; // an empty timestamp: the agent's time
        // Assets and other @-commands: skip, including a multi-line body.
        if (i < fields.Count && fields[i].StartsWith('@'))
        {
            string last = fields[^1];
            if (last.StartsWith("--multiline--", StringComparison.Ordinal)) _multilineTag = last;
            return result;
        }
        while (i < fields.Count)
        {
            string key = fields[i];
            if (key.Length == 0) { i++; continue; }
            string value = i + 1 < fields.Count ? fields[i + 1] : "";
            var kind = catalog?.KindOf(key);
            if (kind == null && fields.Count - i >= 6 && IsConditionLevel(value)
                && (!value.Equals("UNAVAILABLE", StringComparison.OrdinalIgnoreCase) || Enumerable.Range(i + 2, 4).All(k => fields[k].Length == 0)))
                kind = ObservationKind.Condition;
            switch (kind)
            {
                case ObservationKind.Condition:
                    result.Add(new Observation(ts, key, value, ObservationKind.Condition, 0, At(fields, i + 2), Message: At(fields, i + 5)));
                    i += 6;
                    break;
                case ObservationKind.Message:
                    result.Add(new Observation(ts, key, At(fields, i + 2) ?? "", ObservationKind.Message, 0, NativeCode: value));
                    i += 3;
                    break;
                case ObservationKind.TimeSeries:
                {
                    string values = At(fields, i + 3) ?? "";
                    var series = values.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                        .Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN).ToArray();
                    result.Add(new Observation(ts, key, values, ObservationKind.TimeSeries, Series: series));
                    i += 4;
                    break;
                }
                default:
                    result.Add(new Observation(ts, key, value, kind ?? ObservationKind.Event));
                    i += 2;
                    break;
            }
        }
        return result;
    }

    private static string? At(List<string> f, int i) => i < f.Count && f[i].Length > 0 ? f[i] : null;

    public static bool IsConditionLevel(string v) =>
        v.Equals("NORMAL", StringComparison.OrdinalIgnoreCase) || v.Equals("WARNING", StringComparison.OrdinalIgnoreCase)
        || v.Equals("FAULT", StringComparison.OrdinalIgnoreCase) || v.Equals("UNAVAILABLE", StringComparison.OrdinalIgnoreCase);

    private static bool LooksLikeKey(string s) => s.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or ':' or '.');

    public static bool TryTimestamp(string s, out DateTimeOffset ts)
    {
        ts = default;
        if (s.Length < 10 || !char.IsDigit(s[0])) return false;
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out ts);
    }

    /// <summary>Splits on '|' except inside double quotes (quoted values may contain '|'); quotes are removed.</summary>
    private static List<string> Split(string line)
    {
        var f = new List<string>();
        var sb = new System.Text.StringBuilder();
        bool quoted = false;
        for (int k = 0; k < line.Length; k++)
        {
            char c = line[k];
            if (c == '"' && (sb.Length == 0 || quoted)) { quoted = !quoted; continue; }
            if (c == '|' && !quoted) { f.Add(sb.ToString()); sb.Clear(); continue; }
            sb.Append(c);
        }
        f.Add(sb.ToString().TrimEnd('\r'));
        return f;
    }
}
