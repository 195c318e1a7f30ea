using System.CommandLine;
using CncTwin.Web;

namespace CncTwin.Cli;

/// <summary><c>cnctwin serve [--port P] [--bind ADDR] [--token T]</c>: the web dashboard (it runs simulations and replays through CncTwin.Simulation).</summary>
internal static class ServeCommand
{
    public static Command Build()
    {
        var port = new Option<int>("--port") { Description = "TCP port", DefaultValueFactory = _ => 5080 };
        var bind = new Option<string>("--bind") { Description = "address to listen on; anything but loopback needs a token", DefaultValueFactory = _ => "127.0.0.1" };
        var token = new Option<string?>("--token") { Description = "token every request must carry (Authorization: Bearer, or ?token=); default $CNCTWIN_TOKEN" };
        var workspace = new Option<string>("--workspace") { Description = "folder for uploaded programs and their results", DefaultValueFactory = _ => "cnctwin-dashboard" };
        var db = new Option<string?>("--db") { Description = "twin history database to list (default: cnctwin-history.db in the workspace)" };
        var tools = new Option<string?>("--tools") { Description = "tool library for uploaded programs" };
        var maxUpload = new Option<int>("--max-upload-mb") { Description = "largest upload, MB", DefaultValueFactory = _ => 20 };
        var cmd = new Command("serve", "Web dashboard: runs, simulation viewer, live twin view; upload and simulate programs.") { port, bind, token, workspace, db, tools, maxUpload };
        cmd.SetAction(async (pr, ct) =>
        {
            string ws = Path.GetFullPath(pr.GetValue(workspace)!);
            var options = new DashboardOptions
            {
                Port = pr.GetValue(port), Bind = pr.GetValue(bind)!, Token = pr.GetValue(token) ?? Environment.GetEnvironmentVariable("CNCTWIN_TOKEN"),
                Workspace = ws, HistoryDb = pr.GetValue(db) ?? Path.Combine(ws, "cnctwin-history.db"), MaxUploadBytes = (long)Math.Max(1, pr.GetValue(maxUpload)) << 20,
                ToolsPath = pr.GetValue(tools),
            };
            try
            {
                var app = Dashboard.Build(options);
                Console.WriteLine($"CncTwin dashboard on http://{options.Bind}:{options.Port}/{(options.Token != null ? "?token=…" : "")} (Ctrl-C stops)");
                await app.StartAsync(ct);
                try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
                await app.StopAsync();
                return CliApp.ExitOk;
            }
            catch (ArgumentException ex) { Console.Error.WriteLine($"serve: error: {ex.Message}"); return CliApp.ExitUsage; }
            catch (IOException ex) { Console.Error.WriteLine($"serve: error: {ex.Message}"); return CliApp.ExitProgramError; }
        });
        return cmd;
    }
}
