using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace Kiln.Web.Pages;

/// <summary>Shared helpers for the signed-in pages.</summary>
public abstract class KilnPageModel : PageModel
{
    protected CurrentUser Me => HttpContext.RequestServices.GetRequiredService<CurrentUser>();

    protected Guid Workspace => Me.Workspace;

    /// <summary>Pages whose forms a viewer may post (leaving a workspace); the use cases still check the role.</summary>
    protected virtual bool ViewersMayPost => false;

    /// <summary>Viewers read: a form post of theirs changes nothing and says why, the same rule the API applies.</summary>
    public override async Task OnPageHandlerExecutionAsync(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context,
        Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutionDelegate next)
    {
        if (!ViewersMayPost && HttpMethods.IsPost(Request.Method) && Me.Role == Core.Accounts.WorkspaceRole.Viewer && !Me.IsApiKey)
        {
            TempData["Flash"] = WorkspaceRequired.ReadOnly.Message;
            context.Result = Redirect(Request.Path + Request.QueryString);
            return;
        }
        await next();
    }

    /// <summary>
    /// The product's 404 page with a 404 status. Foreign ids get this too — never 403 — so an id from another
    /// workspace reveals nothing about whether it exists.
    /// </summary>
    protected IActionResult NotFoundPage() => NotFoundResult(MetadataProvider, ModelState);

    /// <summary>The 404 page for filters that answer before a page model runs.</summary>
    public static IActionResult NotFoundResult(IModelMetadataProvider metadata, ModelStateDictionary modelState) => new PartialViewResult
    {
        ViewName = "_NotFound",
        StatusCode = StatusCodes.Status404NotFound,
        ViewData = new ViewDataDictionary(metadata, modelState) { ["Title"] = "Not found" },
    };
}
