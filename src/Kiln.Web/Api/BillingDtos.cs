using Kiln.Core.Billing;
using Kiln.Core.Common;

namespace Kiln.Web.Api;

// The billing area's DTOs: the billing API, the operators' inbox and the inbound payment webhooks share them.
public sealed record CheckoutRequestDto(string Kind, string ItemId);
public sealed record CheckoutDto(Uri Url, string Provider);
public sealed record PortalDto(Uri Url);
public sealed record PaymentWebhookReceiptDto(bool Received, bool Duplicate);
public sealed record PaymentEventDto(Guid Id, string Provider, string EventId, string Type, string Status, int Attempts, DateTime ReceivedAt,
    DateTime NextAttemptAt, DateTime? ProcessedAt, string? LastError, string? Payload)
{
    public static PaymentEventDto From(PaymentEvent e, bool withPayload) => new(e.Id, e.Provider, e.EventId, e.Type, e.Status.WireName(),
        e.Attempts, e.ReceivedAt, e.NextAttemptAt, e.ProcessedAt, e.LastError, withPayload ? e.Payload : null);
}
