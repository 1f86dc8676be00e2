using Microsoft.Playwright;

namespace Kiln.BrowserTests;

/// <summary>A team workspace made from the workspace page; the header's switcher, by keyboard, with no axe violation.</summary>
public sealed class TeamsTests(KilnApp app)
{
    [Fact]
    public async Task A_team_is_created_on_the_workspace_page_and_the_header_switches_back_by_keyboard()
    {
        var email = $"team-{Guid.NewGuid():N}"[..20] + "@example.com";
        await app.CreateUserAsync(email, BrowserSession.Password, isAdmin: false);
        await using var s = await BrowserSession.OpenAsync(app, nameof(A_team_is_created_on_the_workspace_page_and_the_header_switches_back_by_keyboard), bypassCsp: true);
        await s.SignInAsync(email);

        await s.GoAsync("/workspace");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        (await s.Page.Locator("#new-name-error").InnerTextAsync()).ShouldContain("Give the team a name");
        await s.Page.GetByLabel("Team name").FillAsync("Studio");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await s.Page.WaitForURLAsync("**/workspace");
        (await s.Page.Locator("p[role=status]").InnerTextAsync()).ShouldContain("Created Studio");
        var switcher = s.Page.Locator("#switch-workspace");
        (await switcher.Locator("option:checked").InnerTextAsync()).ShouldBe("Studio (owner)");

        var failures = new List<string>();
        foreach (var width in new[] { 1280, 390 })
        {
            await s.Page.SetViewportSizeAsync(width, width > 800 ? 900 : 844);
            failures.AddRange(await AccessibilityTests.CheckAsync(s, "/workspace", width));
            failures.AddRange(await AccessibilityTests.CheckAsync(s, "/account/privacy", width));
        }
        failures.ShouldBeEmpty(string.Join("\n", failures));

        // Keyboard only: the select, the previous option (the personal workspace), Tab to Switch, Enter.
        await s.Page.SetViewportSizeAsync(1280, 900);
        await switcher.FocusAsync();
        await s.Page.Keyboard.PressAsync("ArrowUp");
        await s.Page.Keyboard.PressAsync("Tab");
        await s.Page.Keyboard.PressAsync("Enter");
        await s.Page.WaitForURLAsync("**/dashboard");
        (await s.Page.Locator("#switch-workspace option:checked").InnerTextAsync()).ShouldEndWith("workspace (owner)");
    }

    [Fact]
    public async Task An_owner_deletes_a_team_by_typing_its_name_and_lands_back_in_their_own_workspace()
    {
        var email = $"delteam-{Guid.NewGuid():N}"[..20] + "@example.com";
        await app.CreateUserAsync(email, BrowserSession.Password, isAdmin: false);
        await using var s = await BrowserSession.OpenAsync(app, nameof(An_owner_deletes_a_team_by_typing_its_name_and_lands_back_in_their_own_workspace));
        await s.SignInAsync(email);
        await s.GoAsync("/workspace");
        // A personal workspace offers no deletion (it goes with the account).
        (await s.Page.GetByRole(AriaRole.Heading, new() { Name = "Delete this workspace" }).CountAsync()).ShouldBe(0);
        await s.Page.GetByLabel("Team name").FillAsync("Night Shift");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await s.Page.WaitForURLAsync("**/workspace");

        var confirm = s.Page.GetByLabel("Type Night Shift to confirm");
        await confirm.FillAsync("Night shift");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Delete the workspace" }).ClickAsync();
        (await s.Page.Locator("#confirm-name-error").InnerTextAsync()).ShouldContain("Type the workspace's name, Night Shift, exactly");
        await s.ShotAsync("team deletion needs the exact name");
        await s.Page.GetByLabel("Type Night Shift to confirm").FillAsync("Night Shift");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Delete the workspace" }).ClickAsync();
        await s.Page.WaitForURLAsync("**/dashboard");
        (await s.Page.Locator("p.notice[role=status]").InnerTextAsync()).ShouldContain("Night Shift was deleted");
        (await s.Page.Locator("#switch-workspace option").AllInnerTextsAsync()).ShouldNotContain(o => o.Contains("Night Shift"));
        await s.ShotAsync("team deleted");
    }
}
