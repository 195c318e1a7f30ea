namespace CncTwin.GCode;

/// <summary>
/// Numbered (#1..#5602) and named (#&lt;name&gt;) parameters with LinuxCNC scoping: #1-#30 and names
/// without a leading underscore are local to a subroutine call; #31+ and #&lt;_name&gt; are global.
/// System parameters that mirror interpreter state (offsets, position, tool) are computed on read.
/// </summary>
internal sealed class Parameters
{
    public const int MaxNumbered = 5602;
    /// <summary>#1..#LocalCount are local to a call: 30 on LinuxCNC, 33 in Fanuc Macro B.</summary>
    public int LocalCount { get; private set; } = 30;

    private readonly double[] _numbered = new double[MaxNumbered + 1];
    private readonly Dictionary<string, double> _globals = new(StringComparer.Ordinal);
    private readonly Stack<Dictionary<string, double>> _locals = new();
    private Dictionary<string, double> _currentLocals = new(StringComparer.Ordinal);

    public int Depth => _locals.Count;

    /// <summary>
    /// Fanuc Macro B: 33 locals, and locals and common variables (#100-#999) start vacant (<see cref="double.NaN"/>
    /// here), unlike LinuxCNC's parameters, which start at 0.
    /// </summary>
    public void UseFanucVariables()
    {
        LocalCount = 33;
        for (int i = 1; i <= 33; i++) _numbered[i] = double.NaN;
        for (int i = 100; i <= 999; i++) _numbered[i] = double.NaN;
    }

    public double GetNumbered(int index, Interpreter interp) =>
        interp.TryGetSystemParameter(index, out double v) ? v : _numbered[index];

    public void SetNumbered(int index, double value, Interpreter interp)
    {
        if (!interp.TrySetSystemParameter(index, value)) _numbered[index] = value;
    }

    public double RawNumbered(int index) => _numbered[index];

    public void SetRawNumbered(int index, double value) => _numbered[index] = value;

    public bool TryGetNamed(string name, out double value, Interpreter interp)
    {
        if (name.Length > 0 && name[0] == '_')
        {
            if (_globals.TryGetValue(name, out value)) return true;
            return interp.TryGetSystemNamed(name, out value);
        }
        return _currentLocals.TryGetValue(name, out value);
    }

    public void SetNamed(string name, double value)
    {
        if (name.Length > 0 && name[0] == '_') _globals[name] = value;
        else _currentLocals[name] = value;
    }

    /// <summary>Enters a subroutine: saves #1-#30 and local names, loads the call arguments.</summary>
    public void PushCall(IReadOnlyList<double> args)
    {
        var saved = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 1; i <= LocalCount; i++) saved["#" + i] = _numbered[i];
        _locals.Push(_currentLocals);
        _savedNumbered.Push(saved);
        _currentLocals = new Dictionary<string, double>(StringComparer.Ordinal);
        // Locals the call does not set start at 0 (LinuxCNC) or vacant (Fanuc G65: the caller passes all 33).
        for (int i = 1; i <= LocalCount; i++) _numbered[i] = i <= args.Count ? args[i - 1] : 0;
    }

    private readonly Stack<Dictionary<string, double>> _savedNumbered = new();

    public void PopCall()
    {
        if (_locals.Count == 0) return;
        _currentLocals = _locals.Pop();
        var saved = _savedNumbered.Pop();
        for (int i = 1; i <= LocalCount; i++) _numbered[i] = saved["#" + i];
    }
}
