using System.Globalization;
using System.Reflection;
using System.Text;

namespace CncTwin.Report;

/// <summary>
/// Time series for the report, kept small whatever the program's length: samples are binned, and when the
/// bins exceed the budget, neighbouring bins merge (keeping each channel's maximum, so peaks survive).
/// </summary>
public sealed class TimeSeriesCollector(int channels, int budget = 3000)
{
    private readonly List<double> _t = new();
    private readonly List<double[]> _v = new();
    private double _binS = 0;
    private double _binStart = double.NaN;

    public IReadOnlyList<double> Time => _t;
    public IReadOnlyList<double> Channel(int c) => _v.Select(v => v[c]).ToList();

    public void Add(double t, ReadOnlySpan<double> values)
    {
        if (!double.IsNaN(_binStart) && t - _binStart < _binS)
        {
            var last = _v[^1];
            for (int c = 0; c < channels; c++) if (double.IsFinite(values[c]) && !(last[c] >= values[c])) last[c] = values[c];
            return;
        }
        _t.Add(t); _v.Add(values[..channels].ToArray()); _binStart = t;
        if (_t.Count > budget)
        {
            // Merge pairs: half the points, twice the bin.
            var nt = new List<double>(); var nv = new List<double[]>();
            for (int i = 0; i < _t.Count; i += 2)
            {
                var a = _v[i];
                if (i + 1 < _t.Count) for (int c = 0; c < channels; c++) { double b = _v[i + 1][c]; if (double.IsFinite(b) && !(a[c] >= b)) a[c] = b; }
                nt.Add(_t[i]); nv.Add(a);
            }
            _t.Clear(); _t.AddRange(nt); _v.Clear(); _v.AddRange(nv);
            _binS = _binS == 0 ? (t - _t[0]) / Math.Max(1, _t.Count) : 2 * _binS;
        }
    }
}

/// <summary>Everything the report shows, gathered while `simulate` runs.</summary>
public sealed class ReportData
{
    public required string ProgramPath { get; init; }
    public required string Machine { get; init; }
    public List<(string Key, string Value, bool Warn)> Summary { get; } = new();
    public List<(int Line, string Kind, string Message)> Problems { get; } = new();
    /// <summary>Channels: feed, programmed feed (mm/min), MRR (mm³/s), peak force (N), spindle power (W), spindle load (%), tool wear (µm).</summary>
    public TimeSeriesCollector Timeline { get; } = new(7);
    public Dictionary<int, (double MaxLoadPct, double MaxForceN, double Seconds)> PerLine { get; } = new();
    public double SpindleRatedPowerW { get; set; } = double.NaN;
    public string? LobesSvg { get; set; }
    public byte[]? StockGlb { get; set; }
    public List<float> PathXyz { get; } = new();
    public List<float> PathLoad { get; } = new();
    public List<byte> PathRapid { get; } = new();
    public List<float> PathTimeS { get; } = new();
    public int MaxPathPoints { get; init; } = 200_000;

    /// <summary>Adds a point of the toolpath (machine mm) with its load share (0..1) and the time it is reached.</summary>
    public void AddPathPoint(double x, double y, double z, double load01, bool rapid, double timeS)
    {
        if (PathTimeS.Count >= MaxPathPoints) return;
        PathXyz.Add((float)x); PathXyz.Add((float)y); PathXyz.Add((float)z);
        PathLoad.Add((float)Math.Clamp(double.IsFinite(load01) ? load01 : 0, 0, 1));
        PathRapid.Add(rapid ? (byte)1 : (byte)0);
        PathTimeS.Add((float)timeS);
    }
}

