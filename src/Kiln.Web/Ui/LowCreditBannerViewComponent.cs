using Kiln.Core.Billing;
using Kiln.Core.Credits;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Ui;

public sealed record LowCreditBanner(long Available);

/// <summary>
/// "You have N credits left" in the signed-in layout. A view component runs once per rendered page — never for static
/// files or API calls — and costs one primary-key read of the credit account. Hidden on pages that are about buying.
/// </summary>
public sealed class LowCreditBannerViewComponent(GetBalanceQuery balance, CurrentUser me, IOptions<BillingOptions> billing) : ViewComponent
{
    private static readonly string[] BuyingPages = ["/pricing", "/billing"];

    public async Task<IViewComponentResult> InvokeAsync()
    {
        // 0 or less switches the banner off for installations that do not sell credits.
        var threshold = billing.Value.LowCreditThreshold;
        var path = HttpContext.Request.Path;
        if (threshold <= 0 || me.WorkspaceId is not { } ws || BuyingPages.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
            return Content("");
        var available = (await balance.Run(ws, HttpContext.RequestAborted)).Available;
        return available < threshold ? View(new LowCreditBanner(available)) : Content("");
    }
}
