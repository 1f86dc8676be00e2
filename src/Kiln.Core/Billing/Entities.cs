namespace Kiln.Core.Billing;

/// <summary>A workspace's customer record at one provider.</summary>
public sealed class BillingCustomer
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string Provider { get; set; }
    public required string ProviderCustomerId { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>The last known state of a provider subscription. Older events never overwrite newer state.</summary>
public sealed class Subscription
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string Provider { get; set; }
    public required string ProviderSubscriptionId { get; set; }
    public required string PlanId { get; set; }
    /// <summary>active, trialing, past_due, canceled, incomplete, paused, …</summary>
    public required string Status { get; set; }
    public DateTime? CurrentPeriodStart { get; set; }
    public DateTime? CurrentPeriodEnd { get; set; }
    public bool CancelAtPeriodEnd { get; set; }
    public DateTime LastEventAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public bool IsLive => Status is "active" or "trialing" or "past_due";
}

public enum PaymentKind { Pack = 0, Subscription = 1 }

/// <summary>One provider payment (a pack purchase or a paid subscription invoice).</summary>
public sealed class Payment
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string Provider { get; set; }
    public required string ProviderPaymentId { get; set; }
    public PaymentKind Kind { get; set; }
    public required string ItemId { get; set; }
    public long Credits { get; set; }
    public long Amount { get; set; }
    public required string Currency { get; set; }
    /// <summary>paid, failed, refunded, partially_refunded.</summary>
    public required string Status { get; set; }
    public string? ReceiptUrl { get; set; }
    public long RefundedAmount { get; set; }
    public long CreditsClawedBack { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public enum PaymentEventStatus { Pending = 0, Processing = 1, Processed = 2, Failed = 3 }

/// <summary>The webhook inbox: a verified delivery, stored before it is acted on. (provider, event id) is unique.</summary>
public sealed class PaymentEvent
{
    public Guid Id { get; set; }
    public required string Provider { get; set; }
    public required string EventId { get; set; }
    public required string Type { get; set; }
    public required string Payload { get; set; }
    public DateTime ReceivedAt { get; set; }
    public PaymentEventStatus Status { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    /// <summary>A claimed event whose lease ran out (worker died) becomes claimable again.</summary>
    public DateTime? LockedUntil { get; set; }
    public DateTime? ProcessedAt { get; set; }
    public string? LastError { get; set; }
}

/// <summary>One period's allowance; unique per invoice so a period is granted once, and expired once.</summary>
public sealed class AllowanceGrant
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string Provider { get; set; }
    public required string ProviderInvoiceId { get; set; }
    public required string ProviderSubscriptionId { get; set; }
    public long Credits { get; set; }
    public DateTime PeriodStart { get; set; }
    public DateTime PeriodEnd { get; set; }
    /// <summary>The grant's ledger entry: captures after it are counted against the allowance first.</summary>
    public long LedgerEntryId { get; set; }
    public DateTime? ExpiredAt { get; set; }
    public long? ExpiredCredits { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>Credits a refund should have taken back but could not, because they were already spent. Shown to admins.</summary>
public sealed class CreditShortfall
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid PaymentId { get; set; }
    public required string Provider { get; set; }
    public required string RefundId { get; set; }
    public long CreditsRequested { get; set; }
    public long CreditsClawedBack { get; set; }
    public long Shortfall { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ResolvedAt { get; set; }
}
