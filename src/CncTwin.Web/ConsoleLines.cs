using Microsoft.Extensions.Logging;

namespace CncTwin.Web;

/// <summary>
/// The server console: one line per message on stderr ("serve: warning: ..."). ASP.NET's console logger prints
/// an exception's whole stack trace, which for a refused upload or a port in use is noise in front of the one
/// line that matters. Client errors are answered by the dashboard itself and never get here; start-up failures
/// are left to the caller (`cnctwin serve` prints them as one line). Only an exception that escaped a request or
/// a job (a bug in the server) keeps its stack trace, because that is what fixing it needs.
/// </summary>
public sealed class ConsoleLines : ILoggerProvider
{
    private static readonly Lock Gate = new();
    /// <summary>Set once the server listens: before that, a failure is the start-up's own and its caller reports it.</summary>
    public bool Started { get; set; }
    /// <summary>The command the lines are prefixed with ("serve", "fleet serve").</summary>
    public string Command { get; set; } = "serve";

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    private sealed class Logger(ConsoleLines owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            if (exception != null && !owner.Started) return;
            string level = logLevel switch { LogLevel.Warning => "warning", LogLevel.Error => "error", _ => "critical" };
            string line = $"{owner.Command}: {level}: {formatter(state, exception)}";
            // Kestrel's "unhandled exception was thrown by the application" (event 13), or a job that failed in a
            // way the dashboard has no words for: a server bug.
            bool bug = exception != null && logLevel >= LogLevel.Error && (eventId.Id == 13 && category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal)
                || category == "CncTwin.Web.Dashboard");
            if (exception != null) line += bug ? Environment.NewLine + exception : $" ({exception.GetType().Name}: {exception.Message})";
            lock (Gate) Console.Error.WriteLine(line);
        }
    }
}
