using System.Globalization;

namespace CncTwin.GCode;

// Reading one block: words, comments, O-words, parameter settings and expressions, evaluated as
// they are read (as LinuxCNC does), so a value depends on parameters set by earlier lines only.
public sealed partial class Interpreter
{
    private ReadOnlyMemory<char> _lineChars;
    private int _cur;
    private bool _lastNumberHadDecimalPoint;

    private GCodeException Err(int column, string message) => new(_source.FileName, _block.Line, column, message);
    private GCodeException ErrHere(string message) => Err(_cur + 1, message);

    private ReadOnlySpan<char> L => _lineChars.Span;

    private void SkipSpaces()
    {
        var l = L;
        while (_cur < l.Length && (l[_cur] == ' ' || l[_cur] == '\t' || l[_cur] == '\f' || l[_cur] == '\v')) _cur++;
    }

    private char Peek()
    {
        SkipSpaces();
        return _cur < L.Length ? char.ToLowerInvariant(L[_cur]) : '\0';
    }

    private bool AtEnd { get { SkipSpaces(); return _cur >= L.Length; } }

    /// <summary>Matches a keyword (case-insensitive, spaces allowed between its letters, as LinuxCNC strips them).</summary>
    private bool TryKeyword(string keyword)
    {
        int save = _cur;
        foreach (char k in keyword)
        {
            SkipSpaces();
            if (_cur >= L.Length || char.ToLowerInvariant(L[_cur]) != k) { _cur = save; return false; }
            _cur++;
        }
        return true;
    }

    /// <summary>Parses the current line into <see cref="_block"/>. When <paramref name="oWordOnly"/> is set (skipping a
    /// false branch or searching for a subroutine), only the O-word is read and nothing is evaluated.</summary>
    private const int MaxLineChars = 252;

    private void ParseLine(ReadOnlyMemory<char> line, int lineNumber, bool oWordOnly)
    {
        _lineChars = line;
        _cur = 0;
        _block.Reset(lineNumber);
        // Before the length check: a UTF-16 line is twice as long, and the encoding is the real problem.
        if (line.Length >= 2 && line.Span[0] >= '\u00EF') CheckEncodingMark(line.Span, lineNumber);
        // LinuxCNC refuses longer lines ("Command too long"), so a program that passes here also loads there;
        // lines read only for their O-word (skipped) get its comment checks too, the others as they are parsed.
        CheckReadable(line.Span, lineNumber, comments: oWordOnly);
        if (AtEnd) return;
        if (Peek() == '/')
        {
            _cur++;
            _block.BlockDeleted = true;
            if (BlockDeleteSwitch) return;
        }
        if (Peek() == 'n')
        {
            int col = _cur + 1;
            _cur++;
            SkipSpaces();
            int start = _cur;
            int number = 0;
            bool whole = true;
            while (_cur < L.Length && (char.IsAsciiDigit(L[_cur]) || L[_cur] == '.' || L[_cur] == ' '))
            {
                if (L[_cur] == '.') whole = false;
                else if (whole && char.IsAsciiDigit(L[_cur]) && number < 100_000_000) number = number * 10 + (L[_cur] - '0');
                _cur++;
            }
            if (_cur == start && !oWordOnly) throw Err(col, "line number N must be followed by digits");
            if (_cur > start) _block.SequenceNumber = number;   // a Fanuc GOTO's target
        }
        if (_fanuc && TryParseFanucStatement(oWordOnly)) return;
        if (Peek() == 'o')
        {
            ParseOWord(oWordOnly);
            return;
        }
        if (oWordOnly) return;
        ParseWords();
    }

