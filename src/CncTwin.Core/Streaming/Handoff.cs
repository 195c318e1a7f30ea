using System.Collections.Concurrent;
using System.Diagnostics;

namespace CncTwin.Core.Streaming;

/// <summary>
/// Hands work items (batches) from a producer to a consumer on a thread of its own, in order: the push-side
/// counterpart of <see cref="ReadAhead"/>, for writers that should run beside the stage that fills them (the
/// simulation's sinks, mesh writing). At most <c>inFlight</c> items wait, so a slow consumer slows the producer
/// instead of filling memory; consumed items come back through <see cref="Reuse"/> to be refilled. A consumer
/// failure reaches the producer at its next <see cref="Add"/> or at <see cref="Complete"/>.
/// </summary>
public sealed class Handoff<T> : IDisposable where T : class
{
    private readonly BlockingCollection<T> _queue;
    private readonly ConcurrentBag<T> _free = new();
    private readonly CancellationTokenSource _failed = new();
    private readonly Task _consumer;
    private bool _completed;

    /// <summary>Stopwatch ticks the consumer spent on items.</summary>
    public long BusyTicks { get; private set; }

    public Handoff(Action<T> consume, int inFlight = 4)
    {
        _queue = new BlockingCollection<T>(inFlight);
        _consumer = Task.Factory.StartNew(() =>
        {
            try
            {
                foreach (var item in _queue.GetConsumingEnumerable())
                {
                    long t0 = Stopwatch.GetTimestamp();
                    consume(item);
                    BusyTicks += Stopwatch.GetTimestamp() - t0;
                    _free.Add(item);
                }
            }
            catch
            {
                _failed.Cancel();
                throw;
            }
        }, TaskCreationOptions.LongRunning);
    }

    /// <summary>True once the consumer has failed (Add and Complete then rethrow its exception).</summary>
    public bool Failed => _failed.IsCancellationRequested;

    /// <summary>An item the consumer is done with, to refill; null when none is free yet.</summary>
    public T? Reuse() => _free.TryTake(out var item) ? item : null;

    /// <summary>Queues an item, waiting while the consumer is behind; rethrows the consumer's failure.</summary>
    public void Add(T item)
    {
        try { _queue.Add(item, _failed.Token); }
        catch (OperationCanceledException) { _consumer.GetAwaiter().GetResult(); throw; }
    }

    /// <summary>Waits until every queued item is consumed; rethrows the consumer's failure. No Add after it.</summary>
    public void Complete()
    {
        if (!_completed) { _completed = true; _queue.CompleteAdding(); }
        _consumer.GetAwaiter().GetResult();
    }

    /// <summary>Stops taking items and waits for the consumer (what is queued is still consumed); failures are dropped.</summary>
    public void Dispose()
    {
        if (!_completed) { _completed = true; _queue.CompleteAdding(); }
        try { _consumer.Wait(); } catch (AggregateException) { }
        _queue.Dispose();
        _failed.Dispose();
    }
}
