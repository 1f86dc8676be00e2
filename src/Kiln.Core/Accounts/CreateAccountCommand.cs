using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Accounts;

/// <summary>
/// Signs a person up: the Identity user, a personal workspace they own, and the free grant — all or nothing.
/// </summary>
public sealed class CreateAccountCommand(KilnDbContext db, UserManager<KilnUser> users, CreditsLedger ledger,
    IOptions<AccountsOptions> options, TimeProvider clock, Email.EmailVerification verification, Email.SendVerificationEmailCommand verificationEmail)
{
    public const int MaxDisplayName = 100;
    public const int MaxEmail = TextRules.MaxEmail;

    /// <summary>"Ada's workspace", cut to fit the 200-character column (an email's local part may be up to 64, a long one longer).</summary>
    internal static string PersonalWorkspaceName(string owner)
    {
        const string suffix = "'s workspace";
        return (owner.Length > 200 - suffix.Length ? owner[..(200 - suffix.Length)] : owner) + suffix;
    }

    /// <param name="password">Null for an account that signs in only through an external provider (it may set one later).</param>
    public async Task<Result<KilnUser>> Run(string email, string? password, string? displayName, bool isAdmin, CancellationToken ct)
    {
        email = email.Trim();
        displayName = string.IsNullOrWhiteSpace(displayName) ? null : displayName.Trim();
        if (TextRules.CheckEmail(email) is { } badEmail) return badEmail;
        if (displayName is not null && TextRules.CheckName(displayName, "invalid_display_name", "display name", MaxDisplayName) is { } badName) return badName;
        if (await users.FindByEmailAsync(email) is not null)
            return Error.Conflict("email_taken", "An account with this email already exists. Sign in instead.");

        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var now = clock.GetUtcNow().UtcDateTime;
            var workspace = new Workspace { Id = Ids.New(), Name = PersonalWorkspaceName(displayName ?? email.Split('@')[0]), IsPersonal = true, CreatedAt = now };
            var user = new KilnUser
            {
                Id = Ids.New(), UserName = email, Email = email, DisplayName = displayName, IsAdmin = isAdmin, CreatedAt = now,
                CurrentWorkspaceId = workspace.Id,
                // Operators are created from the command line by whoever runs the installation.
                EmailConfirmed = isAdmin,
            };
            var created = password is null ? await users.CreateAsync(user) : await users.CreateAsync(user, password);
            if (!created.Succeeded)
            {
                await tx.RollbackAsync(ct);
                return Error.Invalid("invalid_account", string.Join(" ", created.Errors.Select(e => e.Description)));
            }
            db.Workspaces.Add(workspace);
            db.WorkspaceMembers.Add(new WorkspaceMember { WorkspaceId = workspace.Id, UserId = user.Id, Role = WorkspaceRole.Owner, CreatedAt = now });
            // Where verification is required the link goes out now and the free grant waits for it (ConfirmEmailCommand).
            var grantNow = isAdmin || !verification.Required;
            var sendVerification = !isAdmin && (verification.Required || verificationEmail.SmtpConfigured);
            if (sendVerification) await verificationEmail.StageAsync(user, ct);
            await db.SaveChangesAsync(ct);
            if (sendVerification) await verificationEmail.RecordSentAsync(user, ct);
            await ledger.EnsureAccountAsync(workspace.Id, ct);
            if (grantNow && options.Value.FreeGrant > 0)
            {
                var grant = await ledger.PostAsync(workspace.Id, LedgerEntryKind.Grant, options.Value.FreeGrant, Email.EmailVerification.GrantKey(user.Id),
                    "Welcome grant", null, ct);
                if (grant.Error is { } e) { await tx.RollbackAsync(ct); return e; }
            }
            await tx.CommitAsync(ct);
            return user;
        }
    }
}
