using System.CommandLine;
using Kiln.Cli.Commands;
using Spectre.Console;

var console = AnsiConsole.Console;
var root = new RootCommand("Kiln: AI media and document pipelines, from the command line.");
// One line per command; each lives in Commands/ and builds its own services through CliHost.
root.Subcommands.Add(RunCommand.Create(console));
root.Subcommands.Add(OperatorCommands.Migrate(console));
root.Subcommands.Add(OperatorCommands.Admin(console));
root.Subcommands.Add(OperatorCommands.Credits(console));
return await root.Parse(args).InvokeAsync();
