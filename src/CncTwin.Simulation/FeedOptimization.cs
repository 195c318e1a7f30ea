using System.Globalization;
using System.Text;
using CncTwin.Core;
using CncTwin.GCode;
using CncTwin.Mechanics;

namespace CncTwin.Simulation;

/// <summary>
/// Turns a feed plan (<see cref="FeedPlanner"/>, from the simulation) into a program: the original text line by
/// line, with feed-move lines rewritten. A straight move is split where the allowed feed changes; lines the
/// rewriter cannot split safely (arcs, cycles, subroutine bodies run more than once, cutter compensation,
/// expressions, other words on the line) get one feed, the lowest any of their moves allows. Every feed-move line
/// of the output carries an explicit F, so no line inherits a changed modal feed.
/// </summary>
public sealed class ProgramFeedRewriter(FeedPlanner planner, string mainFile)
{
    /// <summary>Per source line: every canonical move it produced (with the interpreter state it was produced under).</summary>
    private sealed class LinePlan
    {
        public readonly List<(Move Move, ModalSnapshot Modal)> Moves = new();
        public double ProgrammedFeedMin = double.PositiveInfinity;
        public bool Unsupported;
    }

    private readonly Dictionary<int, LinePlan> _lines = new();

    /// <summary>Statistics of the rewrite.</summary>
    public sealed record Result(int LinesChanged, int LinesSplit, int PiecesAdded);

    /// <summary>Records one canonical feed move (call once per move, in program order, with the interpreter state it was produced under).</summary>
    public void AddMove(Move move, ModalSnapshot modal)
    {
        if (move.Kind == MotionKind.Rapid) return;
        if (!string.Equals(move.Source.File, mainFile, StringComparison.Ordinal))
        {
            // A called file is not rewritten; its feed moves without F inherit whatever feed the caller set last.
            planner.Warn($"{move.Source.File}: feed moves in a called file are not optimised (those without an F word run at the caller's last, possibly changed, feed)");
            return;
        }
        if (!_lines.TryGetValue(move.Source.Line, out var plan)) _lines[move.Source.Line] = plan = new LinePlan();
        plan.Moves.Add((move, modal));
        planner.Track(move);
        plan.ProgrammedFeedMin = Math.Min(plan.ProgrammedFeedMin, move.FeedMmPerMin);
        if (modal.FeedMode != FeedRateMode.UnitsPerMinute)
        {
            plan.Unsupported = true;
            planner.Warn($"line {move.Source.Line}: {(modal.FeedMode == FeedRateMode.InverseTime ? "inverse-time (G93)" : "per-revolution (G95)")} feed is left as programmed");
        }
    }

