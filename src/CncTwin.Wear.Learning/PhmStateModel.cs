using System.Text.Json;

namespace CncTwin.Wear.Learning;

/// <summary>
/// The PHM 2010 state-space wear model as saved (models/phm2010-wear-v2.json): everything needed to predict a new
/// cutter from its features alone. Sensor model: ridge regression of wear on aligned features (see
/// <see cref="PhmStateModel"/>); Filter: the Kalman filter's settings.
/// </summary>
public sealed record PhmStateSpec(string Kind, string[] Features, double Lambda, int AlignCuts, int SmoothWindow,
    double[] FeatureMean, double[] FeatureSd, double Intercept, double[] Coefficients, double PriorUmPerCut, double RateConstant,
    WearFilterSettings Filter, string[] TrainedOn, string[] ScreenedOn, string Selection)
{
    public const string KindName = "phm2010-state-space-v2";
}

/// <summary>What the nested protocol prints: per outer fold, and the single-source transfers.</summary>
public sealed record NestedReport(EvaluationReport Nested, EvaluationReport Transfer);

/// <summary>
/// PHM 2010 wear on a cutter never used for any choice. Three parts:
/// <list type="number">
/// <item>Unsupervised alignment. Each feature is taken relative to the same cutter's first cuts:
/// a = ln(median₅|x| / mean|x| over cuts 1..min(k, 10)), so a cutter whose sensors read 6x louder from the start
/// (c2, c6 against c1, c4) is on the scale of the others; expanding over the first cuts keeps it causal (a shop
/// has a new tool's first cuts, never its wear). A screen then keeps the features whose aligned trajectories
/// agree across all six cutters' signals (rising or falling with the cut number on every cutter, and the
/// smallest spread of their late-life level between cutters): feature-distribution matching that needs no label.</item>
/// <item>A sensor model: ridge regression (closed form, standardised inputs) of wear on a few screened features.
/// Which features (greedy forward, up to 4) and the ridge lambda are chosen by an inner cross-validation on the
/// training cutters only: leave-one-cutter-out when there are two or more, contiguous blocks of cuts when there
/// is one.</item>
/// <item>A state-space estimate (<see cref="WearStateFilter"/>): wear a monotone hidden state growing at the
/// Usui rate of <see cref="PhmWearModel.PhysicsPriorUmPerCut"/> times a rate constant calibrated on the training
/// cutters, uncertain per cutter, updated cut by cut from the sensor model's estimate; the 90 % band is its
/// posterior spread.</item>
/// </list>
/// </summary>
public static class PhmStateModel
{
    /// <summary>Cuts of a new tool the alignment uses as its reference (a shop's first few parts).</summary>
    public const int AlignCuts = 10;
    /// <summary>Trailing median window (cuts), as the v1 model: damps single-cut sensor glitches, causal.</summary>
    public const int SmoothWindow = 5;
    /// <summary>Screened pool size the inner loop may pick from.</summary>
    public const int PoolSize = 20;
    public const int MaxFeatures = 4;
    /// <summary>Ridge penalties tried by the inner loop (on standardised inputs, penalty lambda·n·|β|²).</summary>
    public static readonly double[] LambdaGrid = [0.001, 0.01, 0.1, 1];
    /// <summary>Single-source transfer, fixed before any result was seen: the screen's first 5 features, lambda 0.1.</summary>
    public const int FixedFeatures = 5;
    public const double FixedLambda = 0.1;
    /// <summary>Per-cutter uncertainty of the rate constant: the physics library's tool-to-tool scatter (<see cref="WearLaw.RateConstantLogSd"/>).</summary>
    public const double RateLogSd = WearLaw.RateConstantLogSd;
    /// <summary>
    /// Drift of the rate per cut (log random walk sd): 1/√315, so over one cutter's life the rate may change by a
    /// factor e at one sd: enough for break-in, steady and accelerating wear, not enough to follow single-cut noise.
    /// </summary>
    public static readonly double RateWalkSd = 1 / Math.Sqrt(Phm2010.Cuts);
    public const string Baseline = PhmWearModel.Baseline;

