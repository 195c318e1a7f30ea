using System.Globalization;
using System.Text;
using CncTwin.Core.IO;

namespace CncTwin.Motion;

/// <summary>
/// Writes <c>timeline.csv</c>: header <c>t_s,line,x,y,z,feed_mm_min</c> (the contract), then extra columns
/// <c>motion,programmed_feed_mm_min</c>. feed_mm_min is the actual path speed at that instant; positions are
/// tool-tip machine coordinates in mm (4 decimals), times in s (6 decimals). UTF-8 formatted straight into a
/// byte buffer: no allocation per row.
/// </summary>
public sealed class TimelineCsvWriter : IDisposable
{
    public const string Header = "t_s,line,x,y,z,feed_mm_min,motion,programmed_feed_mm_min";
    private readonly Stream _out;
    private readonly byte[] _buf = new byte[1 << 16];
    private int _n;
    public long Rows { get; private set; }

    private readonly string[] _extraFormats;
    /// <summary>Per extra column: decimals of its "0.##" format for the fast writer, −1 for other formats.</summary>
    private readonly int[] _extraDecimals;

    /// <param name="extraColumns">Columns later stages append (name and number format), written after the planner's.</param>
    public TimelineCsvWriter(Stream output, IReadOnlyList<(string Name, string Format)>? extraColumns = null)
    {
        _out = output;
        _extraFormats = extraColumns?.Select(c => c.Format).ToArray() ?? [];
        _extraDecimals = _extraFormats.Select(CsvNumber.DecimalsOf).ToArray();
        Append(Header);
        foreach (var (name, _) in extraColumns ?? []) { Append(','); Append(name); }
        Append('\n');
    }

    public void Write(in TimelineSample s) => Write(s, []);

    /// <summary>One row; extras holds one value per extra column (NaN writes an empty field).</summary>
    public void Write(in TimelineSample s, ReadOnlySpan<double> extras)
    {
        if (_buf.Length - _n < 512 + 32 * extras.Length) Flush();
        Num(s.TimeS, 6); Append(',');
        Int(s.Line); Append(',');
        Num(s.Position.X, 4); Append(',');
        Num(s.Position.Y, 4); Append(',');
        Num(s.Position.Z, 4); Append(',');
        Num(s.FeedMmPerMin, 2); Append(',');
        Append(s.Motion); Append(',');
        Num(s.ProgrammedFeedMmPerMin, 3);
        for (int i = 0; i < _extraFormats.Length; i++)
        {
            Append(',');
            if (i < extras.Length && !double.IsNaN(extras[i]))
            {
                if (_extraDecimals[i] >= 0) Num(extras[i], _extraDecimals[i]);
                else Num(extras[i], _extraFormats[i]);
            }
        }
        Append('\n');
        Rows++;
    }

    public void WriteAll(IEnumerable<TimelineSample> samples)
    {
        foreach (var s in samples) Write(s);
    }

    private void Num(double v, string format)
    {
        if (Math.Abs(v) < 5e-7) v = 0; // no "-0"
        if (!v.TryFormat(_buf.AsSpan(_n), out int written, format, CultureInfo.InvariantCulture)) throw new InvalidOperationException("timeline row too long");
        _n += written;
    }

    private void Num(double v, int decimals)
    {
        if (Math.Abs(v) < 5e-7) v = 0; // no "-0"
        if (!CsvNumber.TryWrite(v, decimals, _buf.AsSpan(_n), out int written)) throw new InvalidOperationException("timeline row too long");
        _n += written;
    }

    private void Int(int v)
    {
        v.TryFormat(_buf.AsSpan(_n), out int written, default, CultureInfo.InvariantCulture);
        _n += written;
    }

    private void Append(char c) => _buf[_n++] = (byte)c;
    private void Append(string s) => _n += Encoding.ASCII.GetBytes(s, _buf.AsSpan(_n));

    public void Flush()
    {
        _out.Write(_buf, 0, _n);
        _n = 0;
    }

    public void Dispose()
    {
        Flush();
        _out.Flush();
    }
}
