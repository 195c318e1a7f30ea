using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using CsvHelper;

namespace CncTwin.Twin;

/// <summary>
/// Which controller data items mean what. Each entry names the data item (its name or id in the device) that
/// carries X/Y/Z actual position (mm), spindle speed (rpm), spindle load (% of rated), spindle power (W, or
/// kW with <see cref="SpindlePowerScale"/>), program, program line and execution state. Defaults: the MTConnect
/// VMC-3Axis sample device (Xact, Yact, Zact, Sspeed, Sload, program, line, execution).
/// </summary>
public sealed record DataItemMapping
{
    public string X { get; init; } = "Xact";
    public string Y { get; init; } = "Yact";
    public string Z { get; init; } = "Zact";
    public string SpindleSpeed { get; init; } = "Sspeed";
    public string SpindleLoad { get; init; } = "Sload";
    public string? SpindlePower { get; init; }
    /// <summary>Multiplier to W for the power item (1000 when the controller reports kW).</summary>
    public double SpindlePowerScale { get; init; } = 1;
    public string Program { get; init; } = "program";
    public string Line { get; init; } = "line";
    public string Execution { get; init; } = "execution";

    public static DataItemMapping Default { get; } = new();

    /// <summary>Reads a mapping JSON ({"x":"Xact",...,"spindle_power":"Spower","spindle_power_scale":1000}); missing keys keep the defaults.</summary>
    public static DataItemMapping Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: error: mapping file not found");
        try
        {
            var m = JsonSerializer.Deserialize<DataItemMapping>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return m ?? Default;
        }
        catch (JsonException ex) { throw new FormatException($"{path}:{(ex.LineNumber ?? 0) + 1}:{(ex.BytePositionInLine ?? 0) + 1}: error: {ex.Message}"); }
    }
}

/// <summary>One telemetry sample: the machine's state when a mapped observation arrived (NaN / null where never reported).</summary>
public sealed record TelemetrySample(long Index, DateTimeOffset Time, double X, double Y, double Z, double SpindleRpm, double SpindleLoadPct, double SpindlePowerW,
    string? Program, int? Line, string? Execution, string Key, string? Invalid = null)
{
    /// <summary>Set when this instant reported an impossible value (the reason): the sample is recorded but never aligned or monitored.</summary>
    public bool IsInvalid => Invalid != null;
    public bool HasPosition => double.IsFinite(X) && double.IsFinite(Y) && double.IsFinite(Z);
}

/// <summary>
/// Folds observations into machine state with a mapping and emits one sample per reported instant: every
/// observation with the same timestamp (one SHDR line, one CSV row, one agent update) is one sample, emitted
/// when the next instant begins or at <see cref="Flush"/>. Unmapped items (conditions, other events) change
/// nothing. Keys match the mapping by name or, through the device model, by id.
/// </summary>
public sealed class SampleAssembler(DataItemMapping mapping, DeviceModel? model = null)
{
    private double _x = double.NaN, _y = double.NaN, _z = double.NaN, _rpm = double.NaN, _load = double.NaN, _power = double.NaN;
    private string? _program, _execution, _key;
    private int? _line;
    private long _index;
    private DateTimeOffset _time;
    private bool _pending;
    private string? _invalid;
    /// <summary>Impossible values received (each is kept out of the machine state).</summary>
    public long InvalidValues { get; private set; }
    /// <summary>Positions beyond this (mm from the machine origin, 100 m) are no machine's.</summary>
    public const double MaxAbsPositionMm = 1e5;
    /// <summary>A spindle load above this (% of rated) is a unit or scaling error, not a cut.</summary>
    public const double MaxLoadPct = 1000;

    private bool Is(Observation o, string? name)
    {
        if (name == null) return false;
        if (o.Key == name || o.DataItemId == name) return true;
        var d = model?.Find(o.Key);
        return d != null && (d.Id == name || d.Name == name);
    }

