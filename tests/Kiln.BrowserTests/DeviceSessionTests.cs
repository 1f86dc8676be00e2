using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>Every browser sign-in is a device on the settings page; signing one out from another ends it.</summary>
public sealed class DeviceSessionTests(KilnApp app)
{
    [Fact]
    public async Task Signing_out_another_browser_from_the_settings_page_signs_that_browser_out()
    {
        var test = nameof(Signing_out_another_browser_from_the_settings_page_signs_that_browser_out);
        var email = $"dev-{Guid.NewGuid():N}"[..20] + "@example.com";
        await app.CreateUserAsync(email, BrowserSession.Password, isAdmin: false);
        await using var desk = await BrowserSession.OpenAsync(app, test, "desk");
        await using var cafe = await BrowserSession.OpenAsync(app, test, "cafe");
        await desk.SignInAsync(email);
        await cafe.SignInAsync(email);

        await desk.GoAsync("/account/settings");
        var rows = desk.Page.Locator("tr[data-session]");
        await Expect(rows).ToHaveCountAsync(2);
        var mine = rows.Filter(new() { HasText = "(this browser)" });
        await Expect(mine).ToHaveCountAsync(1);
        await Expect(mine).ToContainTextAsync("Browser");
        var other = rows.Filter(new() { HasNotText = "(this browser)" });
        await other.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(desk.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("That device was signed out.");
        await Expect(desk.Page.Locator("tr[data-session]")).ToHaveCountAsync(1);
        await desk.ShotAsync("other device signed out");

        // The café browser's next page is the sign-in page; the desk stays signed in.
        await cafe.GoAsync("/account/settings");
        await Expect(cafe.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin"));
        await desk.GoAsync("/account/settings");
        await Expect(desk.Page).ToHaveURLAsync(app.BaseUrl + "/account/settings");
    }
}
