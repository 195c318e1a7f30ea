using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CncTwin.Core.IO;

/// <summary>
/// Writes the move list of a canonical command stream, one row per motion, as CSV (header
/// <c>line,motion,x,y,z,cx,cy,cz,plane,turns,feed_mm_min,spindle_rpm,tool</c>, then extra columns) or JSON.
/// Positions are machine-frame tool-tip coordinates in mm; cx/cy/cz are the arc centre (empty for
/// lines and for the plane's normal axis). Streams: nothing is buffered beyond the writer's buffer.
/// </summary>
public static class MoveListWriter
{
    public const string CsvHeader = "line,motion,x,y,z,cx,cy,cz,plane,turns,feed_mm_min,spindle_rpm,tool,column,start_x,start_y,start_z,file";

    public static string MotionName(MotionKind kind) => kind switch
    {
        MotionKind.Rapid => "rapid",
        MotionKind.Feed => "feed",
        MotionKind.ArcClockwise => "arc_cw",
        MotionKind.ArcCounterClockwise => "arc_ccw",
        _ => "probe",
    };

    public static string PlaneName(Plane p) => p switch { Plane.XY => "XY", Plane.XZ => "XZ", _ => "YZ" };

    /// <summary>Writes CSV rows for every motion; returns the number of moves written.</summary>
    public static long WriteCsv(IEnumerable<CanonicalCommand> commands, TextWriter writer)
    {
        writer.Write(CsvHeader);
        writer.Write('\n');
        long count = 0;
        try
        {
            foreach (var cmd in commands)
            {
                if (cmd is not Move m) continue;
                WriteRow(writer, m);
                count++;
            }
        }
        finally
        {
            // A program that stops on an error keeps the moves it made before it (as a controller has made them).
            writer.Flush();
        }
        return count;
    }

    private static void WriteRow(TextWriter writer, Move m)
    {
        Span<char> row = stackalloc char[MaxRowChars];
        writer.Write(row[..FormatRow(m, row)]);
        WriteCsvField(writer, m.Source.File);
        writer.Write('\n');
    }

    /// <summary>
    /// The same CSV written straight to UTF-8 bytes: the hot path of <c>cnctwin parse</c>, with no
    /// per-row allocation and no encoder.
    /// </summary>
    public static long WriteCsv(IEnumerable<CanonicalCommand> commands, Stream stream)
    {
        var buf = new byte[1 << 16];
        int n = System.Text.Encoding.ASCII.GetBytes(CsvHeader + "\n", buf);
        long count = 0;
        string? lastFile = null;
        byte[] fileField = Array.Empty<byte>();
        Span<char> row = stackalloc char[MaxRowChars];
        try
        {
            foreach (var cmd in commands)
            {
                if (cmd is not Move m) continue;
                if (!ReferenceEquals(m.Source.File, lastFile))
                {
                    // The file column rarely changes: encode it (quoted if needed) once per change.
                    lastFile = m.Source.File;
                    var sw = new StringWriter();
                    WriteCsvField(sw, lastFile);
                    fileField = new System.Text.UTF8Encoding(false).GetBytes(sw.ToString());
                    if (buf.Length < MaxRowChars + fileField.Length + 1) Array.Resize(ref buf, MaxRowChars + fileField.Length + 1);
                }
                if (n + MaxRowChars + fileField.Length + 1 > buf.Length) { stream.Write(buf, 0, n); n = 0; }
                // Everything but the file name is ASCII: format as chars on the stack, then narrow.
                int c = FormatRow(m, row);
                for (int k = 0; k < c; k++) buf[n + k] = (byte)row[k];
                n += c;
                fileField.CopyTo(buf, n);
                n += fileField.Length;
                buf[n++] = (byte)'\n';
                count++;
            }
        }
        finally
        {
            // Also when the program stops on an error: the header and every move made before the error are
            // written (the buffer used to be dropped with the exception, leaving an empty move list).
            stream.Write(buf, 0, n);
            stream.Flush();
        }
        return count;
    }

    private const int MaxRowChars = 512;

    /// <summary>Formats one row up to (and including the comma before) the file column; returns its length.</summary>
    private static int FormatRow(Move m, Span<char> buf)
    {
        int n = 0;
        Int(buf, ref n, m.Source.Line); buf[n++] = ',';
        Str(buf, ref n, MotionName(m.Kind)); buf[n++] = ',';
        Num(buf, ref n, m.End.X); buf[n++] = ',';
        Num(buf, ref n, m.End.Y); buf[n++] = ',';
        Num(buf, ref n, m.End.Z); buf[n++] = ',';
        if (m is ArcFeed arc)
        {
            // centre coordinates in the arc's plane; the normal axis stays empty
            if (arc.Plane != Plane.YZ) Num(buf, ref n, arc.Center.X);
            buf[n++] = ',';
            if (arc.Plane != Plane.XZ) Num(buf, ref n, arc.Center.Y);
            buf[n++] = ',';
            if (arc.Plane != Plane.XY) Num(buf, ref n, arc.Center.Z);
            buf[n++] = ',';
            Str(buf, ref n, PlaneName(arc.Plane)); buf[n++] = ',';
            Int(buf, ref n, arc.Turns); buf[n++] = ',';
        }
        else
        {
            buf[n++] = ','; buf[n++] = ','; buf[n++] = ','; buf[n++] = ','; buf[n++] = ',';
        }
        Num(buf, ref n, m.FeedMmPerMin); buf[n++] = ',';
        Num(buf, ref n, m.SpindleRpm); buf[n++] = ',';
        Int(buf, ref n, m.Tool); buf[n++] = ',';
        Int(buf, ref n, m.Source.Column); buf[n++] = ',';
        Num(buf, ref n, m.Start.X); buf[n++] = ',';
        Num(buf, ref n, m.Start.Y); buf[n++] = ',';
        Num(buf, ref n, m.Start.Z); buf[n++] = ',';
        return n;
    }

