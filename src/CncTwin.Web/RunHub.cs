using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;

namespace CncTwin.Web;

/// <summary>
/// One replay's live events (status, samples, alarms), for the pages that watch that replay and no other. A page
/// that connects after the replay began first gets what it missed (the latest status, the alarms, the last
/// <see cref="SampleBacklog"/> samples), then the rest as it comes; each subscriber has its own bounded queue,
/// so a slow browser drops its own oldest samples and never holds the server up.
/// </summary>
public sealed class RunHub
{
    public const int SampleBacklog = 20_000, AlarmBacklog = 1_000, SubscriberQueue = 40_000;

    private readonly Lock _gate = new();
    private readonly Queue<string> _samples = new();
    private readonly List<string> _alarms = new();
    private readonly List<Channel<(string Event, string Data)>> _subs = new();
    private string? _status;
    public bool Completed { get; private set; }

    public ChannelReader<(string Event, string Data)> Subscribe()
    {
        var c = Channel.CreateBounded<(string, string)>(new BoundedChannelOptions(SubscriberQueue) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
        {
            // Under the publisher's lock: the backlog and the live events join with nothing lost or repeated.
            if (_status != null) c.Writer.TryWrite(("status", _status));
            foreach (var a in _alarms) c.Writer.TryWrite(("alarm", a));
            foreach (var s in _samples) c.Writer.TryWrite(("sample", s));
            if (Completed) c.Writer.TryComplete();
            else _subs.Add(c);
        }
        return c.Reader;
    }

    public void Unsubscribe(ChannelReader<(string, string)> reader)
    {
        lock (_gate) _subs.RemoveAll(c => c.Reader == reader);
    }

    public void Publish(string ev, object data)
    {
        string json = JsonSerializer.Serialize(data);
        lock (_gate)
        {
            if (Completed) return;
            switch (ev)
            {
                case "status": _status = json; break;
                case "alarm": if (_alarms.Count < AlarmBacklog) _alarms.Add(json); break;
                case "sample":
                    _samples.Enqueue(json);
                    if (_samples.Count > SampleBacklog) _samples.Dequeue();
                    break;
            }
            foreach (var s in _subs) s.Writer.TryWrite((ev, json));
        }
    }

    /// <summary>The replay ended: the watchers' streams close after its last status.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            Completed = true;
            foreach (var s in _subs) s.Writer.TryComplete();
            _subs.Clear();
        }
    }
}

/// <summary>The hubs of the replays running or waiting, and of the last few finished (a page may still be connecting); older ones are let go.</summary>
public sealed class RunHubs
{
    private const int KeepFinished = 4;
    private readonly ConcurrentDictionary<string, RunHub> _hubs = new();
    private readonly Queue<string> _finished = new();

    public RunHub Open(string id) => _hubs.GetOrAdd(id, _ => new RunHub());
    public RunHub? Find(string id) => _hubs.TryGetValue(id, out var h) ? h : null;
    public IEnumerable<KeyValuePair<string, RunHub>> Active => _hubs.Where(h => !h.Value.Completed);

    public void Finish(string id)
    {
        if (!_hubs.TryGetValue(id, out var h)) return;
        h.Complete();
        lock (_finished)
        {
            _finished.Enqueue(id);
            while (_finished.Count > KeepFinished) _hubs.TryRemove(_finished.Dequeue(), out _);
        }
    }
}
