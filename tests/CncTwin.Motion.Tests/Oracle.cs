using CncTwin.GCode;

namespace CncTwin.Motion.Tests;

/// <summary>LinuxCNC's planner as recorded in tests/oracle-data/linuxcnc-sim (see its record.sh), and the oracle's machine.</summary>
public static class Oracle
{
    public static string DataDir
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "CncTwin.sln"))) dir = dir.Parent;
            return Path.Combine(dir!.FullName, "tests", "oracle-data", "linuxcnc-sim");
        }
    }

    // The oracle machine's limits as its INI declares them (template/oracle.ini), so the test does not
    // need ../shared: X/Y/Z 30.48 mm/s, 508 mm/s², path 53.34 mm/s / 508 mm/s², 1 ms servo period, feed override up to 1.2.
    public static MachineProfile Machine => LinuxCncIni.Parse(new StringReader("""
        [DISPLAY]
        MAX_FEED_OVERRIDE = 1.2
        [TRAJ]
        LINEAR_UNITS = mm
        MAX_LINEAR_VELOCITY = 53.34
        MAX_LINEAR_ACCELERATION = 508
        ARC_BLEND_ENABLE = 1
        ARC_BLEND_OPTIMIZATION_DEPTH = 50
        [EMCMOT]
        SERVO_PERIOD = 1000000
        [AXIS_X]
        MAX_VELOCITY = 30.48
        MAX_ACCELERATION = 508
        [AXIS_Y]
        MAX_VELOCITY = 30.48
        MAX_ACCELERATION = 508
        [AXIS_Z]
        MAX_VELOCITY = 30.48
        MAX_ACCELERATION = 508
        """), "oracle.ini");

    public static IEnumerable<string> ProgramNames() =>
        Directory.EnumerateFiles(Path.Combine(DataDir, "programs"), "*.ngc").Select(Path.GetFileNameWithoutExtension).OrderBy(f => f, StringComparer.Ordinal)!;

    public static string ProgramPath(string name) => Path.Combine(DataDir, "programs", name + ".ngc");

    /// <summary>The recorded trace: time (s, from the program window's start) and commanded position, 10 ms apart.</summary>
    public static List<(double T, CncTwin.Core.Vec3 P, int Line)> Trace(string name)
    {
        var rows = new List<(double, CncTwin.Core.Vec3, int)>();
        using var r = new StreamReader(Path.Combine(DataDir, "recorded", name + ".trace.csv"));
        var header = r.ReadLine()!.Split(',');
        int it = Array.IndexOf(header, "t_s"), ix = Array.IndexOf(header, "x"), iy = Array.IndexOf(header, "y"), iz = Array.IndexOf(header, "z"), il = Array.IndexOf(header, "line");
        var ic = System.Globalization.CultureInfo.InvariantCulture;
        for (string? line; (line = r.ReadLine()) != null;)
        {
            var f = line.Split(',');
            rows.Add((double.Parse(f[it], ic), new CncTwin.Core.Vec3(double.Parse(f[ix], ic), double.Parse(f[iy], ic), double.Parse(f[iz], ic)), int.Parse(f[il], ic)));
        }
        return rows;
    }
}