    /// <summary>Writes the optimised program: the original text line by line, with feed-move lines rewritten.</summary>
    public Result Rewrite(IEnumerable<string> originalLines, TextWriter output)
    {
        var opt = planner.Options;
        int changed = 0, split = 0, added = 0, lineNo = 0;
        foreach (var text in originalLines)
        {
            lineNo++;
            if (!_lines.TryGetValue(lineNo, out var plan) || plan.Unsupported || plan.Moves.Count == 0) { output.WriteLine(text); continue; }
            var pieces = Pieces(plan, text, out var modal);
            if (pieces == null)
            {
                // One feed for the whole line: the lowest any of its moves allows.
                double feed = plan.Moves.SelectMany(m => planner.AllowedFeeds(m.Move).Select(p => p.Feed)).DefaultIfEmpty(plan.ProgrammedFeedMin).Min();
                feed = Quantize(Math.Min(feed, opt.MaxFeedMmPerMin), plan.Moves[0].Modal.MmPerUnit, plan.ProgrammedFeedMin);
                var rewritten = GCodeLineEditor.SetFeed(text, FormatFeed(feed, plan.Moves[0].Modal.MmPerUnit));
                if (rewritten == null) { planner.Warn($"line {lineNo}: its feed words could not be read; left as programmed"); output.WriteLine(text); continue; }
                if (Math.Abs(feed - plan.ProgrammedFeedMin) > 0.5) changed++;
                output.WriteLine(rewritten);
                continue;
            }
            split++; changed++; added += pieces.Count - 1;
            var rec = plan.Moves[0];
            var (words, rest) = GCodeLineEditor.AxisWords(text)!.Value;
            double unit = modal.MmPerUnit, rot = -modal.XyRotationDeg * Math.PI / 180;
            var d = rec.Move.End - rec.Move.Start;
            // Machine delta back into the program's frame: undo the coordinate system's XY rotation, then units.
            var dw = new Vec3((d.X * Math.Cos(rot) - d.Y * Math.Sin(rot)) / unit, (d.X * Math.Sin(rot) + d.Y * Math.Cos(rot)) / unit, d.Z / unit);
            double length = d.Length;
            output.WriteLine($"(cnctwin optimize: line {lineNo} split into {pieces.Count} feeds)");
            decimal[] prev = [0, 0, 0];
            for (int k = 0; k < pieces.Count - 1; k++)
            {
                double t = pieces[k].EndS / length;
                var sb = new StringBuilder("G1");
                for (int a = 0; a < 3; a++)
                {
                    if (words[a] is not { } w) continue;
                    double delta = a == 0 ? dw.X : a == 1 ? dw.Y : dw.Z;
                    // Absolute: the point at t counted back from the programmed end; incremental: rounded cumulative offsets so the pieces add up exactly.
                    if (modal.Absolute)
                        sb.Append(' ').Append("XYZ"[a]).Append(Fmt(w - (decimal)((1 - t) * delta)));
                    else
                    {
                        decimal cum = Math.Round(w * (decimal)t, 5);
                        sb.Append(' ').Append("XYZ"[a]).Append(Fmt(cum - prev[a]));
                        prev[a] = cum;
                    }
                }
                sb.Append(" F").Append(FormatFeed(pieces[k].Feed, unit));
                output.WriteLine(sb.ToString());
            }
            var last = pieces[^1];
            if (modal.Absolute)
                output.WriteLine(GCodeLineEditor.SetFeed(text, FormatFeed(last.Feed, unit)));
            else
            {
                var sb = new StringBuilder("G1");
                for (int a = 0; a < 3; a++) if (words[a] is { } w) sb.Append(' ').Append("XYZ"[a]).Append(Fmt(w - prev[a]));
                sb.Append(" F").Append(FormatFeed(last.Feed, unit));
                if (rest.Length > 0) sb.Append(' ').Append(rest);
                output.WriteLine(sb.ToString());
            }
        }
        return new Result(changed, split, added);
    }

    private static string Fmt(decimal v) => Math.Round(v, 5).ToString("0.#####", CultureInfo.InvariantCulture);

    private static string FormatFeed(double mmPerMin, double unit) =>
        (mmPerMin / unit).ToString(unit > 1 ? "0.###" : "0.#", CultureInfo.InvariantCulture);

    /// <summary>
    /// Feeds are written rounded down to a step of the program's units (0.1 below 100 units/min, 1 below 1 000,
    /// else 10), so the optimised program reads like a hand-written one; a feed left as programmed is kept exactly.
    /// </summary>
    private static double Quantize(double mmPerMin, double unit, double programmedMmPerMin)
    {
        if (Math.Abs(mmPerMin - programmedMmPerMin) <= 1e-6) return programmedMmPerMin;
        double v = mmPerMin / unit, step = v < 100 ? 0.1 : v < 1000 ? 1 : 10;
        return Math.Max(step, Math.Floor(v / step + 1e-9) * step) * unit;
    }

    private sealed record Piece(double EndS, double Feed);

    /// <summary>The pieces of a line that can be split, or null: one straight feed move run once, plain words, compensation off, at least two pieces.</summary>
    private List<Piece>? Pieces(LinePlan plan, string text, out ModalSnapshot modal)
    {
        modal = plan.Moves[0].Modal;
        if (plan.Moves.Count != 1) return null;
        var (move, m) = plan.Moves[0];
        var allowed = planner.AllowedFeeds(move);
        if (move is not LinearFeed || m.CutterCompensation || m.Line != move.Source.Line || allowed.Count < 2) return null;
        if (GCodeLineEditor.AxisWords(text) is not { } parsed) return null;
        var d = move.End - move.Start;
        // Axes that move must be written on the line (else the line's meaning is not a plain straight move).
        double rot = -m.XyRotationDeg * Math.PI / 180;
        var dw = new Vec3(d.X * Math.Cos(rot) - d.Y * Math.Sin(rot), d.X * Math.Sin(rot) + d.Y * Math.Cos(rot), d.Z);
        if ((Math.Abs(dw.X) > 1e-6 && parsed.Words[0] == null) || (Math.Abs(dw.Y) > 1e-6 && parsed.Words[1] == null) || (Math.Abs(dw.Z) > 1e-6 && parsed.Words[2] == null)) return null;
        var pieces = planner.Pieces(allowed, d.Length);
        return pieces?.Select(p => new Piece(p.EndS, Quantize(p.Feed, m.MmPerUnit, move.FeedMmPerMin))).ToList();
    }
}

