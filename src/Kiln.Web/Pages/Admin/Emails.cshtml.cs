using Kiln.Core.Accounts.Email;
using Kiln.Core.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Pages.Admin;

/// <summary>
/// The email outbox for operators. Without SMTP (the embedded default) this is where emails are read — a user's
/// verification or reset link can be passed on by hand; with SMTP it shows what is waiting, retrying or refused, and why.
/// </summary>
public sealed class EmailsModel(KilnDbContext db, IOptions<EmailOptions> options, EmailOutbox outbox) : KilnPageModel
{
    public const int PageSize = 100;
    public IReadOnlyList<OutboxEmail> Emails { get; private set; } = [];
    public OutboxEmail? Selected { get; private set; }
    public bool SmtpConfigured => options.Value.SmtpConfigured;
    public Dictionary<OutboxStatus, int> Counts { get; private set; } = [];
    [BindProperty(SupportsGet = true)] public OutboxStatus? Status { get; set; }
    [BindProperty(SupportsGet = true)] public string? To { get; set; }

    public async Task<IActionResult> OnGetAsync(Guid? id, CancellationToken ct)
    {
        if (id is { } selected && (Selected = await db.EmailOutbox.AsNoTracking().FirstOrDefaultAsync(e => e.Id == selected, ct)) is null) return NotFoundPage();
        var q = db.EmailOutbox.AsNoTracking();
        if (Status is { } s) q = q.Where(e => e.Status == s);
        if (!string.IsNullOrWhiteSpace(To)) q = q.Where(e => e.ToAddress.Contains(To.Trim()));
        Emails = await q.OrderByDescending(e => e.CreatedAt).Take(PageSize).ToListAsync(ct);
        Counts = (await db.EmailOutbox.GroupBy(e => e.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct)).ToDictionary(x => x.Key, x => x.Count);
        return Page();
    }

    /// <summary>Sends a failed or waiting message at the next pass (only with SMTP configured).</summary>
    public async Task<IActionResult> OnPostRetryAsync(Guid id, CancellationToken ct)
    {
        var queued = await outbox.RetryAsync(id, ct);
        TempData["Flash"] = queued ? "The email will be sent at the next pass of the outbox." : "This email cannot be sent again.";
        return RedirectToPage(new { id });
    }
}
