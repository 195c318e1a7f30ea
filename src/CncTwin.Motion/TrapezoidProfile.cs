namespace CncTwin.Motion;

/// <summary>Speed along one segment versus time: what the planner hands on (trapezoidal or jerk-limited).</summary>
public interface ISpeedProfile
{
    double LengthMm { get; }
    double EntryMmPerS { get; }
    double ExitMmPerS { get; }
    /// <summary>The highest speed reached on the segment.</summary>
    double PeakMmPerS { get; }
    /// <summary>The acceleration limit the profile was planned with, mm/s².</summary>
    double AccelerationMmPerS2 { get; }
    double TotalS { get; }
    /// <summary>Distance travelled (mm) and speed (mm/s) at time t (s) after the segment starts.</summary>
    (double DistanceMm, double SpeedMmPerS) At(double t);
}

/// <summary>
/// Time-optimal velocity profile along one segment of length L under a speed cap and a constant
/// acceleration limit, from an entry speed to an exit speed: accelerate, cruise, decelerate (a triangle
/// when there is no room to cruise). Closed form; the building block of the planner's per-segment profile.
/// </summary>
public readonly record struct TrapezoidProfile : ISpeedProfile
{
    public double LengthMm { get; }
    public double EntryMmPerS { get; }
    public double ExitMmPerS { get; }
    /// <summary>The highest speed actually reached (the cruise speed, or the triangle's peak).</summary>
    public double PeakMmPerS { get; }
    public double AccelerationMmPerS2 { get; }
    public double AccelerateS { get; }
    public double CruiseS { get; }
    public double DecelerateS { get; }
    public double TotalS => AccelerateS + CruiseS + DecelerateS;

    /// <summary>
    /// Plans the segment. If the exit speed cannot be reached within L from the entry speed, the exit
    /// is lowered (or raised) to what the acceleration allows; callers doing look-ahead avoid that case.
    /// </summary>
    public TrapezoidProfile(double lengthMm, double entryMmPerS, double exitMmPerS, double maxMmPerS, double accelerationMmPerS2)
    {
        if (!(lengthMm >= 0)) throw new ArgumentOutOfRangeException(nameof(lengthMm), "segment length must be >= 0");
        if (!(maxMmPerS > 0)) throw new ArgumentOutOfRangeException(nameof(maxMmPerS), "speed cap must be > 0");
        if (!(accelerationMmPerS2 > 0)) throw new ArgumentOutOfRangeException(nameof(accelerationMmPerS2), "acceleration must be > 0");
        double a = accelerationMmPerS2;
        double v0 = Math.Clamp(entryMmPerS, 0, maxMmPerS);
        double v1 = Math.Clamp(exitMmPerS, 0, maxMmPerS);
        // Reachable exit speeds from v0 over L: v1² within v0² ± 2aL.
        double reachHi = Math.Sqrt(v0 * v0 + 2 * a * lengthMm);
        double reachLo = Math.Sqrt(Math.Max(0, v0 * v0 - 2 * a * lengthMm));
        v1 = Math.Clamp(v1, reachLo, reachHi);
        // Peak of the triangle through (v0, v1): the speed where accelerating and decelerating distances sum to L.
        double peak = Math.Sqrt((2 * a * lengthMm + v0 * v0 + v1 * v1) / 2);
        double vp = Math.Min(peak, maxMmPerS);
        vp = Math.Max(vp, Math.Max(v0, v1));
        double ta = (vp - v0) / a, td = (vp - v1) / a;
        double da = (vp * vp - v0 * v0) / (2 * a), dd = (vp * vp - v1 * v1) / (2 * a);
        double cruise = Math.Max(0, lengthMm - da - dd);
        LengthMm = lengthMm; EntryMmPerS = v0; ExitMmPerS = v1; PeakMmPerS = vp; AccelerationMmPerS2 = a;
        AccelerateS = ta; DecelerateS = td; CruiseS = vp > 0 ? cruise / vp : 0;
    }

    /// <summary>Distance travelled (mm) and speed (mm/s) at time t (s) after the segment starts.</summary>
    public (double DistanceMm, double SpeedMmPerS) At(double t)
    {
        double a = AccelerationMmPerS2;
        if (t <= 0) return (0, EntryMmPerS);
        if (t < AccelerateS) return (EntryMmPerS * t + 0.5 * a * t * t, EntryMmPerS + a * t);
        double da = (PeakMmPerS * PeakMmPerS - EntryMmPerS * EntryMmPerS) / (2 * a);
        t -= AccelerateS;
        if (t < CruiseS) return (da + PeakMmPerS * t, PeakMmPerS);
        double dc = da + PeakMmPerS * CruiseS;
        t -= CruiseS;
        if (t < DecelerateS) return (dc + PeakMmPerS * t - 0.5 * a * t * t, PeakMmPerS - a * t);
        return (LengthMm, ExitMmPerS);
    }
}
