namespace CncTwin.Core;

// The canonical machining vocabulary, in the spirit of the NIST RS274/NGC canonical machining
// functions: every later pipeline stage consumes these and knows nothing about G-code text.
// All lengths are millimetres in the machine frame (program position plus work and G92 offsets,
// tool length offset NOT added: positions are the tool tip). Feeds are mm/min, speeds rpm.

/// <summary>One immutable canonical command with the source block that produced it.</summary>
public abstract record CanonicalCommand(SourceLocation Source);

public enum MotionKind { Rapid, Feed, ArcClockwise, ArcCounterClockwise, Probe }

public enum FeedRateMode { UnitsPerMinute, InverseTime, UnitsPerRevolution }

public enum SpindleDirection { Off, Clockwise, CounterClockwise }

/// <summary>Trajectory-planner mode requested by G61 / G61.1 / G64.</summary>
public enum PathControlMode { ExactStop, ExactPath, Continuous }

/// <summary>
/// A tool-tip motion. <see cref="FeedMmPerMin"/> is the effective path feed the program asks for
/// (G93 inverse time and G95 per-revolution feeds are already converted; 0 for rapids, which run at
/// the machine's rapid rate). <see cref="SpindleRpm"/> and <see cref="Tool"/> are the state in force.
/// </summary>
public abstract record Move(SourceLocation Source, Vec3 Start, Vec3 End, double FeedMmPerMin, double SpindleRpm, int Tool)
    : CanonicalCommand(Source)
{
    public abstract MotionKind Kind { get; }
    /// <summary>Path length in mm.</summary>
    public abstract double LengthMm { get; }
}

public sealed record RapidMove(SourceLocation Source, Vec3 Start, Vec3 End, double SpindleRpm, int Tool)
    : Move(Source, Start, End, 0, SpindleRpm, Tool)
{
    public override MotionKind Kind => MotionKind.Rapid;
    public override double LengthMm => Start.DistanceTo(End);
}

public sealed record LinearFeed(SourceLocation Source, Vec3 Start, Vec3 End, double FeedMmPerMin, double SpindleRpm, int Tool)
    : Move(Source, Start, End, FeedMmPerMin, SpindleRpm, Tool)
{
    public override MotionKind Kind => MotionKind.Feed;
    public override double LengthMm => Start.DistanceTo(End);
}

public sealed record ProbeMove(SourceLocation Source, Vec3 Start, Vec3 End, double FeedMmPerMin, double SpindleRpm, int Tool)
    : Move(Source, Start, End, FeedMmPerMin, SpindleRpm, Tool)
{
    public override MotionKind Kind => MotionKind.Probe;
    public override double LengthMm => Start.DistanceTo(End);
}

/// <summary>
/// What the interpreter asks the machine (or a twin's stock) during a G38.x probe move, like NIST's canonical
/// GET_EXTERNAL_PROBE_POSITION: the move's tool-tip start and end in the machine frame (mm), whether the probe
/// trips on making contact (G38.2/G38.3) or on losing it (G38.4/G38.5), whether the program expects an error
/// when it does not trip (G38.2/G38.4), the tool and the feed.
/// </summary>
public sealed record ProbeRequest(SourceLocation Source, Vec3 Start, Vec3 End, bool TripsOnContact, bool ErrorIfNoTrip, int Tool, double FeedMmPerMin)
{
    /// <summary>The G-code of the move: "G38.2", "G38.3", "G38.4" or "G38.5".</summary>
    public string GCode => TripsOnContact ? (ErrorIfNoTrip ? "G38.2" : "G38.3") : (ErrorIfNoTrip ? "G38.4" : "G38.5");
}

