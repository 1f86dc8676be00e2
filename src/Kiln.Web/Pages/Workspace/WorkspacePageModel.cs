using Kiln.Core.Common;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Workspace;

/// <summary>What the workspace settings pages share: what the caller may manage, and how a refused role is shown.</summary>
public abstract class WorkspacePageModel : KilnPageModel
{
    /// <summary>What the page offers; the use cases check the role themselves.</summary>
    public bool CanManage => Me.Caller.Administers;

    public Guid? CurrentUserId => Me.UserId;

    /// <summary>A use case refused the caller's role: say why on the page the form was on.</summary>
    protected RedirectResult? Refused(Error? error, string page)
    {
        if (error is not { Code: "forbidden" }) return null;
        TempData["Flash"] = error.Message;
        return Redirect(page);
    }
}
