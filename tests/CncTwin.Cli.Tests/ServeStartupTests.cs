using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CncTwin.Cli.Tests;

/// <summary>
/// `cnctwin serve` as a person runs it (the built cnctwin.dll in its own process, its console read back): a
/// start-up failure is one line and exit 2, the URL is announced only once the server listens, and a client's
/// bad upload is answered in words with no stack trace on the server's console.
/// </summary>
public class ServeStartupTests
{
    private static ProcessStartInfo Serve(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cnctwin.dll"));
        psi.ArgumentList.Add("serve");
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("CNCTWIN_TOKEN");
        return psi;
    }

    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        string ws = Path.Combine(Path.GetTempPath(), "cnctwin-serve-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var p = Process.Start(Serve([.. args, "--workspace", ws]))!;
            var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await p.WaitForExitAsync(TestContext.Current.CancellationToken);
            return (p.ExitCode, await stdout, await stderr);
        }
        finally { DashboardTestSupport.Delete(ws); }
    }

    private static void OneLine(string err, string expected)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{err}");
        Assert.StartsWith("serve: error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    [Fact]
    public async Task PortOutOfRange_IsOneLine_Exit2()
    {
        var (exit, stdout, err) = await Run("--port", "99999");
        Assert.Equal(2, exit);
        OneLine(err, "--port 99999");
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task PortInUse_IsOneLine_Exit2_AndNoUrlIsAnnounced()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (exit, stdout, err) = await Run("--port", port.ToString());
        Assert.Equal(2, exit);
        OneLine(err, $"cannot listen on 127.0.0.1:{port}");
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task AddressNotOnThisHost_IsOneLine_Exit2()
    {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this host.
        var (exit, stdout, err) = await Run("--bind", "192.0.2.1", "--token", "t", "--port", "0");
        Assert.Equal(2, exit);
        OneLine(err, "cannot listen on 192.0.2.1");
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Listening_AnnouncesTheRealUrl_AndClientErrorsLeaveNoStackTrace()
    {
        string ws = Path.Combine(Path.GetTempPath(), "cnctwin-serve-" + Guid.NewGuid().ToString("N"));
        var ct = TestContext.Current.CancellationToken;
        using var p = Process.Start(Serve("--port", "0", "--workspace", ws))!;
        var stderr = p.StandardError.ReadToEndAsync(ct);
        try
        {
            // The announcement names the port it really listens on (0 asked for any free one).
            string line = await p.StandardOutput.ReadLineAsync(ct) ?? "";
            var m = System.Text.RegularExpressions.Regex.Match(line, @"http://127\.0\.0\.1:(\d+)/");
            Assert.True(m.Success && m.Groups[1].Value != "0", line);
            using var http = new HttpClient { BaseAddress = new Uri(m.Value) };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/runs", ct)).StatusCode);

            // 25 MB against the 20 MB limit: refused with the sizes, read to its end so the client gets the answer.
            var big = new MultipartFormDataContent { { new ByteArrayContent(new byte[25 << 20]), "program", "big.ngc" } };
            var r = await http.PostAsync("/api/simulations", big, ct);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
            Assert.Equal("the upload is 25.0 MB, the limit is 20 MB", await r.Content.ReadAsStringAsync(ct));
            // A form that is not one: 400 in words.
            var broken = new ByteArrayContent(Encoding.ASCII.GetBytes("--xyz\r\nContent-Disposition: form-data; name=\"program\"; filename=\"a.ngc\"\r\n\r\nG0 X1"));
            broken.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=xyz");
            r = await http.PostAsync("/api/simulations", broken, ct);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.StartsWith("the upload is not a well-formed form", await r.Content.ReadAsStringAsync(ct));
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(ct);
            DashboardTestSupport.Delete(ws);
        }
        string err = await stderr;
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("Exception", err);
    }
}
