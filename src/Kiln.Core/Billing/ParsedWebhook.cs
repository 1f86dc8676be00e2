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
