using Kiln.Core.Common;

namespace Kiln.Core.Accounts;

/// <summary>
/// Who runs a use case: the user (null for an API key or the console), the workspace it acts in, its role there and
/// whether it operates the installation. Commands that need a role take the caller and check it themselves, so a page,
/// an endpoint or a CLI command that calls them cannot forget to. The web layer builds it in one place
/// (<c>CurrentUser.Caller</c>); API keys act as members: they use the workspace, they do not administer it.
/// </summary>
public sealed record Caller(Guid? UserId, Guid? WorkspaceId, WorkspaceRole Role, bool IsOperator = false)
{
    /// <summary>The operator at the console (<c>kiln credits grant</c>): no user, no workspace.</summary>
    public static Caller Console { get; } = new(null, null, WorkspaceRole.Member, IsOperator: true);

    public Guid Workspace => WorkspaceId ?? throw new InvalidOperationException("This caller acts in no workspace.");

    /// <summary>Owners and admins administer the workspace: its name, members, API keys, webhooks and subscription.</summary>
    public bool Administers => WorkspaceId is not null && Role >= WorkspaceRole.Admin;

    /// <summary>Null when the caller administers the workspace, else the forbidden error that says what is reserved.</summary>
    public Error? RequireAdmin(string what) =>
        Administers ? null : Error.Forbidden("forbidden", $"Only workspace owners and admins {what}.");

    public Error? RequireOperator() =>
        IsOperator ? null : Error.Forbidden("forbidden", "Only operators of this installation do this.");
}
