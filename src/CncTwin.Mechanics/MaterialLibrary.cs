using System.Reflection;
using System.Text.Json;

namespace CncTwin.Mechanics;

/// <summary>A work material: its cutting coefficients and where every number comes from.</summary>
public sealed record WorkMaterial(string Name, IReadOnlyList<string> Aliases, string Description, CuttingCoefficients Coefficients,
    double? Kc11NPerMm2, double? Mc, string Source)
{
    /// <summary>Specific cutting energy at a typical chip (0.1 mm), N/mm² = J/mm³: a quick sanity figure.</summary>
    public double SpecificEnergyAt01 => Coefficients.Ktc + Coefficients.Kte / 0.1;
}

/// <summary>
/// Materials by name: the built-in library (src/CncTwin.Mechanics/materials.json, embedded) plus any JSON file
/// the user gives, whose entries add to or replace built-in ones by name. Each entry gives linear-edge
/// coefficients ("coefficients": ktc, krc, kac in N/mm², kte, kre, kae in N/mm) or a Kienzle law ("kienzle":
/// kc11_n_mm2, mc and optionally radial_ratio, axial_ratio), converted by <see cref="CuttingCoefficients.FromKienzle"/>.
/// </summary>
public sealed class MaterialLibrary
{
    private readonly Dictionary<string, WorkMaterial> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<WorkMaterial> _all = new();
    public IReadOnlyList<WorkMaterial> All => _all;

    /// <summary>Radial/tangential and axial/tangential ratios used when a Kienzle entry gives none (typical end milling; see materials.json).</summary>
    public const double DefaultRadialRatio = 0.35, DefaultAxialRatio = 0.1;

    public static MaterialLibrary BuiltIn()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("CncTwin.Mechanics.materials.json")
            ?? throw new InvalidOperationException("built-in materials.json missing from the assembly");
        using var r = new StreamReader(s);
        var lib = new MaterialLibrary();
        lib.Add(r.ReadToEnd(), "materials.json (built in)");
        return lib;
    }

    /// <summary>The built-in library extended by a user file (may be null).</summary>
    public static MaterialLibrary Load(string? userFile)
    {
        var lib = BuiltIn();
        if (userFile != null)
        {
            if (!File.Exists(userFile)) throw new FileNotFoundException($"{userFile}: material library not found");
            lib.Add(File.ReadAllText(userFile), userFile);
        }
        return lib;
    }

    public WorkMaterial Get(string name) =>
        _byName.TryGetValue(name.Trim(), out var m) ? m
        : throw new KeyNotFoundException($"unknown material '{name}' (known: {string.Join(", ", _all.Select(x => x.Name))})");

    public bool TryGet(string name, out WorkMaterial material) => _byName.TryGetValue(name.Trim(), out material!);

    public void Add(string json, string file)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new FormatException($"{file}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: {e.Message}"); }
        using (doc)
        {
            if (!doc.RootElement.TryGetProperty("materials", out var arr) || arr.ValueKind != JsonValueKind.Array)
                throw new FormatException($"{file}: expected {{\"materials\":[...]}}");
            int i = 0;
            foreach (var e in arr.EnumerateArray())
            {
                string where = $"{file}: materials[{i++}]";
                string name = Str(e, "name", where) ?? throw new FormatException($"{where}: \"name\" is required");
                where = $"{file}: material '{name}'";
                var aliases = e.TryGetProperty("aliases", out var al) && al.ValueKind == JsonValueKind.Array
                    ? al.EnumerateArray().Select(a => a.GetString() ?? "").Where(a => a.Length > 0).ToList() : new List<string>();
                double? kc = null, mc = null;
                CuttingCoefficients? k = null;
                if (e.TryGetProperty("kienzle", out var kz))
                {
                    kc = Num(kz, "kc11_n_mm2", where); mc = Num(kz, "mc", where);
                    if (kc is null || mc is null) throw new FormatException($"{where}: kienzle needs kc11_n_mm2 and mc");
                    double rr = Num(kz, "radial_ratio", where) ?? DefaultRadialRatio, ar = Num(kz, "axial_ratio", where) ?? DefaultAxialRatio;
                    k = CuttingCoefficients.FromKienzle(kc.Value, mc.Value, rr, ar);
                }
                if (e.TryGetProperty("coefficients", out var co))
                {
                    double G(string n) => Num(co, n, where) ?? 0;
                    k = new CuttingCoefficients(G("ktc"), G("krc"), G("kac"), G("kte"), G("kre"), G("kae"));
                }
                if (k is null) throw new FormatException($"{where}: give \"coefficients\" or \"kienzle\"");
                if (!(k.Ktc > 0) || k.Krc < 0 || k.Kte < 0 || k.Kre < 0) throw new FormatException($"{where}: ktc must be positive and krc, kte, kre non-negative");
                var m = new WorkMaterial(name, aliases, Str(e, "description", where) ?? "", k, kc, mc, Str(e, "source", where) ?? "");
                if (_byName.TryGetValue(name, out var old)) _all.Remove(old);
                _all.Add(m);
                _byName[name] = m;
                foreach (var a in aliases) _byName[a] = m;
            }
        }
    }

    private static string? Str(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var v)) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new FormatException($"{where}: \"{name}\" must be a string");
    }

    private static double? Num(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var v)) return null;
        return v.ValueKind == JsonValueKind.Number && double.IsFinite(v.GetDouble()) ? v.GetDouble() : throw new FormatException($"{where}: \"{name}\" must be a number");
    }
}
