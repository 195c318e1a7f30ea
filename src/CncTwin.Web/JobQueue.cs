using Microsoft.Extensions.Hosting;

namespace CncTwin.Web;

/// <summary>
/// The dashboard's simulations and replays run here, <see cref="MaxRunning"/> at a time, at most
/// <see cref="MaxWaiting"/> waiting in order; anything more is refused with a message rather than queued without
/// end. A simulation holds its stock and timeline in memory and takes a core: eight uploads at once ran eight
/// simulations side by side (845 MB on a 2-core box), so they wait their turn instead.
/// </summary>
public sealed class JobQueue(int maxRunning, int maxWaiting) : IHostedService
{
    private sealed record Job(RunRecord Run, Func<CancellationToken, Task> Work);

    private readonly LinkedList<Job> _waiting = new();
    private readonly HashSet<RunRecord> _running = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _workers = new();

    public int MaxRunning { get; } = Math.Max(1, maxRunning);
    public int MaxWaiting { get; } = Math.Max(0, maxWaiting);

    /// <summary>Raised (outside the lock) when the waiting jobs' positions changed: the replays' pages are told.</summary>
    public event Action? Changed;

    /// <summary>Why a new job would be refused now, or null if there is room.</summary>
    public string? Refusal()
    {
        lock (_gate)
            return _running.Count + _waiting.Count < MaxRunning + MaxWaiting ? null
                : $"the server is busy: {_running.Count} running and {_waiting.Count} waiting, the most it holds; try again when one has finished";
    }

    /// <summary>Adds a job at the end of the line, or returns why not (the line is full).</summary>
    public string? TryEnqueue(RunRecord run, Func<CancellationToken, Task> work)
    {
        lock (_gate)
        {
            if (Refusal() is { } why) return why;
            _waiting.AddLast(new Job(run, work));
        }
        _signal.Release();
        return null;
    }

    /// <summary>1 for the next job to start, 0 for one not waiting (running or finished).</summary>
    public int Position(RunRecord run)
    {
        lock (_gate)
        {
            int i = 1;
            for (var n = _waiting.First; n != null; n = n.Next, i++)
                if (n.Value.Run == run) return i;
            return 0;
        }
    }

    /// <summary>Takes a waiting job out of the line; false if it is not waiting (it started, or ended).</summary>
    public bool TryRemove(RunRecord run)
    {
        bool removed = false;
        lock (_gate)
            for (var n = _waiting.First; n != null; n = n.Next)
                if (n.Value.Run == run) { _waiting.Remove(n); removed = true; break; }
        if (removed) Changed?.Invoke();
        return removed;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        for (int i = 0; i < MaxRunning; i++) _workers.Add(Task.Run(Work, CancellationToken.None));
        return Task.CompletedTask;
    }

    private async Task Work()
    {
        while (true)
        {
            try { await _signal.WaitAsync(_stopping.Token); }
            catch (OperationCanceledException) { return; }
            Job? job;
            lock (_gate)
            {
                job = _waiting.First?.Value;
                if (job == null) continue;
                _waiting.RemoveFirst();
                _running.Add(job.Run);
            }
            Changed?.Invoke();
            // The job stops when its own Stop is pressed or the server shuts down; it records how it ended itself.
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(job.Run.Cancel.Token, _stopping.Token);
            // One job's failure (even in recording how it ended) never stops the worker: the next job still runs.
            try { await job.Work(cts.Token); }
            catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
            {
                try { Console.Error.WriteLine($"serve: job {job.Run.Id} failed: {ex.Message}"); } catch (IOException) { }
            }
            finally { lock (_gate) _running.Remove(job.Run); }
        }
    }

    /// <summary>Stops the running jobs and waits for them to close their files; waiting ones stay queued in run.json and are marked failed at the next start.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        await Task.WhenAll(_workers).WaitAsync(cancellationToken);
    }
}
