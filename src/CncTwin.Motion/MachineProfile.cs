using System.Text.Json;
using System.Text.Json.Serialization;

namespace CncTwin.Motion;

/// <summary>Limits of one linear axis, in mm, mm/s, mm/s² and mm/s³ (0 jerk = not declared: trapezoidal profiles).</summary>
public sealed record AxisLimits
{
    public double MinMm { get; init; }
    public double MaxMm { get; init; }
    public double MaxVelocityMmPerS { get; init; }
    public double MaxAccelerationMmPerS2 { get; init; }
    public double MaxJerkMmPerS3 { get; init; }
}

/// <summary>How the trajectory planner joins moves (LinuxCNC's [TRAJ] planner settings).</summary>
public sealed record PlannerSettings
{
    /// <summary>Segments the planner looks ahead to make sure it can stop (LinuxCNC ARC_BLEND_OPTIMIZATION_DEPTH).</summary>
    public int LookAheadSegments { get; init; } = 50;
    /// <summary>Tangent arc blends between segments in G64 (LinuxCNC ARC_BLEND_ENABLE).</summary>
    public bool ArcBlending { get; init; } = true;
    /// <summary>Servo / interpolation period in seconds (LinuxCNC [EMCMOT] SERVO_PERIOD).</summary>
    public double ServoPeriodS { get; init; } = 0.001;
    /// <summary>
    /// Highest feed override the operator can dial (LinuxCNC [DISPLAY] MAX_FEED_OVERRIDE): blends are sized
    /// for it, so they stay valid at any override.
    /// </summary>
    public double MaxFeedOverride { get; init; } = 1.0;
    /// <summary>
    /// Joints whose direction change at full speed needs less than this fraction of the axis accelerations
    /// are taken at speed as if tangent (LinuxCNC [TRAJ] ARC_BLEND_TANGENT_KINK_RATIO).
    /// </summary>
    public double TangentKinkRatio { get; init; } = 0.1;
}

/// <summary>Spindle drive: speed range and dynamics, rated power and the torque curve (rpm, N·m), at-speed behaviour.</summary>
public sealed record SpindleModel
{
    public double MaxRpm { get; init; }
    public double AccelerationRpmPerS { get; init; }
    public double RatedPowerW { get; init; }
    /// <summary>Available torque versus speed, as (rpm, N·m) points to interpolate linearly.</summary>
    public IReadOnlyList<double[]> TorqueCurveRpmNm { get; init; } = Array.Empty<double[]>();
    /// <summary>Feed moves after a speed change wait until the spindle is at speed (LinuxCNC spindle.at-speed).</summary>
    public bool WaitForAtSpeed { get; init; }
    /// <summary>The spindle counts as at speed from this fraction of the commanded rpm.</summary>
    public double AtSpeedFraction { get; init; } = 1 / 1.1;
}

/// <summary>
/// The machine's electrical figures for the energy prediction. Defaults are for a mid-size VMC and are assumptions of
/// the right order, not measurements of one machine: Heidenhain's published breakdown for a milling machine puts its
/// CNC control package at 2.0-3.5 kW and the other auxiliaries at 3.9-4.4 kW (coolant supply 1.5-5.1 kW on top), and
/// Gutowski, Dahmus &amp; Thiriez (CIRP LCE 2006) and Kordonowy (MIT 2002) find most of a machining centre's energy
/// goes to such constant loads rather than to cutting. Measure yours (README: energy) and put them in the profile.
/// </summary>
public sealed record EnergyProfile
{
    /// <summary>Constant load while the program runs (controller, drives enabled, lubrication, fans, coolant pump), W.</summary>
    public double BasePowerW { get; init; } = 2500;
    /// <summary>Spindle turning in air: a constant part and one rising with speed (bearing and windage losses), W and W per 1 000 rpm.</summary>
    public double SpindleIdleBaseW { get; init; } = 200;
    public double SpindleIdleWPerKrpm { get; init; } = 90;
    /// <summary>Cutting power over electrical power drawn for it by spindle motor and drive.</summary>
    public double SpindleEfficiency { get; init; } = 0.85;
    /// <summary>Feed axes: power per mm/s of path speed, W·s/mm (energy per mm of travel).</summary>
    public double AxesWPerMmPerS { get; init; } = 1.5;

    public double SpindleIdlePowerW(double rpm) => SpindleIdleBaseW + SpindleIdleWPerKrpm * rpm / 1000;
}

