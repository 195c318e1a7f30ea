using System.Text.Json;

namespace CncTwin.Removal;

/// <summary>A tool-library entry: its number, cutter, and gauge length (for G43) where the file gives one.</summary>
/// <summary>ToolMaterial: carbide (default) or hss, for the wear model.</summary>
public sealed record ToolDefinition(int Number, ICutter Cutter, double LengthMm, string Comment, string ToolMaterial = "carbide");

public sealed class ToolLibraryException(string message) : Exception(message);

/// <summary>
/// The shop's tool library: cutters by tool number. Read from CncTwin's JSON
/// (<c>{"tools":[{"number":1,"type":"flat|ball|bull|drill|chamfer","diameter_mm":10,...}]}</c>) or built from a
/// LinuxCNC .tbl (diameters only: those become flat end mills with the defaults below).
/// </summary>
public sealed class ToolLibrary
{
    private readonly Dictionary<int, ToolDefinition> _tools = new();
    public IReadOnlyCollection<ToolDefinition> Tools => _tools.Values;
    public ToolDefinition? Get(int number) => _tools.TryGetValue(number, out var t) ? t : null;
    public void Add(ToolDefinition t) => _tools[t.Number] = t;

    /// <summary>
    /// Defaults for what a library leaves out, typical of solid-carbide end mills in shrink-fit holders:
    /// flute length 3 D, stick-out 4 D (at least flute length + D), shank = D, holder nose max(2 D, D + 14 mm),
    /// 3 flutes (2 for drills), 30° helix, 118° drill point, 90° chamfer cutter.
    /// </summary>
    public static ICutter DefaultFlat(double diameterMm) => Build("flat", diameterMm, null, null, null, null, null, null, null, null, null, null, null, null);

    public static ToolLibrary FromDiameters(IEnumerable<(int Number, double DiameterMm, double LengthMm, string Comment)> tools)
    {
        var lib = new ToolLibrary();
        foreach (var (n, d, len, c) in tools)
            if (d > 0) lib.Add(new ToolDefinition(n, DefaultFlat(d), len, c));
        return lib;
    }

    public static ToolLibrary LoadJson(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (IOException ex) { throw new ToolLibraryException($"{path}: error: {ex.Message}"); }
        return ParseJson(text, path);
    }

