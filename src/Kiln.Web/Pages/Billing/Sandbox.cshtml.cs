using Kiln.Core.Billing;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Billing;

/// <summary>The sandbox provider's hosted checkout, for demos and tests. Only sessions of the caller's workspace are shown.</summary>
public sealed class SandboxModel(DescribeSandboxCheckoutQuery describe, CompleteSandboxCheckoutCommand complete) : KilnPageModel
{
    [BindProperty(SupportsGet = true)] public string? Session { get; set; }
    public SandboxCheckoutView? View { get; private set; }
    public string? Error { get; private set; }

    public IActionResult OnGet()
    {
        var r = describe.Run(Session ?? "");
        if (r.Error is { } e) Error = e.Message;
        else if (r.Value!.WorkspaceId != Workspace) return NotFoundPage();
        else View = r.Value;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var check = describe.Run(Session ?? "");
        if (check.Error is { } e) { Error = e.Message; return Page(); }
        if (check.Value!.WorkspaceId != Workspace) return NotFoundPage();
        var r = await complete.Run(Session!, ct);
        if (r.Error is { } e2) { Error = e2.Message; return Page(); }
        return Redirect("/billing/success");
    }
}
