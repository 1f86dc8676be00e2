using Kiln.Core.Accounts;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Ui;

public sealed record WorkspaceSwitcher(IReadOnlyList<Membership> Workspaces, Guid? Current);

/// <summary>
/// The workspace switcher in the signed-in header: one indexed read of the caller's memberships per rendered page.
/// A person in one workspace sees its name only; with several, a select and a Switch button (works without JavaScript).
/// </summary>
public sealed class WorkspaceSwitcherViewComponent(GetMembershipQuery memberships, CurrentUser me) : ViewComponent
{
    public async Task<IViewComponentResult> InvokeAsync()
    {
        if (me.UserId is not { } userId) return Content("");
        var all = await memberships.All(userId, HttpContext.RequestAborted);
        return all.Count == 0 ? Content("") : View(new WorkspaceSwitcher(all, me.WorkspaceId));
    }
}
