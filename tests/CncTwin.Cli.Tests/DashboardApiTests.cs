using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CncTwin.Web;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CncTwin.Cli.Tests;

/// <summary>The dashboard's HTTP API on loopback (no browser): it runs the pipeline library in process and can stop a run.</summary>
public class DashboardApiTests
{
    [Fact]
    public async Task RunningSimulation_IsStoppedFromTheApi()
    {
        string ws = Path.Combine(Path.GetTempPath(), "cnctwin-dash-api-" + Guid.NewGuid().ToString("N"));
        var app = Dashboard.Build(new DashboardOptions { Port = 0, Bind = "127.0.0.1", Workspace = ws, HistoryDb = Path.Combine(ws, "h.db") });
        await app.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            // Long enough to be running when the stop arrives: 30 000 cutting moves.
            var program = new StringBuilder("G21 G90 G17 G94\nS8000 M3\nG0 X0 Y0 Z5\nG1 Z-1 F600\n");
            for (int i = 0; i < 30_000; i++) program.Append(string.Create(CultureInfo.InvariantCulture, $"G1 X{(i % 2 == 0 ? 80 : 0)} Y{i * 0.001:0.###}\n"));
            program.Append("M2\n");
            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(Encoding.ASCII.GetBytes(program.ToString()));
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, "program", "long.ngc");
            var posted = await http.PostAsync("/api/simulations", form, TestContext.Current.CancellationToken);
            Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            string id = JsonDocument.Parse(await posted.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("id").GetString()!;
            string Status(JsonDocument d) => d.RootElement.GetProperty("status").GetString()!;
            using (var s = JsonDocument.Parse(await http.GetStringAsync($"/api/simulations/{id}", TestContext.Current.CancellationToken)))
                Assert.Equal("running", Status(s));
            var cancel = await http.PostAsync($"/api/simulations/{id}/cancel", null, TestContext.Current.CancellationToken);
            Assert.True(cancel.IsSuccessStatusCode);
            string status = "running";
            for (int i = 0; i < 200 && status == "running"; i++)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
                using var s = JsonDocument.Parse(await http.GetStringAsync($"/api/simulations/{id}", TestContext.Current.CancellationToken));
                status = Status(s);
            }
            Assert.Equal("cancelled", status);
            Assert.False(File.Exists(Path.Combine(ws, id, "out", "summary.json")), "a stopped run must not leave a summary");
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            try { Directory.Delete(ws, true); } catch (IOException) { }
        }
    }
}
