using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Kiln.Core.Webhooks;
using Kiln.Web.Queries;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Workspace;

public sealed class IndexModel(GetMembershipQuery memberships, ListMembersQuery listMembers, ListApiKeysQuery keys,
    CreateApiKeyCommand createKey, RevokeApiKeyCommand revokeKey, RenameWorkspaceCommand rename, ManageMembersCommand members,
    WebhookActions webhookActions) : KilnPageModel
{
    public Membership? Current { get; private set; }
    public IReadOnlyList<MemberView> Members { get; private set; } = [];
    public IReadOnlyList<ApiKey> Keys { get; private set; } = [];
    /// <summary>A newly created key's secret: shown in this one response and never again.</summary>
    public string? NewSecret { get; private set; }
    /// <summary>What the page offers; the use cases check the role themselves.</summary>
    public bool CanManage => Me.Caller.Administers;
    public Guid? CurrentUserId => Me.UserId;

    [BindProperty, Required(ErrorMessage = "Give the workspace a name."), MaxLength(200)] public string? Name { get; set; }
    [BindProperty, MaxLength(200)] public string? KeyName { get; set; }
    [BindProperty, MaxLength(256)] public string? MemberEmail { get; set; }
    [BindProperty] public WorkspaceRole MemberRole { get; set; } = WorkspaceRole.Member;

    // Webhooks (owners and admins only).
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

    public async Task<IActionResult> OnPostRenameAsync(CancellationToken ct)
    {
        if (ModelState.IsValid)
        {
            var r = await rename.Run(Me.Caller, Name!, ct);
            if (Refused(r.Error) is { } refused) return refused;
            if (r.Error is { } e) ModelState.AddModelError(nameof(Name), e.Message);
            else { TempData["Flash"] = "Workspace renamed."; return Redirect("/workspace"); }
        }
        await LoadAsync(ct, keepName: true);
        return Page();
    }

    public async Task<IActionResult> OnPostCreateKeyAsync(CancellationToken ct)
    {
        ModelState.Remove(nameof(Name));
        var r = await createKey.Run(Me.Caller, KeyName ?? "", ct);
        if (Refused(r.Error) is { } refused) return refused;
        if (r.Error is { } e) ModelState.AddModelError(nameof(KeyName), e.Message);
        else { NewSecret = r.Value!.Secret; KeyName = null; }
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeKeyAsync(Guid keyId, CancellationToken ct)
    {
        var r = await revokeKey.Run(Me.Caller, keyId, ct);
        if (Refused(r.Error) is { } refused) return refused;
        if (r.Error is { Status: 404 }) return NotFoundPage();
        TempData["Flash"] = $"API key “{r.Value!.Name}” revoked; it stops working at once.";
        return Redirect("/workspace");
    }

    public async Task<IActionResult> OnPostAddMemberAsync(CancellationToken ct)
    {
        var r = await members.Add(Me.Caller, MemberEmail ?? "", MemberRole, ct);
        if (Refused(r.Error) is { } refused) return refused;
        TempData["Flash"] = r.Error is { } e ? e.Message : $"{r.Value!.Email} is now a {r.Value.Role.ToString().ToLowerInvariant()} of this workspace.";
        return Redirect("/workspace#members");
    }

    public async Task<IActionResult> OnPostRemoveMemberAsync(Guid userId, CancellationToken ct)
    {
        var r = await members.Remove(Me.Caller, userId, ct);
        if (Refused(r.Error) is { } refused) return refused;
        if (r.Error is { Status: 404 }) return NotFoundPage();
        TempData["Flash"] = r.Error is { } e ? e.Message : userId == Me.UserId ? "You left the workspace." : "Member removed.";
        return Redirect(userId == Me.UserId && r.Error is null ? "/dashboard" : "/workspace#members");
    }

    public async Task<IActionResult> OnPostCreateWebhookAsync(CancellationToken ct)
    {
        ModelState.Clear();
        var r = await webhookActions.Create.Run(Me.Caller, WebhookUrl ?? "", WebhookDescription, WebhookEvents, ct);
        if (Refused(r.Error) is { } refused) return refused;
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

    public async Task<IActionResult> OnPostDeleteWebhookAsync(Guid webhookId, CancellationToken ct)
    {
        var r = await webhookActions.Delete.Run(Me.Caller, webhookId, ct);
        if (Refused(r.Error) is { } refused) return refused;
        if (r.Error is { Status: 404 }) return NotFoundPage();
        TempData["Flash"] = $"Webhook endpoint {r.Value!.Url} deleted; nothing more is sent to it.";
        return Redirect("/workspace#webhooks");
    }

    public async Task<IActionResult> OnPostTestWebhookAsync(Guid webhookId, CancellationToken ct)
    {
        var r = await webhookActions.Test.Run(Me.Caller, webhookId, ct);
        if (Refused(r.Error) is { } refused) return refused;
        if (r.Error is { Status: 404 }) return NotFoundPage();
        TempData["Flash"] = r.Error is { } e ? e.Message : "Test event queued; it is sent within a few seconds. Reload to see the result.";
        return Redirect($"/workspace?webhook={webhookId}#webhook-deliveries");
    }

    public async Task<IActionResult> OnPostEnableWebhookAsync(Guid webhookId, CancellationToken ct)
    {
        var r = await webhookActions.Enable.Run(Me.Caller, webhookId, ct);
        if (Refused(r.Error) is { } refused) return refused;
        if (r.Error is { Status: 404 }) return NotFoundPage();
        TempData["Flash"] = $"Webhook endpoint {r.Value!.Url} is enabled again; new events are sent to it.";
        return Redirect("/workspace#webhooks");
    }

    public async Task<IActionResult> OnPostRetryDeliveryAsync(Guid webhookId, Guid deliveryId, CancellationToken ct)
    {
        var r = await webhookActions.Retry.Run(Me.Caller, webhookId, deliveryId, ct);
        if (Refused(r.Error) is { } refused) return refused;
        if (r.Error is { Status: 404 }) return NotFoundPage();
        TempData["Flash"] = r.Error is { } e ? e.Message : "Delivery queued again; it is sent within a few seconds. Reload to see the result.";
        return Redirect($"/workspace?webhook={webhookId}#webhook-deliveries");
    }

    /// <summary>A use case refused the caller's role: say why on the workspace page.</summary>
    private RedirectResult? Refused(Kiln.Core.Common.Error? error)
    {
        if (error is not { Code: "forbidden" }) return null;
        TempData["Flash"] = error.Message;
        return Redirect("/workspace");
    }

    private async Task LoadAsync(CancellationToken ct, bool keepName = false)
    {
        Current = await memberships.Run(Me.UserId!.Value, Workspace, ct);
        if (!keepName) Name = Current?.Workspace.Name;
        Members = await listMembers.Run(Workspace, ct);
        Keys = await keys.Run(Workspace, ct);
        // Members are refused the webhooks (their secrets are the workspace's integration): the section stays empty.
        if ((await webhookActions.List.Run(Me.Caller, ct)).Value is not { } webhooks) return;
        Webhooks = webhooks;
        SelectedWebhook = Webhooks.Select(w => w.Endpoint).FirstOrDefault(w => w.Id == WebhookId) ?? (Webhooks.Count > 0 ? Webhooks[0].Endpoint : null);
        if (SelectedWebhook is not null && (await webhookActions.Deliveries.Run(Me.Caller, SelectedWebhook.Id, 1, 10, ct)).Value is { } page)
        {
            Deliveries = page.Items;
            DeliveriesTotal = page.Total;
        }
    }
}

/// <summary>The webhook use cases the workspace page needs, in one constructor parameter.</summary>
public sealed record WebhookActions(CreateWebhookEndpointCommand Create, ListWebhookEndpointsQuery List, DeleteWebhookEndpointCommand Delete,
    SendTestWebhookCommand Test, ListWebhookDeliveriesQuery Deliveries, RetryWebhookDeliveryCommand Retry, EnableWebhookEndpointCommand Enable);
