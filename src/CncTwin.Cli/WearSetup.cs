using System.Globalization;
using CncTwin.Wear;

namespace CncTwin.Cli;

/// <summary>The wear stage from the command line: the wear law per tool (its tool material on the work material), the VB limit and the tools' current wear.</summary>
internal static class WearSetup
{
    public static ToolWearSimulator Create(SimulationSetup setup, SimulateCommand.MechanicsArgs args, Action<string>? warn)
    {
        if (!(args.VbLimitUm > 0) || !double.IsFinite(args.VbLimitUm)) throw new ArgumentException("--vb-limit must be a positive number of µm");
        var initial = ParseInitial(args.InitialWear);
        var lib = WearLibrary.BuiltIn();
        var warned = new HashSet<string>();
        string work = setup.LoadOptions.MaterialName;
        WearLaw? LawFor(int tool)
        {
            string toolMaterial = setup.Library.Get(tool)?.ToolMaterial ?? "carbide";
            var law = lib.Law(toolMaterial, work, setup.LoadOptions.Coefficients, args.VbLimitUm);
            if (law == null && warned.Add(toolMaterial))
                warn?.Invoke($"no wear parameters for {toolMaterial} on '{work}' (src/CncTwin.Wear/wear.json): tool wear not predicted for tool {tool}");
            return law;
        }
        return new ToolWearSimulator(LawFor, args.VbLimitUm, initial) { Warn = warn };
    }

    private static Dictionary<int, double> ParseInitial(string? text)
    {
        var d = new Dictionary<int, double>();
        if (string.IsNullOrWhiteSpace(text)) return d;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=');
            if (kv.Length != 2 || !int.TryParse(kv[0].Trim().TrimStart('T', 't'), NumberStyles.Integer, CultureInfo.InvariantCulture, out int tool) || tool < 0
                || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double um) || !(um >= 0) || !double.IsFinite(um))
                throw new ArgumentException($"--initial-wear '{part}': expected TOOL=MICRONS, e.g. 3=120");
            d[tool] = um;
        }
        return d;
    }
}
