using System.Globalization;
using CncTwin.Core;
using CncTwin.Geometry;
using CncTwin.GCode;
using CncTwin.Removal;

namespace CncTwin.Simulation;

/// <summary>
/// A stock given as text: <c>box:xmin,ymin,zmin,xmax,ymax,zmax</c>, <c>cylinder:cx,cy,zmin,zmax,radius</c>, or an
/// STL file (<c>stl:PATH</c> or any path ending in .stl). mm, work coordinates. Or, without one, the automatic
/// block around what the program cuts.
/// </summary>
public static class StockSpec
{
    public sealed class StockSpecException(Diagnostic diagnostic) : Exception(diagnostic.ToString())
    {
        public Diagnostic Diagnostic { get; } = diagnostic;
    }

    public static VoxelStock Build(string spec, double cellMm)
    {
        string kind = spec.Contains(':') ? spec[..spec.IndexOf(':')].ToLowerInvariant() : "";
        string rest = spec.Contains(':') ? spec[(spec.IndexOf(':') + 1)..] : spec;
        try
        {
            switch (kind)
            {
                case "box":
                    {
                        var v = Numbers(rest, 6, "box:xmin,ymin,zmin,xmax,ymax,zmax");
                        return VoxelStock.Box(new Vec3(v[0], v[1], v[2]), new Vec3(v[3], v[4], v[5]), cellMm);
                    }
                case "cylinder":
                    {
                        var v = Numbers(rest, 5, "cylinder:cx,cy,zmin,zmax,radius");
                        return VoxelStock.Cylinder(v[0], v[1], v[2], v[3], v[4], cellMm);
                    }
                case "stl":
                    return FromStl(rest, cellMm);
                default:
                    if (spec.EndsWith(".stl", StringComparison.OrdinalIgnoreCase)) return FromStl(spec, cellMm);
                    throw new StockSpecException(Diagnostic.InvalidValue(RequestField.Stock, spec, "expected box:xmin,ymin,zmin,xmax,ymax,zmax, cylinder:cx,cy,zmin,zmax,radius or an .stl file"));
            }
        }
        catch (ArgumentException ex) { throw new StockSpecException(Diagnostic.InvalidValue(RequestField.Stock, spec, ex.Message)); }
    }

    private static VoxelStock FromStl(string path, double cellMm)
    {
        if (!File.Exists(path)) throw new StockSpecException(Diagnostic.BadFile(path, "file not found"));
        try { return VoxelStock.FromMesh(StlReader.Read(path), cellMm); }
        catch (MeshFormatException ex) { throw new StockSpecException(Diagnostic.Preformatted(DiagnosticKind.InvalidFile, ex.Message)); }
    }

    private static double[] Numbers(string text, int count, string form)
    {
        var parts = text.Split(',');
        if (parts.Length != count) throw new StockSpecException(Diagnostic.InvalidValue(RequestField.Stock, null, $"expected {form} ({count} numbers, got {parts.Length})"));
        var v = new double[count];
        for (int i = 0; i < count; i++)
            if (!double.TryParse(parts[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !double.IsFinite(v[i]))
                throw new StockSpecException(Diagnostic.InvalidValue(RequestField.Stock, null, $"\"{parts[i]}\" is not a number (expected {form})"));
        return v;
    }

    /// <summary>
    /// Without a stock: a block around what the program cuts — the feed moves' extent (arcs by the part of the
    /// circle they sweep) widened by the largest cutter radius plus 2 mm, from 2 mm under the deepest feed up to
    /// Z 0 (the usual top-of-stock zero) when the program feeds below Z 0. A program that never feeds below Z 0
    /// has its zero elsewhere (the table, the fixture): the top is then the highest feed, but never above a rapid
    /// move over the block (rapids are in air, and the program starts where the tool is). Needs one extra
    /// interpretation pass. The reason says which rule chose the top.
    /// </summary>
    public static (Vec3 Min, Vec3 Max, string Reason)? AutoBox(Func<Interpreter> interpreter, ToolLibrary tools, CancellationToken ct, out long moves)
    {
        moves = 0;
        double x0 = double.MaxValue, y0 = double.MaxValue, z0 = double.MaxValue, x1 = double.MinValue, y1 = double.MinValue, z1 = double.MinValue;
        double reach = 0;
        var rapids = new List<(Vec3 A, Vec3 B)>();
        using var interp = interpreter();
        long n = 0;
        // A program that stops on an error gets the block around what it cut before the error: the run itself
        // then stops on the same line and reports it, with everything before it in its outputs.
        foreach (var c in UpToError(interp.Run()))
        {
            if ((++n & 1023) == 0) ct.ThrowIfCancellationRequested();
            if (c is not Move m) continue;
            moves++;
            if (m.Kind == MotionKind.Rapid) { if (rapids.Count < 1_000_000) rapids.Add((m.Start, m.End)); continue; }
            reach = Math.Max(reach, tools.Get(m.Tool)?.Cutter.RadiusMm ?? 3);
            var (lo, hi) = m is ArcFeed a ? a.Bounds()
                : (new Vec3(Math.Min(m.Start.X, m.End.X), Math.Min(m.Start.Y, m.End.Y), Math.Min(m.Start.Z, m.End.Z)),
                   new Vec3(Math.Max(m.Start.X, m.End.X), Math.Max(m.Start.Y, m.End.Y), Math.Max(m.Start.Z, m.End.Z)));
            x0 = Math.Min(x0, lo.X); y0 = Math.Min(y0, lo.Y); z0 = Math.Min(z0, lo.Z);
            x1 = Math.Max(x1, hi.X); y1 = Math.Max(y1, hi.Y); z1 = Math.Max(z1, hi.Z);
        }
        if (x0 > x1) return null;
        double margin = reach + 2;
        double top;
        string reason;
        if (z0 < 0) { top = 0; reason = "top at Z0 (the program feeds below it: top-of-stock zero)"; }
        else
        {
            top = z1;
            reason = "top at the highest feed (the program never feeds below Z0)";
            // Rapid moves over the block are in air: the top lies below the lowest of them (the start position included).
            double bx0 = x0 - margin, bx1 = x1 + margin, by0 = y0 - margin, by1 = y1 + margin;
            foreach (var (pa, pb) in rapids)
                foreach (var p in new[] { pa, pb })
                    if (p.X >= bx0 && p.X <= bx1 && p.Y >= by0 && p.Y <= by1 && p.Z < top && p.Z > z0 - 2)
                    {
                        top = p.Z;
                        reason = "top at the lowest rapid over the block (the program never feeds below Z0; rapids are in air)";
                    }
        }
        if (top - (z0 - 2) < 1) top = z0 + 1;
        return (new Vec3(x0 - margin, y0 - margin, z0 - 2), new Vec3(x1 + margin, y1 + margin, top),
            "automatic: the extent of the feed moves widened by the largest cutter radius plus 2 mm, from 2 mm under the deepest feed; " + reason);
        static IEnumerable<CanonicalCommand> UpToError(IEnumerable<CanonicalCommand> commands)
        {
            using var e = commands.GetEnumerator();
            while (true)
            {
                try { if (!e.MoveNext()) yield break; }
                catch (GCodeException) { yield break; }
                yield return e.Current;
            }
        }
    }
}
