namespace CncTwin.Motion;

/// <summary>
/// Jerk-limited speed changes: a ramp from one speed to another with zero acceleration at both ends, jerk
/// ±J and acceleration at most A (the classic 7-phase "S-curve" split into its accelerate and decelerate
/// halves). A ramp is symmetric, so its distance is the mean of its end speeds times its duration.
/// </summary>
public static class JerkLimited
{
    /// <summary>Duration of a ramp between speeds that differ by dv (mm/s).</summary>
    public static double RampTime(double dv, double a, double j)
    {
        dv = Math.Abs(dv);
        return dv >= a * a / j ? dv / a + a / j : 2 * Math.Sqrt(dv / j);
    }

    /// <summary>Distance a ramp between speeds v1 and v2 covers.</summary>
    public static double RampDistance(double v1, double v2, double a, double j) => (v1 + v2) / 2 * RampTime(v2 - v1, a, j);

    /// <summary>
    /// The highest speed that can be reached from (or that can still come down to) speed c within distance d:
    /// the v >= c with RampDistance(c, v) = d, closed form (a depressed cubic without, a quadratic with, an
    /// acceleration plateau).
    /// </summary>
    public static double MaxSpeedWithin(double c, double d, double a, double j)
    {
        if (d <= 0) return c;
        // No plateau: d = (2c + x²)·x/√j with x = √(v - c)  =>  x³ + 2c·x − d·√j = 0 (one real root).
        double p = 2 * c, q = d * Math.Sqrt(j);
        double disc = Math.Sqrt(q * q / 4 + p * p * p / 27);
        double x = Math.Cbrt(q / 2 + disc) + Math.Cbrt(q / 2 - disc);
        double dv = x * x;
        if (dv < a * a / j) return c + dv;
        // Plateau: d = (v² − c²)/(2a) + (v + c)·a/(2j)  =>  v² + v·a²/j − c² + c·a²/j − 2a·d = 0.
        double b = a * a / j;
        return (-b + Math.Sqrt(b * b + 4 * (c * c - c * b + 2 * a * d))) / 2;
    }

    /// <summary>Distance travelled and speed τ seconds into a ramp from vs to ve (τ clamped to the ramp).</summary>
    internal static (double S, double V) RampAt(double vs, double ve, double a, double j, double tau)
    {
        double dv = Math.Abs(ve - vs), sg = ve >= vs ? 1 : -1;
        double tj, ta, ap;
        if (dv >= a * a / j) { tj = a / j; ta = dv / a - a / j; ap = a; }
        else { tj = Math.Sqrt(dv / j); ta = 0; ap = j * tj; }
        tau = Math.Clamp(tau, 0, 2 * tj + ta);
        if (tau < tj) return (vs * tau + sg * j * tau * tau * tau / 6, vs + sg * j * tau * tau / 2);
        double v1 = vs + sg * j * tj * tj / 2, s1 = vs * tj + sg * j * tj * tj * tj / 6;
        if (tau < tj + ta)
        {
            double t2 = tau - tj;
            return (s1 + v1 * t2 + sg * ap * t2 * t2 / 2, v1 + sg * ap * t2);
        }
        double v2 = v1 + sg * ap * ta, s2 = s1 + v1 * ta + sg * ap * ta * ta / 2;
        double t3 = tau - tj - ta;
        return (s2 + v2 * t3 + sg * (ap * t3 * t3 / 2 - j * t3 * t3 * t3 / 6), v2 + sg * (ap * t3 - j * t3 * t3 / 2));
    }
}

/// <summary>
/// Jerk-limited (S-curve) speed profile along one segment: ramp from the entry speed up to a peak, cruise,
/// ramp down to the exit speed, acceleration zero at both ends so consecutive segments join smoothly.
/// The peak is the highest speed (≤ the cap) whose two ramps fit in the segment.
/// </summary>
public sealed class SCurveProfile : ISpeedProfile
{
    public double LengthMm { get; }
    public double EntryMmPerS { get; }
    public double ExitMmPerS { get; }
    public double PeakMmPerS { get; }
    public double AccelerationMmPerS2 { get; }
    public double JerkMmPerS3 { get; }
    public double AccelerateS { get; }
    public double CruiseS { get; }
    public double DecelerateS { get; }
    public double TotalS => AccelerateS + CruiseS + DecelerateS;

