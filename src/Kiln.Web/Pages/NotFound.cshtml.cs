using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages;

public sealed class NotFoundModel : PageModel
{
    public void OnGet() => Response.StatusCode = StatusCodes.Status404NotFound;
}
