using Microsoft.Playwright;

namespace CncTwin.Cli.Tests;

internal static class TestSupport
{
    /// <summary>The repository root (the folder holding CncTwin.sln).</summary>
    public static string Repo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CncTwin.sln"))) return d.FullName;
        throw new InvalidOperationException("CncTwin.sln not found");
    }

    /// <summary>Distinct colours in a canvas (sampled every 4th pixel): a blank WebGL canvas has one or two.</summary>
    public static Task<int> CanvasColours(IPage page, string canvasId) => page.EvaluateAsync<int>("""
        (id) => {
          const c = document.getElementById(id);
          const g = document.createElement('canvas'); g.width = c.width; g.height = c.height;
          const x = g.getContext('2d'); x.drawImage(c, 0, 0);
          const d = x.getImageData(0, 0, g.width, g.height).data, seen = new Set();
          for (let i = 0; i < d.length; i += 16) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
          return seen.size;
        }
        """, canvasId);
}
