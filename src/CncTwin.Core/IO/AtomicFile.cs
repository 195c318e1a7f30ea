using System.Runtime.InteropServices;

namespace CncTwin.Core.IO;

/// <summary>
/// An output file written under a temporary name in its own folder and renamed over the real name only when
/// complete (<see cref="Commit"/>): an error, a crash or a full disk never leaves a half-written or emptied file
/// where the user expects the result, and never destroys the previous file before the new one is whole.
/// </summary>
public sealed class AtomicFile : IDisposable
{
    public string Path { get; }
    public string TempPath { get; }
    private FileStream? _stream;
    private bool _committed;

    private AtomicFile(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        string dir = System.IO.Path.GetDirectoryName(Path) ?? ".";
        TempPath = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>A file to write through <see cref="Stream"/>.</summary>
    public static AtomicFile Create(string path, int bufferSize = 1 << 16)
    {
        var f = new AtomicFile(path);
        if (IsDevice(f.Path))
        {
            // /dev/stdout and the like: written straight through (there is nothing to rename over).
            f._stream = new FileStream(f.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize);
            f._direct = true;
            return f;
        }
        f._stream = new FileStream(f.TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize);
        return f;
    }

    private bool _direct;

    private static bool IsDevice(string path) => OperatingSystem.IsLinux() && path.StartsWith("/dev/", StringComparison.Ordinal) && File.Exists(path);

    public Stream Stream => _stream ?? throw new InvalidOperationException("not opened as a stream");

    /// <summary>Makes the file visible under its name (replacing an older one in one step).</summary>
    public void Commit()
    {
        if (_committed) return;
        if (_stream is { CanWrite: true }) _stream.Flush(!_direct);
        _stream?.Dispose();
        _stream = null;
        if (!_direct) File.Move(TempPath, Path, overwrite: true);
        _committed = true;
    }

    /// <summary>Not committed: the temporary file is removed and the real one left as it was.</summary>
    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
        if (!_committed && !_direct) try { File.Delete(TempPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Writes a file through a writer that takes a path (mesh and report writers): to a temporary name, then renamed.</summary>
    public static T Write<T>(string path, Func<string, T> writeTo)
    {
        using var f = new AtomicFile(path);
        if (IsDevice(f.Path)) return writeTo(f.Path);
        var result = writeTo(f.TempPath);
        File.Move(f.TempPath, f.Path, overwrite: true);
        f._committed = true;
        return result;
    }

    public static void Write(string path, Action<string> writeTo) => Write(path, p => { writeTo(p); return 0; });

    /// <summary>
    /// True when the two paths name one file: the same full path, a link to it, or (on Linux) the same device and
    /// inode (a hard link). An output that is an input must be refused before it is opened, which would empty it.
    /// </summary>
    public static bool SameFile(string a, string b)
    {
        string fa = Resolve(a), fb = Resolve(b);
        if (string.Equals(fa, fb, StringComparison.Ordinal)) return true;
        if (!File.Exists(fa) || !File.Exists(fb)) return false;
        return Identity(fa) is { } ia && Identity(fb) is { } ib && ia == ib;
    }

    private static string Resolve(string p)
    {
        string full = System.IO.Path.GetFullPath(p);
        try { return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full; }
        catch (IOException) { return full; }
    }

    // glibc's stat(2): on 64-bit Linux (x86-64 and aarch64) struct stat starts with st_dev and st_ino, 8 bytes each.
    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buf);

    private static (long Dev, long Ino)? Identity(string path)
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess) return null;
        try
        {
            var buf = new byte[256];
            if (Stat(path, buf) != 0) return null;
            return (BitConverter.ToInt64(buf, 0), BitConverter.ToInt64(buf, 8));
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }
}