    private static void WriteCsvField(TextWriter w, string s)
    {
        if (s.AsSpan().IndexOfAny(",\"\n\r") < 0) { w.Write(s); return; }
        w.Write('"'); w.Write(s.Replace("\"", "\"\"")); w.Write('"');
    }

    /// <summary>Writes a JSON array of move objects with the CSV's fields; returns the number of moves.</summary>
    public static long WriteJson(IEnumerable<CanonicalCommand> commands, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        w.WriteStartArray();
        long count = 0;
        foreach (var cmd in commands)
        {
            if (cmd is not Move m) continue;
            w.WriteStartObject();
            w.WriteNumber("line", m.Source.Line);
            w.WriteNumber("column", m.Source.Column);
            w.WriteString("motion", MotionName(m.Kind));
            w.WriteNumber("x", Round(m.End.X)); w.WriteNumber("y", Round(m.End.Y)); w.WriteNumber("z", Round(m.End.Z));
            w.WriteNumber("start_x", Round(m.Start.X)); w.WriteNumber("start_y", Round(m.Start.Y)); w.WriteNumber("start_z", Round(m.Start.Z));
            if (m is ArcFeed arc)
            {
                if (arc.Plane != Plane.YZ) w.WriteNumber("cx", Round(arc.Center.X)); else w.WriteNull("cx");
                if (arc.Plane != Plane.XZ) w.WriteNumber("cy", Round(arc.Center.Y)); else w.WriteNull("cy");
                if (arc.Plane != Plane.XY) w.WriteNumber("cz", Round(arc.Center.Z)); else w.WriteNull("cz");
                w.WriteString("plane", PlaneName(arc.Plane));
                w.WriteNumber("turns", arc.Turns);
            }
            else
            {
                // Same fields on every move, so consumers see one schema.
                w.WriteNull("cx"); w.WriteNull("cy"); w.WriteNull("cz"); w.WriteNull("plane"); w.WriteNull("turns");
            }
            w.WriteNumber("feed_mm_min", Round(m.FeedMmPerMin));
            w.WriteNumber("spindle_rpm", Round(m.SpindleRpm));
            w.WriteNumber("tool", m.Tool);
            w.WriteString("file", m.Source.File);
            w.WriteEndObject();
            if (++count % 4096 == 0) w.Flush();
        }
        w.WriteEndArray();
        w.Flush();
        return count;
    }

    private static double Round(double v) => Math.Round(v, 6);

    private static void Int(Span<char> buf, ref int n, long v)
    {
        v.TryFormat(buf[n..], out int w, default, CultureInfo.InvariantCulture);
        n += w;
    }

    private static void Str(Span<char> buf, ref int n, string s)
    {
        s.AsSpan().CopyTo(buf[n..]);
        n += s.Length;
    }

    /// <summary>Fixed 6 decimals with trailing zeros trimmed (1 nm resolution); "-0" printed as "0".</summary>
    /// <remarks>Formats through a scaled integer: several times faster than double formatting, and the CSV
    /// writer is the hot path of <c>cnctwin parse</c>.</remarks>
    private static void Num(Span<char> buf, ref int n, double v)
    {
        if (!double.IsFinite(v)) { Str(buf, ref n, "nan"); return; }
        if (Math.Abs(v) >= 1e12)
        {
            Math.Round(v, 6).TryFormat(buf[n..], out int w0, "R", CultureInfo.InvariantCulture);
            n += w0;
            return;
        }
        long micro = (long)Math.Round(v * 1e6, MidpointRounding.AwayFromZero);
        if (micro == 0) { buf[n++] = '0'; return; }
        if (micro < 0) { buf[n++] = '-'; micro = -micro; }
        long whole = micro / 1_000_000;
        int frac = (int)(micro - whole * 1_000_000);
        whole.TryFormat(buf[n..], out int w, default, CultureInfo.InvariantCulture);
        n += w;
        if (frac == 0) return;
        int digits = 6;
        while (frac % 10 == 0) { frac /= 10; digits--; }
        buf[n++] = '.';
        for (int k = digits - 1; k >= 0; k--) { buf[n + k] = (char)('0' + frac % 10); frac /= 10; }
        n += digits;
    }
}
