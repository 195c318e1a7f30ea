using System.Globalization;
using System.Text;

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

    public TimelineCsvWriter(Stream output)
    {
        _out = output;
        Append(Header);
        Append('\n');
    }

    public void Write(in TimelineSample s)
    {
        if (_buf.Length - _n < 512) Flush();
        Num(s.TimeS, "0.######"); Append(',');
        Int(s.Line); Append(',');
        Num(s.Position.X, "0.####"); Append(',');
        Num(s.Position.Y, "0.####"); Append(',');
        Num(s.Position.Z, "0.####"); Append(',');
        Num(s.FeedMmPerMin, "0.##"); Append(',');
        Append(s.Motion); Append(',');
        Num(s.ProgrammedFeedMmPerMin, "0.###");
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
