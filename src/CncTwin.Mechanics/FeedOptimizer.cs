using System.Globalization;
using System.Text;
using CncTwin.Core;
using CncTwin.GCode;
using CncTwin.Motion;

namespace CncTwin.Mechanics;

/// <summary>What the optimiser holds constant: peak resultant force (N), largest chip thickness (mm) or spindle load (%).</summary>
public enum FeedTargetKind { Force, ChipThickness, LoadPct }

public sealed record FeedOptimizerOptions
{
    public required FeedTargetKind Target { get; init; }
    public required double TargetValue { get; init; }
    public required SpindleModel Spindle { get; init; }
    /// <summary>Fastest feed written, mm/min (the machine's path-speed limit unless lowered).</summary>
    public required double MaxFeedMmPerMin { get; init; }
    /// <summary>Slowest feed written, mm/min.</summary>
    public double MinFeedMmPerMin { get; init; } = 1;
    /// <summary>Feed where the cutter is in air; null keeps the programmed feed there.</summary>
    public double? AirFeedMmPerMin { get; init; }
    /// <summary>A new piece starts where the allowed feed changes by more than this fraction.</summary>
    public double FeedStep { get; init; } = 0.1;
    /// <summary>
    /// With a force or load target, the chip is also never made thicker than this (mm); null: 1 % of the cutter
    /// diameter, the top of the chip loads makers' tables give solid-carbide end mills for roughing (about
    /// 0.5–1 % of D), so a light engagement (a slot's exit, a thin wall) is not fed at a chip that breaks the edge.
    /// </summary>
    public double? ChipCapMm { get; init; }
    /// <summary>Pieces shorter than this are merged into their slower neighbour, mm.</summary>
    public double MinPieceMm { get; init; } = 1.0;
}

/// <summary>
/// Feed-rate optimisation from the simulation (in the manner of commercial "OptiPath"-style optimisers): for each
/// engagement probe of each cutting move, the feed at which the target (peak force, chip thickness or spindle
/// load) is met exactly is solved from the move's force signature (forces are linear in feed per tooth, so this
/// is exact for the model); a straight move is split where that feed changes, each piece fed at the lowest
/// feed its probes allow (slowing down before the cutter enters denser material, speeding up only once it has
/// left it). Lines the rewriter cannot split safely (arcs, cycles, subroutine bodies run more than once,
/// cutter compensation, expressions, other words on the line) get one feed, the lowest any of their moves
/// allows. Every feed-move line of the output carries an explicit F, so no line inherits a changed modal feed.
/// </summary>
public sealed class FeedOptimizer
{
    private readonly FeedOptimizerOptions _opt;
    private readonly Dictionary<int, LinePlan> _lines = new();
    // Canonical move → its record: a line run thousands of times in a loop must not be searched per move.
    private readonly Dictionary<Move, MoveRecord> _records = new(ReferenceEqualityComparer.Instance);
    private readonly string _mainFile;
    public List<string> Warnings { get; } = new();

    public FeedOptimizer(FeedOptimizerOptions options, string mainFile)
    {
        if (!(options.TargetValue > 0) || !double.IsFinite(options.TargetValue)) throw new ArgumentException("the target must be a positive number");
        if (!(options.MaxFeedMmPerMin > options.MinFeedMmPerMin) || !(options.MinFeedMmPerMin > 0)) throw new ArgumentException("need 0 < --min-feed < --max-feed");
        _opt = options; _mainFile = mainFile;
    }

    /// <summary>Per source line: every canonical move it produced and what the optimiser decided.</summary>
    private sealed class LinePlan
    {
        public readonly List<MoveRecord> Moves = new();
        public double ProgrammedFeedMin = double.PositiveInfinity;
        public bool Unsupported;
    }

    private sealed class MoveRecord
    {
        public required Move Move;
        public required ModalSnapshot Modal;
        /// <summary>Path distances (mm from the canonical move's start) and the allowed feed there, mm/min.</summary>
        public readonly List<(double S, double Feed)> Probes = new();
    }

