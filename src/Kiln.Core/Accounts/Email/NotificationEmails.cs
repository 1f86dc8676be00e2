using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Accounts.Email;

/// <summary>
/// The notification emails a user can switch off (<see cref="NotificationPreferences"/>). Invitations are staged with
/// the invitation itself; the others come from a scan of recent state — finished jobs, purchases, low balances — that
/// the outbox loop runs when SMTP is configured. Each notification carries a unique <see cref="OutboxEmail.DedupKey"/>,
/// so several processes scanning at once still send it once.
/// </summary>
public sealed class NotificationEmails(KilnDbContext db, EmailOutbox outbox, IOptions<EmailOptions> options, TimeProvider clock)
{
    /// <summary>How far back a scan looks: a process that was down longer than this skips what happened meanwhile.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    /// <summary>Stages the invitation email, unless the invitee has an account that switched invitation emails off.</summary>
    public async Task StageInvitationAsync(string email, string workspaceName, string? invitedBy, WorkspaceRole role, string token, CancellationToken ct)
    {
        var normalized = email.ToUpperInvariant();
        var userId = await db.Users.Where(u => u.NormalizedEmail == normalized).Select(u => (Guid?)u.Id).FirstOrDefaultAsync(ct);
        if (userId is { } id && !(await Preferences(id, ct)).Invitation) return;
        outbox.Add(email, EmailTemplates.Invitation(workspaceName, invitedBy, role.WireName(), options.Value.Link($"/invitations/{token}")), userId);
    }

    /// <summary>One scan; returns how many notifications it queued.</summary>
    public async Task<int> ScanAsync(CancellationToken ct)
    {
        var since = clock.GetUtcNow().UtcDateTime - Window;
        var queued = 0;

        var jobs = await db.Jobs.IgnoreQueryFilters().AsNoTracking()
            .Where(j => j.FinishedAt > since && j.CreatedByUserId != null && (j.Status == JobStatus.Succeeded || j.Status == JobStatus.Failed))
            .OrderBy(j => j.FinishedAt).Take(200)
            .Select(j => new { j.Id, j.WorkspaceId, j.CreatedByUserId, j.PipelineId, j.Status, j.ErrorMessage }).ToListAsync(ct);
        var jobKeys = jobs.Select(j => $"job:{j.Id:N}:{j.Status.WireName()}").ToList();
        var done = await Existing(jobKeys, ct);
        foreach (var j in jobs)
        {
            var key = $"job:{j.Id:N}:{j.Status.WireName()}";
            if (done.Contains(key)) continue;
            var user = await Recipient(j.CreatedByUserId!.Value, ct);
            if (user is null) continue;
            var link = options.Value.Link($"/jobs/{j.Id}");
            if (j.Status == JobStatus.Succeeded && user.Value.Prefs.JobFinished)
                queued += await TryQueue(user.Value.Email, EmailTemplates.JobFinished(user.Value.Name, j.PipelineId, link), user.Value.Id, key, ct);
            else if (j.Status == JobStatus.Failed && user.Value.Prefs.JobFailed)
                queued += await TryQueue(user.Value.Email, EmailTemplates.JobFailed(user.Value.Name, j.PipelineId, j.ErrorMessage, link), user.Value.Id, key, ct);
        }

        // Credits low: once per crossing — keyed on the last top-up, so the next purchase or grant arms it again.
        foreach (var workspaceId in jobs.Select(j => j.WorkspaceId).Distinct())
        {
            var account = await db.CreditAccounts.AsNoTracking().FirstOrDefaultAsync(a => a.WorkspaceId == workspaceId, ct);
            if (account is null || account.Posted - account.Held >= options.Value.CreditsLowThreshold) continue;
            var lastTopUp = await db.LedgerEntries.IgnoreQueryFilters().Where(e => e.WorkspaceId == workspaceId && e.PostedDelta > 0)
                .OrderByDescending(e => e.Id).Select(e => e.Id).FirstOrDefaultAsync(ct);
            var name = await db.Workspaces.Where(w => w.Id == workspaceId).Select(w => w.Name).FirstAsync(ct);
            foreach (var admin in await Administrators(workspaceId, ct))
            {
                var r = await Recipient(admin, ct);
                if (r is { } u && u.Prefs.CreditsLow)
                    queued += await TryQueue(u.Email, EmailTemplates.CreditsLow(u.Name, name, account.Posted - account.Held, options.Value.Link("/credits")), u.Id,
                        $"credits-low:{workspaceId:N}:{lastTopUp}:{u.Id:N}", ct);
            }
        }

        // Receipts for purchases (one-off packs and subscription allowances paid for).
        var purchases = await db.LedgerEntries.IgnoreQueryFilters().AsNoTracking()
            .Where(e => e.CreatedAt > since && (e.Kind == LedgerEntryKind.Purchase || e.Kind == LedgerEntryKind.SubscriptionAllowance))
            .OrderBy(e => e.Id).Take(200).ToListAsync(ct);
        foreach (var p in purchases)
        {
            var name = await db.Workspaces.Where(w => w.Id == p.WorkspaceId).Select(w => w.Name).FirstOrDefaultAsync(ct) ?? "your workspace";
            foreach (var admin in await Administrators(p.WorkspaceId, ct))
            {
                var r = await Recipient(admin, ct);
                if (r is { } u && u.Prefs.PaymentReceipt)
                    queued += await TryQueue(u.Email, EmailTemplates.PaymentReceipt(u.Name, name, p.Reason ?? p.Kind.WireName(), $"{p.PostedDelta} credits",
                        options.Value.Link("/settings/billing")), u.Id, $"receipt:{p.Id}:{u.Id:N}", ct);
            }
        }
        return queued;
    }

    private async Task<HashSet<string>> Existing(List<string> keys, CancellationToken ct) =>
        keys.Count == 0 ? [] : (await db.EmailOutbox.Where(e => e.DedupKey != null && keys.Contains(e.DedupKey)).Select(e => e.DedupKey!).ToListAsync(ct)).ToHashSet();

    private Task<List<Guid>> Administrators(Guid workspaceId, CancellationToken ct) =>
        db.WorkspaceMembers.Where(m => m.WorkspaceId == workspaceId && m.Role >= WorkspaceRole.Admin).Select(m => m.UserId).ToListAsync(ct);

    private async Task<(Guid Id, string Email, string? Name, NotificationPreferences Prefs)?> Recipient(Guid userId, CancellationToken ct)
    {
        var u = await db.Users.AsNoTracking().Where(x => x.Id == userId).Select(x => new { x.Email, x.DisplayName }).FirstOrDefaultAsync(ct);
        if (u?.Email is null) return null;
        return (userId, u.Email, u.DisplayName, await Preferences(userId, ct));
    }

    private async Task<NotificationPreferences> Preferences(Guid userId, CancellationToken ct) =>
        await db.NotificationPreferences.AsNoTracking().FirstOrDefaultAsync(p => p.UserId == userId, ct) ?? new NotificationPreferences { UserId = userId };

    /// <summary>Queues one notification; another process that queued it first wins (unique key) and this one does nothing.</summary>
    private async Task<int> TryQueue(string to, EmailContent content, Guid userId, string key, CancellationToken ct)
    {
        if (await db.EmailOutbox.AnyAsync(e => e.DedupKey == key, ct)) return 0;
        var email = outbox.Add(to, content, userId);
        email.DedupKey = key;
        try
        {
            await db.SaveChangesAsync(ct);
            return 1;
        }
        catch (DbUpdateException)
        {
            db.Entry(email).State = EntityState.Detached;
            return 0;
        }
    }
}
