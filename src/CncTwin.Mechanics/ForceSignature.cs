using CncTwin.Removal;

namespace CncTwin.Mechanics;

/// <summary>
/// The forces of one engagement as a function of feed per tooth. With linear-edge coefficients every elemental
/// force is (Kc·h + Ke)·db and h is proportional to fz, so at each rotation angle F(θ, fz) = fz·C(θ) + E(θ)
/// exactly. Storing C and E over one tooth period once per distinct engagement makes any later feed (the
/// actual speed at a timeline sample, or a feed the optimiser tries) cost a few hundred multiply-adds instead
/// of a new integration over slices and teeth. Forces are in the feed frame (x along the feed, y its left normal,
/// z up the tool axis), N; torque N·m.
/// </summary>
public sealed class ForceSignature
{
    /// <summary>Rotation angles per tooth period sampled for the simulation: 64 (under 1.5° for up to 4 teeth) keeps peaks within ~1 %.</summary>
    public const int DefaultStepsPerPitch = 64;
    private const int Fx = 0, Fy = 1, Fz = 2, T = 3;

    private readonly double[] _cut;   // [angle × 4]: Fx, Fy, Fz, torque at fz = 1 mm, cutting coefficients only
    private readonly double[] _edge;  // the same for the edge coefficients (independent of fz)

    public int Steps { get; }
    /// <summary>Largest sin φ·sin κ (or cos κ on an axially fed edge) over the engaged edge: the largest chip is fz × this.</summary>
    public double ChipFactor { get; private set; }
    /// <summary>Height above the tip where the lateral force acts (engaged edge length centroid), mm.</summary>
    public double LoadHeightMm { get; private set; }
    /// <summary>Feed-normal force when a tooth generates the wall (fz = 1 cutting part, edge part), and which side: +1 the wall on the right of the feed (down milling side, φ = 180°), −1 on the left (φ = 0), 0 no wall.</summary>
    public (double Cut, double Edge, int Side) WallForce { get; private set; }
    /// <summary>A second wall (a slot makes both).</summary>
    public (double Cut, double Edge, int Side) WallForce2 { get; private set; }
    public bool Engaged { get; private set; }

    private ForceSignature(int steps)
    {
        Steps = steps;
        _cut = new double[steps * 4];
        _edge = new double[steps * 4];
    }

    public static ForceSignature None { get; } = new(1);

