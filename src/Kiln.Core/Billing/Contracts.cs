using Kiln.Core.Billing.Providers;
using Kiln.Core.Common;

namespace Kiln.Core.Billing;

/// <summary>A verified delivery, ready for the inbox.</summary>
/// <param name="RearmOnDuplicate">
/// For deliveries that only say "look at object X" (Mollie), a repeat means the object changed: the stored event is
/// made pending again instead of being ignored. Processing re-fetches the object, so this stays idempotent.
/// </param>
public sealed record ParsedWebhook(string EventId, string Type, string Payload, bool RearmOnDuplicate = false)
{
    /// <summary>
    /// Reads a verified JSON event body: the event id from <paramref name="idField"/> (or the one the headers carried,
    /// <paramref name="knownId"/>) and the type from <paramref name="typeField"/>.
    /// </summary>
    public static Result<ParsedWebhook> FromJson(ReadOnlySpan<byte> body, string? idField, string typeField, string? knownId = null)
    {
        var payload = System.Text.Encoding.UTF8.GetString(body);
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(payload);
            var id = knownId ?? (idField is null ? null : doc.RootElement.Str(idField));
            var type = doc.RootElement.Str(typeField);
            if (id is null || type is null)
                return BillingErrors.BadPayload($"The event has no {(idField is null ? "" : idField + " or ")}{typeField}.");
            return new ParsedWebhook(id, type, payload);
        }
        catch (System.Text.Json.JsonException) { return BillingErrors.BadPayload("The body is not JSON."); }
    }
}

/// <summary>The workspace and the item a checkout is for.</summary>
public sealed record CheckoutRequest(Guid WorkspaceId, string? CustomerEmail, CheckoutItem Item, Uri SuccessUrl, Uri CancelUrl);

/// <summary>
/// A normalized consequence of a provider event. Providers translate (and re-fetch) their own objects into facts;
/// <see cref="BillingFactApplier"/> turns facts into rows and ledger entries the same way for every provider.
/// </summary>
public abstract record BillingFact;

public sealed record PaymentSucceeded(Guid WorkspaceId, string PaymentId, string PackId, long Amount, string Currency, string? ReceiptUrl) : BillingFact;

public sealed record PaymentFailed(Guid WorkspaceId, string PaymentId, PaymentKind Kind, string ItemId, long Amount, string Currency) : BillingFact;

public sealed record InvoicePaid(Guid WorkspaceId, string InvoiceId, string SubscriptionId, string PlanId, DateTime PeriodStart, DateTime PeriodEnd,
    long Amount, string Currency, string? ReceiptUrl) : BillingFact;

public sealed record SubscriptionChanged(Guid WorkspaceId, string SubscriptionId, string PlanId, string Status, DateTime? PeriodStart, DateTime? PeriodEnd,
    bool CancelAtPeriodEnd, DateTime EventTime) : BillingFact;

/// <param name="RefundedAmount">This refund's amount in minor units.</param>
public sealed record PaymentRefunded(string PaymentId, string RefundId, long RefundedAmount) : BillingFact;

public sealed record CustomerLinked(Guid WorkspaceId, string CustomerId) : BillingFact;

/// <summary>One payment provider. Implementations are thin: HTTP shapes in, facts out.</summary>
public interface IPaymentProvider
{
    /// <summary>stripe, mollie, paddle or sandbox: the route segment and the provider column value.</summary>
    string Name { get; }

    Task<Result<Uri>> CreateCheckoutAsync(CheckoutRequest r, CancellationToken ct);

    Task<Result<Uri>> CreatePortalAsync(Guid workspaceId, Uri returnUrl, CancellationToken ct);

    /// <summary>Verifies the delivery on its raw bytes. Headers are looked up case-insensitively.</summary>
    Result<ParsedWebhook> ParseWebhook(ReadOnlySpan<byte> body, IReadOnlyDictionary<string, string> headers);

    /// <summary>Turns a stored event into facts, re-fetching the authoritative object where ordering matters.</summary>
    Task<Result<IReadOnlyList<BillingFact>>> ProcessAsync(PaymentEvent stored, CancellationToken ct);
}

/// <summary>
/// A provider without a hosted portal where the payer could cancel (Mollie, the sandbox): Kiln cancels through the
/// provider's API instead. Such providers announce neither the cancellation nor the end of the paid period, so Kiln
/// records both itself: the cancellation as facts from <see cref="CancelSubscriptionAsync"/>, the end with
/// <see cref="EndLapsedSubscriptionsCommand"/>.
/// </summary>
public interface ISubscriptionCanceler
{
    /// <summary>
    /// Stops renewals at the provider. The facts describe the result the way Stripe describes cancel-at-period-end
    /// (still active, <c>CancelAtPeriodEnd</c>, period end unchanged), so the plan and its allowance run to the end of
    /// the paid period. Canceling a subscription that is already canceled at the provider succeeds with the same facts.
    /// </summary>
    Task<Result<IReadOnlyList<BillingFact>>> CancelSubscriptionAsync(Subscription subscription, CancellationToken ct);
}

public static class BillingErrors
{
    public static readonly Error NotConfigured = new("billing_not_configured", "Payments are not enabled on this installation.", 404);
    public static Error UnknownProvider(string name) => new("unknown_provider", $"Payment provider '{name}' is not enabled.", 404);
    public static readonly Error PortalUnavailable = new("portal_unavailable", "There is no billing portal for this workspace yet.", 409);
    public static readonly Error NoSubscription = new("no_subscription", "This workspace has no active subscription to cancel.", 409);
    public static readonly Error CancelForbidden = Error.Forbidden("forbidden", "Only workspace owners and admins cancel the subscription.");
    public static Error CancelInPortal(string provider) =>
        new("cancel_in_portal", $"This subscription is managed in {provider}'s billing portal: cancel it there (Manage subscription).", 409);
    public static Error Provider(string provider, string message) => new("provider_error", $"{provider}: {message}", 502);
    public static Error BadPayload(string message) => new("invalid_payload", message, 400);
}

/// <summary>Minor-unit conversions; a handful of currencies have no minor unit.</summary>
public static class Money
{
    private static readonly HashSet<string> ZeroDecimal = new(StringComparer.OrdinalIgnoreCase) { "JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX" };

    public static int Digits(string currency) => ZeroDecimal.Contains(currency) ? 0 : 2;

    public static string ToDecimalString(long minor, string currency) =>
        Digits(currency) == 0 ? minor.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : (minor / 100m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    public static long FromDecimalString(string value, string currency) =>
        (long)Math.Round(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture) * (Digits(currency) == 0 ? 1 : 100));
}
