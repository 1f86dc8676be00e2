using Kiln.Core.Accounts;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Workspace;

/// <summary>The header's workspace switcher posts here; the dashboard then shows the chosen workspace.</summary>
public sealed class SwitchModel(SwitchWorkspaceCommand switcher) : KilnPageModel
{
    // Switching changes nothing in a workspace: a viewer switches too.
    protected override bool ViewersMayPost => true;

    public IActionResult OnGet() => Redirect("/workspace");

    public async Task<IActionResult> OnPostAsync(Guid workspaceId, CancellationToken ct)
    {
        var r = await switcher.Run(Me.UserId!.Value, workspaceId, ct);
        if (r.Error is not null) return NotFoundPage();
        return Redirect("/dashboard");
    }
}
