using System.Globalization;
using CncTwin.Core;
using Spectre.Console;

namespace CncTwin.Cli;

/// <summary>Human-readable toolpath summary on standard error (standard output carries the data).</summary>
internal static class SummaryTable
{
    public static void Print(ToolpathSummary s, string file)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var ic = CultureInfo.InvariantCulture;
        var table = new Table().Title(Markup.Escape(file)).AddColumn("moves").AddColumn(new TableColumn("count").RightAligned()).AddColumn(new TableColumn("length mm").RightAligned());
        foreach (var (kind, name) in new[] { (MotionKind.Rapid, "rapid"), (MotionKind.Feed, "feed"), (MotionKind.ArcClockwise, "arc cw"), (MotionKind.ArcCounterClockwise, "arc ccw"), (MotionKind.Probe, "probe") })
            if (s.Count(kind) > 0) table.AddRow(name, s.Count(kind).ToString("N0", ic), s.LengthMm(kind).ToString("N1", ic));
        table.AddRow("[bold]total[/]", s.Moves.ToString("N0", ic), "");
        console.Write(table);
        if (s.HasCuts)
        {
            console.MarkupLine(string.Format(ic, "cutting envelope (tool tip, machine mm): X {0:F3}..{1:F3}  Y {2:F3}..{3:F3}  Z {4:F3}..{5:F3}",
                s.CutMin.X, s.CutMax.X, s.CutMin.Y, s.CutMax.Y, s.CutMin.Z, s.CutMax.Z));
            console.MarkupLine(string.Format(ic, "feed time at programmed feeds (no acceleration): {0:F1} min", s.FeedMinutesAtProgrammedFeed));
        }
        console.MarkupLine("tools: " + (s.Tools.Count == 0 ? "none" : string.Join(", ", s.Tools.Select(t => "T" + t))));
    }
}