/// <summary>
/// Circular or helical feed in <see cref="Plane"/> about <see cref="Center"/> (the centre's normal
/// coordinate is the start's). <see cref="Turns"/> is 1 for a move of up to one revolution; each
/// extra full revolution (G2/G3 P word) adds one.
/// </summary>
public sealed record ArcFeed(SourceLocation Source, Vec3 Start, Vec3 End, Vec3 Center, Plane Plane, bool Clockwise, int Turns,
    double FeedMmPerMin, double SpindleRpm, int Tool)
    : Move(Source, Start, End, FeedMmPerMin, SpindleRpm, Tool)
{
    public override MotionKind Kind => Clockwise ? MotionKind.ArcClockwise : MotionKind.ArcCounterClockwise;

    public double RadiusMm
    {
        get { var (a, b, _) = Plane.Split(Start); var (ca, cb, _) = Plane.Split(Center); return Math.Sqrt((a - ca) * (a - ca) + (b - cb) * (b - cb)); }
    }

    /// <summary>Swept angle in radians, always positive, including extra turns.</summary>
    public double SweepRadians
    {
        get
        {
            var (a0, b0, _) = Plane.Split(Start);
            var (a1, b1, _) = Plane.Split(End);
            var (ca, cb, _) = Plane.Split(Center);
            double s = Math.Atan2(b0 - cb, a0 - ca), e = Math.Atan2(b1 - cb, a1 - ca);
            double sweep = Clockwise ? s - e : e - s;
            while (sweep <= 1e-12) sweep += 2 * Math.PI;
            return sweep + 2 * Math.PI * (Turns - 1);
        }
    }

    public override double LengthMm
    {
        get
        {
            var (_, _, n0) = Plane.Split(Start);
            var (_, _, n1) = Plane.Split(End);
            double planar = RadiusMm * SweepRadians;
            return Math.Sqrt(planar * planar + (n1 - n0) * (n1 - n0));
        }
    }

    /// <summary>Point on the arc at fraction <paramref name="u"/> (0..1) of the sweep, helix included.</summary>
    public Vec3 PointAt(double u)
    {
        var (a0, b0, n0) = Plane.Split(Start);
        var (_, _, n1) = Plane.Split(End);
        var (ca, cb, _) = Plane.Split(Center);
        double s = Math.Atan2(b0 - cb, a0 - ca);
        double r0 = Math.Sqrt((a0 - ca) * (a0 - ca) + (b0 - cb) * (b0 - cb));
        var (a1, b1, _) = Plane.Split(End);
        double r1 = Math.Sqrt((a1 - ca) * (a1 - ca) + (b1 - cb) * (b1 - cb));
        double ang = s + (Clockwise ? -1 : 1) * SweepRadians * u;
        double r = r0 + (r1 - r0) * u; // programs may carry a tiny spiral within the radius tolerance
        return Plane.Join(ca + r * Math.Cos(ang), cb + r * Math.Sin(ang), n0 + (n1 - n0) * u);
    }
}

public sealed record Dwell(SourceLocation Source, double Seconds) : CanonicalCommand(Source);
public sealed record SetFeedRate(SourceLocation Source, double FeedMmPerMin, FeedRateMode Mode) : CanonicalCommand(Source);
public sealed record SetSpindleSpeed(SourceLocation Source, double Rpm) : CanonicalCommand(Source);
public sealed record SpindleStart(SourceLocation Source, SpindleDirection Direction, double Rpm) : CanonicalCommand(Source);
public sealed record SpindleStop(SourceLocation Source) : CanonicalCommand(Source);
public sealed record SelectTool(SourceLocation Source, int Tool) : CanonicalCommand(Source);
public sealed record ToolChange(SourceLocation Source, int Tool) : CanonicalCommand(Source);
/// <summary>Tool length offset now in force (G43/G43.1/G49), mm.</summary>
public sealed record ToolLengthOffset(SourceLocation Source, Vec3 Offset) : CanonicalCommand(Source);
public sealed record Coolant(SourceLocation Source, bool Mist, bool Flood) : CanonicalCommand(Source);
public sealed record PathControl(SourceLocation Source, PathControlMode Mode, double ToleranceMm, double NaiveCamToleranceMm) : CanonicalCommand(Source);
/// <summary>M0 (Optional=false) or M1 (Optional=true) program pause.</summary>
public sealed record ProgramStop(SourceLocation Source, bool Optional) : CanonicalCommand(Source);
/// <summary>M2 / M30 / end of file.</summary>
public sealed record ProgramEnd(SourceLocation Source) : CanonicalCommand(Source);
/// <summary>Operator message (MSG, ...) or plain comment text.</summary>
public sealed record Message(SourceLocation Source, string Text, bool IsComment) : CanonicalCommand(Source);
/// <summary>Work offsets in force changed (informational; positions are already in the machine frame).</summary>
public sealed record OffsetsChanged(SourceLocation Source, Vec3 WorkOffset, Vec3 G92Offset, double XyRotationDeg, int CoordinateSystem) : CanonicalCommand(Source);
