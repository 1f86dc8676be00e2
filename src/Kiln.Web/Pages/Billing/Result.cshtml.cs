using Kiln.Core.Credits;

namespace Kiln.Web.Pages.Billing;

/// <summary>Where payment providers send the payer back after checkout.</summary>
public sealed class ResultModel(GetBalanceQuery balance) : KilnPageModel
{
    public string Outcome { get; private set; } = "";
    public long Available { get; private set; }

    public async Task OnGetAsync(string outcome, CancellationToken ct)
    {
        Outcome = outcome;
        Available = (await balance.Run(Workspace, ct)).Available;
    }
}
