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
        // A value checked where it was written: the message names the INI section, key and line, never a JSON key.
        double? Checked(string sec, string key, Func<double, bool> ok, string rule)
        {
            if (Num(sec, key) is not double d) return null;
            if (!ok(d)) throw new MachineProfileException(fileName, ini[sec][key].Line, $"[{sec}] {key} = {ini[sec][key].Value}: {rule}");
            return d;
        }
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
            static bool Positive(double v) => v > 0;
            double Need(string key) => (Checked(a, key, Positive, "must be > 0") ?? Checked(j, key, Positive, "must be > 0"))
                ?? throw new MachineProfileException(fileName, 0, $"[{a}] (or [{j}]) {key} is missing");
            var limits = new AxisLimits
            {
                MinMm = (Num(a, "MIN_LIMIT") ?? Num(j, "MIN_LIMIT") ?? -1e9) * mm,
                MaxMm = (Num(a, "MAX_LIMIT") ?? Num(j, "MAX_LIMIT") ?? 1e9) * mm,
                MaxVelocityMmPerS = Need("MAX_VELOCITY") * mm,
                MaxAccelerationMmPerS2 = Need("MAX_ACCELERATION") * mm,
                MaxJerkMmPerS3 = (Checked(a, "MAX_JERK", v => v >= 0, "must be >= 0") ?? Checked(j, "MAX_JERK", v => v >= 0, "must be >= 0") ?? 0) * mm,
            };
            if (limits.MinMm > limits.MaxMm)
            {
                string sec = Num(a, "MAX_LIMIT") != null ? a : j;
                int line = ini.TryGetValue(sec, out var keys) && keys.TryGetValue("MAX_LIMIT", out var v) ? v.Line : 0;
                throw new MachineProfileException(fileName, line, $"[{sec}] MAX_LIMIT is below MIN_LIMIT");
            }
            return limits;
        }

        var x = Axis('X', 0); var y = Axis('Y', 1); var z = Axis('Z', 2);
        double maxAxisVel = Math.Sqrt(x.MaxVelocityMmPerS * x.MaxVelocityMmPerS + y.MaxVelocityMmPerS * y.MaxVelocityMmPerS + z.MaxVelocityMmPerS * z.MaxVelocityMmPerS);
        double maxAxisAcc = Math.Sqrt(x.MaxAccelerationMmPerS2 * x.MaxAccelerationMmPerS2 + y.MaxAccelerationMmPerS2 * y.MaxAccelerationMmPerS2 + z.MaxAccelerationMmPerS2 * z.MaxAccelerationMmPerS2);
        var profile = new MachineProfile
        {
            Name = Str("EMC", "MACHINE") ?? Path.GetFileNameWithoutExtension(fileName),
            X = x, Y = y, Z = z,
            // Without [TRAJ] limits the axes alone bound the path.
            MaxLinearVelocityMmPerS = (Checked("TRAJ", "MAX_LINEAR_VELOCITY", v => v > 0, "must be > 0") ?? Checked("TRAJ", "MAX_VELOCITY", v => v > 0, "must be > 0")) * mm ?? maxAxisVel,
            MaxLinearAccelerationMmPerS2 = (Checked("TRAJ", "MAX_LINEAR_ACCELERATION", v => v > 0, "must be > 0") ?? Checked("TRAJ", "MAX_ACCELERATION", v => v > 0, "must be > 0")) * mm ?? maxAxisAcc,
            Planner = new PlannerSettings
            {
                LookAheadSegments = (int)(Checked("TRAJ", "ARC_BLEND_OPTIMIZATION_DEPTH", v => v >= 1 && v <= 100_000 && v == Math.Floor(v), "must be a whole number of segments, 1 or more") ?? 50),
                ArcBlending = (Num("TRAJ", "ARC_BLEND_ENABLE") ?? 1) != 0,
                ServoPeriodS = (Checked("EMCMOT", "SERVO_PERIOD", v => v > 0 && v <= 1e8, "must be in (0, 100 000 000] ns") ?? 1_000_000) * 1e-9,
                MaxFeedOverride = Checked("DISPLAY", "MAX_FEED_OVERRIDE", v => v >= 1 && v <= 10, "must be in [1, 10]") ?? 1.0,
                TangentKinkRatio = Checked("TRAJ", "ARC_BLEND_TANGENT_KINK_RATIO", v => v >= 0 && v <= 1, "must be in [0, 1]") ?? 0.1,
            },
            // A LinuxCNC INI does not describe the spindle drive; the simulated one ramps at 5000 rpm/s
            // and feed moves wait for at-speed (see shared/oracles/linuxcnc-sim/NOTES.md).
            Spindle = new SpindleModel
            {
                MaxRpm = Checked("SPINDLE_0", "MAX_FORWARD_VELOCITY", v => v > 0, "must be > 0 rpm") ?? 24_000,
                AccelerationRpmPerS = 5000,
                WaitForAtSpeed = true,
            },
            ToolChangeTimeS = 0,
        };
        profile.Validate(fileName);
        return profile;
    }
}
