using System.Globalization;

namespace CncTwin.Motion;

/// <summary>
/// Imports a machine from a LinuxCNC INI file: [TRAJ] units and path limits, [AXIS_X/Y/Z] (or, where an
/// axis section lacks a value, the matching [JOINT_n] of a trivkins machine) velocities, accelerations
/// and travel, [EMCMOT] SERVO_PERIOD and the [TRAJ] arc-blend planner settings. Inch machines are
/// converted to mm.
/// </summary>
public static class LinuxCncIni
{
    public static MachineProfile Load(string path)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }

    public static MachineProfile Parse(TextReader reader, string fileName)
    {
        // section -> key -> (value, line); LinuxCNC takes the first occurrence of a key
        var ini = new Dictionary<string, Dictionary<string, (string Value, int Line)>>(StringComparer.OrdinalIgnoreCase);
        string section = "";
        int lineNo = 0;
        for (string? raw; (raw = reader.ReadLine()) != null;)
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[')
            {
                int close = line.IndexOf(']');
                if (close < 0) throw new MachineProfileException(fileName, lineNo, "section header without ']'");
                section = line[1..close].Trim();
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq < 0) throw new MachineProfileException(fileName, lineNo, $"expected KEY = VALUE, found '{line}'");
            var keys = ini.TryGetValue(section, out var k) ? k : ini[section] = new(StringComparer.OrdinalIgnoreCase);
            keys.TryAdd(line[..eq].Trim(), (line[(eq + 1)..].Trim(), lineNo));
        }

        string? Str(string sec, string key) => ini.TryGetValue(sec, out var s) && s.TryGetValue(key, out var v) ? v.Value : null;
        double? Num(string sec, string key)
        {
            if (!ini.TryGetValue(sec, out var s) || !s.TryGetValue(key, out var v)) return null;
            if (double.TryParse(v.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)) return d;
            throw new MachineProfileException(fileName, v.Line, $"[{sec}] {key} = '{v.Value}' is not a number");
        }

        string units = (Str("TRAJ", "LINEAR_UNITS") ?? "mm").ToLowerInvariant();
        double mm = units switch
        {
            "mm" or "metric" or "millimeter" or "millimeters" => 1,
            "inch" or "in" or "imperial" or "inches" => 25.4,
            _ => double.TryParse(units, NumberStyles.Float, CultureInfo.InvariantCulture, out double perUnit) && perUnit > 0
                ? 1 / perUnit // LinuxCNC also accepts "units per mm"
                : throw new MachineProfileException(fileName, 0, $"[TRAJ] LINEAR_UNITS '{units}' is not mm or inch"),
        };

        AxisLimits Axis(char letter, int joint)
        {
            string a = "AXIS_" + letter, j = "JOINT_" + joint.ToString(CultureInfo.InvariantCulture);
            double Need(string key) => (Num(a, key) ?? Num(j, key)) ?? throw new MachineProfileException(fileName, 0, $"[{a}] (or [{j}]) {key} is missing");
            return new AxisLimits
            {
                MinMm = (Num(a, "MIN_LIMIT") ?? Num(j, "MIN_LIMIT") ?? -1e9) * mm,
                MaxMm = (Num(a, "MAX_LIMIT") ?? Num(j, "MAX_LIMIT") ?? 1e9) * mm,
                MaxVelocityMmPerS = Need("MAX_VELOCITY") * mm,
                MaxAccelerationMmPerS2 = Need("MAX_ACCELERATION") * mm,
                MaxJerkMmPerS3 = (Num(a, "MAX_JERK") ?? Num(j, "MAX_JERK") ?? 0) * mm,
            };
        }

        var x = Axis('X', 0); var y = Axis('Y', 1); var z = Axis('Z', 2);
        double maxAxisVel = Math.Sqrt(x.MaxVelocityMmPerS * x.MaxVelocityMmPerS + y.MaxVelocityMmPerS * y.MaxVelocityMmPerS + z.MaxVelocityMmPerS * z.MaxVelocityMmPerS);
        double maxAxisAcc = Math.Sqrt(x.MaxAccelerationMmPerS2 * x.MaxAccelerationMmPerS2 + y.MaxAccelerationMmPerS2 * y.MaxAccelerationMmPerS2 + z.MaxAccelerationMmPerS2 * z.MaxAccelerationMmPerS2);
        var profile = new MachineProfile
        {
            Name = Str("EMC", "MACHINE") ?? Path.GetFileNameWithoutExtension(fileName),
            X = x, Y = y, Z = z,
            // Without [TRAJ] limits the axes alone bound the path.
            MaxLinearVelocityMmPerS = (Num("TRAJ", "MAX_LINEAR_VELOCITY") ?? Num("TRAJ", "MAX_VELOCITY")) * mm ?? maxAxisVel,
            MaxLinearAccelerationMmPerS2 = (Num("TRAJ", "MAX_LINEAR_ACCELERATION") ?? Num("TRAJ", "MAX_ACCELERATION")) * mm ?? maxAxisAcc,
            Planner = new PlannerSettings
            {
                LookAheadSegments = (int)(Num("TRAJ", "ARC_BLEND_OPTIMIZATION_DEPTH") ?? 50),
                ArcBlending = (Num("TRAJ", "ARC_BLEND_ENABLE") ?? 1) != 0,
                ServoPeriodS = (Num("EMCMOT", "SERVO_PERIOD") ?? 1_000_000) * 1e-9,
                MaxFeedOverride = Num("DISPLAY", "MAX_FEED_OVERRIDE") ?? 1.0,
                TangentKinkRatio = Num("TRAJ", "ARC_BLEND_TANGENT_KINK_RATIO") ?? 0.1,
            },
            // A LinuxCNC INI does not describe the spindle drive; the simulated one ramps at 5000 rpm/s
            // and feed moves wait for at-speed (see shared/oracles/linuxcnc-sim/NOTES.md).
            Spindle = new SpindleModel
            {
                // An INI gives it in rpm; Validate refuses 0 or less (no spindle can cut at that top speed).
                MaxRpm = Num("SPINDLE_0", "MAX_FORWARD_VELOCITY") ?? 24_000,
                AccelerationRpmPerS = 5000,
                WaitForAtSpeed = true,
            },
            ToolChangeTimeS = 0,
        };
        profile.Validate(fileName);
        return profile;
    }
}
