using System.Globalization;
using System.Text;
using System.Text.Json;
using CncTwin.Core.IO;
using CncTwin.Motion;

namespace CncTwin.Removal;

/// <summary>
/// Writes <c>moves.csv</c>: one row per planned move (programmed line or blend arc) with what it removed and its
/// engagement. Header:
/// <c>index,line,motion,tool,start_s,duration_s,length_mm,removed_mm3,mrr_mm3_s,axial_depth_mm,radial_depth_mm,entry_deg,exit_deg,plunge,air_cut,collision</c>.
/// Engagement columns are the move's most engaged probe (largest cross-section).
/// </summary>
public sealed class MovesCsvWriter : IDisposable
{
    public const string Header = "index,line,motion,tool,start_s,duration_s,length_mm,removed_mm3,mrr_mm3_s,axial_depth_mm,radial_depth_mm,entry_deg,exit_deg,plunge,air_cut,collision";
    private readonly StreamWriter _w;
    private readonly IReadOnlyList<(string Name, string Format)> _extra;
    private long _index;

    /// <summary>extraColumns: columns later stages append (name, .NET number format); NaN writes an empty field.</summary>
    public MovesCsvWriter(string path, IReadOnlyList<(string Name, string Format)>? extraColumns = null)
        : this(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), extraColumns) { }

    public MovesCsvWriter(Stream output, IReadOnlyList<(string Name, string Format)>? extraColumns = null)
    {
        _extra = extraColumns ?? [];
        _w = new StreamWriter(output, new UTF8Encoding(false), 1 << 16);
        _w.Write(Header);
        foreach (var (name, _) in _extra) { _w.Write(','); _w.Write(name); }
        _w.Write('\n');
    }

    public void Write(MoveRemoval r, ReadOnlySpan<double> extra = default)
    {
        var ic = CultureInfo.InvariantCulture;
        var m = r.Move;
        bool feed = m.Move.Kind != CncTwin.Core.MotionKind.Rapid;
        var e = r.Peak;
        _w.Write(string.Create(ic, $"{_index++},{m.Source.Line},{MoveListWriter.MotionName(m.Move.Kind)},{r.Tool},{m.StartS:0.######},{m.DurationS:0.######},{m.Path.LengthMm:0.####},"));
        _w.Write(string.Create(ic, $"{r.RemovedMm3:0.####},{r.MrrMm3PerS:0.###},{e.AxialDepthMm:0.###},{e.RadialDepthMm:0.###},{e.EntryDeg:0.##},{e.ExitDeg:0.##},"));
        _w.Write(r.Plunge ? '1' : '0'); _w.Write(',');
        _w.Write(feed && r.RemovedMm3 == 0 ? '1' : '0'); _w.Write(',');
        _w.Write(r.CollisionKind?.WireName() ?? "");
        for (int i = 0; i < _extra.Count; i++)
        {
            _w.Write(',');
            if (i < extra.Length && double.IsFinite(extra[i])) _w.Write(extra[i].ToString(_extra[i].Format, ic));
        }
        _w.Write('\n');
    }

    public void Dispose() => _w.Dispose();
}

/// <summary>The material-removal columns of timeline.csv and keys of summary.json.</summary>
public static class RemovalColumns
{
    public static readonly IReadOnlyList<(string Name, string Format)> Timeline =
    [
        ("mrr_mm3_s", "0.###"), ("axial_depth_mm", "0.###"), ("radial_depth_mm", "0.###"), ("entry_deg", "0.##"), ("exit_deg", "0.##"), ("tool", "0"),
    ];

    /// <summary>Engagement and MRR at a timeline sample of the move being cut (zeros while rapid or standing still).</summary>
    public static void Fill(MoveRemoval? current, in TimelineSample sample, Span<double> values)
    {
        values.Clear();
        if (current == null) { values[5] = double.NaN; return; }
        values[5] = current.Tool;
        if (current.Move.Move.Kind == CncTwin.Core.MotionKind.Rapid || current.RemovedMm3 <= 0) return;
        double s = current.Move.Profile.At(sample.TimeS - current.Move.StartS).DistanceMm;
        var e = current.EngagementAt(s);
        values[0] = current.MrrAt(s);
        values[1] = e.AxialDepthMm; values[2] = e.RadialDepthMm; values[3] = e.EntryDeg; values[4] = e.ExitDeg;
    }

    public static void WriteSummary(Utf8JsonWriter w, MaterialRemovalSimulator sim, string stockDescription, StockMesh.Result mesh, DesignComparison.Result? design) =>
        new RemovalSummary(sim, stockDescription, mesh, design).WriteSummary(w);
}

/// <summary>The material-removal keys of summary.json: the stock, volumes, crashes, the stock mesh and the design comparison.</summary>
public sealed class RemovalSummary(MaterialRemovalSimulator sim, string stockDescription, StockMesh.Result? mesh, DesignComparison.Result? design) : CncTwin.Core.IO.ISummaryContributor
{
    public void WriteSummary(Utf8JsonWriter w)
    {
        w.WriteString("stock", stockDescription);
        w.WriteNumber("voxel_size_mm", sim.Stock.CellMm);
        w.WriteString("removal_device", sim.DeviceName);
        w.WriteNumber("initial_stock_volume_mm3", Math.Round(sim.InitialVolumeMm3, 4));
        w.WriteNumber("removed_volume_mm3", Math.Round(sim.RemovedMm3, 4));
        w.WriteNumber("final_stock_volume_mm3", Math.Round(sim.FinalVolumeMm3, 4));
        w.WriteNumber("cutting_time_s", Math.Round(sim.CuttingS, 6));
        w.WriteNumber("air_cut_s", Math.Round(sim.AirCutS, 6));
        w.WriteStartArray("collisions");
        foreach (var c in sim.Collisions)
        {
            w.WriteStartObject();
            w.WriteNumber("line", c.Line);
            w.WriteString("kind", c.Kind.WireName());
            w.WriteString("message", c.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("unknown_tools");
        foreach (var t in sim.UnknownTools.Order()) w.WriteNumberValue(t);
        w.WriteEndArray();
        if (mesh != null)
        {
            w.WriteStartObject("stock_mesh");
            w.WriteNumber("triangles", mesh.Triangles);
            w.WriteNumber("volume_mm3", Math.Round(mesh.VolumeMm3, 4));
            w.WriteNumber("cell_mm", Math.Round(mesh.MeshCellMm, 6));
            w.WriteEndObject();
        }
        design?.WriteJson(w);
    }
}
