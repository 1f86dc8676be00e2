using Kiln.Core.Privacy;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Account;

/// <summary>Your data: ask for an export and download it; schedule, or cancel, the deletion of your account.</summary>
[Authorize]
public sealed class PrivacyModel(RequestExportCommand requestExport, ListExportsQuery exports, RequestAccountDeletionCommand deletion) : KilnPageModel
{
    private const string Self = "/account/privacy";

    public IReadOnlyList<DataExport> Exports { get; private set; } = [];
    public DeletionStatus? Deletion { get; private set; }

    [BindProperty] public string? Password { get; set; }

    // These are about the person, not the workspace: a viewer may ask too.
    protected override bool ViewersMayPost => true;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (Me.UserId is null) return Redirect("/signin");
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostExportAsync(CancellationToken ct)
    {
        var r = await requestExport.Run(Me.UserId!.Value, ct);
        TempData["Flash"] = r.Error?.Message ?? "Your export is being prepared. It appears below when it is ready (refresh in a minute).";
        return Redirect(Self);
    }

    public async Task<IActionResult> OnPostDeleteAsync(CancellationToken ct)
    {
        var r = await deletion.Run(Me.UserId!.Value, Password ?? "", ct);
        if (r.Error is { } e)
        {
            ModelState.AddModelError(nameof(Password), e.Message);
            await LoadAsync(ct);
            return Page();
        }
        TempData["Flash"] = $"Your account will be deleted on {r.Value!.DueAt:yyyy-MM-dd HH:mm} UTC. You can cancel until then.";
        return Redirect(Self);
    }

    public async Task<IActionResult> OnPostCancelAsync(CancellationToken ct)
    {
        var r = await deletion.Cancel(Me.UserId!.Value, ct);
        TempData["Flash"] = r.Error?.Message ?? "The deletion is cancelled; your account stays.";
        return Redirect(Self);
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Exports = await exports.Run(Me.UserId!.Value, ct);
        Deletion = await deletion.Status(Me.UserId!.Value, ct);
    }
}