    /// <summary>A milling engagement (side and ball/bull flanks) from its per-slice engagement map.</summary>
    public static ForceSignature Milling<TEngagement>(EdgeSlices edge, CuttingCoefficients k, in TEngagement engagement, int stepsPerPitch = DefaultStepsPerPitch)
        where TEngagement : struct, IEngagement
    {
        var sig = new ForceSignature(stepsPerPitch);
        double dTheta = edge.PitchRad / stepsPerPitch, twoPi = 2 * Math.PI;
        bool any = false;
        for (int i = 0; i < stepsPerPitch; i++)
        {
            double theta = i * dTheta;
            double cx = 0, cy = 0, cz = 0, ct = 0, ex = 0, ey = 0, ez = 0, et = 0;
            for (int s = 0; s < edge.Count; s++)
            {
                double sk = edge.SinKappa[s], ck = edge.CosKappa[s], db = edge.EdgeLengthMm[s], r = edge.RadiusMm[s];
                for (int j = 0; j < edge.Teeth; j++)
                {
                    double phi = theta + j * edge.PitchRad - edge.LagRad[s];
                    phi -= twoPi * Math.Floor(phi / twoPi);
                    if (!engagement.Engaged(s, phi)) continue;
                    double sp = Math.Sin(phi), cp = Math.Cos(phi);
                    double h1 = sp * sk; // chip at fz = 1
                    if (h1 <= 0) continue;
                    any = true;
                    // Directions of the tangential, radial and axial elemental forces on the tool (see MillingForces).
                    double txx = -cp, txy = sp, rxx = -sk * sp, rxy = -sk * cp, axx = ck * sp, axy = ck * cp;
                    double tc = k.Ktc * h1 * db, rc = k.Krc * h1 * db, ac = k.Kac * h1 * db;
                    double te = k.Kte * db, re = k.Kre * db, ae = k.Kae * db;
                    cx += tc * txx + rc * rxx + ac * axx; cy += tc * txy + rc * rxy + ac * axy; cz += rc * ck + ac * sk; ct += tc * r;
                    ex += te * txx + re * rxx + ae * axx; ey += te * txy + re * rxy + ae * axy; ez += re * ck + ae * sk; et += te * r;
                }
            }
            int o = 4 * i;
            sig._cut[o + Fx] = cx; sig._cut[o + Fy] = cy; sig._cut[o + Fz] = cz; sig._cut[o + T] = ct / 1000;
            sig._edge[o + Fx] = ex; sig._edge[o + Fy] = ey; sig._edge[o + Fz] = ez; sig._edge[o + T] = et / 1000;
        }
        if (!any) return None;
        // Largest chip factor, load centroid, and which walls this engagement generates.
        double chip = 0, zSum = 0, wSum = 0;
        bool left = false, right = false;
        for (int s = 0; s < edge.Count; s++)
        {
            bool sliceIn = false;
            for (int b = 0; b < EngagementProbe.AngleBins; b++)
            {
                double phi = (b + 0.5) * EngagementProbe.BinRad;
                if (!engagement.Engaged(s, phi)) continue;
                sliceIn = true;
                chip = Math.Max(chip, Math.Sin(phi) * edge.SinKappa[s]);
                if (b == 0) left = true;
                if (b == EngagementProbe.AngleBins - 1) right = true;
            }
            if (sliceIn) { zSum += edge.HeightMm[s] * edge.EdgeLengthMm[s]; wSum += edge.EdgeLengthMm[s]; }
        }
        double zLoad = wSum > 0 ? zSum / wSum : 0;
        // The wall is generated when a tooth at the load height passes φ = 0 (left) or φ = π (right).
        int centre = 0;
        for (int s = 1; s < edge.Count; s++) if (Math.Abs(edge.HeightMm[s] - zLoad) < Math.Abs(edge.HeightMm[centre] - zLoad)) centre = s;
        var eng = engagement;
        (double, double, int) Wall(double phiWall, int side)
        {
            double theta = phiWall + edge.LagRad[centre];
            var c = MillingForces.At(edge, k with { Kte = 0, Kre = 0, Kae = 0 }, 1, eng, theta);
            var e = MillingForces.At(edge, k with { Ktc = 0, Krc = 0, Kac = 0 }, 1, eng, theta);
            return (c.Fy, e.Fy, side);
        }
        var w1 = right ? Wall(Math.PI - 1e-9, +1) : left ? Wall(1e-9, -1) : (0, 0, 0);
        var w2 = right && left ? Wall(1e-9, -1) : (0, 0, 0);
        sig.ChipFactor = chip; sig.LoadHeightMm = zLoad; sig.WallForce = w1; sig.WallForce2 = w2; sig.Engaged = true;
        return sig;
    }

    /// <summary>
    /// A plunge or drilling engagement: the tool fed along its axis, the edge cutting from radius rInner to
    /// rOuter wherever the cutting surface lies within depthMm of the tip. The edge in the (r, z) plane with
    /// arc length ds has its normal at κ from the axis (cos κ = dr/ds), so the chip is h = fz·cos κ; thrust is
    /// Σ(dFr·cos κ + dFa·sin κ), torque Σ dFt·r; lateral components cancel between evenly spaced teeth. For a
    /// twist drill with zero edge terms this is the textbook Mc = Ktc·f·D²/8 and thrust N·Krc·fz·R·sin(σ/2).
    /// </summary>
    public static ForceSignature Axial(ICutterProfile profile, int teeth, CuttingCoefficients k, double rInnerMm, double rOuterMm, double depthMm, int segments = 200)
    {
        rOuterMm = Math.Min(rOuterMm, profile.RadiusMm);
        rInnerMm = Math.Clamp(rInnerMm, 0, rOuterMm);
        if (!(rOuterMm > rInnerMm) || !(depthMm > 0) || teeth < 1) return None;
        double cz = 0, ct = 0, ez = 0, et = 0, chip = 0;
        double dr = (rOuterMm - rInnerMm) / segments;
        for (int i = 0; i < segments; i++)
        {
            double r0 = rInnerMm + i * dr, r1 = r0 + dr, rm = 0.5 * (r0 + r1);
            double z0 = profile.HeightAt(r0), z1 = profile.HeightAt(r1);
            if (0.5 * (z0 + z1) > depthMm) continue;
            double dz = z1 - z0, ds = Math.Sqrt(dr * dr + dz * dz);
            double ck = dr / ds, sk = Math.Abs(dz) / ds;
            double h1 = ck; // chip at fz = 1
            chip = Math.Max(chip, h1);
            cz += (k.Krc * h1 * ck + k.Kac * h1 * sk) * ds; ct += k.Ktc * h1 * ds * rm;
            ez += (k.Kre * ck + k.Kae * sk) * ds; et += k.Kte * ds * rm;
        }
        if (chip == 0) return None;
        var sig = new ForceSignature(1) { ChipFactor = chip, Engaged = true };
        sig._cut[Fz] = teeth * cz; sig._cut[T] = teeth * ct / 1000;
        sig._edge[Fz] = teeth * ez; sig._edge[T] = teeth * et / 1000;
        return sig;
    }

