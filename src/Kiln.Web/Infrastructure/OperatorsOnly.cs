using Kiln.Web.Pages;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Kiln.Web.Infrastructure;

/// <summary>
/// Every page in <c>/Admin</c> (the operator console) answers the product's 404 page to anyone but an operator, so the
/// console's existence is not advertised. Applied to the folder by a convention in <see cref="UiRegistrations"/>, so a
/// new admin page or handler cannot forget it. The flag is the one <see cref="TenantMiddleware"/> read from the user's
/// database row on this request — not the cookie's claim, which outlives a demotion until the next sign-in.
/// Runs as a resource filter: before model binding and any handler.
/// </summary>
public sealed class OperatorsOnly : IAsyncResourceFilter
{
    public async Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
    {
        var services = context.HttpContext.RequestServices;
        if (!services.GetRequiredService<CurrentUser>().IsAdmin)
        {
            context.Result = KilnPageModel.NotFoundResult(services.GetRequiredService<IModelMetadataProvider>(), context.ModelState);
            return;
        }
        await next();
    }
}
