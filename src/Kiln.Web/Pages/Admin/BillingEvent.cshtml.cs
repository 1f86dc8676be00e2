using System.Text.Encodings.Web;
using System.Text.Json;
using Kiln.Core.Billing;
using Kiln.Web.Queries;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Admin;

/// <summary>One inbox event with its stored payload. The payload came from the internet: it is only ever shown as encoded text.</summary>
public sealed class BillingEventModel(BillingAdminQueries queries) : KilnPageModel
{
    // Relaxed escaping keeps non-ASCII readable; Razor still HTML-encodes the whole text when it is rendered.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public PaymentEvent Event { get; private set; } = null!;
    public string Payload { get; private set; } = "";
    public bool IsJson { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        if (await queries.Event(id, ct) is not { } e) return NotFoundPage();
        Event = e;
        (Payload, IsJson) = Pretty(e.Payload);
        return Page();
    }

    /// <summary>Indented JSON when it parses (Mollie posts form bodies, so not every payload does), the raw text otherwise.</summary>
    public static (string Text, bool IsJson) Pretty(string payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload);
            return (JsonSerializer.Serialize(doc.RootElement, Indented), true);
        }
        catch (JsonException)
        {
            return (payload, false);
        }
    }
}
