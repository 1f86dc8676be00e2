using System.CommandLine;
using Kiln.Cli.Infrastructure;
using Kiln.Core.Privacy;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary>
/// <c>kiln purge [--dry-run]</c>: what retention removes (artifacts, uploads, finished jobs, old event logs), listed or
/// removed now — the same rules the worker's retention sweep applies, bytes and rows together.
/// </summary>
public static class PurgeCommandLine
{
    public static Command Create(IAnsiConsole console, IDictionary<string, string?>? overrides = null)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be removed; remove nothing." };
        var batch = new Option<int>("--batch") { Description = "At most this many items of each kind per plan.", DefaultValueFactory = _ => 1000 };
        var command = new Command("purge", "Remove what is past its retention (per plan and per pipeline); nothing a published episode uses.") { dryRun, batch };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = CliHost.CoreServices(CliHost.Configuration(overrides));
            await using var scope = services.CreateAsyncScope();
            var purge = scope.ServiceProvider.GetRequiredService<PurgeCommand>();
            var dry = parse.GetValue(dryRun);
            var size = Math.Max(1, parse.GetValue(batch));
            var items = dry ? await purge.PlanAsync(size, ct) : await purge.RunAsync(size, ct);
            var table = new Table().AddColumns("Kind", "Id", "Workspace", "What", "Bytes", "Rows");
            foreach (var i in items)
                table.AddRow(i.Kind.ToString().ToLowerInvariant(), i.Id.ToString(), i.WorkspaceId.ToString(), Markup.Escape(i.What), i.Bytes.ToString(), i.Rows.ToString());
            if (items.Count > 0) console.Write(table);
            var bytes = items.Sum(i => i.Bytes);
            var rows = items.Sum(i => i.Rows);
            if (dry) console.MarkupLineInterpolated($"[yellow]Dry run:[/] {items.Count} item(s) would be removed ({rows} row(s), {bytes} byte(s)).");
            else console.MarkupLineInterpolated($"[green]Removed[/] {items.Count} item(s) ({rows} row(s), {bytes} byte(s)).");
            return 0;
        });
        return command;
    }
}
