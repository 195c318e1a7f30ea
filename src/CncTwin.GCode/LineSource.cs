using System.Text;

namespace CncTwin.GCode;

/// <summary>
/// Reads a program line by line from a seekable stream with bounded memory, remembering the byte
/// offset of each line so O-word loops and subroutine calls can jump back (the way LinuxCNC seeks in
/// its input file). Bytes are decoded as Latin-1: G-code is ASCII, and Latin-1 never fails to decode
/// so stray bytes in comments cannot abort a job.
/// </summary>
public sealed class LineSource : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _bufLen, _bufPos;
    private long _bufStart; // stream offset of _buffer[0]
    private char[] _line = new char[256];
    private const int MaxLineLength = 1 << 20;

    public string FileName { get; }
    /// <summary>1-based number of the line most recently returned.</summary>
    public int LineNumber { get; private set; }
    /// <summary>Byte offset where the line most recently returned starts.</summary>
    public long LineOffset { get; private set; }
    /// <summary>Byte offset where the next line starts.</summary>
    public long NextOffset => _bufStart + _bufPos;

    public LineSource(Stream stream, string fileName, bool ownsStream = true)
    {
        if (!stream.CanSeek)
        {
            // Loops and forward subroutine calls need to seek; spool a pipe into a temporary file.
            var tmp = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
            stream.CopyTo(tmp);
            if (ownsStream) stream.Dispose();
            tmp.Position = 0;
            stream = tmp;
            ownsStream = true;
        }
        _stream = stream;
        _ownsStream = ownsStream;
        FileName = fileName;
        _bufStart = stream.Position;
    }

    public static LineSource FromFile(string path) =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), path);

    public static LineSource FromString(string text, string fileName = "<string>") =>
        new(new MemoryStream(Encoding.Latin1.GetBytes(text)), fileName);

    /// <summary>Returns the next line (without its terminator) or false at end of file.</summary>
    public bool TryReadLine(out ReadOnlyMemory<char> line)
    {
        LineOffset = NextOffset;
        int len = 0;
        bool any = false;
        while (true)
        {
            if (_bufPos >= _bufLen)
            {
                _bufStart += _bufLen;
                _bufLen = _stream.Read(_buffer, 0, _buffer.Length);
                _bufPos = 0;
                if (_bufLen == 0)
                {
                    if (!any) { line = default; return false; }
                    break;
                }
            }
            any = true;
            byte b = _buffer[_bufPos++];
            if (b == (byte)'\n') break;
            if (b == (byte)'\r') continue;
            if (len < MaxLineLength)
            {
                if (len == _line.Length) Array.Resize(ref _line, _line.Length * 2);
                _line[len++] = (char)b;
            }
        }
        LineNumber++;
        line = new ReadOnlyMemory<char>(_line, 0, len);
        return true;
    }

    /// <summary>Positions the reader so the next line read is the one starting at <paramref name="offset"/>, numbered <paramref name="lineNumber"/>.</summary>
    public void Seek(long offset, int lineNumber)
    {
        if (offset >= _bufStart && offset <= _bufStart + _bufLen)
        {
            _bufPos = (int)(offset - _bufStart);
        }
        else
        {
            _stream.Position = offset;
            _bufStart = offset;
            _bufLen = 0;
            _bufPos = 0;
        }
        LineNumber = lineNumber - 1;
    }

    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
    }
}
