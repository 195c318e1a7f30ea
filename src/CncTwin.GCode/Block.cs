namespace CncTwin.GCode;

/// <summary>O-word control keywords (LinuxCNC subroutines and flow control).</summary>
public enum OWordKeyword { None, Sub, EndSub, Call, Return, If, ElseIf, Else, EndIf, While, EndWhile, Do, Break, Continue, Repeat, EndRepeat, ProgramNumber }

/// <summary>Fanuc Macro B statements (a whole block each).</summary>
public enum FanucStatement { None, IfGoto, IfThen, Goto, While, Do, End }

/// <summary>
/// One parsed and evaluated block (line). Reused from line to line so parsing allocates nothing in
/// the steady state. Letters are indexed 0..25 ('a'..'z').
/// </summary>
internal sealed class Block
{
    public int Line;
    public bool BlockDeleted;
    public readonly double[] Value = new double[26];
    public readonly int[] Column = new int[26]; // 0 = letter absent
    public readonly List<(int Code, int Column)> GCodes = new(4);   // G code * 10, e.g. 381 for G38.1
    public readonly List<(int Code, int Column)> MCodes = new(4);
    public readonly List<(int Index, string? Name, double Value, int Column)> Assignments = new(2);
    public string? MessageText;     // (MSG, ...)
    public string? CommentText;     // first plain comment, for COMMENT output
    public bool HasContent;         // anything but whitespace / N word

    // O-word
    public OWordKeyword OKeyword;
    public string? OName;
    public int OColumn;
    public readonly List<double> OArgs = new(4);
    public double? OValue;          // if/while/elseif/repeat condition or return value
    public bool OValueNeedsEval;    // condition expression text is evaluated only when the line executes

    public int SequenceNumber = -1;   // the N word's number (whole part), -1 without one
    public bool PHasDecimalPoint;     // the P word was written with a decimal point (Fanuc: seconds, else milliseconds)

    // Fanuc Macro B statement: conditions, GOTO targets and THEN assignments are evaluated when the block runs,
    // from these columns of the line (0-based); DO / END carry their loop number.
    public FanucStatement Fanuc;
    public int FanucLabel;
    public int FanucCondStart, FanucTargetStart, FanucColumn;

    public void Reset(int line)
    {
        Line = line;
        BlockDeleted = false;
        Array.Clear(Column);
        PolarColumn = AngleColumn = 0;
        GCodes.Clear(); MCodes.Clear(); Assignments.Clear();
        MessageText = null; CommentText = null; HasContent = false;
        OKeyword = OWordKeyword.None; OName = null; OColumn = 0; OArgs.Clear(); OValue = null; OValueNeedsEval = false;
        SequenceNumber = -1; PHasDecimalPoint = false;
        Fanuc = FanucStatement.None; FanucLabel = 0; FanucCondStart = FanucTargetStart = FanucColumn = 0;
    }

    // LinuxCNC polar coordinate words: @ (distance) and ^ (angle, degrees)
    public double Polar, Angle;
    public int PolarColumn, AngleColumn;
    public bool HasPolar => PolarColumn != 0 || AngleColumn != 0;

    public bool Has(char letter) => letter switch { '@' => PolarColumn != 0, '^' => AngleColumn != 0, _ => Column[letter - 'a'] != 0 };
    public double Get(char letter) => Value[letter - 'a'];
    public int Col(char letter) => Column[letter - 'a'];
    public bool HasAxis => HasPolar || Has('x') || Has('y') || Has('z') || Has('a') || Has('b') || Has('c') || Has('u') || Has('v') || Has('w');
}
