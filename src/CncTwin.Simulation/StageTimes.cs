using System.Diagnostics;
using System.Text.Json;
using CncTwin.Core.IO;

namespace CncTwin.Simulation;

/// <summary>
/// Wall time spent in each stage of a run (seconds), so the next bottleneck is visible. Stages that stream
/// through one another are timed exclusively: the planner's time excludes the interpreter it pulls from.
/// The interpreter may run on its own core (read-ahead): its time then overlaps the others'.
/// </summary>
public sealed class StageTimes : ISummaryContributor
{
    private readonly Dictionary<string, long> _ticks = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();
    private readonly Lock _lock = new();

    public void Add(string stage, long ticks)
    {
        lock (_lock)
        {
            if (!_ticks.TryGetValue(stage, out long t)) _order.Add(stage);
            _ticks[stage] = t + ticks;
        }
    }

    public double Seconds(string stage) { lock (_lock) return _ticks.TryGetValue(stage, out long t) ? (double)t / Stopwatch.Frequency : 0; }

    public IReadOnlyList<(string Stage, double Seconds)> All
    {
        get { lock (_lock) return _order.Select(s => (s, (double)_ticks[s] / Stopwatch.Frequency)).ToList(); }
    }

    /// <summary>Times an action into a stage.</summary>
    public T Time<T>(string stage, Func<T> f)
    {
        long t0 = Stopwatch.GetTimestamp();
        try { return f(); }
        finally { Add(stage, Stopwatch.GetTimestamp() - t0); }
    }

    public void Time(string stage, Action f)
    {
        long t0 = Stopwatch.GetTimestamp();
        try { f(); }
        finally { Add(stage, Stopwatch.GetTimestamp() - t0); }
    }

    /// <summary>Counts the time spent inside the source's MoveNext (including whatever it pulls from).</summary>
    public static IEnumerable<T> Inclusive<T>(IEnumerable<T> source, Action<long> add)
    {
        using var e = source.GetEnumerator();
        while (true)
        {
            long t0 = Stopwatch.GetTimestamp();
            bool more = e.MoveNext();
            add(Stopwatch.GetTimestamp() - t0);
            if (!more) yield break;
            yield return e.Current;
        }
    }

    public void WriteSummary(Utf8JsonWriter w)
    {
        w.WriteStartObject("stage_times_s");
        foreach (var (stage, s) in All) w.WriteNumber(stage, Math.Round(s, 4));
        w.WriteEndObject();
    }
}