/// <summary>
/// The machine a program runs on: axis travel and dynamics, path limits, planner behaviour, spindle and
/// tool changer. JSON (snake_case) or imported from a LinuxCNC INI; <see cref="DefaultVmc"/> when none is given.
/// </summary>
public sealed record MachineProfile
{
    public string Name { get; init; } = "machine";
    public AxisLimits X { get; init; } = new();
    public AxisLimits Y { get; init; } = new();
    public AxisLimits Z { get; init; } = new();
    /// <summary>Path-speed limit for feeds and rapids ([TRAJ] MAX_LINEAR_VELOCITY), mm/s.</summary>
    public double MaxLinearVelocityMmPerS { get; init; }
    /// <summary>Path-acceleration limit ([TRAJ] MAX_LINEAR_ACCELERATION), mm/s².</summary>
    public double MaxLinearAccelerationMmPerS2 { get; init; }
    public PlannerSettings Planner { get; init; } = new();
    public SpindleModel Spindle { get; init; } = new();
    /// <summary>Chip-to-chip tool change time, s (0 = instant, as a simulator's loop-back changer).</summary>
    public double ToolChangeTimeS { get; init; }
    /// <summary>Electrical figures for the energy prediction.</summary>
    public EnergyProfile Energy { get; init; } = new();

    public AxisLimits Axis(int i) => i switch { 0 => X, 1 => Y, 2 => Z, _ => throw new ArgumentOutOfRangeException(nameof(i)) };

    /// <summary>
    /// A common mid-size 3-axis VMC. Travel, rapids, spindle and tool change follow the published
    /// specification of a Haas VF-2 (762 x 406 x 508 mm, 25.4 m/min rapids, 8 100 rpm, 22.4 kW peak,
    /// 122 N·m, 4.2 s chip-to-chip); acceleration (0.5 g) and jerk (50 m/s³) are typical ball-screw
    /// values, as makers do not publish them.
    /// </summary>
    public static MachineProfile DefaultVmc { get; } = new()
    {
        Name = "generic 3-axis VMC (Haas VF-2 class)",
        X = new AxisLimits { MinMm = -762, MaxMm = 0, MaxVelocityMmPerS = 423.3, MaxAccelerationMmPerS2 = 4903, MaxJerkMmPerS3 = 50_000 },
        Y = new AxisLimits { MinMm = -406, MaxMm = 0, MaxVelocityMmPerS = 423.3, MaxAccelerationMmPerS2 = 4903, MaxJerkMmPerS3 = 50_000 },
        Z = new AxisLimits { MinMm = -508, MaxMm = 0, MaxVelocityMmPerS = 423.3, MaxAccelerationMmPerS2 = 4903, MaxJerkMmPerS3 = 50_000 },
        MaxLinearVelocityMmPerS = 423.3,
        MaxLinearAccelerationMmPerS2 = 4903,
        Planner = new PlannerSettings(),
        Spindle = new SpindleModel
        {
            MaxRpm = 8100,
            AccelerationRpmPerS = 4000,
            RatedPowerW = 22_400,
            // constant torque to the base speed, constant power above it
            TorqueCurveRpmNm = new[] { new[] { 0.0, 122 }, new[] { 1750.0, 122 }, new[] { 8100.0, 26.4 } },
            WaitForAtSpeed = true,
        },
        ToolChangeTimeS = 4.2,
    };

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a JSON machine profile; errors name the file and, where the parser knows it, line and column.</summary>
    public static MachineProfile FromJson(string json, string fileName = "<json>")
    {
        try
        {
            var m = JsonSerializer.Deserialize<MachineProfile>(json, Json) ?? throw new MachineProfileException(fileName, 0, "empty machine profile");
            m.Validate(fileName);
            return m;
        }
        catch (JsonException ex)
        {
            int line = (int)(ex.LineNumber ?? -1) + 1;
            throw new MachineProfileException(fileName, line, CncTwin.Core.IO.JsonErrors.Reason(ex));
        }
    }

    /// <summary>Loads a machine: <c>.ini</c> is read as a LinuxCNC configuration, anything else as JSON.</summary>
    public static MachineProfile Load(string path)
    {
        if (!File.Exists(path)) throw new MachineProfileException(path, 0, "machine file not found");
        return path.EndsWith(".ini", StringComparison.OrdinalIgnoreCase)
            ? LinuxCncIni.Load(path)
            : FromJson(File.ReadAllText(path), path);
    }

