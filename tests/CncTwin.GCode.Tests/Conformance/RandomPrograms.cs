using System.Globalization;
using System.Text;

namespace CncTwin.GCode.Tests.Conformance;

/// <summary>
/// Writes random but plausible RS274/NGC programs for differential testing against LinuxCNC's rs274: units,
/// work offsets (G10 L2/L20, G5x, G92 and its variants, XY rotation), tool length (G43/G43.1/G49), lines and
/// arcs in all three planes (IJK and R forms, absolute arc centres, helices, extra turns), incremental moves,
/// canned cycles with G98/G99 and L repeats, G28/G30/G53, inverse-time feed, parameters and expressions,
/// O-word loops, conditionals and subroutines, and cutter radius compensation around closed contours.
/// A program is a pure function of its seed, so a failing seed reproduces exactly.
/// </summary>
public sealed class RandomPrograms
{
    private readonly Random _rng;
    private readonly StringBuilder _sb = new();
    private bool _inch;
    private int _plane = 17;
    private bool _inverseTime;
    private int _tool;
    private int _subCount;
    private bool _usedBreak;
    private bool _rotated;   // some coordinate system has an XY rotation (G10 L2 R)
    private readonly List<string> _subs = new();

    /// <summary>The tool table the programs are written for (tests/CncTwin.GCode.Tests/data/random-tools.tbl).</summary>
    public static string ToolTablePath => Path.Combine(TestPaths.TestData, "random-tools.tbl");

    // Tool numbers in random-tools.tbl and their diameters (mm).
    private static readonly (int T, double D)[] Tools = { (1, 6.35), (2, 3.175), (3, 5.08), (4, 9.525), (5, 12.7), (6, 6.35), (7, 7.62), (9, 2.54), (11, 4.064), (15, 3.175), (16, 19.05) };

    private readonly int _seed;
    private readonly List<(string Name, string Text)> _files = new();

    private RandomPrograms(int seed) { _rng = new Random(seed); _seed = seed; }

    public static string Generate(int seed) => new RandomPrograms(seed).Build();

    /// <summary>The program and the subroutine files it calls (o&lt;name&gt; call finds name.ngc beside the program).</summary>
    public static (string Program, IReadOnlyList<(string Name, string Text)> Files) GenerateWithFiles(int seed)
    {
        var g = new RandomPrograms(seed);
        string program = g.Build();
        return (program, g._files);
    }

