using System.Text.Json;
using CncTwin.Motion;
using CncTwin.Simulation;

namespace CncTwin.Web;

/// <summary>
/// The viewer's toolpath (positions, load share, rapid flag, time), at most <see cref="MaxPoints"/> points kept
/// while the run streams: every k-th sample, k doubling (and the kept points halving) whenever the buffer fills,
/// so memory is bounded whatever the program's length. Written as path.json when the run ends.
/// </summary>
public sealed class ToolpathPreviewSink(string? path) : ISimulationSink
{
    public const int MaxPoints = 50_000;
    private readonly List<(float T, float X, float Y, float Z, float Load, bool Rapid)> _points = new();
    private long _seen, _stride = 1;
    private int _load = -1;

    public void Begin(SimulationResult run) => _load = run.TimelineLayout.IndexOf(TimelineChannels.SpindleLoadPct);

    public void OnSample(in TimelineSample s, ReadOnlySpan<double> values) =>
        Add((float)s.TimeS, (float)s.Position.X, (float)s.Position.Y, (float)s.Position.Z, _load >= 0 ? (float)values[_load] : 0, s.Activity == MachineActivity.Rapid);

    public void Add(float t, float x, float y, float z, float load, bool rapid)
    {
        if (_seen++ % _stride != 0) return;
        _points.Add((t, x, y, z, float.IsFinite(load) ? load : 0, rapid));
        if (_points.Count < MaxPoints) return;
        // Keep every other point and sample half as often from now on.
        int k = 0;
        for (int i = 0; i < _points.Count; i += 2) _points[k++] = _points[i];
        _points.RemoveRange(k, _points.Count - k);
        _stride *= 2;
    }

    /// <summary>The viewer's arrays: xyz (flat), load as a share of the run's highest, rapid (0/1), time.</summary>
    public object Json()
    {
        float max = 1;
        foreach (var p in _points) max = Math.Max(max, p.Load);
        var xyz = new List<float>(_points.Count * 3);
        foreach (var p in _points) { xyz.Add(p.X); xyz.Add(p.Y); xyz.Add(p.Z); }
        return new
        {
            xyz, load = _points.Select(p => p.Load / max).ToList(), rapid = _points.Select(p => p.Rapid ? (byte)1 : (byte)0).ToList(), time = _points.Select(p => p.T).ToList(),
        };
    }

    /// <summary>Written under a temporary name and moved into place: the viewer never reads half a path.json.</summary>
    public void Complete(SimulationResult result)
    {
        if (path == null) return;
        string tmp = path + ".tmp";
        using (var fs = File.Create(tmp)) JsonSerializer.Serialize(fs, Json());
        File.Move(tmp, path, overwrite: true);
    }
}
