namespace Kiln.Core.Credits;

public enum LedgerEntryKind
{
    Grant = 0, Purchase = 1, SubscriptionAllowance = 2, Hold = 3, Capture = 4, Release = 5, Refund = 6, Adjustment = 7, Expiry = 8,
}

/// <summary>
/// The running totals of one workspace. <c>Posted</c> is what the workspace owns; <c>Held</c> is reserved by running
/// jobs. A CHECK (held ≥ 0 and posted ≥ held) in the database makes an overdraw impossible whatever the code does.
/// </summary>
public sealed class CreditAccount
{
    public Guid WorkspaceId { get; set; }
    public long Posted { get; set; }
    public long Held { get; set; }
    public DateTime UpdatedAt { get; set; }
    public long Available => Posted - Held;
}

/// <summary>
/// One append-only movement. Entries are never updated or deleted; a correction is a new entry. The sum of
/// <see cref="PostedDelta"/> over a workspace equals its account's Posted, and the sum of <see cref="HeldDelta"/> its Held.
/// </summary>
public sealed class LedgerEntry
{
    public long Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public LedgerEntryKind Kind { get; set; }
    public long PostedDelta { get; set; }
    public long HeldDelta { get; set; }
    /// <summary>Unique: a payment event id, a job id + kind, or an admin request id. Replays are no-ops.</summary>
    public required string IdempotencyKey { get; set; }
    public Guid? JobId { get; set; }
    public string? Reason { get; set; }
    public Guid? ActorUserId { get; set; }
    public long PostedAfter { get; set; }
    public long HeldAfter { get; set; }
    public DateTime CreatedAt { get; set; }
}

public enum HoldStatus { Open = 0, Captured = 1, Released = 2 }

/// <summary>A pending transfer for one job. It resolves exactly once: the resolving UPDATE matches only an open hold.</summary>
public sealed class CreditHold
{
    public Guid JobId { get; set; }
    public Guid WorkspaceId { get; set; }
    public long Amount { get; set; }
    public HoldStatus Status { get; set; }
    public long? Captured { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ResolvedAt { get; set; }
}
