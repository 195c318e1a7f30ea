namespace CncTwin.Cli.Tests;

/// <summary>
/// The browser tests run on their own, after the others: Playwright sets Console.OutputEncoding when it starts its
/// driver, and .NET's console then holds its own lock while it flushes Console.Error. A CLI command writing to
/// Console.Error in a test running beside it (holding the writer's lock, needing the console's) deadlocked the
/// test process in CI twice. Outside the tests no Playwright shares the process with the CLI.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    public const string Name = "browser (not in parallel)";
}