    /// <summary>Adds an observation; returns the previous instant's sample when this one starts a new instant.</summary>
    public TelemetrySample? Add(Observation o)
    {
        TelemetrySample? done = null;
        if (_pending && o.Timestamp != _time) { done = Current(); _pending = false; }
        double v = o.IsUnavailable ? double.NaN : o.Number ?? double.NaN;
        // A value the controller cannot mean (not a finite number, a position 100 m out, a negative speed, load or
        // power, a negative line) is counted and flags this instant; the state keeps the last good value.
        bool bad = !o.IsUnavailable && o.Number == null;
        string? Check(string what, double value, bool absurd) => bad ? $"{what} = '{o.Value}' is not a finite number" : absurd ? string.Create(CultureInfo.InvariantCulture, $"{what} = {value} is impossible") : null;
        string? reason = null;
        if (Is(o, mapping.X)) { reason = Check("x", v, Math.Abs(v) > MaxAbsPositionMm); if (reason == null) _x = v; }
        else if (Is(o, mapping.Y)) { reason = Check("y", v, Math.Abs(v) > MaxAbsPositionMm); if (reason == null) _y = v; }
        else if (Is(o, mapping.Z)) { reason = Check("z", v, Math.Abs(v) > MaxAbsPositionMm); if (reason == null) _z = v; }
        else if (Is(o, mapping.SpindleSpeed)) { reason = Check("spindle speed", v, v < 0); if (reason == null) _rpm = v; }
        else if (Is(o, mapping.SpindleLoad)) { reason = Check("spindle load", v, v < 0 || v > MaxLoadPct); if (reason == null) _load = v; }
        else if (Is(o, mapping.SpindlePower)) { reason = Check("spindle power", v, v < 0); if (reason == null) _power = v * mapping.SpindlePowerScale; }
        else if (Is(o, mapping.Program)) _program = o.IsUnavailable ? null : o.Value;
        else if (Is(o, mapping.Line))
        {
            int? line = o.IsUnavailable ? null : int.TryParse(o.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int l) ? l : (o.Number is double d ? (int)d : null);
            if (!o.IsUnavailable && line is null or < 0) reason = $"line = '{o.Value}' is not a program line";
            else _line = line;
        }
        else if (Is(o, mapping.Execution)) _execution = o.IsUnavailable ? null : o.Value;
        else return done;
        // An instant already given out (flushed when the stream went quiet) is not started again by a late
        // observation of it: its value joins the state for the next instant; no two samples share a time.
        if (!_pending && _index > 0 && o.Timestamp == _time) { if (reason != null) InvalidValues++; return done; }
        if (!_pending) { _time = o.Timestamp; _key = o.Key; _pending = true; _invalid = null; }
        if (reason != null) { InvalidValues++; _invalid = _invalid == null ? reason : _invalid + "; " + reason; }
        return done;
    }

    /// <summary>The last instant's sample, if one is pending.</summary>
    public TelemetrySample? Flush()
    {
        if (!_pending) return null;
        _pending = false;
        return Current();
    }

    private TelemetrySample Current() => new(_index++, _time, _x, _y, _z, _rpm, _load, _power, _program, _line, _execution, _key ?? "", _invalid);
}

/// <summary>
/// A recorded log replayed as observations: the U-Mich CNC mill experiments (100 ms rows; X1/Y1/Z1 actual
/// position, S1 speed and output power in kW, M1_sequence_number as the program line) or a generic CSV with
/// <c>t_s</c> or <c>timestamp</c> and any of <c>x,y,z,spindle_rpm,spindle_load_pct,spindle_power_w,program,line,execution</c>.
/// Read with CsvHelper, streamed; a malformed cell is an error naming file, line and column.
/// </summary>
public sealed class CsvReplaySource(string path, string format) : IObservationSource
{
    public string Description => $"csv:{path}";
    public Action<SourceEvent>? OnEvent { get; set; }
    /// <summary>The mapping that reads what this file's observations are called.</summary>
    public DataItemMapping Mapping => format == "umich"
        ? new DataItemMapping { X = "X1_ActualPosition", Y = "Y1_ActualPosition", Z = "Z1_ActualPosition", SpindleSpeed = "S1_ActualVelocity", SpindleLoad = "S1_Load", SpindlePower = "S1_OutputPower", SpindlePowerScale = 1000, Program = "M1_CURRENT_PROGRAM_NUMBER", Line = "M1_sequence_number", Execution = "Machining_Process" }
        : new DataItemMapping { X = "x", Y = "y", Z = "z", SpindleSpeed = "spindle_rpm", SpindleLoad = "spindle_load_pct", SpindlePower = "spindle_power_w", Program = "program", Line = "line", Execution = "execution" };