    public sealed record Cutter(string Name, double[][] Aligned, double[]? Wear);

    /// <summary>Aligned features of every column of one cutter (see the class comment).</summary>
    public static double[][] Align(List<PhmCut> cuts, int alignCuts = AlignCuts, int window = SmoothWindow)
    {
        int m = cuts[0].Features.Length;
        var a = new double[cuts.Count][];
        var buf = new double[window];
        var baseSum = new double[m];
        for (int k = 0; k < cuts.Count; k++)
        {
            a[k] = new double[m];
            if (k < alignCuts)
                for (int j = 0; j < m; j++) baseSum[j] += Math.Abs(cuts[k].Features[j]);
            int nb = Math.Min(k + 1, alignCuts);
            int lo = Math.Max(0, k - window + 1), len = k - lo + 1;
            for (int j = 0; j < m; j++)
            {
                for (int q = 0; q < len; q++) buf[q] = Math.Abs(cuts[lo + q].Features[j]);
                Array.Sort(buf, 0, len);
                double med = buf[len / 2], bas = baseSum[j] / nb;
                a[k][j] = Math.Log(Math.Max(med, 1e-12) / Math.Max(bas, 1e-12));
            }
        }
        return a;
    }

    /// <summary>
    /// The label-free screen: for each feature, the Spearman correlation of its aligned value with the cut number on
    /// every cutter (all must share a sign and reach 0.8 in size), then ranked by the spread of the late-life level
    /// (mean of the last 50 cuts) across cutters relative to its mean: a feature that says the same thing on every
    /// cutter's signals transfers; one that reads 4x on one cutter and 2x on another does not.
    /// </summary>
    public static int[] Screen(IReadOnlyList<double[][]> cutters, int pool = PoolSize)
    {
        int m = cutters[0][0].Length;
        var scored = new List<(int J, double Score)>();
        for (int j = 0; j < m; j++)
        {
            var rho = cutters.Select(c => Spearman(c.Select(r => r[j]).ToArray())).ToArray();
            if (rho.Any(double.IsNaN)) continue;
            int sign = Math.Sign(rho[0]);
            if (rho.Any(r => Math.Sign(r) != sign || Math.Abs(r) < 0.8)) continue;
            var late = cutters.Select(c => c.Skip(c.Length - 50).Average(r => r[j])).ToArray();
            double mean = late.Average(), sd = Math.Sqrt(late.Sum(v => (v - mean) * (v - mean)) / late.Length);
            if (Math.Abs(mean) < 1e-9) continue;
            scored.Add((j, sd / Math.Abs(mean)));
        }
        return scored.OrderBy(s => s.Score).ThenBy(s => s.J).Take(pool).Select(s => s.J).ToArray();
    }

    private static double Spearman(double[] v)
    {
        int n = v.Length;
        var order = Enumerable.Range(0, n).OrderBy(i => v[i]).ThenBy(i => i).ToArray();
        var rank = new double[n];
        for (int i = 0; i < n; i++) rank[order[i]] = i;
        double mr = (n - 1) / 2.0, s = 0, sa = 0, sb = 0;
        for (int i = 0; i < n; i++) { s += (rank[i] - mr) * (i - mr); sa += (rank[i] - mr) * (rank[i] - mr); sb += (i - mr) * (i - mr); }
        return sa > 0 ? s / Math.Sqrt(sa * sb) : double.NaN;
    }

    public sealed record Ridge(int[] Columns, double Lambda, double[] Mean, double[] Sd, double Intercept, double[] Coef)
    {
        public double Predict(double[] row)
        {
            double y = Intercept;
            for (int j = 0; j < Columns.Length; j++) y += Coef[j] * (row[Columns[j]] - Mean[j]) / Sd[j];
            return y;
        }
    }

