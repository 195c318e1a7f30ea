using System.Text.Json;
using CncTwin.Core;

namespace CncTwin.Motion;

/// <summary>
/// Times of a planned program, gathered as the plan streams past (<see cref="Observe"/>): cycle time (first
/// motion to last motion), time per program line, time by motion type and by kind of pause, path lengths.
/// </summary>
public sealed class PlanSummary : CncTwin.Core.IO.ISummaryContributor
{
    // Per-line times in flat arrays indexed by line number: a million-line program costs ~21 MB here,
    // not a dictionary node and an object per line.
    private double[] _lineMotionS = new double[1024], _linePauseS = new double[1024];
    private int[] _lineSegments = new int[1024];
    private bool[] _lineSeen = new bool[1024];
    private int _maxLine = -1;
    private double _firstMotionS = double.NaN;

    /// <summary>Time spent on one program line: moving, and standing (dwell, spindle wait, tool change).</summary>
    public sealed class LineTime
    {
        public double MotionS { get; internal set; }
        public double PauseS { get; internal set; }
        public int Segments { get; internal set; }
        public double TotalS => MotionS + PauseS;
    }

    public double CycleTimeS => double.IsNaN(_firstMotionS) ? 0 : LastMotionEndS - _firstMotionS;
    public double FirstMotionS => double.IsNaN(_firstMotionS) ? 0 : _firstMotionS;
    public double LastMotionEndS { get; private set; }
    /// <summary>From t = 0 (program start) to the end of the last item, pauses before the first move included.</summary>
    public double TotalTimeS { get; private set; }
    public double RapidTimeS { get; private set; }
    public double FeedTimeS { get; private set; }
    public double DwellTimeS { get; private set; }
    public double SpindleWaitTimeS { get; private set; }
    public double ToolChangeTimeS { get; private set; }
    public double RapidLengthMm { get; private set; }
    public double FeedLengthMm { get; private set; }
    public long Segments { get; private set; }
    public long BlendArcs { get; private set; }
    public double MaxSpeedMmPerS { get; private set; }
    /// <summary>Time per program line that has any, in line order.</summary>
    public IEnumerable<(int Line, LineTime Time)> PerLine
    {
        get
        {
            for (int i = 0; i <= _maxLine; i++)
                if (_lineSeen[i]) yield return (i, new LineTime { MotionS = _lineMotionS[i], PauseS = _linePauseS[i], Segments = _lineSegments[i] });
        }
    }

    /// <summary>Passes the plan through unchanged, taking its figures on the way.</summary>
    public IEnumerable<PlanItem> Observe(IEnumerable<PlanItem> plan)
    {
        foreach (var item in plan)
        {
            Add(item);
            yield return item;
        }
    }

    public void Add(PlanItem item)
    {
        int line = Math.Max(0, item.Source.Line);
        if (line >= _lineSeen.Length)
        {
            int size = Math.Max(line + 1, _lineSeen.Length * 2);
            Array.Resize(ref _lineMotionS, size); Array.Resize(ref _linePauseS, size);
            Array.Resize(ref _lineSegments, size); Array.Resize(ref _lineSeen, size);
        }
        _lineSeen[line] = true;
        _maxLine = Math.Max(_maxLine, line);
        double d = item.DurationS;
        switch (item)
        {
            case PlannedMove m:
                if (double.IsNaN(_firstMotionS)) _firstMotionS = m.StartS;
                LastMotionEndS = m.EndS;
                _lineMotionS[line] += d; _lineSegments[line]++;
                Segments++;
                if (m.IsBlend) BlendArcs++;
                if (m.Move.Kind == MotionKind.Rapid) { RapidTimeS += d; RapidLengthMm += m.Path.LengthMm; }
                else { FeedTimeS += d; FeedLengthMm += m.Path.LengthMm; }
                MaxSpeedMmPerS = Math.Max(MaxSpeedMmPerS, m.Profile.PeakMmPerS);
                break;
            case PlannedPause p:
                _linePauseS[line] += d;
                switch (MachineActivities.OfPause(p.Reason))
                {
                    case MachineActivity.Dwell: DwellTimeS += d; break;
                    case MachineActivity.ToolChange: ToolChangeTimeS += d; break;
                    default: SpindleWaitTimeS += d; break;
                }
                break;
        }
        TotalTimeS = Math.Max(TotalTimeS, item.EndS);
    }

    /// <summary>
    /// Writes the motion part of <c>summary.json</c> (the caller owns the enclosing object):
    /// cycle_time_s, total_time_s, times by kind, lengths, and per_line as [{"line", "time_s", ...}].
    /// </summary>
    public void WriteSummary(Utf8JsonWriter w)
    {
        w.WriteNumber("cycle_time_s", Round(CycleTimeS));
        w.WriteNumber("first_motion_s", Round(FirstMotionS));
        w.WriteNumber("last_motion_s", Round(LastMotionEndS));
        w.WriteNumber("total_time_s", Round(TotalTimeS));
        w.WriteNumber("rapid_time_s", Round(RapidTimeS));
        w.WriteNumber("feed_time_s", Round(FeedTimeS));
        w.WriteNumber("dwell_time_s", Round(DwellTimeS));
        w.WriteNumber("spindle_wait_time_s", Round(SpindleWaitTimeS));
        w.WriteNumber("tool_change_time_s", Round(ToolChangeTimeS));
        w.WriteNumber("rapid_length_mm", Round(RapidLengthMm));
        w.WriteNumber("feed_length_mm", Round(FeedLengthMm));
        w.WriteNumber("segments", Segments);
        w.WriteNumber("blend_arcs", BlendArcs);
        w.WriteNumber("max_speed_mm_min", Round(MaxSpeedMmPerS * 60));
        w.WriteStartArray("per_line");
        foreach (var (line, t) in PerLine)
        {
            w.WriteStartObject();
            w.WriteNumber("line", line);
            w.WriteNumber("time_s", Round(t.TotalS));
            w.WriteNumber("motion_s", Round(t.MotionS));
            w.WriteNumber("pause_s", Round(t.PauseS));
            w.WriteNumber("segments", t.Segments);
            w.WriteEndObject();
            // Utf8JsonWriter buffers until flushed: hand long per-line lists to the stream as they grow.
            if (w.BytesPending > 1 << 16) w.Flush();
        }
        w.WriteEndArray();
    }

    private static double Round(double v) => Math.Round(v, 6);
}
