using System.CommandLine;
using System.Net.Sockets;
using CncTwin.Web;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CncTwin.Cli;

/// <summary><c>cnctwin serve [--port P] [--bind ADDR] [--token T]</c>: the web dashboard (it runs simulations and replays through CncTwin.Simulation).</summary>
internal static class ServeCommand
{
    public static Command Build()
    {
        var port = new Option<int>("--port") { Description = "TCP port (0: any free one, printed at start)", DefaultValueFactory = _ => 5080 };
        var bind = new Option<string>("--bind") { Description = "address to listen on; anything but loopback needs a token", DefaultValueFactory = _ => "127.0.0.1" };
        var token = new Option<string?>("--token") { Description = "token every request must carry (Authorization: Bearer, ?token= or the cookie it sets); default $CNCTWIN_TOKEN" };
        var workspace = new Option<string>("--workspace") { Description = "folder for uploaded programs and their results", DefaultValueFactory = _ => "cnctwin-dashboard" };
        var db = new Option<string?>("--db") { Description = "twin history database to list (default: cnctwin-history.db in the workspace)" };
        var tools = new Option<string?>("--tools") { Description = "tool library for uploaded programs" };
        var maxUpload = new Option<int>("--max-upload-mb") { Description = "largest upload, MB", DefaultValueFactory = _ => 20 };
        var maxWaiting = new Option<int>("--max-waiting") { Description = "simulations and replays that may wait for their turn (one runs at a time); more are refused", DefaultValueFactory = _ => 4 };
        var cmd = new Command("serve", "Web dashboard: runs, simulation viewer, live twin view; upload and simulate programs.") { port, bind, token, workspace, db, tools, maxUpload, maxWaiting };
        cmd.SetAction(async (pr, ct) =>
        {
            string ws = Path.GetFullPath(pr.GetValue(workspace)!);
            var options = new DashboardOptions
            {
                Port = pr.GetValue(port), Bind = pr.GetValue(bind)!, Token = pr.GetValue(token) ?? Environment.GetEnvironmentVariable("CNCTWIN_TOKEN"),
                Workspace = ws, HistoryDb = pr.GetValue(db) ?? Path.Combine(ws, "cnctwin-history.db"), MaxUploadBytes = (long)Math.Max(1, pr.GetValue(maxUpload)) << 20,
                ToolsPath = pr.GetValue(tools), MaxWaiting = Math.Max(0, pr.GetValue(maxWaiting)),
            };
            Microsoft.AspNetCore.Builder.WebApplication app;
            try { app = Dashboard.Build(options); }
            catch (ArgumentException ex) { Console.Error.WriteLine($"serve: error: {ex.Message}"); return CliApp.ExitUsage; }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { Console.Error.WriteLine($"serve: error: workspace {ws}: {OneLine(ex.Message)}"); return CliApp.ExitProgramError; }
            await using (app)
            {
                // Listening can fail on the address (not this host's, or taken by another server): one line, and the
                // URL is announced only once the server really listens.
                try { await app.StartAsync(ct); }
                catch (OperationCanceledException) { return CliApp.ExitOk; }
                catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException)
                {
                    Console.Error.WriteLine($"serve: error: cannot listen on {options.Bind}:{options.Port}: {OneLine(Reason(ex))}");
                    return CliApp.ExitUsage;
                }
                string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? $"http://{options.Bind}:{options.Port}";
                Console.WriteLine($"CncTwin dashboard on {url.TrimEnd('/')}/{(options.Token != null ? "?token=…" : "")} (Ctrl-C stops)");
                try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
                await app.StopAsync(CancellationToken.None);
                return CliApp.ExitOk;
            }
        });
        return cmd;
    }

    /// <summary>The socket's own reason ("Address already in use"), which Kestrel wraps in a message naming the address again.</summary>
    internal static string Reason(Exception ex)
    {
        var inner = ex;
        while (inner.InnerException != null) inner = inner.InnerException;
        return inner.Message;
    }

    internal static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
