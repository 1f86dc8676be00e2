using Kiln.Core.Billing;
using Kiln.Web.Queries;
using Microsoft.AspNetCore.Mvc;
using Kiln.Core.Common;

namespace Kiln.Web.Pages.Admin;

/// <summary>The webhook inbox and refund shortfalls. Like the rest of the console, non-admins get the 404 page.</summary>
public sealed class BillingModel(BillingAdminQueries queries, RetryPaymentEventCommand retry, ResolveCreditShortfallCommand resolve) : KilnPageModel
{
    private const int PageSize = 50;
    public static readonly IReadOnlyList<string> Statuses = EnumNames.All<PaymentEventStatus>();

    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    [BindProperty(SupportsGet = true, Name = "page")] public int PageNumber { get; set; } = 1;
    [BindProperty(SupportsGet = true, Name = "resolved")] public bool ShowResolved { get; set; }
    public IReadOnlyList<PaymentEventRow> Events { get; private set; } = [];
    public int Total { get; private set; }
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);
    public IReadOnlyList<ShortfallRow> Shortfalls { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        PageNumber = Math.Max(1, PageNumber);
        (var rows, Total) = await queries.Events(ParsedStatus(), Kiln.Core.Common.Paging.Skip(PageNumber, PageSize), PageSize, ct);
        Events = rows;
        Shortfalls = await queries.Shortfalls(!ShowResolved, ct);
        return Page();
    }

    /// <summary>Puts the event back in the queue; the payment worker picks it up within seconds.</summary>
    public async Task<IActionResult> OnPostRetryAsync(Guid eventId, string? returnTo, CancellationToken ct)
    {
        var r = await retry.Run(eventId, Me.UserId, ct);
        if (r.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        TempData["Flash"] = r.Error is { } e ? $"Could not retry: {e.Message}" : $"Event {r.Value!.EventId} is queued for another attempt.";
        // Only our own pages: the return address comes from a form field.
        return Redirect(returnTo is { } t && Url.IsLocalUrl(t) && t.StartsWith("/admin/billing", StringComparison.Ordinal) ? t : "/admin/billing");
    }

    public async Task<IActionResult> OnPostResolveAsync(Guid shortfallId, CancellationToken ct)
    {
        var r = await resolve.Run(shortfallId, Me.UserId, ct);
        if (r.Error is not null) return NotFoundPage();
        TempData["Flash"] = $"Shortfall of {r.Value!.Shortfall} credits marked as resolved.";
        return Redirect("/admin/billing#shortfalls");
    }

    public PaymentEventStatus? ParsedStatus() =>
        Status is { } s && Statuses.Contains(s) && EnumNames.TryParse<PaymentEventStatus>(s, out var v) ? v : null;

    public static string Name(PaymentEventStatus s) => s.WireName();

    /// <summary>Reuses the job badge colours: processed reads as success, failed as failure, the rest as in flight.</summary>
    public static string BadgeClass(PaymentEventStatus s) => s switch
    {
        PaymentEventStatus.Processed => "badge badge-succeeded",
        PaymentEventStatus.Failed => "badge badge-failed",
        PaymentEventStatus.Processing => "badge badge-running",
        _ => "badge badge-queued",
    };

    public string Query(int page)
    {
        var parts = new List<string>();
        if (ParsedStatus() is { } s) parts.Add("status=" + Name(s));
        if (ShowResolved) parts.Add("resolved=true");
        if (page > 1) parts.Add("page=" + page);
        return "/admin/billing" + (parts.Count == 0 ? "" : "?" + string.Join('&', parts));
    }
}