    /// <summary>Mean and peak forces over a tooth period at a feed per tooth (mm) and spindle speed (rpm).</summary>
    public RevolutionForces Evaluate(double feedPerToothMm, double rpm)
    {
        if (!Engaged) return RevolutionForces.None;
        double mx = 0, my = 0, mz = 0, mt = 0, px = 0, py = 0, pz = 0, pxy = 0, pr = 0, pt = 0;
        var c = _cut.AsSpan(); var e = _edge.AsSpan();
        for (int o = 0; o < c.Length; o += 4)
        {
            double fx = feedPerToothMm * c[o] + e[o], fy = feedPerToothMm * c[o + 1] + e[o + 1];
            double fz = feedPerToothMm * c[o + 2] + e[o + 2], t = feedPerToothMm * c[o + 3] + e[o + 3];
            mx += fx; my += fy; mz += fz; mt += t;
            px = Math.Max(px, Math.Abs(fx)); py = Math.Max(py, Math.Abs(fy)); pz = Math.Max(pz, Math.Abs(fz));
            double xy = fx * fx + fy * fy;
            pxy = Math.Max(pxy, xy); pr = Math.Max(pr, xy + fz * fz); pt = Math.Max(pt, Math.Abs(t));
        }
        double n = Steps, torque = mt / n;
        return new RevolutionForces(mx / n, my / n, mz / n, torque, torque * rpm * 2 * Math.PI / 60, px, py, pz, Math.Sqrt(pxy), Math.Sqrt(pr), pt);
    }

    /// <summary>
    /// Signed surface-location error of the wall this engagement generates, mm, for a lateral compliance
    /// (mm/N): the tool's static deflection normal to the wall when a tooth generates it. Positive leaves
    /// material (the tool is pushed away from the wall), negative cuts into it. 0 when no wall is generated.
    /// </summary>
    public double SurfaceLocationErrorMm(double feedPerToothMm, double complianceMmPerN)
    {
        double Of((double Cut, double Edge, int Side) w) => w.Side == 0 ? 0 : w.Side * (feedPerToothMm * w.Cut + w.Edge) * complianceMmPerN;
        double a = Of(WallForce), b = Of(WallForce2);
        return Math.Abs(a) >= Math.Abs(b) ? a : b;
    }

    /// <summary>
    /// The largest feed per tooth (mm) at which the peak resultant force stays at or below the target, by
    /// bisection (the peak grows monotonically with fz for non-negative coefficients). +∞ if even a huge feed
    /// stays below; 0 if the edge forces alone exceed it.
    /// </summary>
    public double FeedPerToothForPeakForce(double targetN, Func<RevolutionForces, double>? measure = null)
    {
        measure ??= r => r.ResultantMaxN;
        if (!Engaged) return double.PositiveInfinity;
        if (measure(Evaluate(0, 1)) >= targetN) return 0;
        double lo = 0, hi = 0.01;
        while (measure(Evaluate(hi, 1)) < targetN) { lo = hi; hi *= 2; if (hi > 100) return double.PositiveInfinity; }
        for (int i = 0; i < 50 && hi - lo > 1e-7; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (measure(Evaluate(mid, 1)) <= targetN) lo = mid; else hi = mid;
        }
        return lo;
    }
}
