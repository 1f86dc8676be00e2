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
