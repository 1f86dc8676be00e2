using Kiln.Core.Accounts;
using Kiln.Core.Common;

namespace Kiln.Core.Billing;

/// <summary>
/// Who may spend the workspace's money or change how it pays: owners and admins (the billing admins). Checkout,
/// the provider portal and canceling all ask here, whether from the API or a page, so the rule lives once.
/// </summary>
public static class BillingAccess
{
    public static readonly Error Forbidden = Error.Forbidden("forbidden", "Only workspace owners and admins buy credits, subscribe or manage billing.");

    /// <summary>Null when <paramref name="caller"/> may manage billing, else the 403.</summary>
    public static Error? Require(Caller caller) => caller.Administers && caller.UserId is not null ? null : Forbidden;
}