    private void ParseOWord(bool oWordOnly)
    {
        _block.OColumn = _cur + 1;
        _cur++;
        SkipSpaces();
        if (_cur < L.Length && L[_cur] == '<')
        {
            int close = L[_cur..].IndexOf('>');
            if (close < 0) throw ErrHere("named O-word has no closing '>'");
            var sb = new System.Text.StringBuilder();
            foreach (char c in L.Slice(_cur + 1, close - 1)) if (c != ' ' && c != '\t') sb.Append(char.ToLowerInvariant(c));
            _block.OName = sb.ToString();
            _cur += close + 1;
        }
        else if (_cur < L.Length && L[_cur] == '[')
        {
            if (oWordOnly) { _block.OName = "?"; SkipBracket(); }
            else _block.OName = FormatONumber(ReadExpression());
        }
        else
        {
            int start = _cur;
            var sb = new System.Text.StringBuilder();
            while (_cur < L.Length && (char.IsAsciiDigit(L[_cur]) || L[_cur] == ' ' || L[_cur] == '.'))
            {
                if (L[_cur] != ' ') sb.Append(L[_cur]);
                _cur++;
            }
            if (sb.Length == 0 || !double.TryParse(sb.ToString(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
                throw Err(_block.OColumn, "O-word must be followed by a number or <name>");
            _block.OName = FormatONumber(number);
        }
        SkipSpaces();
        var kw = OWordKeyword.None;
        foreach (var (text, k) in OKeywords)
            if (TryKeyword(text)) { kw = k; break; }
        if (kw == OWordKeyword.None)
        {
            // Fanuc dialect: a bare "O1234" (optionally with a comment) is a program number / subprogram label.
            SkipComments();
            if (!AtEnd && !oWordOnly) throw ErrHere("unknown O-word keyword (expected sub, endsub, call, return, if, elseif, else, endif, while, endwhile, do, break, continue, repeat or endrepeat)");
            _block.OKeyword = OWordKeyword.ProgramNumber;
            return;
        }
        _block.OKeyword = kw;
        if (oWordOnly) return;
        switch (kw)
        {
            case OWordKeyword.Call:
                while (Peek() == '[') _block.OArgs.Add(ReadExpression());
                break;
            case OWordKeyword.If or OWordKeyword.ElseIf or OWordKeyword.While or OWordKeyword.Repeat:
                if (Peek() != '[') throw ErrHere($"O-word {kw.ToString().ToLowerInvariant()} needs a condition in [brackets]");
                _condStart = _cur;
                SkipBracket();          // evaluated when (and only if) the line executes
                _block.OValueNeedsEval = true;
                break;
            case OWordKeyword.Return or OWordKeyword.EndSub:
                if (Peek() == '[') _block.OValue = ReadExpression();
                break;
            case OWordKeyword.EndWhile:
                // "o100 endwhile" may not carry a condition in LinuxCNC; a do-while uses "o100 while [cond]" at the end.
                break;
        }
        SkipComments();
        if (!AtEnd) throw ErrHere("unexpected text after O-word");
    }

    private int _condStart;

    /// <summary>Evaluates the condition of an if/while/elseif/repeat line (the line is still the current one).</summary>
    private double EvaluateOCondition()
    {
        _cur = _condStart;
        return ReadExpression();
    }

    private static readonly (string, OWordKeyword)[] OKeywords =
    {
        ("endsub", OWordKeyword.EndSub), ("sub", OWordKeyword.Sub), ("call", OWordKeyword.Call), ("return", OWordKeyword.Return),
        ("elseif", OWordKeyword.ElseIf), ("else", OWordKeyword.Else), ("endif", OWordKeyword.EndIf), ("if", OWordKeyword.If),
        ("endwhile", OWordKeyword.EndWhile), ("while", OWordKeyword.While), ("do", OWordKeyword.Do), ("break", OWordKeyword.Break),
        ("continue", OWordKeyword.Continue), ("endrepeat", OWordKeyword.EndRepeat), ("repeat", OWordKeyword.Repeat),
    };

    private static string FormatONumber(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    private void SkipBracket()
    {
        int depth = 0;
        var l = L;
        int start = _cur;
        while (_cur < l.Length)
        {
            char c = l[_cur++];
            if (c == '[') depth++;
            else if (c == ']' && --depth == 0) return;
        }
        throw Err(start + 1, "unclosed '[' in expression");
    }

    private void SkipComments()
    {
        while (true)
        {
            char c = Peek();
            if (c == '(') ReadComment();
            else if (c == ';') { _cur = L.Length; }
            else return;
        }
    }

    /// <summary>
    /// The checks LinuxCNC makes on every line it reads, also lines it skips (a false branch, a subroutine
    /// body being passed over, a search for a definition further down): not too long, and (unless the caller
    /// parses the comments itself) comments closed and not nested.
    /// </summary>
    private void CheckReadable(ReadOnlySpan<char> line, int lineNumber, bool comments)
    {
        if (line.Length > MaxLineChars)
            throw new GCodeException(_source.FileName, lineNumber, MaxLineChars + 1, $"line is longer than {MaxLineChars} characters (LinuxCNC's limit)");
        if (!comments) return;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == ';') return;
            if (c != '(') continue;
            int open = i;
            for (i++; i < line.Length && line[i] != ')'; i++)
                if (line[i] == '(') throw new GCodeException(_source.FileName, lineNumber, i + 1, "nested comment: '(' inside a comment");
            if (i >= line.Length) throw new GCodeException(_source.FileName, lineNumber, open + 1, "unclosed comment: '(' without ')'");
        }
    }

    /// <summary>
    /// A byte-order mark at the start of a line (of the file, or of a file joined onto another): the program was
    /// saved as "UTF-8 with BOM" or as UTF-16 ("Unicode" on Windows). LinuxCNC refuses both (bad character on the
    /// first line); say what it is and how to save the file, not "unknown word starting with 'ï'".
    /// </summary>
    private void CheckEncodingMark(ReadOnlySpan<char> line, int lineNumber)
    {
        string where = lineNumber == 1 ? "the file starts with" : "this line starts with";
        if (line.StartsWith("\u00EF\u00BB\u00BF"))
            throw new GCodeException(_source.FileName, lineNumber, 1, $"{where} a UTF-8 byte-order mark (bytes EF BB BF), which LinuxCNC refuses too: save the program as plain ASCII (\"UTF-8 without BOM\")");
        if (line.StartsWith("\u00FF\u00FE") || line.StartsWith("\u00FE\u00FF"))
            throw new GCodeException(_source.FileName, lineNumber, 1, $"{where} a UTF-16 byte-order mark (bytes {(int)line[0]:X2} {(int)line[1]:X2}): the program is UTF-16 text (\"Unicode\" on Windows), two bytes a character; save it as plain ASCII (\"UTF-8 without BOM\")");
    }

    private void ReadComment()
    {
        int col = _cur + 1;
        int start = ++_cur;
        var l = L;
        while (_cur < l.Length && l[_cur] != ')')
        {
            if (l[_cur] == '(') throw Err(_cur + 1, "nested comment: '(' inside a comment");
            _cur++;
        }
        if (_cur >= l.Length) throw Err(col, "unclosed comment: '(' without ')'");
        var text = l[start.._cur];
        _cur++;
        var trimmed = text.TrimStart();
        if (trimmed.Length >= 4 && trimmed[..4].Equals("msg,", StringComparison.OrdinalIgnoreCase))
            _block.MessageText = trimmed[4..].ToString();
        else
            _block.CommentText ??= text.ToString();
    }

    private void ParseWords()
    {
        var l = L;
        while (true)
        {
            SkipSpaces();
            if (_cur >= l.Length) return;
            char c = char.ToLowerInvariant(l[_cur]);
            int col = _cur + 1;
            if (c == '(') { ReadComment(); continue; }
            if (c == ';') { _block.CommentText ??= l[(_cur + 1)..].ToString(); _cur = l.Length; return; }
            _block.HasContent = true;
            if (c == '#') { ReadAssignment(); continue; }
            if (c is '@' or '^')
            {
                _cur++;
                double pv = ReadRealValue();
                if (c == '@') { if (_block.PolarColumn != 0) throw Err(col, "more than one @ word on one line"); _block.Polar = pv; _block.PolarColumn = col; }
                else { if (_block.AngleColumn != 0) throw Err(col, "more than one ^ word on one line"); _block.Angle = pv; _block.AngleColumn = col; }
                continue;
            }
            if (c is < 'a' or > 'z' || c is 'n' or 'o')
            {
                if (c == 'n') throw Err(col, "line number N must be the first word of the line");
                if (c == 'o') throw Err(col, "O-word must start the line");
                if (c == '%') throw Err(col, "'%' is only allowed alone on a line");
                throw Err(col, $"unknown word starting with {GCodeException.Describe(l[_cur])}" + (l[_cur] == '\0' ? " (UTF-16 text? G-code must be plain ASCII)" : ""));
            }
            _cur++;
            _lastNumberHadDecimalPoint = false;
            double v = ReadRealValue();
            // Fanuc: a word whose value is a vacant variable is left out ("X#1" with #1 vacant moves no X).
            if (double.IsNaN(v)) { if (_fanuc) continue; throw Err(col, $"{char.ToUpperInvariant(c)} word has no value"); }
            if (c == 'p') _block.PHasDecimalPoint = _lastNumberHadDecimalPoint;
            if (c == 'g' || c == 'm')
            {
                double tenths = Math.Round(v * 10);
                if (Math.Abs(v * 10 - tenths) > 1e-6 || v < 0 || v > 9999)
                    throw Err(col, $"{char.ToUpperInvariant(c)}{v.ToString(CultureInfo.InvariantCulture)} is not a valid {(c == 'g' ? "G" : "M")}-code");
                if (c == 'g') _block.GCodes.Add(((int)tenths, col));
                else
                {
                    if (tenths % 10 != 0) throw Err(col, $"M{v.ToString(CultureInfo.InvariantCulture)} is not a valid M-code");
                    _block.MCodes.Add(((int)tenths / 10, col));
                }
                continue;
            }
            int idx = c - 'a';
            if (_block.Column[idx] != 0)
                throw Err(col, $"more than one {char.ToUpperInvariant(c)} word on one line");
            _block.Value[idx] = v;
            _block.Column[idx] = col;
        }
    }

    private void ReadAssignment()
    {
        int col = _cur + 1;
        _cur++;
        SkipSpaces();
        int index = 0; string? name = null;
        if (_cur < L.Length && L[_cur] == '<')
        {
            name = ReadParamName();
        }
        else
        {
            double n = ReadRealValue();
            index = CheckParamIndex(n, col);
        }
        SkipSpaces();
        if (_cur >= L.Length || L[_cur] != '=') throw ErrHere("expected '=' in parameter setting");
        _cur++;
        // LinuxCNC creates a new name (as 0) when it reads the setting, so "#<n> = [#<n> + 1]" counts from 0.
        if (name != null && !IsPredefinedNamed(name) && !_params.TryGetNamed(name, out _, this)) _params.SetNamed(name, 0);
        if (_fanuc && name == null && index == 0) throw Err(col, "#0 is always vacant and cannot be set");
        // Fanuc Macro B: the rest of the block is the expression ("#100 = #101 + 1", no brackets needed).
        double v = _fanuc ? ReadOperation(bracketed: false) : ReadRealValue();
        _block.Assignments.Add((index, name, v, col));
    }

    private string ReadParamName()
    {
        // at '<'
        var l = L;
        int close = l[_cur..].IndexOf('>');
        if (close < 0) throw ErrHere("named parameter has no closing '>'");
        var sb = new System.Text.StringBuilder(close);
        foreach (char ch in l.Slice(_cur + 1, close - 1)) if (ch != ' ' && ch != '\t') sb.Append(char.ToLowerInvariant(ch));
        _cur += close + 1;
        if (sb.Length == 0) throw ErrHere("empty parameter name");
        return sb.ToString();
    }

    private int CheckParamIndex(double n, int col)
    {
        if (double.IsNaN(n)) throw Err(col, "parameter number is a vacant variable");
        double r = Math.Round(n);
        if (Math.Abs(n - r) > 1e-4) throw Err(col, "parameter number must be a whole number");
        if (_fanuc && r == 0) return 0;   // #0: always vacant
        if (r < 1 || r > Parameters.MaxNumbered) throw Err(col, $"parameter number {r} out of range (1..{Parameters.MaxNumbered})");
        return (int)r;
    }

    /// <summary>A real value: number, [expression], #parameter, function[...] or a signed one of these.</summary>
    private double ReadRealValue()
    {
        SkipSpaces();
        var l = L;
        if (_cur >= l.Length) throw ErrHere("missing value at end of line");
        char c = char.ToLowerInvariant(l[_cur]);
        switch (c)
        {
            case '[': return ReadExpression();
            case '#': return ReadParameterValue();
            case '-': _cur++; return -ReadRealValue();
            case '+': _cur++; return ReadRealValue();
        }
        if (char.IsAsciiDigit(c) || c == '.') return ReadNumber();
        if (char.IsAsciiLetter(c)) return ReadFunction();
        throw ErrHere($"bad number format: unexpected {GCodeException.Describe(l[_cur])}");
    }

    // Exact powers of ten: mantissa / 10^k is then correctly rounded for up to 15 significant digits.
    private static readonly double[] Pow10 = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16 };

    private double ReadNumber()
    {
        var l = L;
        int start = _cur;
        long mantissa = 0;
        int significant = 0, fracDigits = 0;
        bool digits = false, dot = false;
        while (_cur < l.Length)
        {
            char ch = l[_cur];
            if (char.IsAsciiDigit(ch))
            {
                digits = true;
                if (mantissa != 0 || ch != '0') significant++;
                if (significant <= 15) { mantissa = mantissa * 10 + (ch - '0'); if (dot) fracDigits++; }
                else if (!dot) significant = 99; // too many integer digits for the fast path
            }
            else if (ch == '.')
            {
                if (dot) throw Err(_cur + 1, "bad number format: two decimal points");
                dot = true;
            }
            else if (ch != ' ' && ch != '\t') break;
            _cur++;
        }
        if (!digits) throw Err(start + 1, "bad number format: no digits");
        _lastNumberHadDecimalPoint = dot;
        if (significant > 15 || fracDigits >= Pow10.Length)
        {
            // Long digit strings: let the runtime round them exactly.
            var text = l[start.._cur].ToString().Replace(" ", "").Replace("\t", "");
            if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v) || double.IsInfinity(v))
                throw Err(start + 1, $"bad number format: '{text}'");
            return v;
        }
        return mantissa / Pow10[fracDigits];
    }

    private double ReadParameterValue()
    {
        int col = _cur + 1;
        _cur++; // '#'
        SkipSpaces();
        if (_cur < L.Length && L[_cur] == '<')
        {
            string name = ReadParamName();
            if (!_params.TryGetNamed(name, out double v, this))
                throw Err(col, $"named parameter #<{name}> is not defined");
            return v;
        }
        double n = ReadRealValue();
        int index = CheckParamIndex(n, col);
        return index == 0 ? double.NaN : _params.GetNumbered(index, this);
    }

    private double ReadFunction()
    {
        int col = _cur + 1;
        var l = L;
        int start = _cur;
        var name = new System.Text.StringBuilder(6);
        while (_cur < l.Length && (char.IsAsciiLetter(l[_cur]) || l[_cur] == ' '))
        {
            if (l[_cur] != ' ') name.Append(char.ToLowerInvariant(l[_cur]));
            _cur++;
            if (name.Length > 6) break;
        }
        string fn = name.ToString();
        if (fn == "exists")
        {
            SkipSpaces();
            if (_cur >= l.Length || l[_cur] != '[') throw ErrHere("EXISTS needs [#<name>]");
            _cur++; SkipSpaces();
            if (_cur >= l.Length || l[_cur] != '#') throw ErrHere("EXISTS needs a named parameter #<name>");
            _cur++; SkipSpaces();
            if (_cur >= l.Length || l[_cur] != '<') throw ErrHere("EXISTS needs a named parameter #<name>");
            string pname = ReadParamName();
            SkipSpaces();
            if (_cur >= l.Length || l[_cur] != ']') throw ErrHere("missing ']' after EXISTS argument");
            _cur++;
            return _params.TryGetNamed(pname, out _, this) ? 1 : 0;
        }
        if (!IsFunction(fn))
            throw Err(col, fn.Length > 0 ? $"unknown word or function '{l.Slice(start, Math.Min(l.Length - start, fn.Length))}'" : "bad value");
        SkipSpaces();
        if (_cur >= l.Length || l[_cur] != '[') throw ErrHere($"function {fn.ToUpperInvariant()} needs its argument in [brackets]");
        double a = Arith(ReadExpression());
        if (fn == "atan")
        {
            SkipSpaces();
            if (_cur >= l.Length || l[_cur] != '/') throw ErrHere("ATAN needs the form ATAN[y]/[x]");
            _cur++; SkipSpaces();
            if (_cur >= l.Length || l[_cur] != '[') throw ErrHere("ATAN needs the form ATAN[y]/[x]");
            double b = Arith(ReadExpression());
            // Fanuc gives 0..360 degrees, LinuxCNC -180..180
            double deg = Math.Atan2(a, b) * 180.0 / Math.PI;
            return _fanuc && deg < 0 ? deg + 360 : deg;
        }
        return fn switch
        {
            "abs" => Math.Abs(a),
            "acos" => a < -1 || a > 1 ? throw Err(col, "argument to ACOS out of range [-1, 1]") : Math.Acos(a) * 180 / Math.PI,
            "asin" => a < -1 || a > 1 ? throw Err(col, "argument to ASIN out of range [-1, 1]") : Math.Asin(a) * 180 / Math.PI,
            "cos" => Math.Cos(a * Math.PI / 180),
            "sin" => Math.Sin(a * Math.PI / 180),
            "tan" => Math.Tan(a * Math.PI / 180),
            "exp" => Math.Exp(a),
            "fix" => Math.Floor(a),
            "fup" => Math.Ceiling(a),
            "round" => Math.Round(a, MidpointRounding.AwayFromZero),
            "ln" => a <= 0 ? throw Err(col, "zero or negative argument to LN") : Math.Log(a),
            "sqrt" => a < 0 ? throw Err(col, "negative argument to SQRT") : Math.Sqrt(a),
            _ => throw Err(col, $"unknown function '{fn}'"),
        };
    }

    private static bool IsFunction(string fn) => fn is "abs" or "acos" or "asin" or "atan" or "cos" or "exp" or "fix" or "fup" or "round" or "ln" or "sin" or "sqrt" or "tan";

    private enum Op { None, Power, Times, Divide, Mod, Plus, Minus, Eq, Ne, Gt, Ge, Lt, Le, And, Or, Xor }

    private int Precedence(Op op) => op switch
    {
        Op.Power => 6,
        Op.Times or Op.Divide or Op.Mod => 5,
        // Fanuc Macro B: AND multiplies, OR and XOR add; LinuxCNC puts all three below the comparisons.
        Op.And when _fanuc => 5,
        Op.Or or Op.Xor when _fanuc => 4,
        Op.Plus or Op.Minus => 4,
        Op.Eq or Op.Ne or Op.Gt or Op.Ge or Op.Lt or Op.Le => 3,
        _ => 2,
    };

    /// <summary>Reads "[ value op value op ... ]" with the dialect's operator precedence (all left-associative).</summary>
    private double ReadExpression() => ReadOperation(bracketed: true);

    /// <summary>
    /// "[ value op value ... ]", or (<paramref name="bracketed"/> false: a Fanuc assignment's right side) values and
    /// operators up to the end of the block or a comment.
    /// </summary>
    private double ReadOperation(bool bracketed)
    {
        SkipSpaces();
        int open = _cur;
        if (bracketed) _cur++; // '['
        Span<double> values = stackalloc double[32];
        Span<Op> ops = stackalloc Op[32];
        Span<int> opCols = stackalloc int[32];
        int nv = 0, no = 0;
        values[nv++] = ReadRealValue();
        while (true)
        {
            SkipSpaces();
            bool end = _cur >= L.Length || (!bracketed && L[_cur] is '(' or ';');
            if (end && bracketed) throw Err(open + 1, "unclosed '[' in expression");
            int col = _cur + 1;
            Op op;
            if (end) op = Op.None;
            else if (L[_cur] == ']')
            {
                if (!bracketed) throw ErrHere("']' without its '['");
                _cur++; op = Op.None;
            }
            else op = ReadOperator();
            while (no > 0 && (op == Op.None || Precedence(ops[no - 1]) >= Precedence(op)))
            {
                double b = values[--nv];
                values[nv - 1] = Apply(ops[no - 1], values[nv - 1], b, opCols[no - 1]);
                no--;
            }
            if (op == Op.None) return values[0];
            if (no >= ops.Length || nv >= values.Length) throw Err(col, "expression too long");
            ops[no] = op; opCols[no++] = col;
            values[nv++] = ReadRealValue();
        }
    }

    private Op ReadOperator()
    {
        var l = L;
        char c = char.ToLowerInvariant(l[_cur]);
        switch (c)
        {
            case '*':
                _cur++;
                if (_cur < l.Length && l[_cur] == '*') { _cur++; return Op.Power; }
                return Op.Times;
            case '/': _cur++; return Op.Divide;
            case '+': _cur++; return Op.Plus;
            case '-': _cur++; return Op.Minus;
        }
        foreach (var (w, op) in OperatorWords)
            if (TryKeyword(w)) return op;
        throw ErrHere($"unknown operator in expression at {GCodeException.Describe(l[_cur])}");
    }

    private static readonly (string, Op)[] OperatorWords = { ("mod", Op.Mod), ("eq", Op.Eq), ("ne", Op.Ne), ("gt", Op.Gt), ("ge", Op.Ge), ("lt", Op.Lt), ("le", Op.Le), ("and", Op.And), ("or", Op.Or), ("xor", Op.Xor) };

    private const double ToleranceEqual = 0.0001; // LinuxCNC's EQ/NE tolerance

    /// <summary>A value in arithmetic: a vacant Fanuc variable counts as 0 (it differs from 0 only in EQ and NE).</summary>
    private static double Arith(double v) => double.IsNaN(v) ? 0 : v;

    private double Apply(Op op, double a, double b, int col)
    {
        if (_fanuc && (double.IsNaN(a) || double.IsNaN(b)))
        {
            // Fanuc: vacant EQ vacant; vacant NE 0. Everything else takes vacant as 0.
            if (op == Op.Eq) return double.IsNaN(a) && double.IsNaN(b) ? 1 : 0;
            if (op == Op.Ne) return double.IsNaN(a) && double.IsNaN(b) ? 0 : 1;
            a = Arith(a); b = Arith(b);
        }
        // Fanuc's AND, OR and XOR work bit by bit on whole numbers (on comparison results, 1 and 0, that is the logic).
        if (_fanuc && op is Op.And or Op.Or or Op.Xor)
        {
            long x = (long)Math.Truncate(a), y = (long)Math.Truncate(b);
            return op == Op.And ? x & y : op == Op.Or ? x | y : x ^ y;
        }
        return ApplyValues(op, a, b, col);
    }

    private double ApplyValues(Op op, double a, double b, int col) => op switch
    {
        Op.Power => a < 0 && Math.Floor(b) != b ? throw Err(col, "attempt to raise a negative number to a non-integer power") : Math.Pow(a, b),
        Op.Times => a * b,
        Op.Divide => b == 0 ? throw Err(col, "attempt to divide by zero") : a / b,
        Op.Mod => b == 0 ? throw Err(col, "attempt to divide by zero (MOD)") : ModPositive(a, b),
        Op.Plus => a + b,
        Op.Minus => a - b,
        Op.Eq => Math.Abs(a - b) < ToleranceEqual ? 1 : 0,
        Op.Ne => Math.Abs(a - b) >= ToleranceEqual ? 1 : 0,
        Op.Gt => a > b ? 1 : 0,
        Op.Ge => a >= b ? 1 : 0,
        Op.Lt => a < b ? 1 : 0,
        Op.Le => a <= b ? 1 : 0,
        Op.And => a != 0 && b != 0 ? 1 : 0,
        Op.Or => a != 0 || b != 0 ? 1 : 0,
        Op.Xor => (a != 0) ^ (b != 0) ? 1 : 0,
        _ => throw Err(col, "bad operator"),
    };

    private static double ModPositive(double a, double b)
    {
        double m = a % b;
        return m < 0 ? m + Math.Abs(b) : m;
    }
}
