using Microsoft.AspNetCore.Identity;

namespace Kiln.Core.Accounts;

public sealed class KilnUser : IdentityUser<Guid>
{
    public string? DisplayName { get; set; }
    /// <summary>Operators of the Kiln installation: see every workspace, grant credits, retry failed jobs.</summary>
    public bool IsAdmin { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The workspace the UI and cookie-authenticated API calls act in.</summary>
    public Guid? CurrentWorkspaceId { get; set; }
    /// <summary>When the person asked to delete their account (art. 17); null when no deletion is pending.</summary>
    public DateTime? DeletionRequestedAt { get; set; }
    /// <summary>When the pending deletion runs, after the grace period; cancelling clears both.</summary>
    public DateTime? DeletionDueAt { get; set; }
}

/// <summary>Viewers read the workspace and change nothing; members use it; admins and owners administer it.</summary>
public enum WorkspaceRole { Viewer = -1, Member = 0, Admin = 1, Owner = 2 }

/// <summary>The tenant. Credits, jobs, uploads, artifacts and API keys belong to a workspace.</summary>
public sealed class Workspace
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public bool IsPersonal { get; set; }
    /// <summary>Maximum jobs running at once for this workspace; null uses the installation default.</summary>
    public int? MaxConcurrentJobs { get; set; }
    public string Plan { get; set; } = "free";
    /// <summary>Per-member privacy: members and viewers see only their own jobs, uploads and notes (and what was shared); owners and admins see all.</summary>
    public bool MemberPrivacy { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Set by an owner: members must turn on two-factor sign-in before they can use the workspace.</summary>
    public bool RequireTwoFactor { get; set; }
}

public sealed class WorkspaceMember
{
    public Guid WorkspaceId { get; set; }
    public Guid UserId { get; set; }
    public WorkspaceRole Role { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A workspace API key. Only a SHA-256 hash of the secret is stored; the prefix identifies it in lists.</summary>
public sealed class ApiKey
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public required string Prefix { get; set; }
    public required string Hash { get; set; }
    public Guid? CreatedByUserId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