    /// <summary>Rejects limits a planner cannot work with.</summary>
    public void Validate(string fileName)
    {
        var e = Energy ?? throw new MachineProfileException(fileName, 0, "energy: must be an object");
        foreach (var (name, v) in new[] { ("base_power_w", e.BasePowerW), ("spindle_idle_base_w", e.SpindleIdleBaseW), ("spindle_idle_w_per_krpm", e.SpindleIdleWPerKrpm), ("axes_w_per_mm_per_s", e.AxesWPerMmPerS) })
            if (!double.IsFinite(v) || v < 0) throw new MachineProfileException(fileName, 0, $"energy: {name} must be a number >= 0");
        if (!(e.SpindleEfficiency > 0 && e.SpindleEfficiency <= 1)) throw new MachineProfileException(fileName, 0, "energy: spindle_efficiency must be in (0, 1]");
        foreach (var (name, a) in new[] { ("x", X), ("y", Y), ("z", Z) })
        {
            if (!double.IsFinite(a.MinMm) || !double.IsFinite(a.MaxMm) || !double.IsFinite(a.MaxVelocityMmPerS) || !double.IsFinite(a.MaxAccelerationMmPerS2) || !double.IsFinite(a.MaxJerkMmPerS3))
                throw new MachineProfileException(fileName, 0, $"axis {name}: every limit must be a finite number");
            if (!(a.MaxVelocityMmPerS > 0)) throw new MachineProfileException(fileName, 0, $"axis {name}: max_velocity_mm_per_s must be > 0");
            if (!(a.MaxAccelerationMmPerS2 > 0)) throw new MachineProfileException(fileName, 0, $"axis {name}: max_acceleration_mm_per_s2 must be > 0");
            if (a.MaxJerkMmPerS3 < 0) throw new MachineProfileException(fileName, 0, $"axis {name}: max_jerk_mm_per_s3 must be >= 0");
            if (a.MinMm > a.MaxMm) throw new MachineProfileException(fileName, 0, $"axis {name}: min_mm is above max_mm");
        }
        if (!double.IsFinite(MaxLinearVelocityMmPerS) || !double.IsFinite(MaxLinearAccelerationMmPerS2) || !double.IsFinite(ToolChangeTimeS))
            throw new MachineProfileException(fileName, 0, "max_linear_velocity_mm_per_s, max_linear_acceleration_mm_per_s2 and tool_change_time_s must be finite numbers");
        if (!(MaxLinearVelocityMmPerS > 0)) throw new MachineProfileException(fileName, 0, "max_linear_velocity_mm_per_s must be > 0");
        if (!(MaxLinearAccelerationMmPerS2 > 0)) throw new MachineProfileException(fileName, 0, "max_linear_acceleration_mm_per_s2 must be > 0");
        if (!(Planner.ServoPeriodS > 0) || Planner.ServoPeriodS > 0.1) throw new MachineProfileException(fileName, 0, "planner.servo_period_s must be in (0, 0.1]");
        if (!(Planner.MaxFeedOverride >= 1) || Planner.MaxFeedOverride > 10) throw new MachineProfileException(fileName, 0, "planner.max_feed_override must be in [1, 10]");
        if (!(Planner.TangentKinkRatio >= 0) || Planner.TangentKinkRatio > 1) throw new MachineProfileException(fileName, 0, "planner.tangent_kink_ratio must be in [0, 1]");
        if (Planner.LookAheadSegments < 1) throw new MachineProfileException(fileName, 0, "planner.look_ahead_segments must be >= 1");
        // A milling machine's spindle has a top speed: S words above it are run at it (SpindleSpeedLimit), so 0 (or a
        // missing spindle section) would clamp every cut to a standstill.
        if (!(Spindle.MaxRpm > 0) || !double.IsFinite(Spindle.MaxRpm)) throw new MachineProfileException(fileName, 0, "spindle.max_rpm must be a speed > 0 (rpm): the spindle's top speed");
        if (!(Spindle.AccelerationRpmPerS >= 0) || !double.IsFinite(Spindle.AccelerationRpmPerS)) throw new MachineProfileException(fileName, 0, "spindle.acceleration_rpm_per_s must be >= 0");
        if (!(Spindle.AtSpeedFraction > 0 && Spindle.AtSpeedFraction <= 1)) throw new MachineProfileException(fileName, 0, "spindle.at_speed_fraction must be in (0, 1]");
        if (!(Spindle.RatedPowerW >= 0)) throw new MachineProfileException(fileName, 0, "spindle.rated_power_w must be >= 0");
        if (double.IsInfinity(Spindle.RatedPowerW)) throw new MachineProfileException(fileName, 0, "spindle.rated_power_w must be a finite number");
        double lastRpm = double.NegativeInfinity;
        foreach (var p in Spindle.TorqueCurveRpmNm)
        {
            if (p is not { Length: 2 } || !double.IsFinite(p[0]) || !double.IsFinite(p[1]))
                throw new MachineProfileException(fileName, 0, "spindle: torque_curve_rpm_nm must be a list of [rpm, N·m] pairs of finite numbers");
            if (p[0] < 0 || p[1] < 0) throw new MachineProfileException(fileName, 0, $"spindle: torque_curve_rpm_nm point [{p[0]}, {p[1]}]: speed and torque must be >= 0");
            if (p[0] <= lastRpm) throw new MachineProfileException(fileName, 0, "spindle: torque_curve_rpm_nm speeds must increase from point to point");
            lastRpm = p[0];
        }
        if (ToolChangeTimeS < 0) throw new MachineProfileException(fileName, 0, "tool_change_time_s must be >= 0");
    }
}

/// <summary>A machine file that cannot be used, with the file and (where known, else 0) the line.</summary>
public sealed class MachineProfileException(string file, int line, string reason)
    : Exception(line > 0 ? $"{file}:{line}: {reason}" : $"{file}: {reason}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public string Reason { get; } = reason;
}