    /// <summary>Closed-form ridge on standardised columns: (ZᵀZ + λ·n·I)β = Zᵀ(y − ȳ), intercept ȳ.</summary>
    public static Ridge FitRidge(IReadOnlyList<double[]> x, IReadOnlyList<double> y, int[] cols, double lambda)
    {
        int n = x.Count, p = cols.Length;
        var mean = new double[p];
        var sd = new double[p];
        for (int j = 0; j < p; j++)
        {
            mean[j] = x.Average(r => r[cols[j]]);
            sd[j] = Math.Sqrt(x.Sum(r => (r[cols[j]] - mean[j]) * (r[cols[j]] - mean[j])) / n);
            if (sd[j] < 1e-12) sd[j] = 1;
        }
        double my = y.Average();
        var a = new double[p, p + 1];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < p; j++)
            {
                double zj = (x[i][cols[j]] - mean[j]) / sd[j];
                for (int l = 0; l < p; l++) a[j, l] += zj * (x[i][cols[l]] - mean[l]) / sd[l];
                a[j, p] += zj * (y[i] - my);
            }
        for (int j = 0; j < p; j++) a[j, j] += lambda * n;
        return new Ridge(cols, lambda, mean, sd, my, Solve(a, p));
    }

    /// <summary>Gaussian elimination with partial pivoting (the system is small and positive definite).</summary>
    private static double[] Solve(double[,] a, int p)
    {
        for (int c = 0; c < p; c++)
        {
            int piv = c;
            for (int r = c + 1; r < p; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[piv, c])) piv = r;
            if (piv != c) for (int k = 0; k <= p; k++) (a[c, k], a[piv, k]) = (a[piv, k], a[c, k]);
            for (int r = c + 1; r < p; r++)
            {
                double f = a[r, c] / a[c, c];
                for (int k = c; k <= p; k++) a[r, k] -= f * a[c, k];
            }
        }
        var x = new double[p];
        for (int r = p - 1; r >= 0; r--)
        {
            double s = a[r, p];
            for (int k = r + 1; k < p; k++) s -= a[r, k] * x[k];
            x[r] = s / a[r, r];
        }
        return x;
    }

    /// <summary>
    /// The inner folds on the training cutters: each cutter left out in turn when there are two or more; with a
    /// single training cutter, 5 contiguous blocks of its cuts (never random cuts: neighbouring cuts are nearly
    /// the same wear and would leak).
    /// </summary>
    public static List<(List<(double[] X, double Y)> Train, List<(double[] X, double Y)> Test)> InnerFolds(IReadOnlyList<Cutter> train)
    {
        var folds = new List<(List<(double[], double)>, List<(double[], double)>)>();
        if (train.Count >= 2)
        {
            for (int k = 0; k < train.Count; k++)
                folds.Add((train.Where((_, i) => i != k).SelectMany(Rows).ToList(), Rows(train[k]).ToList()));
            return folds;
        }
        var rows = Rows(train[0]).ToList();
        const int blocks = 5;
        for (int b = 0; b < blocks; b++)
        {
            int lo = b * rows.Count / blocks, hi = (b + 1) * rows.Count / blocks;
            folds.Add((rows.Where((_, i) => i < lo || i >= hi).ToList(), rows.Skip(lo).Take(hi - lo).ToList()));
        }
        return folds;
    }

    private static IEnumerable<(double[] X, double Y)> Rows(Cutter c) => c.Aligned.Select((x, i) => (x, c.Wear![i]));

    private static double InnerScore(List<(List<(double[] X, double Y)> Train, List<(double[] X, double Y)> Test)> folds, int[] cols, double lambda) =>
        folds.Average(f =>
        {
            var m = FitRidge(f.Train.Select(r => r.X).ToList(), f.Train.Select(r => r.Y).ToList(), cols, lambda);
            return Ml.Rmse(f.Test.Select(r => m.Predict(r.X)).ToArray(), f.Test.Select(r => r.Y).ToArray());
        });

    /// <summary>Greedy forward selection of up to <see cref="MaxFeatures"/> pool features, for each lambda; the best mean inner RMSE wins.</summary>
    public static (int[] Cols, double Lambda, double Score) Select(IReadOnlyList<Cutter> train, int[] pool)
    {
        var folds = InnerFolds(train);
        (int[] Cols, double Lambda, double Score) best = ([], 0, double.PositiveInfinity);
        foreach (double lambda in LambdaGrid)
        {
            var chosen = new List<int>();
            double score = double.PositiveInfinity;
            for (int round = 0; round < MaxFeatures; round++)
            {
                int pick = -1; double pickScore = score;
                foreach (int c in pool)
                {
                    if (chosen.Contains(c)) continue;
                    double s = InnerScore(folds, [.. chosen, c], lambda);
                    // A feature must earn its place by 0.1 µm of inner RMSE: fewer inputs transfer better.
                    if (s < pickScore - 0.1) { pickScore = s; pick = c; }
                }
                if (pick < 0) break;
                chosen.Add(pick); score = pickScore;
            }
            if (chosen.Count > 0 && score < best.Score) best = (chosen.ToArray(), lambda, score);
        }
        return best;
    }

    /// <summary>
    /// Duration of the break-in (cuts, e-folding): rapid initial flank wear of a fresh carbide edge is commonly
    /// described as lasting the first one to two minutes of cutting; a PHM cut engages for 108 mm at 1 555 mm/min
    /// = 4.2 s, so 20 cuts ≈ 1.4 min.
    /// </summary>
    public const double BreakInCuts = 20;
    /// <summary>Per-cutter relative sd of the break-in size: wider than the steady rate's, as edge preparation varies more than the wear mechanism.</summary>
    public const double BreakInRelSd = 0.5;

    /// <summary>
    /// The filter's settings from the training cutters only: steady rate = their mean least-squares wear rate per
    /// cut after the break-in (cuts from <see cref="AlignCuts"/> on), which as a multiple of the physics rate is the
    /// calibrated rate constant; break-in excess = their mean rate over the first <see cref="AlignCuts"/> cuts above
    /// the steady one, scaled to its value at cut 0; initial wear from their first cut; step scatter = sd of their
    /// per-cut wear increments after the break-in; the sensor model's bias = rms of the per-fold mean residual of
    /// its inner cross-validation, its noise = the rms residual about that mean.
    /// </summary>
    public static (WearFilterSettings Settings, double RateConstant) FilterSettings(IReadOnlyList<Cutter> train, int[] cols, double lambda, double prior)
    {
        double steady = train.Average(c => Ml.Line(Enumerable.Range(AlignCuts + 1, c.Wear!.Length - AlignCuts).Select(i => (double)i).ToList(), c.Wear.Skip(AlignCuts).ToList()).B);
        steady = Math.Max(steady, 1e-3);
        double early = train.Average(c => (c.Wear![AlignCuts - 1] - c.Wear[0]) / (AlignCuts - 1));
        // Mean of exp(−k/τ) over k = 1..AlignCuts−1 turns the early excess into the excess at cut 0.
        double meanDecay = Enumerable.Range(1, AlignCuts - 1).Average(k => Math.Exp(-k / BreakInCuts));
        double breakIn = Math.Max(early - steady, 0.01) / meanDecay;
        var first = train.Select(c => c.Wear![0]).ToArray();
        double m0 = first.Average();
        double s0 = Math.Max(10, Math.Sqrt(first.Sum(v => (v - m0) * (v - m0)) / first.Length));
        var steps = train.SelectMany(c => c.Wear!.Skip(AlignCuts).Zip(c.Wear!.Skip(AlignCuts + 1), (a, b) => b - a)).ToArray();
        double stepSd = Math.Sqrt(steps.Sum(d => (d - steps.Average()) * (d - steps.Average())) / steps.Length);
        // The sensor model's error on a cutter it has not seen, from the inner folds' residuals pooled: its variance
        // as σ0² + κ²·g² (g the wear grown since the first cut; least squares on the squared residuals, both terms
        // non-negative), because the error grows with the wear (the sensors' sensitivity to wear differs between
        // cutters); the cut-to-cut jitter is the rms of its first differences / √2 (what a white term adds per cut).
        var res = new List<double>();
        var grown = new List<double>();
        double diff = 0; int nd = 0;
        foreach (var f in InnerFolds(train))
        {
            var m = FitRidge(f.Train.Select(r => r.X).ToList(), f.Train.Select(r => r.Y).ToList(), cols, lambda);
            var e = f.Test.Select(r => m.Predict(r.X) - r.Y).ToArray();
            for (int i = 0; i < e.Length; i++)
            {
                res.Add(e[i]); grown.Add(Math.Max(0, f.Test[i].Y - m0));
                if (i > 0) { diff += Sq(e[i] - e[i - 1]); nd++; }
            }
        }
        var (s0sq, kappaSq) = NonNegativeVarianceFit(grown.Select(g => g * g).ToArray(), res.Select(e => e * e).ToArray());
        double jitter = Math.Sqrt(diff / Math.Max(1, nd) / 2);
        return (new WearFilterSettings(steady, RateLogSd, RateWalkSd, breakIn, BreakInRelSd, BreakInCuts, m0, s0, Math.Max(stepSd, 0.1),
            Math.Max(Math.Sqrt(s0sq), 1), Math.Max(jitter, 1), Math.Sqrt(kappaSq)), steady / prior);
    }

    /// <summary>Least squares of t ≈ a + b·u with a, b ≥ 0 (a variance model): the unconstrained fit, else the better one-term fit.</summary>
    public static (double A, double B) NonNegativeVarianceFit(double[] u, double[] t)
    {
        var (a, b) = Ml.Line(u, t);
        if (a >= 0 && b >= 0) return (a, b);
        double onlyA = t.Average();
        double uu = u.Sum(x => x * x), onlyB = uu > 0 ? Math.Max(0, u.Zip(t, (x, y) => x * y).Sum() / uu) : 0;
        double errA = t.Sum(y => Sq(y - onlyA)), errB = t.Select((y, i) => Sq(y - onlyB * u[i])).Sum();
        return errA <= errB ? (onlyA, 0) : (0, onlyB);
    }

    private static double Sq(double v) => v * v;

    /// <summary>Wear estimate with band for one cutter's aligned features: ridge → filter → running maximum (wear never shrinks).</summary>
    public static (double[] Sensor, WearEstimate[] Filtered) Estimate(Ridge ridge, WearFilterSettings s, double[][] aligned, int alignCuts = AlignCuts)
    {
        var z = aligned.Select(ridge.Predict).ToArray();
        // During the alignment's reference cuts the aligned features are measured against themselves and say
        // nothing about wear: the filter runs on the physics prior (with break-in) alone until the reference is complete.
        var f = WearStateFilter.Run(z.Select((v, i) => i < alignCuts ? double.NaN : v).ToArray(), s);
        double m = double.NegativeInfinity, l = double.NegativeInfinity, h = double.NegativeInfinity;
        var mono = f.Select(e => new WearEstimate(m = Math.Max(m, e.WearUm), l = Math.Max(l, e.LowUm), h = Math.Max(h, e.HighUm))).ToArray();
        return (Ml.Monotone(z), mono);
    }

    /// <summary>Every cutter with a feature file (c1..c6): aligned features, and wear where labelled.</summary>
    public static List<Cutter> Load(string dataDir, IEnumerable<string> names, out string[] featureNames)
    {
        featureNames = [];
        var list = new List<Cutter>();
        foreach (var n in names)
        {
            var (fn, cuts) = Phm2010.Read(dataDir, n);
            featureNames = fn;
            bool labelled = cuts.All(c => c.WearUm != null);
            list.Add(new Cutter(n, Align(cuts), labelled ? cuts.Select(c => c.WearUm!.Value).ToArray() : null));
        }
        return list;
    }

    public static string[] AllCutters(string dataDir) =>
        Enumerable.Range(1, 9).Select(i => $"c{i}").Where(c => File.Exists(Path.Combine(dataDir, "phm2010", $"{c}_features.csv"))).ToArray();

    private static FoldResult Score(string heldOut, Cutter test, Ridge ridge, WearFilterSettings s, IReadOnlyList<Cutter> train, string[] names)
    {
        var (sensor, filt) = Estimate(ridge, s, test.Aligned);
        var y = test.Wear!;
        var line = Ml.Line(train.SelectMany(c => Enumerable.Range(1, c.Wear!.Length).Select(i => (double)i)).ToList(), train.SelectMany(c => c.Wear!).ToList());
        var baseline = Enumerable.Range(1, y.Length).Select(i => line.A + line.B * i).ToArray();
        double cover = filt.Select((e, i) => y[i] >= e.LowUm && y[i] <= e.HighUm ? 1.0 : 0).Average();
        return new FoldResult(heldOut, Ml.Rmse(filt.Select(e => e.WearUm).ToArray(), y), Ml.Rmse(baseline, y), y.Length)
        {
            SensorRmse = Ml.Rmse(sensor, y),
            BandCoverage = cover,
            BandWidthUm = filt.Average(e => e.HighUm - e.LowUm),
            Choice = $"[{string.Join(", ", ridge.Columns.Select(c => names[c]))}] lambda {ridge.Lambda}",
        };
    }

    /// <summary>
    /// One outer fold's model: the label-free screen over every cutter's aligned signals, then selection, fit and
    /// filter settings from the training cutters' labels only. Nothing here reads a label outside <paramref name="train"/>
    /// (a test replaces the held-out cutter's labels and checks its predictions do not move).
    /// </summary>
    public static (Ridge Ridge, WearFilterSettings Settings) NestedFit(IReadOnlyList<Cutter> all, IReadOnlyList<Cutter> train)
    {
        var pool = Screen(all.Select(c => c.Aligned).ToList());
        var (cols, lambda, _) = Select(train, pool);
        var ridge = FitRidge(train.SelectMany(c => c.Aligned).ToList(), train.SelectMany(c => c.Wear!).ToList(), cols, lambda);
        var (s, _) = FilterSettings(train, cols, lambda, PhmWearModel.PhysicsPriorUmPerCut());
        return (ridge, s);
    }

    /// <summary>
    /// Nested leave-one-cutter-out over the labelled cutters, and single-source transfer (train on one, test on each
    /// other) with every choice fixed beforehand. No choice ever sees the held-out cutter's labels; the label-free
    /// screen sees every cutter's signals (the held-out one's included, as a shop has a new tool's signals).
    /// </summary>
    public static NestedReport Evaluate(string dataDir, IReadOnlyList<string> labelled)
    {
        if (labelled.Distinct(StringComparer.OrdinalIgnoreCase).Count() != labelled.Count || labelled.Count < 2)
            throw new ArgumentException("leave-one-cutter-out needs at least two labelled cutters, each once (c1, c4)");
        var all = Load(dataDir, AllCutters(dataDir).Union(labelled, StringComparer.OrdinalIgnoreCase), out var names);
        var lab = labelled.Select(n => all.FirstOrDefault(c => string.Equals(c.Name, n, StringComparison.OrdinalIgnoreCase))
            ?? throw new DatasetException($"phm2010: no features for {n}")).ToList();
        foreach (var c in lab)
            if (c.Wear == null) throw new DatasetException($"{Path.Combine(dataDir, "phm2010", c.Name + "_wear.csv")}: error: cutter {c.Name} has no wear labels for every cut (labelled cutters: c1, c4)");
        double prior = PhmWearModel.PhysicsPriorUmPerCut();
        var pool = Screen(all.Select(c => c.Aligned).ToList());
        var nested = new List<FoldResult>();
        foreach (var test in lab)
        {
            var train = lab.Where(c => c != test).ToList();
            var (ridge, s) = NestedFit(all, train);
            nested.Add(Score(test.Name, test, ridge, s, train, names));
        }
        var transfer = new List<FoldResult>();
        var fixedCols = pool.Take(FixedFeatures).ToArray();
        foreach (var src in lab)
            foreach (var dst in lab.Where(c => c != src))
            {
                var ridge = FitRidge(src.Aligned, src.Wear!, fixedCols, FixedLambda);
                var (s, _) = FilterSettings([src], fixedCols, FixedLambda, prior);
                transfer.Add(Score($"{src.Name}->{dst.Name}", dst, ridge, s, [src], names));
            }
        string model = $"Kalman filter (Usui rate × per-cutter constant, break-in, sensor offset) on ridge of aligned features (screened on {string.Join(",", all.Select(c => c.Name))} signals, no labels)";
        return new NestedReport(
            new EvaluationReport("phm2010", model, Baseline, nested,
                "nested leave-one-cutter-out: features and lambda chosen by an inner loop on the training cutters only (one training cutter: 5 contiguous blocks of its cuts); model RMSE = the filter's estimate"),
            new EvaluationReport("phm2010", model, Baseline, transfer,
                $"single-source transfer with every choice fixed beforehand: the screen's first {FixedFeatures} features, lambda {FixedLambda}, no selection"));
    }

    /// <summary>Trains the shipped model: screen on every cutter's signals, select on the labelled ones, fit, save the spec.</summary>
    public static PhmStateSpec Train(string dataDir, IReadOnlyList<string> labelled, string specPath)
    {
        var all = Load(dataDir, AllCutters(dataDir).Union(labelled, StringComparer.OrdinalIgnoreCase), out var names);
        var lab = labelled.Select(n => all.First(c => string.Equals(c.Name, n, StringComparison.OrdinalIgnoreCase))).ToList();
        foreach (var c in lab)
            if (c.Wear == null) throw new DatasetException($"{Path.Combine(dataDir, "phm2010", c.Name + "_wear.csv")}: error: cutter {c.Name} has no wear labels for every cut (labelled cutters: c1, c4)");
        double prior = PhmWearModel.PhysicsPriorUmPerCut();
        var pool = Screen(all.Select(c => c.Aligned).ToList());
        var (cols, lambda, score) = Select(lab, pool);
        var ridge = FitRidge(lab.SelectMany(c => c.Aligned).ToList(), lab.SelectMany(c => c.Wear!).ToList(), cols, lambda);
        var (s, k) = FilterSettings(lab, cols, lambda, prior);
        var spec = new PhmStateSpec(PhmStateSpec.KindName, cols.Select(c => names[c]).ToArray(), lambda, AlignCuts, SmoothWindow,
            ridge.Mean, ridge.Sd, ridge.Intercept, ridge.Coef, prior, k, s, lab.Select(c => c.Name).ToArray(), all.Select(c => c.Name).ToArray(),
            $"inner leave-one-cutter-out on {string.Join(",", lab.Select(c => c.Name))}: mean RMSE {score:0.00} µm of the sensor model");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(specPath))!);
        File.WriteAllText(specPath, JsonSerializer.Serialize(spec, new JsonSerializerOptions { WriteIndented = true }));
        return spec;
    }

    public static bool IsStateSpec(string path)
    {
        if (!path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || !File.Exists(path)) return false;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.TryGetProperty("Kind", out var k) && k.GetString() == PhmStateSpec.KindName;
    }

    public static PhmStateSpec ReadSpec(string path) =>
        JsonSerializer.Deserialize<PhmStateSpec>(File.ReadAllText(path)) ?? throw new DatasetException($"{path}: error: empty model");

    /// <summary>Wear with its 90 % band after every cut of a cutter (features only; labels never read).</summary>
    public static List<(int Cut, WearEstimate Estimate)> Predict(string dataDir, string cutter, string specPath)
    {
        if (!File.Exists(specPath)) throw new DatasetException($"{specPath}: error: model not found (train one with cnctwin wear train --dataset phm2010)");
        var spec = ReadSpec(specPath);
        var (names, cuts) = Phm2010.Read(dataDir, cutter);
        var cols = spec.Features.Select(f => Array.IndexOf(names, f)).ToArray();
        if (cols.Any(c => c < 0)) throw new DatasetException($"{cutter}: the model's features are not all in its feature file");
        var aligned = Align(cuts, spec.AlignCuts, spec.SmoothWindow);
        var ridge = new Ridge(cols, spec.Lambda, spec.FeatureMean, spec.FeatureSd, spec.Intercept, spec.Coefficients);
        var (_, f) = Estimate(ridge, spec.Filter, aligned, spec.AlignCuts);
        return cuts.Select((c, i) => (c.Cut, f[i])).ToList();
    }
}