    /// <summary>Records one canonical feed move (call once per move, in program order, with the interpreter state it was produced under).</summary>
    public void AddMove(Move move, ModalSnapshot modal)
    {
        if (move.Kind == MotionKind.Rapid) return;
        if (!string.Equals(move.Source.File, _mainFile, StringComparison.Ordinal))
        {
            // A called file is not rewritten; its feed moves without F inherit whatever feed the caller set last.
            Warn($"{move.Source.File}: feed moves in a called file are not optimised (those without an F word run at the caller's last, possibly changed, feed)");
            return;
        }
        if (!_lines.TryGetValue(move.Source.Line, out var plan)) _lines[move.Source.Line] = plan = new LinePlan();
        var record = new MoveRecord { Move = move, Modal = modal };
        plan.Moves.Add(record);
        _records[move] = record;
        plan.ProgrammedFeedMin = Math.Min(plan.ProgrammedFeedMin, move.FeedMmPerMin);
        if (modal.FeedMode != FeedRateMode.UnitsPerMinute)
        {
            plan.Unsupported = true;
            Warn($"line {move.Source.Line}: {(modal.FeedMode == FeedRateMode.InverseTime ? "inverse-time (G93)" : "per-revolution (G95)")} feed is left as programmed");
        }
    }

    /// <summary>Adds the loads of one planned (non-blend) move: the allowed feed at each engagement probe.</summary>
    public void AddLoads(MoveLoads loads)
    {
        var pm = loads.Removal.Move;
        if (pm.Move.Kind == MotionKind.Rapid) return;
        if (!_records.TryGetValue(pm.Move, out var rec)) return;
        // A corner blend arc runs into its move at that move's feed: its probes count at the move's start (with
        // short CAM segments the blends do much of the cutting). Otherwise the planner may have trimmed the
        // line's ends for blends: probe distances are from the planned start.
        if (pm.IsBlend)
        {
            foreach (var sig in loads.Probes) rec.Probes.Add((0, AllowedFeed(loads, sig, pm.Move.FeedMmPerMin)));
            return;
        }
        double offset = (pm.Path.Start - pm.Move.Start).Length;
        double step = loads.Removal.ProbeStepMm;
        for (int i = 0; i < loads.Probes.Length; i++)
            rec.Probes.Add((offset + Math.Min(i * step, pm.Path.LengthMm), AllowedFeed(loads, loads.Probes[i], pm.Move.FeedMmPerMin)));
        if (loads.Probes.Length == 0) rec.Probes.Add((offset, AllowedFeed(loads, ForceSignature.None, pm.Move.FeedMmPerMin)));
    }

    private double AllowedFeed(MoveLoads loads, ForceSignature sig, double programmed)
    {
        if (!sig.Engaged || !(loads.Rpm > 0)) return _opt.AirFeedMmPerMin ?? programmed;
        double rpm = loads.Rpm, omega = rpm * 2 * Math.PI / 60;
        double fz = _opt.Target switch
        {
            FeedTargetKind.Force => sig.FeedPerToothForPeakForce(_opt.TargetValue),
            FeedTargetKind.ChipThickness => sig.ChipFactor > 0 ? _opt.TargetValue / sig.ChipFactor : double.PositiveInfinity,
            _ => sig.FeedPerToothForPeakForce(_opt.TargetValue, r => SpindleCapacity.LoadPct(_opt.Spindle, rpm, r.TorqueMeanNm * omega)),
        };
        double cap = _opt.ChipCapMm ?? 0.01 * loads.Cutter.DiameterMm;
        if (_opt.Target != FeedTargetKind.ChipThickness && sig.ChipFactor > 0) fz = Math.Min(fz, cap / sig.ChipFactor);
        double feed = fz * loads.Cutter.Flutes * rpm;
        if (fz <= 0)
        {
            Warn($"line {loads.Removal.Move.Source.Line}: the edge forces alone exceed the target; fed at the minimum feed");
            return _opt.MinFeedMmPerMin;
        }
        return Math.Clamp(feed, _opt.MinFeedMmPerMin, _opt.MaxFeedMmPerMin);
    }

    private void Warn(string w) { if (Warnings.Count < 200 && !Warnings.Contains(w)) Warnings.Add(w); }

    /// <summary>Statistics of the rewrite.</summary>
    public sealed record Result(int LinesChanged, int LinesSplit, int PiecesAdded);