/// <summary>
/// Writes DIR/report.html: one self-contained file (inline CSS, SVG charts, the three.js viewer bundled at build
/// time, the stock as an embedded glTF binary): it opens offline and can be mailed around.
/// </summary>
public static class ReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string ViewerScript()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("CncTwin.Report.viewer.js")
            ?? throw new InvalidOperationException("the bundled 3D viewer is missing (web/dist/viewer.js is built from npm at build time)");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    private static string Floats(IEnumerable<float> v) => Convert.ToBase64String(v.SelectMany(BitConverter.GetBytes).ToArray());

    public static void Write(string path, ReportData d)
    {
        var sb = new StringBuilder();
        string title = $"CncTwin report: {Path.GetFileName(d.ProgramPath)}";
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        sb.Append($"<title>{Charts.Esc(title)}</title><style>{Css}</style></head><body>");
        sb.Append($"<header><h1>{Charts.Esc(title)}</h1><p>{Charts.Esc(d.Machine)} · generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC by cnctwin simulate</p></header><main>");

        sb.Append("<section id=\"summary\"><h2>Summary</h2><table>");
        foreach (var (k, v, warn) in d.Summary) sb.Append($"<tr{(warn ? " class=\"warn\"" : "")}><th>{Charts.Esc(k)}</th><td>{Charts.Esc(v)}</td></tr>");
        sb.Append("</table></section>");

        sb.Append("<section id=\"problems\"><h2>Problem lines</h2>");
        if (d.Problems.Count == 0) sb.Append("<p class=\"ok\">None: no crash, overload, chatter or worn-out tool.</p>");
        else
        {
            sb.Append("<ul>");
            foreach (var (line, kind, msg) in d.Problems.OrderBy(p => p.Line).Take(500))
                sb.Append($"<li><a href=\"#L{line}\">line {line}</a> <span class=\"kind {Charts.Esc(kind)}\">{Charts.Esc(kind)}</span> {Charts.Esc(msg)}</li>");
            sb.Append("</ul>");
            if (d.Problems.Count > 500) sb.Append($"<p>… {d.Problems.Count - 500} more in summary.json</p>");
        }
        sb.Append("</section>");

        var t = d.Timeline.Time;
        sb.Append("<section id=\"plots\"><h2>Against time</h2>");
        // Scaled to the cutting feeds: rapids (tens of m/min) would flatten them; they are drawn at the top.
        double cuttingFeedMax = d.Timeline.Channel(1).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        sb.Append(Charts.Line("plot-feed", "Feed", "time, s", "mm/min", t, [new Series("actual feed", "#1f77b4", d.Timeline.Channel(0)), new Series("programmed", "#aaaaaa", d.Timeline.Channel(1))],
            yCap: cuttingFeedMax > 0 ? 1.3 * cuttingFeedMax : null, capNote: "rapids run above this scale"));
        sb.Append(Charts.Line("plot-mrr", "Material removal rate", "time, s", "mm³/s", t, [new Series("MRR", "#2ca02c", d.Timeline.Channel(2))]));
        // The summary's max force is each move's peak at its programmed feed; this chart is at the speed the machine
        // actually moves (slower while accelerating into corners), sampled in time: its peak can be lower.
        sb.Append(Charts.Line("plot-force", "Cutting force at the actual feed (peak per tooth period; the summary's max is at the programmed feed)", "time, s", "N", t, [new Series("force", "#9467bd", d.Timeline.Channel(3))]));
        sb.Append(Charts.Line("plot-power", "Spindle power", "time, s", "W", t, [new Series("cutting power", "#ff7f0e", d.Timeline.Channel(4))],
            double.IsFinite(d.SpindleRatedPowerW) ? d.SpindleRatedPowerW : null, string.Create(CultureInfo.InvariantCulture, $"rated power {d.SpindleRatedPowerW:#,0} W")));
        sb.Append(Charts.Line("plot-load", "Spindle load", "time, s", "% of the drive at that speed", t, [new Series("load", "#d62728", d.Timeline.Channel(5))], 100, "100 % load"));
        sb.Append(Charts.Line("plot-wear", "Tool flank wear", "time, s", "VB, µm", t, [new Series("wear of the tool in the spindle", "#8c564b", d.Timeline.Channel(6))]));
        sb.Append("<h2>Against program line</h2>");
        // At most ~1 500 bars: long programs are shown in buckets of consecutive lines (max load, summed time).
        var perLine = d.PerLine.OrderBy(kv => kv.Key).Select(kv => (Line: kv.Key, kv.Value.MaxLoadPct, kv.Value.Seconds)).ToList();
        string perLineTitle = "Spindle load and time per program line";
        if (perLine.Count > 1500)
        {
            int first = perLine[0].Line, span = perLine[^1].Line - first + 1, bucket = (span + 1499) / 1500;
            perLine = perLine.GroupBy(r => (r.Line - first) / bucket)
                .Select(g => (Line: first + g.Key * bucket, g.Max(r => r.MaxLoadPct), g.Sum(r => r.Seconds))).ToList();
            perLineTitle += $" (buckets of {bucket} lines)";
        }
        sb.Append(Charts.PerLine("plot-lines", perLineTitle, perLine, "max load %"));
        sb.Append("</section>");

        if (d.LobesSvg != null) sb.Append($"<section id=\"lobes\"><h2>Stability lobes and the program's operating points</h2>{d.LobesSvg}<p>Red points lie above the limit (chatter), blue below.</p></section>");

        sb.Append("<section id=\"view\"><h2>Final stock and toolpath</h2><canvas id=\"view3d\" width=\"900\" height=\"520\"></canvas>");
        sb.Append("<div class=\"scrub\"><label for=\"scrub\">time</label> <input id=\"scrub\" type=\"range\" min=\"0\" max=\"1000\" value=\"0\"> <span id=\"scrub-t\">0 s</span></div>");
        sb.Append("<p class=\"note\">Drag to orbit, wheel to zoom. Toolpath coloured by spindle load (blue light → red heavy), rapids grey.</p></section>");

        if (File.Exists(d.ProgramPath))
        {
            var lines = File.ReadLines(d.ProgramPath, Encoding.Latin1).Take(20_000).ToList();
            var bad = d.Problems.Select(p => p.Line).ToHashSet();
            sb.Append("<section id=\"program\"><h2>Program</h2><pre class=\"code\">");
            for (int i = 0; i < lines.Count; i++)
                sb.Append($"<span id=\"L{i + 1}\"{(bad.Contains(i + 1) ? " class=\"bad\"" : "")}><i>{i + 1}</i>{Charts.Esc(lines[i])}</span>\n");
            sb.Append("</pre></section>");
        }
        sb.Append("</main>");

        // Data and the bundled viewer: everything inline.
        sb.Append("<script>window.CNCTWIN_DATA={");
        sb.Append($"glb:{(d.StockGlb != null ? "\"" + Convert.ToBase64String(d.StockGlb) + "\"" : "null")},");
        sb.Append($"path:\"{Floats(d.PathXyz)}\",load:\"{Floats(d.PathLoad)}\",time:\"{Floats(d.PathTimeS)}\",rapid:\"{Convert.ToBase64String(d.PathRapid.ToArray())}\"}};</script>");
        sb.Append("<script>").Append(ViewerScript().Replace("</script", "<\\/script")).Append("</script>");
        sb.Append("<script>").Append(Boot).Append("</script></body></html>");
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
    }

    private const string Boot = """
        (function () {
          var D = window.CNCTWIN_DATA, V = window.CncTwinViewer;
          function f32(b) { var u = V.base64ToBytes(b); return new Float32Array(u.buffer, u.byteOffset, u.byteLength / 4); }
          var path = f32(D.path), load = f32(D.load), time = f32(D.time), rapid = V.base64ToBytes(D.rapid);
          var glb = D.glb ? V.base64ToBytes(D.glb).buffer : null;
          var view = V.show(document.getElementById('view3d'), { glb: glb, path: path, load: load, rapid: rapid });
          window.CNCTWIN_VIEW = view;
          view.ready.then(function () { document.getElementById('view3d').setAttribute('data-ready', '1'); });
          var scrub = document.getElementById('scrub'), label = document.getElementById('scrub-t');
          var tEnd = time.length ? time[time.length - 1] : 0;
          scrub.addEventListener('input', function () {
            var target = tEnd * scrub.value / 1000, lo = 0, hi = time.length - 1;
            while (lo < hi) { var mid = (lo + hi) >> 1; if (time[mid] < target) lo = mid + 1; else hi = mid; }
            view.setCursor(lo);
            label.textContent = target.toFixed(1) + ' s';
          });
        })();
        """;

    private const string Css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
        header{background:#243447;color:#fff;padding:14px 24px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.8}
        main{max-width:940px;margin:0 auto;padding:10px 20px 40px}section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:12px 16px;margin:14px 0}
        h2{font-size:17px;margin:4px 0 10px}table{border-collapse:collapse}th{text-align:left;font-weight:500;padding:3px 16px 3px 0;color:#555}td{padding:3px 0}
        tr.warn td{color:#c0392b;font-weight:600}.ok{color:#2e7d32}.kind{display:inline-block;padding:0 6px;border-radius:3px;background:#fde2e1;color:#a11}
        svg.chart{width:100%;height:auto;font-size:11px;fill:#333;margin:4px 0 10px}svg .g{stroke:#eee}svg .t{font-size:13px;font-weight:600}
        canvas#view3d{width:100%;height:520px;border:1px solid #ddd;border-radius:4px;background:#f4f5f7}
        .scrub{margin:6px 0}.scrub input{width:70%}.note{color:#666;font-size:12px}
        pre.code{font-size:12px;line-height:1.45;max-height:520px;overflow:auto;background:#f7f7f7;padding:8px}pre.code i{display:inline-block;width:46px;color:#999;font-style:normal}
        pre.code span.bad{background:#fde2e1}pre.code span:target{background:#fff3b0}
        """;
}