/// <summary>
/// The optimiser's passes through the pipeline: simulate with the planner (and rewriter) watching every move,
/// then the rewritten program again, and check the two toolpaths are the same.
/// </summary>
public static class FeedOptimization
{
    /// <summary>A canonical move's shape, for comparing two programs' toolpaths.</summary>
    public readonly record struct MoveShape(MotionKind Kind, Vec3 Start, Vec3 End, int Line);

    public sealed record PassResult(double CycleTimeS, double MaxForceN, double MaxChipMm, double MaxLoadPct, List<MoveShape> Moves, List<string> Warnings, double RemovedMm3);

    /// <summary>One pass over a program (the context's, or another file on the same set-up); the planner and rewriter (if given) observe every move.</summary>
    public static PassResult Pass(SimulationContext context, string? file, FeedPlanner? planner, ProgramFeedRewriter? rewriter, CancellationToken ct = default)
    {
        var warnings = new List<string>();
        var moves = new List<MoveShape>();
        using var pass = new SimulationPass(context, new PassOptions
        {
            ProgramFile = file, Stages = PipelineStages.Loads, OnWarning = w => warnings.Add(w.Message),
            OnCanonicalMove = (m, interp) => { moves.Add(new MoveShape(m.Kind, m.Start, m.End, m.Source.Line)); rewriter?.AddMove(m, interp.Modal); },
            OnMove = r => planner?.AddLoads(r.Loads!),
        });
        foreach (var _ in pass.Moves(ct)) { }
        return new PassResult(pass.Plan.CycleTimeS, pass.Loads.MaxForceN, pass.Loads.MaxChipMm, pass.Loads.MaxLoadPct, moves, warnings, pass.Removal.RemovedMm3);
    }

    /// <summary>
    /// Null when the optimised moves trace the original path: same kinds, arcs and rapids identical, and each
    /// original straight feed covered exactly by one or more collinear pieces. Otherwise the first difference.
    /// </summary>
    public static string? SameGeometry(List<MoveShape> a, List<MoveShape> b, double tolMm = 2e-3)
    {
        int j = 0;
        foreach (var o in a)
        {
            if (j >= b.Count) return $"the optimised program ends early (original line {o.Line} has no counterpart)";
            if (o.Kind != MotionKind.Feed)
            {
                var p = b[j++];
                if (p.Kind != o.Kind || (p.Start - o.Start).Length > tolMm || (p.End - o.End).Length > tolMm)
                    return $"original line {o.Line} ({o.Kind}) vs optimised line {p.Line}";
                continue;
            }
            var d = o.End - o.Start;
            double len = d.Length;
            while (true)
            {
                if (j >= b.Count) return $"the optimised program ends inside original line {o.Line}";
                var p = b[j++];
                if (p.Kind != MotionKind.Feed) return $"original line {o.Line} is a straight feed, optimised line {p.Line} is {p.Kind}";
                // The piece's end lies on the original segment.
                var e = p.End - o.Start;
                double t = len > 1e-12 ? (e.X * d.X + e.Y * d.Y + e.Z * d.Z) / (len * len) : 1;
                var foot = o.Start + d * Math.Clamp(t, 0, 1);
                if ((p.End - foot).Length > tolMm || t < -1e-9 || t > 1 + tolMm / Math.Max(len, 1e-9))
                    return string.Create(CultureInfo.InvariantCulture, $"optimised line {p.Line} leaves the path of original line {o.Line} by {(p.End - foot).Length:0.####} mm");
                if ((p.End - o.End).Length <= tolMm) break;
            }
        }
        return j == b.Count ? null : $"the optimised program has {b.Count - j} extra moves";
    }
}
