using Spectre.Console;

namespace CncTwin.Cli;

/// <summary>
/// A Spectre.Console progress bar with an ETA on standard error, fed by polling a counter (bytes, moves) while
/// the work runs on the caller's thread. Disposing it completes the bar and waits for the display to finish.
/// </summary>
internal sealed class ProgressDisplay : IDisposable
{
    private readonly CancellationTokenSource _done = new();
    private readonly Task _display;

    public ProgressDisplay(string label, long total, Func<long> done)
    {
        // Only ever created when standard error is a terminal, so say so (detection looks at stdout).
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Interactive = InteractionSupport.Yes,
            Ansi = AnsiSupport.Yes,
        });
        _display = console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(Path.GetFileName(label)), maxValue: total);
                while (!_done.IsCancellationRequested)
                {
                    task.Value = Math.Min(total, done());
                    try { await Task.Delay(200, _done.Token); } catch (OperationCanceledException) { }
                }
                task.Value = total;
            });
    }

    public void Dispose()
    {
        _done.Cancel();
        try { _display.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _done.Dispose();
    }
}
