using Kiln.Core.Accounts;
using Kiln.Core.Pipelines;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Pages;

public sealed class IndexModel(PipelineCatalog catalog, CurrentUser me, IOptions<AccountsOptions> accounts) : PageModel
{
    public IReadOnlyList<PipelineDescriptor> Pipelines { get; private set; } = [];
    public bool SignedIn => me.UserId is not null;
    public long FreeGrant => accounts.Value.FreeGrant;

    public void OnGet() => Pipelines = catalog.All.Select(p => p.Descriptor).OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
}
