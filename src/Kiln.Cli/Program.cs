using System.CommandLine;
using Kiln.Cli.Commands;
using Kiln.Core.Data;
using Spectre.Console;

var console = AnsiConsole.Console;
var root = new RootCommand("Kiln: AI media and document pipelines, from the command line.");
// One line per command; each lives in Commands/ and builds its own services through CliHost.
root.Subcommands.Add(RunCommand.Create(console));
root.Subcommands.Add(OperatorCommands.Migrate(console));
root.Subcommands.Add(OperatorCommands.Admin(console));
root.Subcommands.Add(OperatorCommands.Credits(console));
root.Subcommands.Add(PurgeCommandLine.Create(console));
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (DatabaseOutage.IsUnavailable(e))
{
    // An outage, not a bug: say so, and exit with EX_TEMPFAIL so scripts can retry.
    await Console.Error.WriteLineAsync($"The database is unreachable right now (it may be restarting): try again in a moment. ({e.GetBaseException().Message})");
    return 75;
}
catch (Exception e) when (e is not OperationCanceledException)
{
    await Console.Error.WriteLineAsync(e.ToString());
    return 1;
}
