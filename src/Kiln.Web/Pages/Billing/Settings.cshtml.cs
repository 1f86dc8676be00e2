using Kiln.Core.Accounts;
using Kiln.Core.Billing;
using Kiln.Web.Ui;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Billing;

/// <summary>
/// Plan, renewal and payments. A subscription is managed in the provider's portal (Stripe, Paddle) or, for providers
/// without one (Mollie, the sandbox), canceled right here.
/// </summary>
public sealed class SettingsModel(GetSubscriptionQuery subscription, ListPaymentsQuery payments, CreatePortalCommand portal, CancelSubscriptionCommand cancel)
    : KilnPageModel
{
    public SubscriptionView Subscription { get; private set; } = null!;
    public IReadOnlyList<PaymentView> Payments { get; private set; } = [];
    public string? Error { get; private set; }
    public bool CanManage => Me.Caller.Administers;

    public async Task OnGetAsync(CancellationToken ct)
    {
        Subscription = await subscription.Run(Workspace, ct);
        Payments = await payments.Run(Workspace, 50, ct);
    }

    public async Task<IActionResult> OnPostPortalAsync(CancellationToken ct)
    {
        var r = await portal.Run(Me.Caller, ct);
        if (r.Error is { } e) return await ShowError(e.Message, ct);
        return Redirect(r.Value!.ToString());
    }

    public async Task<IActionResult> OnPostCancelAsync(CancellationToken ct)
    {
        var r = await cancel.Run(Me.Caller, ct);
        if (r.Error is { } e) return await ShowError(e.Message, ct);
        var s = r.Value!.Subscription;
        var until = s.CurrentPeriodEnd is { } end ? $" until {Format.Utc(end)}" : " until the end of the paid period";
        TempData["Flash"] = r.Value.AlreadyCanceled
            ? $"The subscription was already canceled. The {s.PlanName} plan stays{until}; nothing more is charged."
            : $"Subscription canceled. No further payments will be taken; the {s.PlanName} plan and its allowance stay{until}, then this workspace moves to Free.";
        return Redirect("/settings/billing");
    }

    private async Task<IActionResult> ShowError(string message, CancellationToken ct)
    {
        Error = message;
        await OnGetAsync(ct);
        return Page();
    }
}
