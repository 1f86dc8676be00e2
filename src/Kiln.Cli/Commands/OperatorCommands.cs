using System.CommandLine;
using Kiln.Cli.Infrastructure;
using Kiln.Core.Accounts;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary>Operator commands against the configured database: migrate, admin create, credits grant.</summary>
public static class OperatorCommands
{
    public static Command Migrate(IAnsiConsole console, IDictionary<string, string?>? overrides = null)
    {
        var command = new Command("migrate", "Apply pending database migrations (Kiln:Database:Provider / ConnectionString).");
        command.SetAction(async (_, ct) =>
        {
            await using var services = CliHost.CoreServices(CliHost.Configuration(overrides));
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDbContext>();
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            await db.Database.MigrateAsync(ct);
            console.MarkupLineInterpolated($"[green]Database is up to date[/] ({pending.Count} migration(s) applied).");
            return 0;
        });
        return command;
    }

    public static Command Admin(IAnsiConsole console, IDictionary<string, string?>? overrides = null)
    {
        var email = new Option<string>("--email") { Description = "The operator's email.", Required = true };
        var password = new Option<string>("--password") { Description = "At least 8 characters.", Required = true };
        var create = new Command("create", "Create a global admin (or make an existing user one).") { email, password };
        create.SetAction(async (parse, ct) =>
        {
            await using var services = CliHost.CoreServices(CliHost.Configuration(overrides));
            await using var scope = services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<KilnUser>>();
            var address = parse.GetValue(email)!;
            if (await users.FindByEmailAsync(address) is { } existing)
            {
                existing.IsAdmin = true;
                await users.UpdateAsync(existing);
                console.MarkupLineInterpolated($"[green]{address} is now an admin.[/]");
                return 0;
            }
            var result = await scope.ServiceProvider.GetRequiredService<CreateAccountCommand>().Run(address, parse.GetValue(password)!, "Admin", isAdmin: true, ct);
            if (result.Error is { } e)
            {
                console.MarkupLineInterpolated($"[red]{e.Code}[/]: {e.Message}");
                return 2;
            }
            console.MarkupLineInterpolated($"[green]Created admin {address}.[/]");
            return 0;
        });
        return new Command("admin", "Manage operators.") { create };
    }

    public static Command Credits(IAnsiConsole console, IDictionary<string, string?>? overrides = null)
    {
        var workspace = new Option<string>("--workspace") { Description = "Workspace id, or the email of the owner of a personal workspace.", Required = true };
        var amount = new Option<long>("--amount") { Description = "Credits to grant (positive).", Required = true };
        var reason = new Option<string>("--reason") { Description = "Shown in the workspace's ledger.", Required = true };
        var requestId = new Option<string?>("--request-id") { Description = "Makes a retried grant a no-op." };
        var grant = new Command("grant", "Grant credits to a workspace.") { workspace, amount, reason, requestId };
        grant.SetAction(async (parse, ct) =>
        {
            await using var services = CliHost.CoreServices(CliHost.Configuration(overrides));
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDbContext>();
            var target = parse.GetValue(workspace)!;
            Guid? id = Guid.TryParse(target, out var g) ? g : null;
            if (id is null)
            {
                var normalized = target.Trim().ToUpperInvariant();
                id = await (from u in db.Users
                            join m in db.WorkspaceMembers on u.Id equals m.UserId
                            join w in db.Workspaces on m.WorkspaceId equals w.Id
                            where u.NormalizedEmail == normalized && w.IsPersonal && m.Role == WorkspaceRole.Owner
                            select (Guid?)w.Id).FirstOrDefaultAsync(ct);
            }
            if (id is null)
            {
                console.MarkupLineInterpolated($"[red]not_found[/]: no workspace matches '{target}'.");
                return 2;
            }
            var n = parse.GetValue(amount);
            var result = await scope.ServiceProvider.GetRequiredService<GrantCreditsCommand>()
                .Run(Caller.Console, new CreditMoveRequest(id.Value, n, parse.GetValue(reason), parse.GetValue(requestId)), ct);
            if (result.Error is { } e)
            {
                console.MarkupLineInterpolated($"[red]{e.Code}[/]: {e.Message}");
                return 2;
            }
            console.MarkupLineInterpolated($"[green]Granted {n} credits[/] to {id}; balance is now {result.Value!.PostedAfter}.");
            return 0;
        });
        return new Command("credits", "Manage credits.") { grant };
    }
}
