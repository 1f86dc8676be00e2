using Microsoft.AspNetCore.Html;

namespace Kiln.Web.Ui;

/// <summary>
/// Core error messages for plan limits point at "the pricing page" in plain words (the API returns them too); the browser
/// turns those words into a link. The message itself stays HTML-encoded.
/// </summary>
public static class PricingLink
{
    private const string Phrase = "the pricing page";

    /// <summary>The error codes whose way out is a bigger plan.</summary>
    public static bool Applies(string? code) => code is "plan_pipeline_not_allowed" or "upload_too_large";

    public static IHtmlContent In(string message)
    {
        var at = message.IndexOf(Phrase, StringComparison.Ordinal);
        var html = new HtmlContentBuilder();
        if (at < 0) return html.Append(message).AppendHtml(" <a href=\"/pricing\">See pricing</a>");
        return html.Append(message[..at]).AppendHtml($"<a href=\"/pricing\">{Phrase}</a>").Append(message[(at + Phrase.Length)..]);
    }
}
