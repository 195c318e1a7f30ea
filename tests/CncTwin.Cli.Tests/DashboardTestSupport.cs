using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CncTwin.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CncTwin.Cli.Tests;

/// <summary>Starting a dashboard on a free port in a fresh workspace, and the uploads the dashboard tests send.</summary>
internal static class DashboardTestSupport
{
    public static string NewWorkspace()
    {
        string ws = Path.Combine(Path.GetTempPath(), "cnctwin-dash-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(ws);
        return ws;
    }

    public static DashboardOptions Options(string workspace, string? token = null, string bind = "127.0.0.1", int maxWaiting = 4) => new()
    {
        Port = 0, Bind = bind, Token = token, Workspace = workspace, HistoryDb = Path.Combine(workspace, "history.db"),
        ToolsPath = Path.Combine(TestSupport.Repo(), "gcode-samples", "tools.json"), MaxWaiting = maxWaiting,
    };

    /// <summary>Builds and starts the dashboard; the URL is the loopback one even when it listens on 0.0.0.0 (this sandbox allows no other traffic).</summary>
    public static async Task<(WebApplication App, string Url)> Start(DashboardOptions options)
    {
        var app = Dashboard.Build(options);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, address.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1"));
    }

    public static async Task Stop(WebApplication app)
    {
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }

    public static void Delete(string dir)
    {
        try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A program long enough to be still running when a test looks at it (it is always stopped): back-and-forth cuts.</summary>
    public static string LongProgram(int moves = 100_000)
    {
        var program = new StringBuilder("G21 G90 G17 G94\nS8000 M3\nG0 X0 Y0 Z5\nG1 Z-1 F600\n");
        for (int i = 0; i < moves; i++) program.Append(string.Create(CultureInfo.InvariantCulture, $"G1 X{(i % 2 == 0 ? 80 : 0)} Y{i * 0.001:0.###}\n"));
        return program.Append("M2\n").ToString();
    }

    public static MultipartFormDataContent ProgramForm(string text, string name)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "program", name);
        return form;
    }

    public static async Task<JsonElement> Json(HttpResponseMessage r)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> Get(HttpClient http, string path) => await Json(await http.GetAsync(path));

    /// <summary>Polls a run until its status is one of the given ones (giving up after five minutes, with the status it has).</summary>
    public static async Task<JsonElement> WaitFor(HttpClient http, string id, params string[] statuses)
    {
        JsonElement s = default;
        for (int i = 0; i < 3000; i++)
        {
            s = await Get(http, $"/api/simulations/{id}");
            if (statuses.Contains(s.GetProperty("status").GetString())) return s;
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"run {id} never reached {string.Join("/", statuses)}: {s}");
        return s;
    }
}
