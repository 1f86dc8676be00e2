using Kiln.Core.Common;
using System.ComponentModel.DataAnnotations;
using Kiln.Core.Webhooks;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Workspace;

/// <summary>
/// Outbound webhooks (owners and admins only; their secrets are the workspace's integration): add an endpoint (its
/// signing secret shown once), test, enable, delete, and see and retry the recent deliveries of one endpoint.
/// </summary>
public sealed class WebhooksModel(ListWebhookEndpointsQuery list, ListWebhookDeliveriesQuery deliveries) : WorkspacePageModel
{
    private const string Self = "/workspace/webhooks";

    public IReadOnlyList<WebhookEndpointView> Webhooks { get; private set; } = [];
    /// <summary>The endpoint whose recent deliveries are listed (<c>?webhook=</c>, else the newest endpoint).</summary>
    public WebhookEndpoint? SelectedWebhook { get; private set; }
    public IReadOnlyList<WebhookDelivery> Deliveries { get; private set; } = [];
    public int DeliveriesTotal { get; private set; }
    /// <summary>A new endpoint's signing secret: shown in this one response and never again.</summary>
    public string? NewWebhookSecret { get; private set; }

    [BindProperty, MaxLength(2000)] public string? WebhookUrl { get; set; }
    [BindProperty, MaxLength(500)] public string? WebhookDescription { get; set; }
    [BindProperty] public List<string> WebhookEvents { get; set; } = [WebhookEventTypes.JobSucceeded, WebhookEventTypes.JobFailed, WebhookEventTypes.JobCanceled];
    [BindProperty(SupportsGet = true, Name = "webhook")] public Guid? WebhookId { get; set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostCreateWebhookAsync([FromServices] CreateWebhookEndpointCommand create, CancellationToken ct)
    {
        ModelState.Clear();
        var r = await create.Run(Me.Caller, WebhookUrl ?? "", WebhookDescription, WebhookEvents, ct);
        if (Refused(r.Error, Self) is { } refused) return refused;
        if (r.Error is { } e)
            ModelState.AddModelError(e.Code == "invalid_event_types" ? nameof(WebhookEvents) : e.Code == "invalid_description" ? nameof(WebhookDescription) : nameof(WebhookUrl), e.Message);
        else
        {
            NewWebhookSecret = r.Value!.Secret;
            WebhookId = r.Value.Endpoint.Id;
            WebhookUrl = WebhookDescription = null;
            TempData["Flash"] = $"Webhook endpoint added: {r.Value.Endpoint.Url}";
        }
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteWebhookAsync(Guid webhookId, [FromServices] DeleteWebhookEndpointCommand delete, CancellationToken ct)
    {
        var r = await delete.Run(Me.Caller, webhookId, ct);
        if (Refused(r.Error, Self) is { } refused) return refused;
        if (r.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        TempData["Flash"] = $"Webhook endpoint {r.Value!.Url} deleted; nothing more is sent to it.";
        return Redirect(Self);
    }

    public async Task<IActionResult> OnPostTestWebhookAsync(Guid webhookId, [FromServices] SendTestWebhookCommand test, CancellationToken ct)
    {
        var r = await test.Run(Me.Caller, webhookId, ct);
        if (Refused(r.Error, Self) is { } refused) return refused;
        if (r.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        TempData["Flash"] = r.Error is { } e ? e.Message : "Test event queued; it is sent within a few seconds. Reload to see the result.";
        return Redirect($"{Self}?webhook={webhookId}#webhook-deliveries");
    }

    public async Task<IActionResult> OnPostEnableWebhookAsync(Guid webhookId, [FromServices] EnableWebhookEndpointCommand enable, CancellationToken ct)
    {
        var r = await enable.Run(Me.Caller, webhookId, ct);
        if (Refused(r.Error, Self) is { } refused) return refused;
        if (r.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        TempData["Flash"] = $"Webhook endpoint {r.Value!.Url} is enabled again; new events are sent to it.";
        return Redirect(Self);
    }

    public async Task<IActionResult> OnPostRetryDeliveryAsync(Guid webhookId, Guid deliveryId, [FromServices] RetryWebhookDeliveryCommand retry, CancellationToken ct)
    {
        var r = await retry.Run(Me.Caller, webhookId, deliveryId, ct);
        if (Refused(r.Error, Self) is { } refused) return refused;
        if (r.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        TempData["Flash"] = r.Error is { } e ? e.Message : "Delivery queued again; it is sent within a few seconds. Reload to see the result.";
        return Redirect($"{Self}?webhook={webhookId}#webhook-deliveries");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        // Members are refused the webhooks (their secrets are the workspace's integration): the page says so and lists nothing.
        if ((await list.Run(Me.Caller, ct)).Value is not { } webhooks) return;
        Webhooks = webhooks;
        SelectedWebhook = Webhooks.Select(w => w.Endpoint).FirstOrDefault(w => w.Id == WebhookId) ?? (Webhooks.Count > 0 ? Webhooks[0].Endpoint : null);
        if (SelectedWebhook is not null && (await deliveries.Run(Me.Caller, SelectedWebhook.Id, 1, 10, ct)).Value is { } page)
        {
            Deliveries = page.Items;
            DeliveriesTotal = page.Total;
        }
    }
}
