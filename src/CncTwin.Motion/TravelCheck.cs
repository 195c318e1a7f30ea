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
public sealed class TravelCheck(MachineProfile machine)
{
    private readonly Dictionary<int, (Vec3 Min, Vec3 Max)> _bounds = new();
    private readonly HashSet<(int Tool, int Axis)> _reported = new();
    private readonly List<TravelExceeded> _found = new();

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
        var (lo, hi) = _bounds.TryGetValue(tool, out var b) ? b : (m.Path.Start, m.Path.Start);
        void Take(Vec3 p)
        {
            lo = new Vec3(Math.Min(lo.X, p.X), Math.Min(lo.Y, p.Y), Math.Min(lo.Z, p.Z));
            hi = new Vec3(Math.Max(hi.X, p.X), Math.Max(hi.Y, p.Y), Math.Max(hi.Z, p.Z));
        }
        Take(m.Path.Start);
        Take(m.Path.End);
        // Arcs bulge past their end points: sample them (a 16-gon under-reads a full circle's extent by < 2 %).
        if (m.Path is not LinePath)
            for (int k = 1; k < 16; k++) Take(m.Path.PointAt(m.Path.LengthMm * k / 16));
        _bounds[tool] = (lo, hi);
        for (int axis = 0; axis < 3; axis++)
        {
            var limits = machine.Axis(axis);
            double travel = limits.MaxMm - limits.MinMm;
            if (!(travel > 0) || _reported.Contains((tool, axis))) continue;
            double from = Component(lo, axis), to = Component(hi, axis);
            if (to - from <= travel + 1e-6) continue;
            _reported.Add((tool, axis));
            var found = new TravelExceeded(m.Source, tool, "XYZ"[axis], to - from, travel, from, to);
            _found.Add(found);
            OnExceeded?.Invoke(found);
        }
    }

    private static double Component(Vec3 v, int axis) => axis switch { 0 => v.X, 1 => v.Y, _ => v.Z };

    /// <summary>Writes <c>"travel_exceeded": [{"line", "tool", "axis", "span_mm", "travel_mm", "message"}]</c>.</summary>
    public void WriteJsonProperty(Utf8JsonWriter w)
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