    /// <summary>
    /// Plans the segment. An exit speed that cannot be reached within the length from the entry speed is
    /// moved to the nearest reachable one (look-ahead callers avoid that case).
    /// </summary>
    public SCurveProfile(double lengthMm, double entryMmPerS, double exitMmPerS, double maxMmPerS, double accelerationMmPerS2, double jerkMmPerS3)
    {
        if (!(lengthMm >= 0)) throw new ArgumentOutOfRangeException(nameof(lengthMm), "segment length must be >= 0");
        if (!(maxMmPerS > 0)) throw new ArgumentOutOfRangeException(nameof(maxMmPerS), "speed cap must be > 0");
        if (!(accelerationMmPerS2 > 0)) throw new ArgumentOutOfRangeException(nameof(accelerationMmPerS2), "acceleration must be > 0");
        if (!(jerkMmPerS3 > 0)) throw new ArgumentOutOfRangeException(nameof(jerkMmPerS3), "jerk must be > 0");
        double a = accelerationMmPerS2, j = jerkMmPerS3, l = lengthMm;
        double v0 = Math.Clamp(entryMmPerS, 0, maxMmPerS);
        double v1 = Math.Clamp(exitMmPerS, 0, maxMmPerS);
        if (JerkLimited.RampDistance(Math.Min(v0, v1), Math.Max(v0, v1), a, j) > l)
        {
            if (v1 > v0) v1 = Math.Min(v1, JerkLimited.MaxSpeedWithin(v0, l, a, j));
            else v1 = LowestReachable(v0, l, a, j);
        }
        double vp = Math.Min(maxMmPerS, JerkLimited.MaxSpeedWithin(Math.Max(v0, v1), l, a, j));
        vp = Math.Max(vp, Math.Max(v0, v1));
        if (JerkLimited.RampDistance(v0, vp, a, j) + JerkLimited.RampDistance(v1, vp, a, j) > l)
        {
            // Bisection on the peak: ramp distances grow monotonically with it.
            double lo = Math.Max(v0, v1), hi = vp;
            for (int i = 0; i < 60 && hi - lo > 1e-12 * Math.Max(1, hi); i++)
            {
                double mid = (lo + hi) / 2;
                if (JerkLimited.RampDistance(v0, mid, a, j) + JerkLimited.RampDistance(v1, mid, a, j) <= l) lo = mid; else hi = mid;
            }
            vp = lo;
        }
        double dUp = JerkLimited.RampDistance(v0, vp, a, j), dDown = JerkLimited.RampDistance(v1, vp, a, j);
        LengthMm = l; EntryMmPerS = v0; ExitMmPerS = v1; PeakMmPerS = vp; AccelerationMmPerS2 = a; JerkMmPerS3 = j;
        AccelerateS = JerkLimited.RampTime(vp - v0, a, j);
        DecelerateS = JerkLimited.RampTime(vp - v1, a, j);
        CruiseS = vp > 0 ? Math.Max(0, l - dUp - dDown) / vp : 0;
    }

    private static double LowestReachable(double v0, double l, double a, double j)
    {
        double lo = 0, hi = v0;
        if (JerkLimited.RampDistance(0, v0, a, j) <= l) return 0;
        for (int i = 0; i < 60; i++)
        {
            double mid = (lo + hi) / 2;
            if (JerkLimited.RampDistance(mid, v0, a, j) <= l) hi = mid; else lo = mid;
        }
        return hi;
    }

    public (double DistanceMm, double SpeedMmPerS) At(double t)
    {
        if (t <= 0) return (0, EntryMmPerS);
        double a = AccelerationMmPerS2, j = JerkMmPerS3;
        if (t < AccelerateS) return JerkLimited.RampAt(EntryMmPerS, PeakMmPerS, a, j, t);
        double dUp = JerkLimited.RampDistance(EntryMmPerS, PeakMmPerS, a, j);
        t -= AccelerateS;
        if (t < CruiseS) return (dUp + PeakMmPerS * t, PeakMmPerS);
        t -= CruiseS;
        if (t < DecelerateS)
        {
            var (s, v) = JerkLimited.RampAt(PeakMmPerS, ExitMmPerS, a, j, t);
            return (Math.Min(LengthMm, dUp + PeakMmPerS * CruiseS + s), v);
        }
        return (LengthMm, ExitMmPerS);
    }
}
