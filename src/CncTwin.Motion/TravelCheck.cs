using System.Text.Json;
using CncTwin.Core;

namespace CncTwin.Motion;

/// <summary>One place where a tool's path asked for more travel than the machine has on an axis.</summary>
public sealed record TravelExceeded(SourceLocation Source, int Tool, char Axis, double SpanMm, double TravelMm, double FromMm, double ToMm)
{
    public string Message => FormattableString.Invariant(
        $"tool {Tool} moves {Axis} over {SpanMm:0.###} mm ({FromMm:0.###} to {ToMm:0.###}), the machine travels {TravelMm:0.###} mm on {Axis}");
}

/// <summary>
/// Over-travel check on the planned path, as a soft limit would stop the real machine. The simulation does not
/// know where the part sits in the machine's travel unless the machine file says so (a LinuxCNC INI has machine =
/// work coordinates; the built-in profile does not), so it checks what holds wherever the part is clamped: while
/// one tool is in the spindle its tip (and so the spindle, a tool length away) cannot span more than the axis's
/// travel. An axis with no declared travel (max ≤ min) is not checked. The first overrun per tool and axis is
/// recorded, at the line whose move makes it.
/// </summary>
public sealed class TravelCheck(MachineProfile machine) : CncTwin.Core.IO.ISummaryContributor
{
    private readonly Dictionary<int, (Vec3 Min, Vec3 Max, int Reported)> _bounds = new();
    private readonly List<TravelExceeded> _found = new();
    private int _tool;
    private bool _has;
    private Vec3 _lo, _hi;
    private int _reportedAxes; // bit per axis already reported for the tool in the spindle

    public IReadOnlyList<TravelExceeded> Found => _found;
    /// <summary>Called as each overrun is found, so a long simulation can say so before it ends.</summary>
    public Action<TravelExceeded>? OnExceeded { get; set; }

    public IEnumerable<PlanItem> Observe(IEnumerable<PlanItem> plan)
    {
        foreach (var item in plan)
        {
            if (item is PlannedMove m) Add(m);
            yield return item;
        }
    }

    public void Add(PlannedMove m)
    {
        int tool = m.Move.Tool;
        // The bounds of the tool in the spindle live in fields; other tools' wait in the dictionary (tool changes
        // are rare, moves are not).
        if (tool != _tool || !_has)
        {
            if (_has) _bounds[_tool] = (_lo, _hi, _reportedAxes);
            _tool = tool;
            _has = true;
            (_lo, _hi, _reportedAxes) = _bounds.TryGetValue(tool, out var b) ? b : (m.Path.Start, m.Path.Start, 0);
        }
        Vec3 start = m.Path.Start, end = m.Path.End; // computed properties on arcs: read once
        Take(start);
        Take(end);
        // Arcs bulge past their end points, at most to centre ± radius: work out the extremes only when that
        // box could move the bounds (inside the part's envelope, as nearly all arcs are, it cannot).
        if (m.Path is CirclePath c)
        {
            double r = c.RadiusMm;
            Vec3 lo = c.Center - new Vec3(r, r, r), hi = c.Center + new Vec3(r, r, r);
            bool inside = lo.X >= _lo.X && hi.X <= _hi.X && lo.Y >= _lo.Y && hi.Y <= _hi.Y && lo.Z >= _lo.Z && hi.Z <= _hi.Z;
            if (!inside) TakeArcExtremes(c);
        }
        for (int axis = 0; axis < 3; axis++)
        {
            var limits = machine.Axis(axis);
            double travel = limits.MaxMm - limits.MinMm;
            double from = Component(_lo, axis), to = Component(_hi, axis);
            if (!(travel > 0) || to - from <= travel + 1e-6 || (_reportedAxes & (1 << axis)) != 0) continue;
            _reportedAxes |= 1 << axis;
            var found = new TravelExceeded(m.Source, tool, "XYZ"[axis], to - from, travel, from, to);
            _found.Add(found);
            OnExceeded?.Invoke(found);
        }
    }

    /// <summary>
    /// The in-plane extremes of an arc: along an axis a, C_a + R(U_a cos φ + V_a sin φ) peaks at φ = atan2(V_a, U_a)
    /// and bottoms half a turn later; each counts where the sweep reaches it. The rise of a helix lies along the
    /// plane's normal, where the end points are the extremes.
    /// </summary>
    private void TakeArcExtremes(CirclePath c)
    {
        for (int axis = 0; axis < 3; axis++)
        {
            double ua = Component(c.U, axis), va = Component(c.V, axis);
            if (ua * ua + va * va < 1e-18) continue;
            double peak = Math.Atan2(va, ua);
            for (int side = 0; side < 2; side++)
            {
                double phi = peak + side * Math.PI;
                phi -= 2 * Math.PI * Math.Floor(phi / (2 * Math.PI)); // into [0, 2π)
                if (phi <= c.SweepRad) Take(c.PointAt(c.LengthMm * phi / c.SweepRad));
            }
        }
    }

    private void Take(Vec3 p)
    {
        _lo = new Vec3(Math.Min(_lo.X, p.X), Math.Min(_lo.Y, p.Y), Math.Min(_lo.Z, p.Z));
        _hi = new Vec3(Math.Max(_hi.X, p.X), Math.Max(_hi.Y, p.Y), Math.Max(_hi.Z, p.Z));
    }

    private static double Component(Vec3 v, int axis) => axis switch { 0 => v.X, 1 => v.Y, _ => v.Z };

    /// <summary>Writes <c>"travel_exceeded": [{"line", "tool", "axis", "span_mm", "travel_mm", "message"}]</c>.</summary>
    public void WriteSummary(Utf8JsonWriter w)
    {
        w.WriteStartArray("travel_exceeded");
        foreach (var t in _found)
        {
            w.WriteStartObject();
            w.WriteNumber("line", t.Source.Line);
            w.WriteNumber("tool", t.Tool);
            w.WriteString("axis", t.Axis.ToString());
            w.WriteNumber("span_mm", Math.Round(t.SpanMm, 6));
            w.WriteNumber("travel_mm", Math.Round(t.TravelMm, 6));
            w.WriteString("message", t.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
