using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace CncTwin.Core.Streaming;

/// <summary>
/// Runs a producer sequence on a background thread, a bounded number of batches ahead of its consumer,
/// so one pipeline stage (e.g. the interpreter) works while the next (e.g. the CSV writer) formats. Order
/// is kept, memory stays bounded (at most <c>batchesAhead</c> batches in flight), and an exception in the
/// producer reaches the consumer at the point in the sequence where it happened.
/// </summary>
public static class ReadAhead
{
    public static IEnumerable<T> Run<T>(IEnumerable<T> source, int batchSize = 4096, int batchesAhead = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchesAhead, 1);
        return Iterate(source, batchSize, batchesAhead);
    }

    private static IEnumerable<T> Iterate<T>(IEnumerable<T> source, int batchSize, int batchesAhead)
    {
        using var queue = new BlockingCollection<T[]>(batchesAhead);
        using var cancel = new CancellationTokenSource();
        ExceptionDispatchInfo? failure = null;
        var producer = new Thread(() =>
        {
            var batch = new T[batchSize];
            int n = 0;
            try
            {
                foreach (var item in source)
                {
                    batch[n++] = item;
                    if (n == batchSize)
                    {
                        queue.Add(batch, cancel.Token);
                        batch = new T[batchSize];
                        n = 0;
                    }
                }
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested) { n = 0; }
            catch (Exception ex) { failure = ExceptionDispatchInfo.Capture(ex); }
            try
            {
                // What was produced before an error is delivered before the error.
                if (n > 0) queue.Add(batch[..n], cancel.Token);
            }
            catch (OperationCanceledException) { }
            finally { queue.CompleteAdding(); }
        }) { IsBackground = true, Name = "read-ahead producer" };
        producer.Start();
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable())
                foreach (var item in batch) yield return item;
            producer.Join();
            failure?.Throw();
        }
        finally
        {
            // The consumer stopped early (or failed): stop the producer and wait for it, so nothing outlives us.
            cancel.Cancel();
            while (queue.TryTake(out _)) { }
            producer.Join();
        }
    }
}
