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

    public static readonly Error ReadOnly = Error.Forbidden("read_only", "Viewers can look but not change anything in this workspace; ask an owner or admin for the member role.");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        var http = ctx.HttpContext;
        var allowed = http.GetEndpoint()?.Metadata.GetMetadata<ViewerAllowed>();
        if (allowed is { WorkspaceOptional: true }) return await next(ctx);
        if (user.WorkspaceId is null) return Problems.From(NoWorkspace);
        // Viewers read: every request that is not a GET or HEAD changes something, and is refused here in one place.
        if (allowed is null && user.Role == Core.Accounts.WorkspaceRole.Viewer && !user.IsApiKey && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
            return Problems.From(ReadOnly);
        return await next(ctx);
    }
}

/// <summary>Marks an endpoint a viewer (or a caller without a workspace) may call: accepting invitations, switching, leaving.</summary>
public sealed class ViewerAllowed
{
    public static readonly ViewerAllowed Instance = new();
    /// <summary>Also for a caller in no workspace (accepting an invitation is how they get one).</summary>
    public static readonly ViewerAllowed WithoutWorkspace = new() { WorkspaceOptional = true };
    public bool WorkspaceOptional { get; private init; }
}
