using CncTwin.Removal;
using System.CommandLine;
using CncTwin.Core;
using CncTwin.Core.IO;
using CncTwin.GCode;
using CncTwin.Simulation;

namespace CncTwin.Cli;

/// <summary>The command-line surface. Thin by design: parsing options and calling the libraries.</summary>
public static class CliApp
{
    public const int ExitOk = 0, ExitProgramError = 1, ExitUsage = 2;

    /// <summary>
    /// Parses and runs a command line. A usage problem found by the parser (an unknown option, a missing required
    /// option, a value not among the allowed ones) is one line per problem on standard error and exit code 2, as
    /// for the usage problems the commands find themselves.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken ct = default)
    {
        var parsed = Build().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            string command = parsed.CommandResult.Command is { } c && c is not RootCommand ? c.Name : "cnctwin";
            foreach (var e in parsed.Errors) Console.Error.WriteLine($"{command}: error: {Plain(string.Join(" ", e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))}");
            Console.Error.WriteLine($"(cnctwin {(command == "cnctwin" ? "" : command + " ")}--help lists what it takes)");
            return ExitUsage;
        }
        return await parsed.InvokeAsync(cancellationToken: ct);
    }

    /// <summary>The parser's words for a value's type, in a user's: "as expected type 'System.Double'" becomes "as a number".</summary>
    private static string Plain(string message) => System.Text.RegularExpressions.Regex.Replace(message, @"(as )?expected type '(?:System\.Nullable`1\[)?(System\.[\w.]+)\]?'", m => (m.Groups[1].Success ? "as " : "") + (m.Groups[2].Value switch
    {
        "System.Double" or "System.Single" or "System.Decimal" => "a number",
        "System.Int32" or "System.Int64" or "System.Int16" => "a whole number",
        "System.Boolean" => "true or false",
        _ => "a value of the right kind",
    }));

    /// <summary>An output folder that is an existing file is a usage problem, said in one line (prints it; false then).</summary>
    internal static bool CheckOutputFolder(string folder)
    {
        if (!File.Exists(folder)) return true;
        Console.Error.WriteLine($"--out {folder}: error: this is a file; --out takes a folder for the outputs");
        return false;
    }

    /// <summary>
    /// Standard error for what a run reports from its own threads (warnings as they are found): a writer of its
    /// own over the stderr stream, not Console.Error. A thread that sets Console.OutputEncoding (Playwright does,
    /// in the browser tests) holds the console's lock and then flushes Console.Error, while a Console.Error write
    /// on another thread holds Console.Error's lock and can need the console's: the two deadlocked once in CI.
    /// </summary>
    public static TextWriter RunWarnings { get; } = TextWriter.Synchronized(new StreamWriter(Console.OpenStandardError(), new System.Text.UTF8Encoding(false)) { AutoFlush = true });

    public static RootCommand Build()
    {
        // Created before any run: .NET creates Console.Out lazily under the console's own lock (see RunWarnings).
        _ = Console.Out;
        _ = Console.Error;
        var root = new RootCommand("CncTwin: a digital twin for CNC milling (G-code interpreter, motion, material removal, forces, wear).");
        root.Subcommands.Add(BuildParse());
        root.Subcommands.Add(SimulateCommand.Build());
        root.Subcommands.Add(MechanicsCommands.BuildForces());
        root.Subcommands.Add(MechanicsCommands.BuildLobes());
        root.Subcommands.Add(MechanicsCommands.BuildCalibrate());
        root.Subcommands.Add(OptimizeCommand.Build());
        root.Subcommands.Add(WearCommands.Build());
        root.Subcommands.Add(TwinCommands.Build(live: true));
        root.Subcommands.Add(TwinCommands.Build(live: false));
        root.Subcommands.Add(UmichPowerCommand.Build());
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(FleetCommand.Build());
        return root;
    }

    private static Command BuildParse()
    {
        var file = new Argument<string>("file") { Description = "G-code program (RS274/NGC or Fanuc dialect); '-' reads standard input" };
        var tools = new Option<string?>("--tools") { Description = "LinuxCNC tool table (.tbl), machine units (mm); default: tools.tbl beside the program, if there is one" };
        var format = new Option<string>("--format") { Description = "output format", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json");
        var tool = new Option<int>("--tool") { Description = "tool in the spindle at program start", DefaultValueFactory = _ => 0 };
        var blockDelete = new Option<bool>("--block-delete") { Description = "block delete switch on: skip lines starting with '/'" };
        var summary = new Option<bool>("--summary") { Description = "after the moves, print a summary table (moves, path lengths, cutting envelope, tools) to standard error" };
        var dialect = DialectOption();
        var cmd = new Command("parse", "Interpret a G-code program and write its moves (machine coordinates, mm) to standard output.")
        {
            file, tools, format, tool, blockDelete, summary, dialect,
        };
        cmd.SetAction(pr => RunParse(pr.GetValue(file)!, pr.GetValue(tools), pr.GetValue(format)!, pr.GetValue(tool), pr.GetValue(blockDelete), pr.GetValue(summary), ParseDialect(pr.GetValue(dialect)!)));
        return cmd;
    }

    /// <summary>--dialect auto|linuxcnc|fanuc (parse and simulate).</summary>
    internal static Option<string> DialectOption()
    {
        var dialect = new Option<string>("--dialect") { Description = "G-code dialect: linuxcnc (RS274/NGC), fanuc (Fanuc/Haas with Macro B: #100-#999, IF GOTO, WHILE DO END, G65, G4 P in ms) or auto: fanuc when the program starts with an O number", DefaultValueFactory = _ => "auto" };
        dialect.AcceptOnlyFromAmong("auto", "linuxcnc", "fanuc");
        return dialect;
    }

    internal static GCodeDialect ParseDialect(string name) => name switch { "fanuc" => GCodeDialect.Fanuc, "linuxcnc" => GCodeDialect.LinuxCnc, _ => GCodeDialect.Auto };

    internal static int RunParse(string file, string? toolsPath, string format, int initialTool, bool blockDelete, bool printSummary = false, GCodeDialect dialect = GCodeDialect.Auto)
    {
        try
        {
            if (initialTool < 0) { Console.Error.WriteLine($"--tool {initialTool}: error: a tool number is 0 (no tool) or more"); return ExitUsage; }
            if (file != "-") toolsPath ??= ToolTables.BesideProgram(file);
            var table = LoadTools(toolsPath);
            if (table == null) return ExitUsage;
            LineSource source;
            if (file == "-") source = new LineSource(Console.OpenStandardInput(), "<stdin>");
            else
            {
                if (!File.Exists(file)) { Console.Error.WriteLine($"{file}: error: file not found"); return ExitUsage; }
                source = LineSource.FromFile(file);
            }
            using var interp = new Interpreter(source, new InterpreterOptions { Tools = table, InitialTool = initialTool, BlockDelete = blockDelete, Dialect = dialect });
            using var stdout = Console.OpenStandardOutput();
            var stats = new ToolpathSummary();
            // A progress bar on the terminal (never in a pipe or log) for programs that take a while.
            using var progress = file != "-" && !Console.IsErrorRedirected && new FileInfo(file).Length > 16 << 20
                ? new ProgressDisplay(file, new FileInfo(file).Length, () => interp.BytesRead) : null;
            if (format == "json")
            {
                MoveListWriter.WriteJson(CncTwin.Core.Streaming.ReadAhead.Run(stats.Observe(interp.Run())), stdout);
            }
            else
            {
                // Interpret on one core while the other formats CSV.
                MoveListWriter.WriteCsv(CncTwin.Core.Streaming.ReadAhead.Run(stats.Observe(interp.Run())), stdout);
            }
            if (printSummary) SummaryTable.Print(stats, file);
            return ExitOk;
        }
        catch (GCodeException ex)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"{ex.File}:{ex.Line}:{ex.Column}: {ex.Reason}");
            return ExitProgramError;
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"{file}: error: {ex.Message}");
            return ExitProgramError;
        }
        catch (UnauthorizedAccessException ex)
        {
            Console.Error.WriteLine($"{file}: error: {ex.Message}");
            return ExitProgramError;
        }
    }

    /// <summary>The interpreter's tool table from a LinuxCNC .tbl or a CncTwin tool library (.json); errors print and return null.</summary>
    internal static ToolTable? LoadTools(string? path)
    {
        var (table, _, error) = ToolTables.Load(path);
        if (error != null) Console.Error.WriteLine(error.Format(CliSimulation.Flag, "parse"));
        return table;
    }
}
