using Kiln.Core.Common;
using System.Text;
using Kiln.Core.Billing;
using Kiln.Core.Credits;
using Kiln.Web.Api;
using Kiln.Web.Ui;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Credits;

public sealed class IndexModel(GetBalanceQuery balance, ListLedgerEntriesQuery ledger, BillingCatalog catalog, CreateCheckoutCommand checkout, TimeProvider time) : KilnPageModel
{
    public static readonly LedgerEntryKind[] Kinds = Enum.GetValues<LedgerEntryKind>();

    [BindProperty(SupportsGet = true)] public string? Kind { get; set; }
    [BindProperty(SupportsGet = true, Name = "page")] public int PageNumber { get; set; } = 1;
    public Balance Balance { get; private set; } = new(0, 0, 0);
    public LedgerPage Entries { get; private set; } = new([], 1, 25, 0);
    public int Pages => Math.Max(1, (Entries.Total + Entries.PageSize - 1) / Entries.PageSize);
    public BillingCatalogView Catalog => catalog.View();
    public string? CheckoutError { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Balance = await balance.Run(Workspace, ct);
        Entries = await ledger.Run(Workspace, PageNumber, 25, ParsedKind(), ct);
    }

    /// <summary>Starts a provider checkout for a pack or plan and sends the browser there; credits arrive by webhook.</summary>
    public async Task<IActionResult> OnPostCheckoutAsync(string kind, string itemId, CancellationToken ct)
    {
        var (redirect, error) = await CheckoutFlow.StartAsync(checkout, Me, kind, itemId, ct);
        if (redirect is not null) return redirect;
        CheckoutError = error;
        await OnGetAsync(ct);
        return Page();
    }

    /// <summary>The whole (filtered) ledger as CSV, written page by page so a long history is never held in memory.</summary>
    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = $"attachment; filename=\"kiln-credits-{time.GetUtcNow():yyyyMMdd}.csv\"";
        await Response.WriteAsync(Csv.Line("id", "created_at", "kind", "amount", "held_delta", "balance_after", "held_after", "job_id", "reason"), Encoding.UTF8, ct);
        for (var page = 1; page <= 1000; page++)
        {
            var p = await ledger.Run(Workspace, page, 200, ParsedKind(), ct);
            var sb = new StringBuilder();
            foreach (var e in p.Items)
                sb.Append(Csv.Line(e.Id, Format.Iso(e.CreatedAt), e.Kind.WireName(), e.PostedDelta, e.HeldDelta, e.PostedAfter, e.HeldAfter, e.JobId, e.Reason));
            await Response.WriteAsync(sb.ToString(), Encoding.UTF8, ct);
            if (p.Items.Count < 200) break;
        }
        // The response is written; an empty result keeps Razor from rendering the page after it.
        return new EmptyResult();
    }

    public LedgerEntryKind? ParsedKind() =>
        Kind is not null && EnumNames.All<LedgerEntryKind>().Contains(Kind) && EnumNames.TryParse<LedgerEntryKind>(Kind, out var k) ? k : null;

    public string Link(int page) => $"/credits?page={page}" + (Kind is null ? "" : "&kind=" + Uri.EscapeDataString(Kind));
}