    private double U => _inch ? 1 / 25.4 : 1; // program units per mm
    private string N(double mm) => (mm * U).ToString("0.####", CultureInfo.InvariantCulture);
    private static string R4(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
    private double Range(double lo, double hi) => lo + _rng.NextDouble() * (hi - lo);
    private bool Chance(double p) => _rng.NextDouble() < p;
    private T Pick<T>(params T[] items) => items[_rng.Next(items.Length)];
    // rs274 refuses lines over 252 characters and the oracle adds an N word to each: stay well below.
    private const int MaxLine = 200;
    private void L(string s) => _sb.Append(s).Append('\n');

    private string Feed() => _inverseTime ? " F" + R4(Range(2, 60)) : "";

    private string Build()
    {
        if (Chance(0.3)) L("%");
        _inch = Chance(0.25);
        L((_inch ? "G20" : "G21") + " G17 G40 G49 G80 G90 G94 (random program)");
        _tool = Pick(Tools).T;
        L($"T{_tool} M6");
        L($"G43 H{_tool}");
        L("S" + _rng.Next(1000, 12000) + " M3");
        L("F" + N(Range(100, 1500)));
        int blocks = _rng.Next(6, 16);
        // One program in four carries a mistake somewhere: both interpreters must stop on the same line.
        int mistakeAt = Chance(0.25) ? _rng.Next(blocks) : -1;
        for (int b = 0; b < blocks; b++)
        {
            if (b == mistakeAt) Mistake();
            switch (_rng.Next(23))
            {
                case 22: ExternalSub(); break;
                case 16: CompPolygon(); break;
                case 17: Polar(); break;
                case 18: ToolTableEdit(); break;
                case 19: SubWithReturn(); break;
                case 20: Syntax(); break;
                case 21: LocalOffset(); break;
                case 0: Offsets(); break;
                case 1: ToolChange(); break;
                case 2: case 3: Lines(); break;
                case 4: case 5: Arcs(); break;
                case 6: Cycles(); break;
                case 7: HomeAndMachine(); break;
                case 8: Expressions(); break;
                case 9: Loop(); break;
                case 10: Conditional(); break;
                case 11: CallSub(); break;
                case 12: CutterComp(); break;
                case 13: Units(); break;
                case 14: FeedMode(); break;
                default: Misc(); break;
            }
        }
        if (_inverseTime) { L("G94"); _inverseTime = false; }
        L("G0 Z" + N(Range(20, 40)));
        L(Pick("M2", "M30"));
        if (_sb.ToString().StartsWith('%')) L("%");
        // Subroutines are defined before their first call (LinuxCNC also finds later ones, but the order is not the point here).
        if (_subs.Count == 0) return _sb.ToString();
        var head = new StringBuilder();
        string body = _sb.ToString();
        bool pct = body.StartsWith('%');
        if (pct) { head.Append("%\n"); body = body[2..]; }
        // Some programs keep their subroutines after M2 (LinuxCNC finds them there too); with % delimiters they
        // must come first.
        bool after = !pct && Chance(0.4);
        if (after) return head.Append(body).Append(string.Concat(_subs)).ToString();
        foreach (var s in _subs) head.Append(s);
        return head.Append(body).ToString();
    }

    private void SafeZ() => L("G90 G0 Z" + N(Range(15, 30)));

    private void Offsets()
    {
        switch (_rng.Next(7))
        {
            case 0:
                {
                    int p = _rng.Next(1, 10);
                    string rot = Chance(0.2) ? " R" + R4(Range(-45, 45)) : "";
                    if (rot != "") _rotated = true;
                    L($"G10 L2 P{p} X{N(Range(-50, 50))} Y{N(Range(-50, 50))} Z{N(Range(-20, 5))}{rot}");
                    L(Pick("G54", "G55", "G56", "G57", "G58", "G59", "G59.1", "G59.2", "G59.3"));
                    break;
                }
            case 1: L($"G10 L20 P{_rng.Next(0, 10)} X{N(Range(-30, 30))} Y{N(Range(-30, 30))}"); break;
            case 2: L($"G92 X{N(Range(-20, 20))} Y{N(Range(-20, 20))}"); break;
            case 3: L(Pick("G92.1", "G92.2", "G92.3")); break;
            case 4: L(Pick("G54", "G55", "G59.3")); break;
            case 5: L($"G92 Z{N(Range(-5, 5))}"); break;
            default: L($"G10 L2 P0 X{N(Range(-10, 10))}"); break;
        }
    }

    private void ToolChange()
    {
        SafeZ();
        var t = Pick(Tools);
        _tool = t.T;
        L($"T{t.T} M6");
        if (Chance(0.8)) L(Pick("M3", "M4", "S" + _rng.Next(1000, 12000) + " M3")); // M6 stops the spindle
        switch (_rng.Next(4))
        {
            case 0: L($"G43 H{t.T}"); break;
            case 1: L("G43"); break;
            case 2: L($"G43.1 Z{N(Range(-5, 30))}"); break;
            default: L("G49"); break;
        }
    }

    private void Lines()
    {
        int n = _rng.Next(1, 6);
        bool inc = Chance(0.3);
        if (inc) L("G91");
        for (int i = 0; i < n; i++)
        {
            string g = Chance(0.3) ? "G0" : "G1";
            var sb = new StringBuilder(g);
            double span = inc ? 20 : 60;
            if (Chance(0.8)) sb.Append(" X").Append(N(Range(-span, span)));
            if (Chance(0.8)) sb.Append(" Y").Append(N(Range(-span, span)));
            if (Chance(0.5)) sb.Append(" Z").Append(N(inc ? Range(-5, 5) : Range(-10, 20)));
            if (g == "G1") sb.Append(_inverseTime ? Feed() : Chance(0.2) ? " F" + N(Range(50, 2000)) : "");
            if (Chance(0.1)) sb.Append(" (line ").Append(i).Append(')');
            L(sb.ToString());
        }
        if (inc) L("G90");
    }

    private (string A, string B, string Axis, string I, string J) PlaneLetters() => _plane switch
    {
        17 => ("X", "Y", "Z", "I", "J"),
        18 => ("Z", "X", "Y", "K", "I"),
        _ => ("Y", "Z", "X", "J", "K"),
    };

    private void Arcs()
    {
        if (Chance(0.4)) { _plane = Pick(17, 18, 19); L("G" + _plane); }
        // G18/G19 helices in an XY-rotated system tilt out of the machine's XZ/YZ plane, which an arc move here
        // cannot represent (a known limit, see the README): keep them flat there.
        bool flatOnly = _rotated && _plane != 17;
        var (a, b, axis, i, j) = PlaneLetters();
        int n = _rng.Next(1, 4);
        for (int k = 0; k < n; k++)
        {
            // Start from a known point so that the end can be put exactly on the circle.
            double sa = Range(-30, 30), sb = Range(-30, 30), sn = Range(-5, 10);
            sa = Math.Round(sa * U, 4) / U; sb = Math.Round(sb * U, 4) / U; sn = Math.Round(sn * U, 4) / U;
            L($"G90 G1 {a}{N(sa)} {b}{N(sb)} {axis}{N(sn)}{Feed()}");
            string g = Pick("G2", "G3");
            bool inc = Chance(0.25);
            double dn = Chance(0.3) && !flatOnly ? Range(-3, 3) : 0;
            string turns = Chance(0.1) ? " P" + _rng.Next(1, 4) : "";
            if (Chance(0.3) && turns == "")
            {
                // Radius form: the end within the circle's diameter of the start.
                double r = Range(2, 25);
                double ang = Range(0, 2 * Math.PI), chord = Range(0.1, 1.9) * r;
                double ea = sa + chord * Math.Cos(ang), eb = sb + chord * Math.Sin(ang);
                string rr = (Chance(0.3) ? -r : r) is var rv ? N(rv) : "";
                L(inc
                    ? $"G91 {g} {a}{N(ea - sa)} {b}{N(eb - sb)}{(dn != 0 ? $" {axis}{N(dn)}" : "")} R{rr}{Feed()}"
                    : $"{g} {a}{N(ea)} {b}{N(eb)}{(dn != 0 ? $" {axis}{N(sn + dn)}" : "")} R{rr}{Feed()}");
            }
            else
            {
                double ci = Math.Round(Range(-20, 20) * U, 4) / U, cj = Math.Round(Range(-20, 20) * U, 4) / U;
                if (Math.Abs(ci) + Math.Abs(cj) < 1) ci += 2;
                double ca = sa + ci, cb = sb + cj, r = Math.Sqrt(ci * ci + cj * cj);
                double start = Math.Atan2(sb - cb, sa - ca);
                bool full = Chance(0.1);
                double end = full ? start : start + Range(-Math.PI, Math.PI);
                double ea = full ? sa : ca + r * Math.Cos(end), eb = full ? sb : cb + r * Math.Sin(end);
                bool absCentre = !inc && Chance(0.2);
                string centre = absCentre ? $"{i}{N(ca)} {j}{N(cb)}" : $"{i}{N(ci)} {j}{N(cj)}";
                if (absCentre) L("G90.1");
                string endWords = full && Chance(0.5) ? "" : inc ? $"{a}{N(ea - sa)} {b}{N(eb - sb)}" : $"{a}{N(ea)} {b}{N(eb)}";
                string helix = dn != 0 ? $" {axis}{N(inc ? dn : sn + dn)}" : "";
                L($"{(inc ? "G91 " : "")}{g} {endWords}{helix} {centre}{turns}{Feed()}".Replace("  ", " "));
                if (absCentre) L("G91.1");
            }
            if (inc) L("G90");
        }
        if (_plane != 17 && Chance(0.5)) { _plane = 17; L("G17"); }
    }

    private void Cycles()
    {
        SafeZ();
        var (a, b, axis, _, _) = PlaneLetters();
        string cyc = Pick("G81", "G82", "G83", "G73", "G85", "G86", "G89", "G84", "G74", "G87", "G88");
        // LinuxCNC 2.9 taps outside G17 to permuted coordinates (a known difference, see the README): XY only here.
        if (cyc is "G84" or "G74" && _plane != 17) cyc = "G81";
        if (cyc is "G84" or "G74" && Chance(0.7)) L(cyc == "G84" ? "M3" : "M4");
        bool inc = Chance(0.25);
        string retract = Pick("G98", "G99");
        double r = Range(1, 5), depth = Range(-12, -1);
        var words = new StringBuilder();
        words.Append($"{retract} {cyc} {a}{N(Range(-40, 40))} {b}{N(Range(-40, 40))}");
        words.Append(inc ? $" {axis}{N(depth - r)} R{N(r - Range(10, 20))}" : $" {axis}{N(depth)} R{N(r)}");
        if (cyc is "G83" or "G73") words.Append(" Q").Append(N(Range(0.5, 4)));
        if (cyc is "G82" or "G89" or "G86" or "G88" || (cyc is "G84" or "G74" && Chance(0.5)) || Chance(0.05)) words.Append(" P").Append(R4(Range(0.1, 1.5)));
        if (cyc == "G87") words.Append($" I{N(Range(-1, 1))} J{N(Range(-1, 1))} K{N(Range(1, 4))}");
        if (inc || Chance(0.2)) words.Append(" L").Append(_rng.Next(1, 4));
        words.Append(_inverseTime ? Feed() : " F" + N(Range(50, 400)));
        if (inc) L("G91");
        L(words.ToString());
        int more = _rng.Next(0, 4);
        for (int k = 0; k < more; k++)
            L(inc ? $"{a}{N(Range(-10, 10))}{(Chance(0.5) ? $" {b}{N(Range(-10, 10))}" : "")}" : $"{a}{N(Range(-40, 40))} {b}{N(Range(-40, 40))}{(Chance(0.3) ? $" {axis}{N(Range(-12, -1))}" : "")}");
        L("G80");
        if (inc) L("G90");
    }

    private void HomeAndMachine()
    {
        switch (_rng.Next(5))
        {
            case 0: L($"G28 Z{N(Range(20, 40))}"); break;
            case 1: L($"G30 X{N(Range(-20, 20))} Z{N(Range(20, 40))}"); break;
            case 2: L(Pick("G28.1", "G30.1")); break;
            case 3: L($"G53 G0 Z{N(Range(-10, 0))}"); break;
            default: L($"G53 G1 X{N(Range(-100, 0))} Y{N(Range(-100, 0))}{Feed()}"); break;
        }
    }

    private string Expr(int depth)
    {
        if (depth <= 0 || Chance(0.3))
            return Pick("#1", "#<_xv>", "#<len>", R4(Range(-20, 20)), "[#2 + 1]");
        string x = Expr(depth - 1), y = Expr(depth - 1);
        return _rng.Next(10) switch
        {
            0 => $"[{x} + {y}]",
            1 => $"[{x} - {y}]",
            2 => $"[{x} * {y}]",
            3 => $"[{x} / [ABS[{y}] + 1]]",
            4 => $"SIN[{x}]",
            5 => $"[ATAN[{x}]/[ABS[{y}] + 2]]",
            6 => $"[SQRT[ABS[{x}]] * {Pick("FIX", "FUP", "ROUND")}[{y}]]",
            7 => $"[{x} MOD 7]",
            8 => $"[[{x} GT {y}] * 5 + [{x} LE 3 AND {y} NE 2]]",
            _ => $"[EXP[[{x}] / 100] ** 2]",
        };
    }

    private void Expressions()
    {
        L($"#1 = {R4(Range(-10, 10))}");
        L($"#2 = [#1 * 2 - {R4(Range(0, 5))}]");
        string e1 = Expr(2), e2 = Expr(2);
        if (e1.Length > MaxLine - 20) e1 = Expr(1);
        if (e2.Length > MaxLine - 40) e2 = Expr(1);
        L($"#<len> = {e1}");
        L($"#<_xv> = [#<len> MOD 37]");
        L($"G1 X[#<_xv>] Y[{e2} / 4] Z[#1 / 5]{Feed()}");
    }

    private void Loop()
    {
        int o = 100 + _rng.Next(800);
        int n = _rng.Next(1, 5);
        if (!_usedBreak && Chance(0.2))
        {
            L("#7 = 0");
            L($"o{o} do");
            L("  #7 = [#7 + 1]");
            L($"  G91 G1 Y{N(Range(-3, 3))}{Feed()}");
            L("  G90");
            L($"o{o} while [#7 LT {n}]");
        }
        else if (Chance(0.5))
        {
            L($"#3 = 0");
            L($"o{o} while [#3 LT {n}]");
            L($"  G1 X[#3 * {N(Range(1, 8))}] Y[{N(Range(-20, 20))} + #3]{Feed()}");
            L($"  #3 = [#3 + 1]");
            L($"o{o} endwhile");
        }
        else
        {
            L($"o{o} repeat [{n}]");
            L($"  G91 G1 X{N(Range(-5, 5))} Y{N(Range(-5, 5))}{Feed()}");
            L($"  G90");
            L($"o{o} endrepeat");
        }
    }

    private void Conditional()
    {
        int o = 100 + _rng.Next(800);
        L($"#4 = {R4(Range(-3, 3))}");
        L($"o{o} if [#4 GT 1]");
        L($"  G1 X{N(Range(-30, 30))}{Feed()}");
        L($"o{o} elseif [#4 LT -1]");
        L($"  G1 Y{N(Range(-30, 30))}{Feed()}");
        L($"o{o} else");
        L($"  G0 Z{N(Range(5, 20))}");
        L($"o{o} endif");
    }

    private void CallSub()
    {
        // A sub written in the current units and feed mode: it draws a small square around its arguments.
        int o = 1000 + _subCount++;
        string f = _inverseTime ? " F10" : "";
        var s = new StringBuilder();
        s.Append($"o{o} sub\n");
        s.Append($"  G1 X#1 Y#2{f}\n  G91 G1 X#3{f}\n  Y#3{f}\n  X-#3{f}\n  G90\n");
        s.Append($"o{o} endsub\n");
        _subs.Add(s.ToString());
        // Feed mode and units are captured at definition in the text only; keep the call in the same modes.
        L($"o{o} call [{N(Range(-20, 20))}] [{N(Range(-20, 20))}] [{N(Range(1, 10))}]");
    }

    private void CutterComp()
    {
        if (_plane != 17) { _plane = 17; L("G17"); }
        var tool = Tools.First(t => t.T == _tool);
        double rad = tool.D / 2;
        // A rectangle with rounded corners, traversed so that the tool stays outside (or inside with corners
        // larger than the tool).
        double cx = Range(-20, 20), cy = Range(-20, 20), w = Range(10, 40), h = Range(10, 40);
        bool inside = Chance(0.3);
        double cr = inside ? rad + Range(0.5, 4) : Range(0, 5);
        if (inside && (w < 2 * cr + 2 * rad + 1 || h < 2 * cr + 2 * rad + 1)) { w = 2 * cr + 2 * rad + 6; h = w + 3; }
        bool left = Chance(0.5);
        // Left compensation keeps the tool outside when the contour runs clockwise; inside when counter-clockwise.
        bool ccw = inside ? left : !left;
        double x0 = cx - w / 2, x1 = cx + w / 2, y0 = cy - h / 2, y1 = cy + h / 2;
        SafeZ();
        // Lead in along the bottom edge's normal, from far enough away.
        double leadY = inside ? y0 + h / 2 : y0 - rad - Range(2, 8);
        double startX = (x0 + x1) / 2;
        L($"G0 X{N(startX)} Y{N(leadY)}");
        L($"G1 Z{N(Range(-5, 0))}{Feed()}");
        string comp = left ? "G41" : "G42";
        string d = Chance(0.8) ? $" D{_tool}" : "";
        if (Chance(0.15)) { comp += ".1"; d = $" D{N(tool.D)}"; }
        L($"{comp}{d}");
        L($"G1 X{N(startX)} Y{N(y0)}{Feed()}");
        string arc = ccw ? "G3" : "G2";
        if (ccw)
        {
            Corner($"G1 X{N(x1 - cr)} Y{N(y0)}", cr > 0 ? $"{arc} X{N(x1)} Y{N(y0 + cr)} I0 J{N(cr)}" : null);
            Corner($"G1 X{N(x1)} Y{N(y1 - cr)}", cr > 0 ? $"{arc} X{N(x1 - cr)} Y{N(y1)} I{N(-cr)} J0" : null);
            Corner($"G1 X{N(x0 + cr)} Y{N(y1)}", cr > 0 ? $"{arc} X{N(x0)} Y{N(y1 - cr)} I0 J{N(-cr)}" : null);
            Corner($"G1 X{N(x0)} Y{N(y0 + cr)}", cr > 0 ? $"{arc} X{N(x0 + cr)} Y{N(y0)} I{N(cr)} J0" : null);
        }
        else
        {
            Corner($"G1 X{N(x0 + cr)} Y{N(y0)}", cr > 0 ? $"{arc} X{N(x0)} Y{N(y0 + cr)} I0 J{N(cr)}" : null);
            Corner($"G1 X{N(x0)} Y{N(y1 - cr)}", cr > 0 ? $"{arc} X{N(x0 + cr)} Y{N(y1)} I{N(cr)} J0" : null);
            Corner($"G1 X{N(x1 - cr)} Y{N(y1)}", cr > 0 ? $"{arc} X{N(x1)} Y{N(y1 - cr)} I0 J{N(-cr)}" : null);
            Corner($"G1 X{N(x1)} Y{N(y0 + cr)}", cr > 0 ? $"{arc} X{N(x1 - cr)} Y{N(y0)} I{N(-cr)} J0" : null);
        }
        L($"G1 X{N(startX)} Y{N(y0)}");
        L("G40");
        L($"G1 X{N(startX)} Y{N(leadY)}");
        SafeZ();

        void Corner(string line, string? arcLine)
        {
            L(line + Feed());
            if (arcLine != null) L(arcLine + Feed());
        }
    }

    /// <summary>A star-shaped contour (concave and convex corners, some edges arcs) with compensation, in XY or XZ.</summary>
    private void CompPolygon()
    {
        int pl = Chance(0.25) ? 18 : 17;
        if (_plane != pl) { _plane = pl; L("G" + pl); }
        var (a, b, axis, _, _) = PlaneLetters();
        double ca = Range(-20, 20), cb = Range(-20, 20);
        int n = _rng.Next(3, 8);
        bool ccw = Chance(0.5);
        double phase = Range(0, 2 * Math.PI);
        var pts = new List<(double A, double B)>();
        for (int k = 0; k < n; k++)
        {
            double ang = phase + (ccw ? 1 : -1) * 2 * Math.PI * k / n;
            double rr = k % 2 == 0 ? Range(15, 30) : Range(6, 25);
            pts.Add((Math.Round((ca + rr * Math.Cos(ang)) * U, 4) / U, Math.Round((cb + rr * Math.Sin(ang)) * U, 4) / U));
        }
        SafeZ();
        if (pl == 18) L($"G0 Y{N(Range(-5, 5))}");
        // lead in from outside the first edge's start
        var (p0a, p0b) = pts[0];
        double la = ca + (p0a - ca) * 1.8, lb = cb + (p0b - cb) * 1.8;
        L($"G0 {a}{N(la)} {b}{N(lb)}");
        string comp = Chance(0.5) ? "G41" : "G42";
        string dWord = Chance(0.7) ? $" D{_tool}" : "";
        if (Chance(0.15)) { comp += ".1"; dWord = $" D{N(Tools.First(t => t.T == _tool).D)}"; }
        L($"{comp}{dWord}");
        bool inc = Chance(0.2);
        if (inc) L("G91");
        double ca0 = la, cb0 = lb;   // the tool's point, for incremental words
        string Words(double ta, double tb)
        {
            string w = inc ? $"{a}{N(ta - ca0)} {b}{N(tb - cb0)}" : $"{a}{N(ta)} {b}{N(tb)}";
            ca0 = ta; cb0 = tb;
            return w;
        }
        if (Chance(0.2))
        {
            // entry along an arc: R form from the lead-in point
            double chord = Math.Sqrt((p0a - la) * (p0a - la) + (p0b - lb) * (p0b - lb));
            L($"{Pick("G2", "G3")} {Words(p0a, p0b)} R{N(chord / 2 * Range(1.05, 2))}{Feed()}");
        }
        else L($"G1 {Words(p0a, p0b)}{Feed()}");
        for (int k = 1; k <= n; k++)
        {
            var (pa, pb) = pts[k % n];
            var (qa, qb) = pts[k - 1];
            double chord = Math.Sqrt((pa - qa) * (pa - qa) + (pb - qb) * (pb - qb));
            string helix = Chance(0.1) && !(_rotated && pl != 17) ? $" {axis}{N(inc ? Range(-1, 1) : Range(-3, 0))}" : "";
            if (Chance(0.3) && chord > 0.5)
            {
                double r = chord / 2 * Range(1.05, 3);
                L($"{Pick("G2", "G3")} {Words(pa, pb)}{helix} R{N(r)}{Feed()}");
            }
            else L($"G1 {Words(pa, pb)}{helix}{Feed()}");
            if (Chance(0.1)) L($"G1 {axis}{N(inc ? Range(-1, 1) : Range(-3, 0))}{Feed()}"); // a move along the normal only rides along
        }
        L("G40");
        L($"G1 {Words(la, lb)}{Feed()}");
        if (inc) L("G90");
        SafeZ();
        if (pl != 17) { _plane = 17; L("G17"); }
    }

    private void Polar()
    {
        if (_plane != 17) { _plane = 17; L("G17"); }
        bool inc = Chance(0.3);
        if (inc) L("G91");
        int n = _rng.Next(1, 4);
        for (int k = 0; k < n; k++)
            L($"G1 @{N(Range(1, 30))} ^{R4(Range(-180, 360))}{Feed()}");
        if (inc) L("G90");
    }

    private void ToolTableEdit()
    {
        var t = Pick(Tools);
        switch (_rng.Next(3))
        {
            case 0: L($"G10 L1 P{t.T} Z{N(Range(20, 80))} R{N(t.D / 2)}"); break;
            case 1: L($"G10 L10 P{t.T} Z{N(Range(-5, 40))}"); break;
            default: L($"G10 L11 P{t.T} Z{N(Range(-5, 40))}"); break;
        }
        if (t.T == _tool || Chance(0.3)) L(Chance(0.5) ? $"G43 H{t.T}" : $"G43.2 H{t.T}");
    }

    private void SubWithReturn()
    {
        string name = "calc" + _subCount++;
        var s = new StringBuilder();
        s.Append($"o<{name}> sub\n");
        s.Append("  #<twice> = [#1 * 2]\n");
        s.Append($"  o<{name}> if [#<twice> GT {R4(Range(-5, 5))}]\n");
        s.Append($"    o<{name}> return [#<twice> + #2]\n");
        s.Append($"  o<{name}> endif\n");
        s.Append($"  #5 = 0\n");
        s.Append($"  o<{name}_loop> while [#5 LT 10]\n");
        s.Append($"    #5 = [#5 + 1]\n");
        s.Append($"    o<{name}_c> if [#5 EQ 2]\n      o<{name}_loop> continue\n    o<{name}_c> endif\n");
        s.Append($"    o<{name}_b> if [#5 GT #2 + 3]\n      o<{name}_loop> break\n    o<{name}_b> endif\n");
        s.Append($"  o<{name}_loop> endwhile\n");
        s.Append($"o<{name}> endsub [#5 - #<twice>]\n");
        _subs.Add(s.ToString());
        _usedBreak = true;
        L($"o<{name}> call [{R4(Range(-5, 5))}] [{_rng.Next(0, 6)}]");
        L($"G1 X[#<_value> * {N(2)}] Y{N(Range(-20, 20))}{Feed()} (returned #<_value_returned>)");
        // After an O-word break, LinuxCNC 2.9 runs the next do...while body only once (a known difference, see the
        // README): do loops are only written into programs without a break.
        if (!_usedBreak && Chance(0.5))
        {
            L($"#6 = 0");
            L($"o<dw{_subCount}> do");
            L($"  #6 = [#6 + 1]");
            L($"  G91 G1 X{N(Range(-3, 3))}{Feed()}");
            L($"  G90");
            L($"o<dw{_subCount}> while [#6 LT {_rng.Next(1, 4)}]");
        }
    }

    private void Syntax()
    {
        switch (_rng.Next(6))
        {
            case 0: L($"g1x{N(Range(-20, 20))}y{N(Range(-20, 20))}{Feed().ToLowerInvariant()}"); break;
            case 1: L($"G01 X {N(Range(-20, 20)).Replace(".", " . ")} Y+{N(Range(0, 20))}{Feed()}"); break;
            case 2: L($"N{_rng.Next(1, 99999)}G0X{N(Range(-20, 20))}(no spaces)Y{N(Range(-20, 20))}"); break;
            case 3: L($"(msg, message {_rng.Next(100)})"); L($"(debug, x=#<_x>)"); break;
            case 4: L($"G0 X{N(Range(-20, 20))} ; trailing comment (with parens)"); break;
            default: L($"G1 X.{_rng.Next(1, 99)} Y-{_rng.Next(0, 9)}.{Feed()}"); break;
        }
    }

    /// <summary>A subroutine in its own file, found by name beside the program.</summary>
    private void ExternalSub()
    {
        string name = $"rsub{_seed}_{_files.Count}";
        string f = _inverseTime ? " F20" : "";
        // The file keeps the caller's units and feed mode (a sub does not restore modes); it draws a triangle.
        _files.Add((name + ".ngc", $"o<{name}> sub\n  #<s> = #1\n  G91 G1 X#<s>{f}\n  G1 Y#<s>{f}\n  G1 X[-#<s>] Y[-#<s>]{f}\n  G90\no<{name}> endsub [#<s> * 2]\nM2\n"));
        L($"o<{name}> call [{N(Range(1, 8))}]");
        L($"G1 X[#<_value> + {N(Range(-10, 10))}]{Feed()}");
    }

    private void LocalOffset()
    {
        if (Chance(0.7)) L($"G52 X{N(Range(-15, 15))} Y{N(Range(-15, 15))}{(Chance(0.3) ? $" Z{N(Range(-3, 3))}" : "")}");
        else L("G52 X0 Y0 Z0");
    }

    /// <summary>A line LinuxCNC refuses (or, for some, accepts in a way worth checking).</summary>
    private void Mistake()
    {
        switch (_rng.Next(22))
        {
            case 0: L($"G0 G1 X{N(Range(-10, 10))}"); break;                       // two motion codes
            case 1: L("G17 G18"); break;                                          // two planes
            case 2: L("M3 M4"); break;                                            // two spindle codes
            case 3: L($"G1 X{N(1)} X{N(2)}"); break;                               // repeated word
            case 4: L($"G1 E{N(1)}"); break;                                      // unknown axis word
            case 5: L("#1 = [1 +]"); break;                                       // bad expression
            case 6: L("G0 X1 (never closed"); break;                              // unclosed comment
            case 7: L($"G90 G1 X0 Y0 Z0{Feed()}"); L($"G2 X{N(10)} Y0 I{N(4)} J0{Feed()}"); break; // radii differ
            case 8: L($"G90 G1 X0 Y0{Feed()}"); L($"G3 X{N(10)} Y0{Feed()}"); break; // no centre
            case 9: L($"G90 G1 X0 Y0{Feed()}"); L($"G2 X{N(10)} Y0 R{N(3)}{Feed()}"); break; // R too small
            case 10: L("#2 = [1 / 0]"); break;
            case 11: L("#3 = [SQRT[-4]]"); break;
            case 12: L("#3 = [LN[0]]"); break;
            case 13: L("#3 = [ACOS[2]]"); break;
            case 14: L("#3 = [-2 ** 0.5]"); break;
            case 15: L("G10 L2 X1"); break;                                       // no P
            case 16: L("S-100"); break;
            case 17: L("F-5"); break;
            case 18: L("o999 endwhile"); break;                                   // no while
            case 19: L($"G80 X{N(5)}"); break;                                    // axis words with G80
            case 20: L("G1 X1 Y1 F0"); break;                                     // zero feed
            default: L("#4 = [ASIN[0.5] + ATAN[1]/[0] + TAN[45] + EXP[1] + ABS[-2] + FIX[-2.5] + FUP[-2.5] + ROUND[2.5]]"); L($"G1 X[#4]{Feed()}"); break;
        }
    }

    private void Units()
    {
        _inch = !_inch;
        // LinuxCNC keeps the tool length offset's number through a units change (G28/G30/G53 and a later G43 then
        // land off by 25.4x; a known difference, see the README), so programs here cancel it first and re-apply it.
        L("G49");
        L(_inch ? "G20" : "G21");
        L($"G43 H{_tool}");
    }

    private void FeedMode()
    {
        if (_inverseTime) { L("G94 F" + N(Range(100, 1000))); _inverseTime = false; }
        else if (Chance(0.3)) { L("G95 F" + N(Range(0.02, 0.2))); L("G94 F" + N(Range(100, 1000))); }
        else { L("G93"); _inverseTime = true; }
    }

    private void Misc()
    {
        switch (_rng.Next(6))
        {
            case 0: L("G4 P" + R4(Range(0, 2))); break;
            case 1: L(Pick("M7", "M8", "M9")); break;
            case 2: L("S" + _rng.Next(500, 15000)); break;
            case 3: L(Pick("G61", "G61.1", "G64", "G64 P0.01", "G64 P0.05 Q0.01")); break;
            case 4: L("N" + _rng.Next(1, 9999) + " G0 X" + N(Range(-30, 30)) + " (numbered)"); break;
            default: L("/G0 Z" + N(Range(5, 30)) + " ; block delete"); break;
        }
    }
}
