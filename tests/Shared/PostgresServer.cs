using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CncTwin.Tests.Shared;

/// <summary>
/// A PostgreSQL server for the history tests: the one <c>CNCTWIN_PG</c> names (.ci/run starts a cluster in a temporary
/// folder on loopback and sets it), else a cluster of Debian's PostgreSQL started here in a temporary folder and
/// stopped afterwards. Without PostgreSQL the tests are skipped outside CI and fail in CI.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public string? Connection { get; }
    public string? Why { get; }
    private readonly string? _dir, _binDir;

    public PostgresServer()
    {
        if (Environment.GetEnvironmentVariable("CNCTWIN_PG") is { Length: > 0 } env) { Connection = env; return; }
        var bin = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb"))) : null;
        if (bin == null) { Why = "PostgreSQL not found (apt-get install postgresql, or set CNCTWIN_PG)"; return; }
        _binDir = bin;
        _dir = Path.Combine(Path.GetTempPath(), "cnctwin-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        bool root = Environment.UserName == "root";
        if (root) Run("chown", $"postgres {_dir}");
        var l = new TcpListener(IPAddress.Loopback, 0); l.Start(); int port = ((IPEndPoint)l.LocalEndpoint).Port; l.Stop();
        string initdb = $"{bin}/initdb -D {_dir}/data -A trust -U postgres";
        string start = $"{bin}/pg_ctl -D {_dir}/data -l {_dir}/log -w -o \"-p {port} -h 127.0.0.1 -k {_dir}\" start";
        if (!Sh(root, initdb, out var e1)) { Why = "initdb failed: " + e1; return; }
        if (!Sh(root, start, out var e2)) { Why = "pg_ctl start failed: " + e2; return; }
        Connection = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";
    }

    private static bool Sh(bool root, string cmd, out string err)
    {
        var psi = root ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", "sh", "-c", cmd]) : new ProcessStartInfo("sh", ["-c", cmd]);
        psi.RedirectStandardError = true; psi.RedirectStandardOutput = true;
        using var p = Process.Start(psi)!;
        string o = p.StandardOutput.ReadToEnd();
        err = p.StandardError.ReadToEnd() + o;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    private static void Run(string file, string args) { using var p = Process.Start(file, args); p.WaitForExit(); }

    public string Require()
    {
        if (Connection != null) return Connection;
        if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 }) Assert.Fail(Why);
        Assert.Skip(Why!);
        return "";
    }

    public void Dispose()
    {
        if (_dir == null || _binDir == null) return;
        Sh(Environment.UserName == "root", $"{_binDir}/pg_ctl -D {_dir}/data -m fast -w stop", out _);
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

