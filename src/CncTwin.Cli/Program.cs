using System.CommandLine;
using CncTwin.Cli;

return CliApp.Build().Parse(args).Invoke();
