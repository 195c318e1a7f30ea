using CncTwin.Core.Streaming;
using CncTwin.Motion;

namespace CncTwin.Simulation;

/// <summary>
/// Delivers a run's moves, samples and warnings to its sinks on a second thread, in the order they were
/// produced, so formatting and writing timeline.csv, moves.csv and the report's series overlap the stages
/// instead of following them on the same core. Events travel in chunks (copies of the channel values), at most
/// a few chunks in flight: memory stays bounded and a slow disk slows the run instead of filling memory. A sink
/// that throws stops the pump; the producer then gets that exception at its next hand-off or at Drain.
/// </summary>
internal sealed class SinkPump : IDisposable
{
    private const int ChunkEvents = 2048;
    private enum Kind : byte { Sample, Move, Warning }

    private sealed class Chunk(int width)
    {
        public readonly Kind[] Kinds = new Kind[ChunkEvents];
        public readonly TimelineSample[] Samples = new TimelineSample[ChunkEvents];
        public readonly object?[] Items = new object?[ChunkEvents];
        public readonly int[] Widths = new int[ChunkEvents];
        public readonly double[] Values = new double[ChunkEvents * width];
        public int Count;
    }

    private readonly IReadOnlyList<ISimulationSink> _sinks;
    private readonly int _width;
    private readonly Handoff<Chunk> _handoff;
    private readonly Lock _gate = new();
    private Chunk _open;
    private bool _drained;
    /// <summary>Time the sinks took on the pump's thread (the run's "writing" stage).</summary>
    public long BusyTicks => _handoff.BusyTicks;

    public SinkPump(IReadOnlyList<ISimulationSink> sinks, int width)
    {
        _sinks = sinks; _width = Math.Max(1, width);
        _open = new Chunk(_width);
        _handoff = new Handoff<Chunk>(Deliver);
    }

    private void Deliver(Chunk c)
    {
        for (int i = 0; i < c.Count; i++)
        {
            var values = new ReadOnlySpan<double>(c.Values, i * _width, c.Widths[i]);
            switch (c.Kinds[i])
            {
                case Kind.Sample: foreach (var s in _sinks) s.OnSample(c.Samples[i], values); break;
                case Kind.Move: foreach (var s in _sinks) s.OnMove((MoveResult)c.Items[i]!, values); break;
                default: foreach (var s in _sinks) s.OnWarning((Diagnostic)c.Items[i]!); break;
            }
        }
        Array.Clear(c.Items);
        c.Count = 0;
    }

    public void Sample(in TimelineSample sample, ReadOnlySpan<double> values)
    {
        lock (_gate) { Slot(Kind.Sample, values, out int i); _open.Samples[i] = sample; }
    }

    public void Move(MoveResult move, ReadOnlySpan<double> values)
    {
        lock (_gate) { Slot(Kind.Move, values, out int i); _open.Items[i] = move; }
    }

    /// <summary>Warnings may come from the read-ahead interpreter's thread too: they join the same ordered stream.</summary>
    public void Warning(Diagnostic warning)
    {
        lock (_gate) { Slot(Kind.Warning, [], out int i); _open.Items[i] = warning; }
    }

    private void Slot(Kind kind, ReadOnlySpan<double> values, out int i)
    {
        if (_drained) throw new InvalidOperationException("the sink pump is drained");
        if (_open.Count == ChunkEvents) Hand();
        i = _open.Count++;
        _open.Kinds[i] = kind;
        int w = Math.Min(values.Length, _width);
        values[..w].CopyTo(_open.Values.AsSpan(i * _width, w));
        _open.Widths[i] = w;
    }

    private void Hand()
    {
        _handoff.Add(_open);
        _open = _handoff.Reuse() ?? new Chunk(_width);
    }

    /// <summary>Waits until every event has reached the sinks (rethrowing a sink's failure); later events are refused.</summary>
    public void Drain()
    {
        lock (_gate)
        {
            if (_drained) return;
            _drained = true;
            if (_open.Count > 0 && !_handoff.Failed) _handoff.Add(_open);
        }
        _handoff.Complete();
    }

    /// <summary>Stops without delivering more (a cancelled or failed run); waits for the sinks' thread to stop.</summary>
    public void Dispose()
    {
        lock (_gate) _drained = true;
        _handoff.Dispose();
    }
}
