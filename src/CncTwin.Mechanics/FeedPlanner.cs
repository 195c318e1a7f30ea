using CncTwin.Core;
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
/// is exact for the model). The planner answers, per canonical move, the allowed feed along its path, and how a
/// straight move would be split where that feed changes (each piece at the lowest feed its probes allow: slowing
/// down before the cutter enters denser material, speeding up only once it has left it). It knows nothing of
/// G-code text: turning the plan into a program is the rewriter's job (CncTwin.Simulation), which decides which
/// lines can be split at all.
/// </summary>
public sealed class FeedPlanner
{
    private readonly FeedOptimizerOptions _opt;
    // Canonical move → the allowed feeds along it: a line run thousands of times in a loop must not be searched per move.
    private readonly Dictionary<Move, List<(double S, double Feed)>> _probes = new(ReferenceEqualityComparer.Instance);
    public List<string> Warnings { get; } = new();
    public FeedOptimizerOptions Options => _opt;

    public FeedPlanner(FeedOptimizerOptions options)
    {
        if (!(options.TargetValue > 0) || !double.IsFinite(options.TargetValue)) throw new ArgumentException("the target must be a positive number");
        if (!(options.MaxFeedMmPerMin > options.MinFeedMmPerMin) || !(options.MinFeedMmPerMin > 0)) throw new ArgumentException("need 0 < minimum feed < maximum feed");
        _opt = options;
    }

    /// <summary>Asks for the allowed feeds along this canonical move (moves not tracked are not recorded).</summary>
    public void Track(Move move) { if (!_probes.ContainsKey(move)) _probes[move] = new(); }

    /// <summary>Path distances (mm from the canonical move's start) and the allowed feed there, mm/min, in the order found.</summary>
    public IReadOnlyList<(double S, double Feed)> AllowedFeeds(Move move) => _probes.TryGetValue(move, out var p) ? p : [];

    /// <summary>Adds the loads of one planned move: the allowed feed at each engagement probe.</summary>
    public void AddLoads(MoveLoads loads)
    {
        var pm = loads.Removal.Move;
        if (pm.Move.Kind == MotionKind.Rapid) return;
        if (!_probes.TryGetValue(pm.Move, out var rec)) return;
        // A corner blend arc runs into its move at that move's feed: its probes count at the move's start (with
        // short CAM segments the blends do much of the cutting). Otherwise the planner may have trimmed the
        // line's ends for blends: probe distances are from the planned start.
        if (pm.IsBlend)
        {
            foreach (var sig in loads.Probes) rec.Add((0, AllowedFeed(loads, sig, pm.Move.FeedMmPerMin)));
            return;
        }
        double offset = (pm.Path.Start - pm.Move.Start).Length;
        double step = loads.Removal.ProbeStepMm;
        for (int i = 0; i < loads.Probes.Length; i++)
            rec.Add((offset + Math.Min(i * step, pm.Path.LengthMm), AllowedFeed(loads, loads.Probes[i], pm.Move.FeedMmPerMin)));
        if (loads.Probes.Length == 0) rec.Add((offset, AllowedFeed(loads, ForceSignature.None, pm.Move.FeedMmPerMin)));
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

    /// <summary>Adds a warning once (at most 200 kept).</summary>
    public void Warn(string w) { if (Warnings.Count < 200 && !Warnings.Contains(w)) Warnings.Add(w); }

    /// <summary>
    /// How a straight move of this length would be split: the end distance (mm) and allowed feed (mm/min, not yet
    /// rounded) of each piece, or null when fewer than two pieces result (one feed suits the whole move).
    /// </summary>
    public List<(double EndS, double Feed)>? Pieces(IReadOnlyList<(double S, double Feed)> allowed, double length)
    {
        if (allowed.Count < 2 || length < 2 * _opt.MinPieceMm) return null;
        var probes = allowed.OrderBy(p => p.S).ToList();
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
        return pieces.Select(p => (p.S1, p.Feed)).ToList();
    }
}
