using Kiln.Core.Common;
using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Workspace;

/// <summary>The workspace's API keys: create one (its secret shown once), list them, revoke one.</summary>
public sealed class ApiKeysModel(ListApiKeysQuery keys) : WorkspacePageModel
{
    private const string Self = "/workspace/api-keys";

    public IReadOnlyList<ApiKey> Keys { get; private set; } = [];
    /// <summary>A newly created key's secret: shown in this one response and never again.</summary>
    public string? NewSecret { get; private set; }

    [BindProperty, MaxLength(200)] public string? KeyName { get; set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostCreateKeyAsync([FromServices] CreateApiKeyCommand createKey, CancellationToken ct)
    {
        var r = await createKey.Run(Me.Caller, KeyName ?? "", ct);
        if (Refused(r.Error, Self) is { } refused) return refused;
        if (r.Error is { } e) ModelState.AddModelError(nameof(KeyName), e.Message);
        else { NewSecret = r.Value!.Secret; KeyName = null; ModelState.Remove(nameof(KeyName)); }
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeKeyAsync(Guid keyId, [FromServices] RevokeApiKeyCommand revokeKey, CancellationToken ct)
    {
        var r = await revokeKey.Run(Me.Caller, keyId, ct);
        if (Refused(r.Error, Self) is { } refused) return refused;
        if (r.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        TempData["Flash"] = $"API key “{r.Value!.Name}” revoked; it stops working at once.";
        return Redirect(Self);
    }

    private async Task LoadAsync(CancellationToken ct) => Keys = await keys.Run(Workspace, ct);
}
