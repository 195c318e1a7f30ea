using Spectre.Console;

namespace CncTwin.Cli;

/// <summary>
/// A Spectre.Console progress bar on standard error, fed by polling a byte counter while the work runs
/// on the caller's thread. Disposing it completes the bar and waits for the display to finish.
/// </summary>
internal sealed class ProgressDisplay : IDisposable
{
    private readonly CancellationTokenSource _done = new();
    private readonly Task _display;

    public ProgressDisplay(string label, long totalBytes, Func<long> bytesDone)
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
                var task = ctx.AddTask(Markup.Escape(Path.GetFileName(label)), maxValue: totalBytes);
                while (!_done.IsCancellationRequested)
                {
                    task.Value = bytesDone();
                    try { await Task.Delay(200, _done.Token); } catch (OperationCanceledException) { }
                }
                task.Value = totalBytes;
            });
    }

    public void Dispose()
    {
        _done.Cancel();
        try { _display.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _done.Dispose();
    }
}