    /// <summary>U-Mich rows are 100 ms apart; the file has no clock.</summary>
    public static readonly TimeSpan UmichPeriod = TimeSpan.FromMilliseconds(100);
    public static readonly DateTimeOffset Epoch = new(2018, 4, 1, 0, 0, 0, TimeSpan.Zero);

    public async IAsyncEnumerable<Observation> ReadAsync([EnumeratorCancellation] CancellationToken ct)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: error: file not found");
        if (format is not ("umich" or "generic")) throw new ArgumentException($"--format {format}: umich or generic");
        using var csv = CsvReader.FromFile(path, new CsvReaderOptions { TrackLineNumbers = true, TrimWhitespace = true });
        if (!await csv.ReadAsync(ct).ConfigureAwait(false)) yield break;
        var headers = csv.Headers.ToArray();
        string[] wanted = format == "umich"
            ? ["X1_ActualPosition", "Y1_ActualPosition", "Z1_ActualPosition", "S1_ActualVelocity", "S1_OutputPower", "M1_CURRENT_PROGRAM_NUMBER", "M1_sequence_number", "Machining_Process"]
            : ["x", "y", "z", "spindle_rpm", "spindle_load_pct", "spindle_power_w", "program", "line", "execution"];
        var cols = wanted.Select(w => (Name: w, Index: Array.FindIndex(headers, h => h.Equals(w, StringComparison.OrdinalIgnoreCase)))).Where(c => c.Index >= 0).ToArray();
        if (format == "umich" && cols.Length < wanted.Length)
            throw new FormatException($"{path}:1: error: not a U-Mich experiment file (missing {string.Join(", ", wanted.Except(cols.Select(c => c.Name)))})");
        int tCol = Array.FindIndex(headers, h => h is "t_s" or "timestamp" or "time");
        if (format == "generic" && tCol < 0) throw new FormatException($"{path}:1: error: a generic telemetry CSV needs a t_s or timestamp column");
        var textual = new HashSet<string> { "program", "execution", "Machining_Process", "M1_CURRENT_PROGRAM_NUMBER" };
        long row = 0;
        int lastColumn = Math.Max(tCol, cols.Length == 0 ? -1 : cols.Max(c => c.Index));
        do
        {
            if (csv.FieldCount <= lastColumn)
            {
                // A short row: the end of a log cut off mid-write keeps every complete row before it; anywhere
                // else it is a broken file.
                long shortLine = csv.LineNumber;
                int shortFields = csv.FieldCount;
                if (!await csv.ReadAsync(ct).ConfigureAwait(false))
                {
                    OnEvent?.Invoke(new SourceEvent(DateTimeOffset.UtcNow, "truncated_row", $"{path}:{shortLine}: the last row is cut short ({shortFields} of {lastColumn + 1} columns): ignored, the {row:N0} complete rows before it are kept"));
                    yield break;
                }
                throw new FormatException($"{path}:{shortLine}: error: row ends before column '{headers[lastColumn]}' (truncated file?)");
            }
            DateTimeOffset ts;
            if (format == "umich") ts = Epoch + UmichPeriod * row;
            else
            {
                string t = csv.GetString(tCol);
                if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double sec)) ts = Epoch.AddSeconds(sec);
                else if (!DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out ts))
                    throw new FormatException($"{path}:{csv.LineNumber}:{tCol + 1}: error: time '{t}' is neither seconds nor a timestamp");
            }
            foreach (var (name, index) in cols)
            {
                if (index >= csv.FieldCount) throw new FormatException($"{path}:{csv.LineNumber}: error: row ends before column '{name}' (truncated file?)");
                string v = csv.GetString(index);
                if (!textual.Contains(name) && v.Length > 0 && !double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    throw new FormatException($"{path}:{csv.LineNumber}:{index + 1}: error: '{name}' = '{v}' is not a number");
                if (v.Length == 0) continue;
                // The U-Mich line number is a float ("4.0"); the program number likewise.
                if (name is "M1_sequence_number" or "M1_CURRENT_PROGRAM_NUMBER" && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double dv)) v = ((long)dv).ToString(CultureInfo.InvariantCulture);
                yield return new Observation(ts, name, v, textual.Contains(name) ? ObservationKind.Event : ObservationKind.Sample, row + 1);
            }
            row++;
        } while (await csv.ReadAsync(ct).ConfigureAwait(false));
    }
}
