namespace CncTwin.Removal;

/// <summary>Receives a cutter's profile as its concrete struct type, so generic sweep code is specialised per cutter.</summary>
public interface ICutterProfileVisitor<out TResult>
{
    TResult Visit<TProfile>(TProfile profile) where TProfile : struct, ICutterProfile;
}

/// <summary>
/// A milling cutter as the simulation sees it: cutting geometry (behind <see cref="ICutterProfile"/>) plus the
/// parts that must never touch material (shank above the flutes, holder above the stick-out) and what the
/// force model needs (flutes, helix). Lengths in mm, from the tool tip.
/// </summary>
public interface ICutter
{
    /// <summary>flat, ball, bull, drill or chamfer.</summary>
    string Type { get; }
    double DiameterMm { get; }
    double RadiusMm => DiameterMm / 2;
    int Flutes { get; }
    /// <summary>Length of cutting edge from the tip; above it the cutter is a plain shank.</summary>
    double FluteLengthMm { get; }
    double HelixDeg { get; }
    /// <summary>Length out of the holder, from the tip; above it is the holder.</summary>
    double StickoutMm { get; }
    double ShankDiameterMm { get; }
    double HolderDiameterMm { get; }
    /// <summary>False for cutters whose centre does not cut (many inserted cutters): they must not plunge.</summary>
    bool CenterCutting { get; }
    /// <summary>Steepest ramp (degrees from horizontal) a non-centre-cutting cutter may descend at.</summary>
    double MaxRampDeg { get; }
    ICutterProfile Profile { get; }
    TResult Accept<TResult>(ICutterProfileVisitor<TResult> visitor);
}

/// <summary>Fields every cutter has; the subclasses only supply their profile.</summary>
public abstract record CutterBase(double DiameterMm, int Flutes, double FluteLengthMm, double HelixDeg, double StickoutMm,
    double ShankDiameterMm, double HolderDiameterMm, bool CenterCutting, double MaxRampDeg) : ICutter
{
    public abstract string Type { get; }
    public double RadiusMm => DiameterMm / 2;
    public abstract ICutterProfile Profile { get; }
    public abstract TResult Accept<TResult>(ICutterProfileVisitor<TResult> visitor);

    /// <summary>Checks the geometry is physically possible; returns a message naming the problem, or null.</summary>
    public virtual string? Validate()
    {
        if (!(DiameterMm > 0) || !double.IsFinite(DiameterMm)) return "diameter_mm must be a positive number";
        if (Flutes < 1) return "flutes must be at least 1";
        if (!(FluteLengthMm > 0)) return "flute_length_mm must be positive";
        if (!(StickoutMm >= FluteLengthMm)) return "stickout_mm must be at least flute_length_mm";
        if (!(ShankDiameterMm > 0)) return "shank_diameter_mm must be positive";
        if (!(HolderDiameterMm >= ShankDiameterMm)) return "holder_diameter_mm must be at least the shank diameter";
        if (!(HelixDeg >= 0 && HelixDeg < 90)) return "helix_deg must be in [0, 90)";
        return null;
    }
}

public sealed record FlatEndMill(double DiameterMm, int Flutes, double FluteLengthMm, double HelixDeg, double StickoutMm,
    double ShankDiameterMm, double HolderDiameterMm, bool CenterCutting = true, double MaxRampDeg = 90)
    : CutterBase(DiameterMm, Flutes, FluteLengthMm, HelixDeg, StickoutMm, ShankDiameterMm, HolderDiameterMm, CenterCutting, MaxRampDeg)
{
    public override string Type => "flat";
    public override ICutterProfile Profile => new FlatProfile(RadiusMm);
    public override TResult Accept<TResult>(ICutterProfileVisitor<TResult> visitor) => visitor.Visit(new FlatProfile(RadiusMm));
}

