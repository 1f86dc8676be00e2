using Kiln.Core.Billing.Providers;
using Kiln.Core.Common;

namespace Kiln.Core.Billing;

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
