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
            // Loops and subroutine calls need to seek back; a pipe is spooled to a temporary file as it
            // is read (never ahead of the interpreter), so a live stream is interpreted as it arrives.
            stream = new SpoolingStream(stream, ownsStream);
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

/// <summary>
/// Makes a forward-only stream seekable by copying what has been read into a temporary file. Reads
/// past the spooled end pull from the source on demand, so nothing is read before it is needed.
/// </summary>
internal sealed class SpoolingStream : Stream
{
    private readonly Stream _source;
    private readonly bool _ownsSource;
    private readonly FileStream _spool;
    private long _position;
    private bool _sourceEnded;

    public SpoolingStream(Stream source, bool ownsSource)
    {
        _source = source;
        _ownsSource = ownsSource;
        _spool = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (count == 0) return 0;
        if (_position < _spool.Length)
        {
            _spool.Position = _position;
            int n = _spool.Read(buffer, offset, (int)Math.Min(count, _spool.Length - _position));
            _position += n;
            return n;
        }
        if (_sourceEnded) return 0;
        int got = _source.Read(buffer, offset, count);
        if (got == 0) { _sourceEnded = true; return 0; }
        _spool.Position = _spool.Length;
        _spool.Write(buffer, offset, got);
        _position += got;
        return got;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => throw new NotSupportedException("the end of a stream being spooled is not known yet"),
        };
        if (target < 0) throw new IOException("seek before the start of the stream");
        // Seeking ahead of what has arrived pulls the source up to there.
        var scratch = new byte[1 << 16];
        while (target > _spool.Length && !_sourceEnded)
        {
            int got = _source.Read(scratch, 0, (int)Math.Min(scratch.Length, target - _spool.Length));
            if (got == 0) { _sourceEnded = true; break; }
            _spool.Position = _spool.Length;
            _spool.Write(scratch, 0, got);
        }
        _position = Math.Min(target, _spool.Length);
        return _position;
    }

    public override long Position { get => _position; set => Seek(value, SeekOrigin.Begin); }
    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _sourceEnded ? _spool.Length : throw new NotSupportedException("length of a stream still arriving");
    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _spool.Dispose();
            if (_ownsSource) _source.Dispose();
        }
        base.Dispose(disposing);
    }
}