    public static ToolLibrary ParseJson(string json, string fileName)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException ex) { throw new ToolLibraryException($"{fileName}:{(ex.LineNumber ?? 0) + 1}:{(ex.BytePositionInLine ?? 0) + 1}: error: invalid JSON: {FirstSentence(ex.Message)}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("tools", out var tools) || tools.ValueKind != JsonValueKind.Array)
                throw new ToolLibraryException($"{fileName}: error: expected an object with a \"tools\" array");
            var lib = new ToolLibrary();
            int index = 0;
            foreach (var t in tools.EnumerateArray())
            {
                string where = $"{fileName}: tools[{index++}]";
                if (t.ValueKind != JsonValueKind.Object) throw new ToolLibraryException($"{where}: error: expected an object");
                int number = Whole(t, "number", where) ?? throw new ToolLibraryException($"{where}: error: \"number\" is required");
                where = $"{fileName}: tool {number}";
                if (number < 0) throw new ToolLibraryException($"{where}: error: number must be >= 0");
                string type = t.TryGetProperty("type", out var ty) && ty.ValueKind == JsonValueKind.String ? ty.GetString()!.ToLowerInvariant() : "flat";
                double diameter = Num(t, "diameter_mm", where) ?? throw new ToolLibraryException($"{where}: error: \"diameter_mm\" is required");
                bool? center = t.TryGetProperty("center_cutting", out var cc) ? cc.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw new ToolLibraryException($"{where}: error: center_cutting must be true or false"),
                } : null;
                ICutter cutter;
                try
                {
                    cutter = Build(type, diameter, Num(t, "corner_radius_mm", where), Num(t, "tip_angle_deg", where), Num(t, "tip_diameter_mm", where),
                        Whole(t, "flutes", where), Num(t, "flute_length_mm", where), Num(t, "helix_deg", where), Num(t, "stickout_mm", where),
                        Num(t, "shank_diameter_mm", where), Num(t, "holder_diameter_mm", where), center, Num(t, "max_ramp_deg", where), null);
                }
                catch (ArgumentException ex) { throw new ToolLibraryException($"{where}: error: {ex.Message}"); }
                string comment = t.TryGetProperty("comment", out var cm) && cm.ValueKind == JsonValueKind.String ? cm.GetString()! : "";
                if (lib._tools.ContainsKey(number)) throw new ToolLibraryException($"{where}: error: tool number {number} appears twice");
                string material = t.TryGetProperty("tool_material", out var tm) && tm.ValueKind == JsonValueKind.String ? tm.GetString()!.ToLowerInvariant() : "carbide";
                if (material is not ("carbide" or "hss")) throw new ToolLibraryException($"{where}: error: tool_material must be carbide or hss");
                double length = Num(t, "length_mm", where) ?? 0;
                // The tool's length from the spindle gauge line (the G43 offset): a tool cannot reach above the spindle.
                if (length < 0) throw new ToolLibraryException($"{where}: error: length_mm must be >= 0 (the tool's length from the spindle gauge line), not {length.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
                lib.Add(new ToolDefinition(number, cutter, length, comment, material));
            }
            return lib;
        }
    }

    private static double? Num(JsonElement o, string name, string where)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d))
            throw new ToolLibraryException($"{where}: error: \"{name}\" must be a number");
        return d;
    }

    /// <summary>A count (tool number, flutes): a whole number, never silently truncated (2.5 flutes is a typing mistake, not 2).</summary>
    private static int? Whole(JsonElement o, string name, string where)
    {
        if (Num(o, name, where) is not double d) return null;
        if (d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue) throw new ToolLibraryException($"{where}: error: \"{name}\" must be a whole number, not {d.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (name == "flutes" && d < 1) throw new ToolLibraryException($"{where}: error: \"flutes\" must be 1 or more");
        return (int)d;
    }

    private static string FirstSentence(string s) { int i = s.IndexOf(". ", StringComparison.Ordinal); return i > 0 ? s[..i] : s; }

    private static ICutter Build(string type, double d, double? corner, double? tipAngle, double? tipDiameter, int? flutes, double? fluteLength,
        double? helix, double? stickout, double? shank, double? holder, bool? centerCutting, double? maxRamp, object? _)
    {
        double fl = fluteLength ?? 3 * d;
        double so = stickout ?? Math.Max(4 * d, fl + d);
        double sh = shank ?? d;
        double ho = holder ?? Math.Max(2 * d, d + 14);
        int z = flutes ?? (type == "drill" ? 2 : 3);
        double hx = helix ?? 30;
        bool cc = centerCutting ?? true;
        double ramp = maxRamp ?? (cc ? 90 : 0);
        CutterBase cutter = type switch
        {
            "flat" => new FlatEndMill(d, z, fl, hx, so, sh, ho, cc, ramp),
            "ball" => new BallEndMill(d, z, fl, hx, so, sh, ho, cc, ramp),
            "bull" => new BullNoseEndMill(d, corner ?? throw new ArgumentException("a bull-nose cutter needs corner_radius_mm"), z, fl, hx, so, sh, ho, cc, ramp),
            "drill" => new Drill(d, tipAngle ?? 118, z, fl, hx, so, sh, ho, cc, ramp),
            "chamfer" => new ChamferMill(d, tipAngle ?? 90, tipDiameter ?? 0, z, fl, hx, so, sh, ho, cc, ramp),
            _ => throw new ArgumentException($"unknown type \"{type}\" (flat, ball, bull, drill or chamfer)"),
        };
        string? problem = cutter.Validate();
        if (problem != null) throw new ArgumentException(problem);
        return cutter;
    }
}
