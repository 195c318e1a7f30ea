using System.Numerics;
using System.Text.Json;

namespace CncTwin.Mechanics.Stability;

/// <summary>One vibration mode of the tool tip in one direction: natural frequency, damping ratio, modal stiffness.</summary>
public sealed record Mode(double FnHz, double Zeta, double StiffnessNPerM)
{
    public double OmegaN => 2 * Math.PI * FnHz;
    public double MassKg => StiffnessNPerM / (OmegaN * OmegaN);
    public double DampingNsPerM => 2 * Zeta * Math.Sqrt(StiffnessNPerM * MassKg);
}

/// <summary>
/// Tool-tip dynamics as modal parameters per direction (x = feed, y = normal to it), from JSON
/// {"x":[{"fn_hz":..,"zeta":..,"k_n_per_m":..}],"y":[...]}; a direction with no modes is rigid.
/// </summary>
public sealed record ToolDynamics(IReadOnlyList<Mode> X, IReadOnlyList<Mode> Y)
{
    /// <summary>Receptance of one direction at ω (rad/s), m/N: Σ 1 / (k·(1 − r² + 2iζr)).</summary>
    public static Complex Receptance(IReadOnlyList<Mode> modes, double omega)
    {
        Complex g = 0;
        foreach (var m in modes)
        {
            double r = omega / m.OmegaN;
            g += 1 / (m.StiffnessNPerM * new Complex(1 - r * r, 2 * m.Zeta * r));
        }
        return g;
    }

    public IEnumerable<Mode> AllModes => X.Concat(Y);

    public static ToolDynamics Parse(string json, string file)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new FormatException($"{file}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException($"{file}: expected an object with \"x\" and/or \"y\" mode lists");
            List<Mode> Read(string dir)
            {
                var list = new List<Mode>();
                if (!doc.RootElement.TryGetProperty(dir, out var arr)) return list;
                if (arr.ValueKind != JsonValueKind.Array) throw new FormatException($"{file}: \"{dir}\" must be an array of modes");
                int i = 0;
                foreach (var m in arr.EnumerateArray())
                {
                    double Get(string name)
                    {
                        if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number)
                            throw new FormatException($"{file}: {dir}[{i}] needs a number \"{name}\"");
                        return v.GetDouble();
                    }
                    var mode = new Mode(Get("fn_hz"), Get("zeta"), Get("k_n_per_m"));
                    if (!(mode.FnHz > 0) || !(mode.Zeta > 0 && mode.Zeta < 1) || !(mode.StiffnessNPerM > 0))
                        throw new FormatException($"{file}: {dir}[{i}]: fn_hz and k_n_per_m must be positive and 0 < zeta < 1");
                    list.Add(mode);
                    i++;
                }
                return list;
            }
            var x = Read("x");
            var y = Read("y");
            if (x.Count + y.Count == 0) throw new FormatException($"{file}: no modes in \"x\" or \"y\": a rigid tool never chatters");
            return new ToolDynamics(x, y);
        }
    }

    public static ToolDynamics Load(string path) => Parse(File.ReadAllText(path), path);
}
