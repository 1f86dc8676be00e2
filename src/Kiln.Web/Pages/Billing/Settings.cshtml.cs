using Kiln.Core.Billing;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Billing;

public sealed class SettingsModel(GetSubscriptionQuery subscription, ListPaymentsQuery payments, CreatePortalCommand portal) : KilnPageModel
{
    public SubscriptionView Subscription { get; private set; } = null!;
    public IReadOnlyList<PaymentView> Payments { get; private set; } = [];
    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Subscription = await subscription.Run(Workspace, ct);
        Payments = await payments.Run(Workspace, 50, ct);
    }

    public async Task<IActionResult> OnPostPortalAsync(CancellationToken ct)
    {
        var r = await portal.Run(Workspace, ct);
        if (r.Error is { } e)
        {
            Error = e.Message;
            await OnGetAsync(ct);
            return Page();
        }
        return Redirect(r.Value!.ToString());
    }
}
