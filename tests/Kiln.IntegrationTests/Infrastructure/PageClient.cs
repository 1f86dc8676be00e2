using System.Net;
using System.Text.RegularExpressions;

namespace Kiln.IntegrationTests.Infrastructure;

/// <summary>
/// The Razor Pages as a browser without JavaScript sees them: a cookie session, and form posts that carry the
/// antiforgery token of the page they come from. Redirects are not followed, so a test sees where a post sends it.
/// </summary>
public sealed partial class PageClient(HttpClient client)
{
    public HttpClient Client { get; } = client;

    public static async Task<PageClient> SignInAsync(KilnTestHost host, string email, string password = KilnTestHost.Password)
    {
        var page = new PageClient(host.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false }));
        var r = await page.PostFormAsync("/signin", "/signin", new() { ["Email"] = email, ["Password"] = password });
        r.StatusCode.ShouldBe(HttpStatusCode.Redirect, await r.Content.ReadAsStringAsync());
        return page;
    }

    /// <summary>Loads <paramref name="pageUrl"/> for its antiforgery token, then posts the form to <paramref name="action"/>.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string pageUrl, string action, Dictionary<string, string> fields)
    {
        var html = await (await Client.GetAsync(pageUrl)).Content.ReadAsStringAsync();
        var token = TokenInput().Match(html);
        token.Success.ShouldBeTrue($"no antiforgery token on {pageUrl}");
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        return await Client.PostAsync(action, new FormUrlEncodedContent(fields));
    }

    /// <summary>The antiforgery token of the form on <paramref name="pageUrl"/>, for a post sent later.</summary>
    public async Task<string> FormTokenAsync(string pageUrl)
    {
        var html = await (await Client.GetAsync(pageUrl)).Content.ReadAsStringAsync();
        var token = TokenInput().Match(html);
        token.Success.ShouldBeTrue($"no antiforgery token on {pageUrl}");
        return WebUtility.HtmlDecode(token.Groups[1].Value);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenInput();
}