public sealed record BallEndMill(double DiameterMm, int Flutes, double FluteLengthMm, double HelixDeg, double StickoutMm,
    double ShankDiameterMm, double HolderDiameterMm, bool CenterCutting = true, double MaxRampDeg = 90)
    : CutterBase(DiameterMm, Flutes, FluteLengthMm, HelixDeg, StickoutMm, ShankDiameterMm, HolderDiameterMm, CenterCutting, MaxRampDeg)
{
    public override string Type => "ball";
    public override ICutterProfile Profile => new BallProfile(RadiusMm);
    public override TResult Accept<TResult>(ICutterProfileVisitor<TResult> visitor) => visitor.Visit(new BallProfile(RadiusMm));
}

public sealed record BullNoseEndMill(double DiameterMm, double CornerRadiusMm, int Flutes, double FluteLengthMm, double HelixDeg, double StickoutMm,
    double ShankDiameterMm, double HolderDiameterMm, bool CenterCutting = true, double MaxRampDeg = 90)
    : CutterBase(DiameterMm, Flutes, FluteLengthMm, HelixDeg, StickoutMm, ShankDiameterMm, HolderDiameterMm, CenterCutting, MaxRampDeg)
{
    public override string Type => "bull";
    public override ICutterProfile Profile => new BullProfile(RadiusMm, CornerRadiusMm);
    public override TResult Accept<TResult>(ICutterProfileVisitor<TResult> visitor) => visitor.Visit(new BullProfile(RadiusMm, CornerRadiusMm));
    public override string? Validate() =>
        !(CornerRadiusMm > 0 && CornerRadiusMm <= RadiusMm) ? "corner_radius_mm must be in (0, diameter/2]" : base.Validate();
}

/// <summary>Twist drill: a cone of the tip angle (118° is the common point) up to the full diameter.</summary>
public sealed record Drill(double DiameterMm, double TipAngleDeg, int Flutes, double FluteLengthMm, double HelixDeg, double StickoutMm,
    double ShankDiameterMm, double HolderDiameterMm, bool CenterCutting = true, double MaxRampDeg = 90)
    : CutterBase(DiameterMm, Flutes, FluteLengthMm, HelixDeg, StickoutMm, ShankDiameterMm, HolderDiameterMm, CenterCutting, MaxRampDeg)
{
    public override string Type => "drill";
    private ConeProfile Cone => new(RadiusMm, 0, 1 / Math.Tan(TipAngleDeg * Math.PI / 360));
    public override ICutterProfile Profile => Cone;
    public override TResult Accept<TResult>(ICutterProfileVisitor<TResult> visitor) => visitor.Visit(Cone);
    public override string? Validate() =>
        !(TipAngleDeg > 0 && TipAngleDeg < 180) ? "tip_angle_deg must be in (0, 180)" : base.Validate();
}

/// <summary>Chamfer / V cutter: included angle TipAngleDeg (90° for a 45° chamfer), optional flat tip.</summary>
public sealed record ChamferMill(double DiameterMm, double TipAngleDeg, double TipDiameterMm, int Flutes, double FluteLengthMm, double HelixDeg, double StickoutMm,
    double ShankDiameterMm, double HolderDiameterMm, bool CenterCutting = true, double MaxRampDeg = 90)
    : CutterBase(DiameterMm, Flutes, FluteLengthMm, HelixDeg, StickoutMm, ShankDiameterMm, HolderDiameterMm, CenterCutting, MaxRampDeg)
{
    public override string Type => "chamfer";
    private ConeProfile Cone => new(RadiusMm, TipDiameterMm / 2, 1 / Math.Tan(TipAngleDeg * Math.PI / 360));
    public override ICutterProfile Profile => Cone;
    public override TResult Accept<TResult>(ICutterProfileVisitor<TResult> visitor) => visitor.Visit(Cone);
    public override string? Validate() =>
        !(TipAngleDeg > 0 && TipAngleDeg < 180) ? "tip_angle_deg must be in (0, 180)"
        : !(TipDiameterMm >= 0 && TipDiameterMm < DiameterMm) ? "tip_diameter_mm must be in [0, diameter)" : base.Validate();
}
