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
    /// Without a stock: a block around what the program cuts — the feed moves' extent widened by the largest
    /// cutter radius plus 2 mm, from 2 mm under the deepest feed up to Z 0 (the usual top-of-stock zero), or up
    /// to the highest feed if the program never feeds below Z 0. Needs one extra interpretation pass.
    /// </summary>
    public static (Vec3 Min, Vec3 Max)? AutoBox(Func<Interpreter> interpreter, ToolLibrary tools, CancellationToken ct = default)
    {
        double x0 = double.MaxValue, y0 = double.MaxValue, z0 = double.MaxValue, x1 = double.MinValue, y1 = double.MinValue, z1 = double.MinValue;
        double reach = 0;
        using var interp = interpreter();
        long n = 0;
        // A program that stops on an error gets the block around what it cut before the error: the run itself
        // then stops on the same line and reports it, with everything before it in its outputs.
        foreach (var c in UpToError(interp.Run()))
        {
            if ((++n & 1023) == 0) ct.ThrowIfCancellationRequested();
            if (c is not Move m || m.Kind == MotionKind.Rapid) continue;
            reach = Math.Max(reach, tools.Get(m.Tool)?.Cutter.RadiusMm ?? 3);
            foreach (var p in new[] { m.Start, m.End })
            {
                x0 = Math.Min(x0, p.X); y0 = Math.Min(y0, p.Y); z0 = Math.Min(z0, p.Z);
                x1 = Math.Max(x1, p.X); y1 = Math.Max(y1, p.Y); z1 = Math.Max(z1, p.Z);
            }
            if (m is ArcFeed a)
            {
                double r = a.Center.DistanceTo(a.Start);
                x0 = Math.Min(x0, a.Center.X - r); x1 = Math.Max(x1, a.Center.X + r);
                y0 = Math.Min(y0, a.Center.Y - r); y1 = Math.Max(y1, a.Center.Y + r);
            }
        }
        if (x0 > x1) return null;
        double margin = reach + 2;
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
        double top = z0 < 0 ? 0 : z1;
        if (top - (z0 - 2) < 1) top = z0 + 1;
        return (new Vec3(x0 - margin, y0 - margin, z0 - 2), new Vec3(x1 + margin, y1 + margin, top));
    }
}
