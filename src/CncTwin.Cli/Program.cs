using CncTwin.Cli;

return await CliApp.RunAsync(args);