    /// <summary>Writes the optimised program: the original text line by line, with feed-move lines rewritten.</summary>
    public Result Rewrite(IEnumerable<string> originalLines, TextWriter output)
    {
        int changed = 0, split = 0, added = 0, lineNo = 0;
        foreach (var text in originalLines)
        {
            lineNo++;
            if (!_lines.TryGetValue(lineNo, out var plan) || plan.Unsupported || plan.Moves.Count == 0) { output.WriteLine(text); continue; }
            var pieces = Pieces(plan, text, out var modal);
            if (pieces == null)
            {
                // One feed for the whole line: the lowest any of its moves allows.
                double feed = plan.Moves.SelectMany(m => m.Probes.Select(p => p.Feed)).DefaultIfEmpty(plan.ProgrammedFeedMin).Min();
                feed = Quantize(Math.Min(feed, _opt.MaxFeedMmPerMin), plan.Moves[0].Modal.MmPerUnit, plan.ProgrammedFeedMin);
                var rewritten = GCodeLineEditor.SetFeed(text, FormatFeed(feed, plan.Moves[0].Modal.MmPerUnit));
                if (rewritten == null) { Warn($"line {lineNo}: its feed words could not be read; left as programmed"); output.WriteLine(text); continue; }
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
        var rec = plan.Moves[0];
        if (rec.Move is not LinearFeed || rec.Modal.CutterCompensation || rec.Modal.Line != rec.Move.Source.Line || rec.Probes.Count < 2) return null;
        if (GCodeLineEditor.AxisWords(text) is not { } parsed) return null;
        var d = rec.Move.End - rec.Move.Start;
        double length = d.Length;
        if (length < 2 * _opt.MinPieceMm) return null;
        // Axes that move must be written on the line (else the line's meaning is not a plain straight move).
        double rot = -rec.Modal.XyRotationDeg * Math.PI / 180;
        var dw = new Vec3(d.X * Math.Cos(rot) - d.Y * Math.Sin(rot), d.X * Math.Sin(rot) + d.Y * Math.Cos(rot), d.Z);
        if ((Math.Abs(dw.X) > 1e-6 && parsed.Words[0] == null) || (Math.Abs(dw.Y) > 1e-6 && parsed.Words[1] == null) || (Math.Abs(dw.Z) > 1e-6 && parsed.Words[2] == null)) return null;
        var probes = rec.Probes.OrderBy(p => p.S).ToList();
        // Interval feeds: between two probes the slower one rules (slow before entering, fast only after leaving).
        var cuts = new List<(double S0, double S1, double Feed)>();
        double prevS = 0;
        for (int i = 0; i < probes.Count; i++)
        {
            double s1 = i + 1 < probes.Count ? probes[i + 1].S : length;
            double f = i + 1 < probes.Count ? Math.Min(probes[i].Feed, probes[i + 1].Feed) : probes[i].Feed;
            if (i == 0) f = Math.Min(f, probes[0].Feed);
            if (s1 > prevS + 1e-9) cuts.Add((prevS, Math.Min(s1, length), Math.Min(f, _opt.MaxFeedMmPerMin)));
            prevS = Math.Max(prevS, s1);
        }
        // Merge intervals whose feeds lie within the step of the piece's feed (the piece keeps the lowest).
        var pieces = new List<(double S0, double S1, double Feed)>();
        foreach (var c in cuts)
        {
            if (pieces.Count > 0)
            {
                var p = pieces[^1];
                double lo = Math.Min(p.Feed, c.Feed), hi = Math.Max(p.Feed, c.Feed);
                if (hi <= lo * (1 + _opt.FeedStep)) { pieces[^1] = (p.S0, c.S1, lo); continue; }
            }
            pieces.Add(c);
        }
        // Short pieces join their slower neighbour (taking the lower feed), so the machine is not asked to change feed every few tenths.
        bool merged = true;
        while (merged && pieces.Count > 1)
        {
            merged = false;
            for (int i = 0; i < pieces.Count; i++)
            {
                var p = pieces[i];
                if (p.S1 - p.S0 >= _opt.MinPieceMm) continue;
                int j = i == 0 ? 1 : i == pieces.Count - 1 ? i - 1 : (pieces[i - 1].Feed <= pieces[i + 1].Feed ? i - 1 : i + 1);
                var q = pieces[j];
                var m = (Math.Min(p.S0, q.S0), Math.Max(p.S1, q.S1), Math.Min(p.Feed, q.Feed));
                pieces[Math.Min(i, j)] = m;
                pieces.RemoveAt(Math.Max(i, j));
                merged = true;
                break;
            }
        }
        if (pieces.Count < 2) return null;
        return pieces.Select(p => new Piece(p.S1, Quantize(p.Feed, rec.Modal.MmPerUnit, rec.Move.FeedMmPerMin))).ToList();
    }
}

/// <summary>Just enough of a G-code line's structure to change its F word or read its axis words, leaving comments and everything else as written.</summary>
public static class GCodeLineEditor
{
    private readonly record struct Word(char Letter, int Start, int End, string Value);

    private static List<Word>? Words(string line)
    {
        var words = new List<Word>();
        int i = 0;
        while (i < line.Length)
        {
            char c = line[i];
            if (c == '(') { int e = line.IndexOf(')', i); i = e < 0 ? line.Length : e + 1; continue; }
            if (c == ';') break;
            if (char.IsWhiteSpace(c) || c == '/' && words.Count == 0 || c == '%') { i++; continue; }
            if (!char.IsLetter(c)) return null;
            int start = i++;
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            int vStart = i;
            if (i < line.Length && line[i] == '[')
            {
                int depth = 0;
                for (; i < line.Length; i++) { if (line[i] == '[') depth++; else if (line[i] == ']' && --depth == 0) { i++; break; } }
            }
            else if (i < line.Length && line[i] == '#')
            {
                // A parameter value (#1, #<name>, #[expr], ##1): kept as an expression.
                while (i < line.Length && line[i] == '#') i++;
                if (i < line.Length && line[i] == '<') { int e = line.IndexOf('>', i); i = e < 0 ? line.Length : e + 1; }
                else if (i < line.Length && line[i] == '[')
                {
                    int depth = 0;
                    for (; i < line.Length; i++) { if (line[i] == '[') depth++; else if (line[i] == ']' && --depth == 0) { i++; break; } }
                }
                else while (i < line.Length && char.IsDigit(line[i])) i++;
            }
            else while (i < line.Length && (char.IsDigit(line[i]) || line[i] is '.' or '-' or '+' || char.IsWhiteSpace(line[i]) && i + 1 < line.Length && (char.IsDigit(line[i + 1]) || line[i + 1] == '.'))) i++;
            words.Add(new Word(char.ToUpperInvariant(c), start, i, line[vStart..i].Replace(" ", "")));
        }
        return words;
    }

    /// <summary>The line with its F word set to the value (inserted before any comment when missing); null when its F is an expression or the line cannot be read.</summary>
    public static string? SetFeed(string line, string value)
    {
        var words = Words(line);
        if (words == null) return null;
        var f = words.Where(w => w.Letter == 'F').ToList();
        // An F given as an expression is replaced by the number too: the optimiser's feed already accounts for every execution of the line.
        if (f.Count > 1) return null;
        if (f.Count == 1) return line[..f[0].Start] + "F" + value + line[f[0].End..];
        int insert = words.Count > 0 ? words[^1].End : line.Length;
        return line[..insert].TrimEnd() + " F" + value + (insert < line.Length ? " " + line[insert..].TrimStart() : "");
    }

    /// <summary>
    /// For a line holding only G1 (or nothing), N, X/Y/Z and F words with plain numbers: the axis values (null where
    /// absent) and the comment text; null for anything else.
    /// </summary>
    public static (decimal?[] Words, string Trailing)? AxisWords(string line)
    {
        var words = Words(line);
        if (words == null) return null;
        var axes = new decimal?[3];
        foreach (var w in words)
        {
            switch (w.Letter)
            {
                case 'N': continue;
                case 'F':
                    continue;
                case 'G':
                    if (w.Value is "1" or "01" or "1.0") continue;
                    return null;
                case 'X': case 'Y': case 'Z':
                    if (!decimal.TryParse(w.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) return null;
                    axes["XYZ".IndexOf(w.Letter)] = v;
                    continue;
                default: return null;
            }
        }
        int end = words.Count > 0 ? words[^1].End : 0;
        return (axes, line[end..].Trim());
    }
}
