using System.Text.Json;
using CncTwin.Core.IO;
using CncTwin.Mechanics;
using CncTwin.Motion;

namespace CncTwin.Simulation;

/// <summary>
/// Predicted electrical energy of a program on its machine, in the breakdown the energy studies of machine tools use
/// (Gutowski et al. 2006; Kordonowy 2002): the machine's base load for the whole run, the spindle turning without
/// cutting, the cutting itself through the spindle drive's efficiency, and the feed axes moving.
/// </summary>
public sealed class EnergyAccount(EnergyProfile profile, PlanSummary plan) : ISummaryContributor
{
    public double CuttingJ { get; private set; }
    public double SpindleIdleJ { get; private set; }
    public double AxesJ { get; private set; }
    /// <summary>The program's whole time so far, from the plan (the base load runs all of it).</summary>
    public double TotalTimeS => plan.TotalTimeS;
    public double BaseJ => profile.BasePowerW * TotalTimeS;
    public double TotalJ => CuttingJ + SpindleIdleJ + AxesJ + BaseJ;

    public void Add(PlannedMove m, MoveLoads? loads)
    {
        double dt = m.DurationS;
        if (!(dt > 0)) return;
        double rpm = Math.Abs(m.Move.SpindleRpm);
        if (rpm > 0) SpindleIdleJ += profile.SpindleIdlePowerW(rpm) * dt;
        // Axis power grows with speed (friction, mostly viscous at these speeds): energy = k·speed·time = k·path length.
        AxesJ += profile.AxesWPerMmPerS * m.Path.LengthMm;
        if (loads is not { Cutting: true } || loads.Probes.Length == 0 || !(rpm > 0)) return;
        // Mean cutting power over the move: its probes evaluated at the move's chip load (repeated signatures once).
        double sum = 0; ForceSignature? last = null; double lastW = 0;
        foreach (var sig in loads.Probes)
        {
            if (!sig.Engaged) continue;
            if (!ReferenceEquals(sig, last)) { last = sig; lastW = sig.Evaluate(loads.FeedPerToothMm, rpm).PowerMeanW; }
            sum += lastW;
        }
        double meanW = sum / loads.Probes.Length;
        if (double.IsFinite(meanW) && meanW > 0) CuttingJ += meanW / profile.SpindleEfficiency * dt;
    }

    public void WriteSummary(Utf8JsonWriter w)
    {
        const double kWh = 3.6e6;
        w.WriteNumber("energy_kwh", Math.Round(TotalJ / kWh, 5));
        w.WriteStartObject("energy_breakdown_kwh");
        w.WriteNumber("spindle_cutting", Math.Round(CuttingJ / kWh, 5));
        w.WriteNumber("spindle_idle", Math.Round(SpindleIdleJ / kWh, 5));
        w.WriteNumber("axes", Math.Round(AxesJ / kWh, 5));
        w.WriteNumber("base", Math.Round(BaseJ / kWh, 5));
        w.WriteEndObject();
        w.WriteStartObject("energy_profile");
        w.WriteNumber("base_power_w", profile.BasePowerW);
        w.WriteNumber("spindle_idle_base_w", profile.SpindleIdleBaseW);
        w.WriteNumber("spindle_idle_w_per_krpm", profile.SpindleIdleWPerKrpm);
        w.WriteNumber("spindle_efficiency", profile.SpindleEfficiency);
        w.WriteNumber("axes_w_per_mm_per_s", profile.AxesWPerMmPerS);
        w.WriteEndObject();
    }
}
