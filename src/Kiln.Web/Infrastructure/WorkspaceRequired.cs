using Kiln.Core.Common;

namespace Kiln.Web.Infrastructure;

/// <summary>
/// The one answer to a signed-in caller that acts in no workspace (a user removed from every workspace they were in):
/// 403 with code <c>no_workspace</c>. The authenticated <c>/api</c> group runs this filter, so its handlers can read
/// <see cref="CurrentUser.Workspace"/> without checking again.
/// </summary>
public sealed class WorkspaceRequired(CurrentUser user) : IEndpointFilter
{
    public static readonly Error NoWorkspace = Error.Forbidden("no_workspace", "You are not a member of any workspace.");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next) =>
        user.WorkspaceId is null ? Problems.From(NoWorkspace) : await next(ctx);
}
