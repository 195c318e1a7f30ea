using System.Globalization;
using System.Text;
using CncTwin.Mechanics.Stability;

namespace CncTwin.Report;

/// <summary>A stability chart as a small self-contained SVG (optionally with operating points).</summary>
public static class LobeSvg
{
    public static string Render(IReadOnlyList<LobePoint> points, string title, IReadOnlyList<(double Rpm, double DepthMm, bool Unstable)> operating)
    {
        var inv = CultureInfo.InvariantCulture;
        const double W = 720, H = 420, L = 70, R = 20, T = 40, B = 50;
        var finite = points.Where(p => double.IsFinite(p.AlimMm)).ToList();
        double x0 = points.Min(p => p.Rpm), x1 = Math.Max(points.Max(p => p.Rpm), x0 + 1);
        double y1 = Math.Max(1e-3, Math.Max(finite.Count > 0 ? finite.Max(p => p.AlimMm) : 1, operating.Count > 0 ? operating.Max(o => o.DepthMm) : 0)) * 1.1;
        string X(double v) => (L + (v - x0) / (x1 - x0) * (W - L - R)).ToString("0.#", inv);
        string Y(double v) => (H - B - Math.Min(v, y1) / y1 * (H - T - B)).ToString("0.#", inv);
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.Append($"<text x=\"{W / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{System.Security.SecurityElement.Escape(title)}</text>\n");
        for (int i = 0; i <= 5; i++)
        {
            double xv = x0 + (x1 - x0) * i / 5, yv = y1 * i / 5;
            sb.Append($"<line x1=\"{X(xv)}\" y1=\"{T}\" x2=\"{X(xv)}\" y2=\"{H - B}\" stroke=\"#ddd\"/><text x=\"{X(xv)}\" y=\"{H - B + 16}\" text-anchor=\"middle\">{xv.ToString("0", inv)}</text>\n");
            sb.Append($"<line x1=\"{L}\" y1=\"{Y(yv)}\" x2=\"{W - R}\" y2=\"{Y(yv)}\" stroke=\"#ddd\"/><text x=\"{L - 6}\" y=\"{Y(yv)}\" text-anchor=\"end\" dy=\"4\">{yv.ToString("0.##", inv)}</text>\n");
        }
        sb.Append($"<text x=\"{W / 2}\" y=\"{H - 12}\" text-anchor=\"middle\">spindle speed, rpm</text>\n");
        sb.Append($"<text x=\"16\" y=\"{H / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {H / 2})\">limiting axial depth, mm</text>\n");
        // Stable region shaded below the boundary.
        var path = new StringBuilder($"M{X(x0)},{Y(0)}");
        foreach (var p in points) path.Append($" L{X(p.Rpm)},{Y(double.IsFinite(p.AlimMm) ? p.AlimMm : y1)}");
        path.Append($" L{X(x1)},{Y(0)} Z");
        sb.Append($"<path d=\"{path}\" fill=\"#d8f0d8\" stroke=\"#2a7a2a\" stroke-width=\"1.5\"/>\n");
        foreach (var o in operating)
            sb.Append($"<circle cx=\"{X(o.Rpm)}\" cy=\"{Y(o.DepthMm)}\" r=\"3.5\" fill=\"{(o.Unstable ? "#d62728" : "#1f77b4")}\"/>\n");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

}

/// <summary>One series of a line chart: name, colour, y values (NaN breaks the line).</summary>
public sealed record Series(string Name, string Colour, IReadOnlyList<double> Y);

/// <summary>Small self-contained SVG charts for the report: no script, no external font.</summary>
public static class Charts
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The smallest round number at or above v (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ): an axis top close to the data.</summary>
    public static double Nice(double v)
    {
        if (!(v > 0) || !double.IsFinite(v)) return 1;
        double p = Math.Pow(10, Math.Floor(Math.Log10(v))), m = v / p;
        foreach (double step in (double[])[1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10])
            if (m <= step * (1 + 1e-9)) return step * p;
        return 10 * p;
    }

    /// <summary>Tick positions at a round step (1, 2 or 5 × 10ⁿ) giving about `count` ticks over [lo, hi].</summary>
    public static List<double> Ticks(double lo, double hi, int count = 5)
    {
        var ticks = new List<double>();
        if (!(hi > lo)) { ticks.Add(lo); return ticks; }
        double raw = (hi - lo) / count, p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        // The round step (1, 2, 5 × 10ⁿ) whose tick count comes closest to the one asked for.
        double step = new[] { 1.0, 2, 5, 10 }.Select(k => k * p).MinBy(st => Math.Abs((hi - lo) / st - count));
        for (double v = Math.Ceiling(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.Add(Math.Abs(v) < step * 1e-9 ? 0 : v);
        return ticks;
    }

    /// <summary>
    /// A line chart of series against x, scaled to the data (never to a machine limit far above it), with an
    /// optional horizontal limit line (e.g. 100 % spindle load): drawn where it falls within the scale, else named
    /// above the plot. yCap caps the scale (values above it are drawn at the top: rapids on a feed chart).
    /// </summary>
    public static string Line(string id, string title, string xLabel, string yLabel, IReadOnlyList<double> x, IReadOnlyList<Series> series, double? limit = null, string? limitLabel = null,
        double? yCap = null, string? capNote = null)
    {
        const double W = 860, H = 260, L = 64, R = 16, T = 30, B = 40;
        double x0 = x.Count > 0 ? x[0] : 0, x1 = x.Count > 0 ? Math.Max(x[^1], x0 + 1e-9) : 1;
        double dataMax = series.SelectMany(s => s.Y).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        bool capped = yCap is double cap && cap > 0 && dataMax > cap;
        if (capped) dataMax = yCap!.Value;
        // A limit within half again the data's range is drawn on the chart; further up it would flatten the data.
        bool limitOnChart = limit is double lim && (dataMax <= 0 || lim <= 1.5 * dataMax);
        double ymax = Nice(Math.Max(dataMax, limitOnChart ? limit!.Value : 0) * 1.05);
        string X(double v) => (L + (v - x0) / (x1 - x0) * (W - L - R)).ToString("0.#", Inv);
        string Y(double v) => (H - B - Math.Clamp(v, 0, ymax) / ymax * (H - T - B)).ToString("0.#", Inv);
        var sb = new StringBuilder();
        sb.Append($"<svg id=\"{id}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{Esc(title)}\">");
        sb.Append($"<text x=\"{L}\" y=\"18\" class=\"t\">{Esc(title)}</text>");
        foreach (double yv in Ticks(0, ymax, 4))
            sb.Append($"<line x1=\"{L}\" x2=\"{W - R}\" y1=\"{Y(yv)}\" y2=\"{Y(yv)}\" class=\"g\"/><text x=\"{L - 6}\" y=\"{Y(yv)}\" dy=\"4\" text-anchor=\"end\">{yv.ToString("#,0.###", Inv)}</text>");
        foreach (double xv in Ticks(x0, x1, 6))
            sb.Append($"<text x=\"{X(xv)}\" y=\"{H - B + 16}\" text-anchor=\"middle\">{xv.ToString("#,0.###", Inv)}</text>");
        if (capped && capNote != null) sb.Append($"<text x=\"{W - R}\" y=\"18\" text-anchor=\"end\" fill=\"#777\">{Esc(capNote)}</text>");
        sb.Append($"<text x=\"{(W + L) / 2}\" y=\"{H - 6}\" text-anchor=\"middle\">{Esc(xLabel)}</text>");
        sb.Append($"<text x=\"14\" y=\"{(H - B + T) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {(H - B + T) / 2})\">{Esc(yLabel)}</text>");
        if (limit is double lim2 && !limitOnChart)
            sb.Append($"<text x=\"{W - R}\" y=\"{(capped ? 32 : 18)}\" text-anchor=\"end\" fill=\"#d62728\">{Esc(limitLabel ?? "limit " + lim2.ToString("#,0.#", Inv))} lies above this scale</text>");
        if (limit is double l2 && limitOnChart)
            sb.Append($"<line x1=\"{L}\" x2=\"{W - R}\" y1=\"{Y(l2)}\" y2=\"{Y(l2)}\" stroke=\"#d62728\" stroke-dasharray=\"6 4\"/><text x=\"{W - R}\" y=\"{Y(l2)}\" dy=\"-4\" text-anchor=\"end\" fill=\"#d62728\">{Esc(limitLabel ?? "limit")}</text>");
        int k = 0;
        foreach (var s in series)
        {
            var path = new StringBuilder();
            bool pen = false;
            for (int i = 0; i < x.Count && i < s.Y.Count; i++)
            {
                if (!double.IsFinite(s.Y[i])) { pen = false; continue; }
                path.Append(pen ? " L" : " M").Append(X(x[i])).Append(',').Append(Y(s.Y[i]));
                pen = true;
            }
            sb.Append($"<path d=\"{path}\" fill=\"none\" stroke=\"{s.Colour}\" stroke-width=\"1.3\"><title>{Esc(s.Name)}</title></path>");
            sb.Append($"<rect x=\"{L + 10 + 150 * k}\" y=\"{T - 6}\" width=\"10\" height=\"3\" fill=\"{s.Colour}\"/><text x=\"{L + 24 + 150 * k}\" y=\"{T - 2}\">{Esc(s.Name)}</text>");
            k++;
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>Bars per program line (x = line number), with a second series as dots on a right axis (e.g. time per line).</summary>
    public static string PerLine(string id, string title, IReadOnlyList<(int Line, double Value, double Seconds)> rows, string valueLabel)
    {
        const double W = 860, H = 240, L = 64, R = 56, T = 30, B = 40;
        if (rows.Count == 0) return $"<svg id=\"{id}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} 60\"><text x=\"10\" y=\"30\">{Esc(title)}: no program lines with motion</text></svg>";
        int l0 = rows.Min(r => r.Line), l1 = Math.Max(rows.Max(r => r.Line), l0 + 1);
        double vmax = Nice(rows.Max(r => r.Value) * 1.05), smax = Nice(rows.Max(r => r.Seconds) * 1.05);
        double bw = Math.Max(1, (W - L - R) / (l1 - l0 + 1) * 0.8);
        string X(double line) => (L + (line - l0 + 0.5) / (l1 - l0 + 1) * (W - L - R)).ToString("0.#", Inv);
        double Yv(double v, double max) => H - B - Math.Clamp(v, 0, max) / max * (H - T - B);
        var sb = new StringBuilder($"<svg id=\"{id}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{Esc(title)}\">");
        sb.Append($"<text x=\"{L}\" y=\"18\" class=\"t\">{Esc(title)}</text>");
        for (int i = 0; i <= 4; i++)
        {
            double v = vmax * i / 4, s = smax * i / 4;
            sb.Append(string.Create(Inv, $"<line x1=\"{L}\" x2=\"{W - R}\" y1=\"{Yv(v, vmax):0.#}\" y2=\"{Yv(v, vmax):0.#}\" class=\"g\"/><text x=\"{L - 6}\" y=\"{Yv(v, vmax):0.#}\" dy=\"4\" text-anchor=\"end\">{v:0.###}</text><text x=\"{W - R + 6}\" y=\"{Yv(s, smax):0.#}\" dy=\"4\" fill=\"#ff7f0e\">{s:0.##}</text>"));
        }
        foreach (double tick in Ticks(l0, l1, 8))
            sb.Append(string.Create(Inv, $"<text x=\"{X(tick)}\" y=\"{H - B + 14}\" text-anchor=\"middle\">{tick:0}</text>"));
        foreach (var (line, v, s) in rows)
            sb.Append(string.Create(Inv, $"<a href=\"#L{line}\"><rect x=\"{double.Parse(X(line), Inv) - bw / 2:0.#}\" y=\"{Yv(v, vmax):0.#}\" width=\"{bw:0.##}\" height=\"{H - B - Yv(v, vmax):0.#}\" fill=\"#1f77b4\"><title>line {line}: {v:0.###} {Esc(valueLabel)}, {s:0.###} s</title></rect></a><circle cx=\"{X(line)}\" cy=\"{Yv(s, smax):0.#}\" r=\"2\" fill=\"#ff7f0e\"/>"));
        sb.Append($"<text x=\"{(W + L) / 2}\" y=\"{H - 4}\" text-anchor=\"middle\">program line; bars: {Esc(valueLabel)}, dots: seconds (right axis)</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }

    public static string Esc(string s) => System.Security.SecurityElement.Escape(s) ?? "";
}
