using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>The dashboard and the jobs list follow the workspace's jobs and credits live, over /api/events, without a reload.</summary>
public sealed class LiveEventsTests(KilnApp app)
{
    [Fact]
    public async Task The_dashboard_and_the_jobs_list_change_a_rows_state_live_when_a_job_finishes()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(The_dashboard_and_the_jobs_list_change_a_rows_state_live_when_a_job_finishes));
        await s.SignUpAsync($"live-{Guid.NewGuid():N}"[..20] + "@example.com");
        var dashboard = s.Page;
        await Expect(dashboard.GetByRole(AriaRole.Heading, new() { Name = "Run your first job" })).ToBeVisibleAsync();
        await Expect(dashboard.Locator("#live-events")).ToHaveAttributeAsync("data-connected", "true");
        await dashboard.EvaluateAsync("() => { window.__notReloaded = true; }");

        // A job created elsewhere (here: by the API from the page) appears on the open dashboard and finishes there.
        var first = await CreateJobAsync(dashboard, 2);
        var firstBadge = dashboard.Locator($"[data-live-status=\"{first}\"]");
        await Expect(firstBadge).ToBeVisibleAsync();
        await Expect(firstBadge).ToHaveTextAsync("succeeded", new() { Timeout = 30_000 });
        await Expect(dashboard.Locator($"[data-live-progress=\"{first}\"]")).ToHaveTextAsync("100 %");
        await Expect(dashboard.Locator("#live-announcer")).ToContainTextAsync($"Job {first.ToString()[..8]} (sleep) succeeded.");
        await Expect(dashboard.GetByTestId("available")).ToHaveTextAsync("23");
        await Expect(dashboard.GetByTestId("held")).ToHaveTextAsync("0");
        (await dashboard.EvaluateAsync<bool>("() => window.__notReloaded === true")).ShouldBeTrue();
        await s.ShotAsync("dashboard-live-succeeded");

        // The jobs list, opened while a job is still running, turns its row to succeeded by itself.
        var second = await CreateJobAsync(dashboard, 3);
        var list = await dashboard.Context.NewPageAsync();
        await list.GotoAsync("/jobs");
        await list.EvaluateAsync("() => { window.__notReloaded = true; }");
        var row = list.Locator($"[data-job-row=\"{second}\"]");
        await Expect(row.Locator(".badge")).Not.ToHaveTextAsync("succeeded");
        await Expect(list.Locator("#live-events")).ToHaveAttributeAsync("data-connected", "true");
        await Expect(row.Locator(".badge")).ToHaveTextAsync("running", new() { Timeout = 30_000 });
        await Expect(row.Locator(".badge")).ToHaveTextAsync("succeeded", new() { Timeout = 30_000 });
        await Expect(row.Locator($"[data-live-cost=\"{second}\"]")).ToHaveTextAsync("2");
        (await list.EvaluateAsync<bool>("() => window.__notReloaded === true")).ShouldBeTrue();
        // The dashboard heard the second job too, and the balance after both.
        await Expect(dashboard.Locator($"[data-live-status=\"{second}\"]")).ToHaveTextAsync("succeeded");
        await Expect(dashboard.GetByTestId("available")).ToHaveTextAsync("21");
        await list.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", nameof(LiveEventsTests) + "-jobs-list.png"), FullPage = true });
        await list.CloseAsync();
    }

    private static async Task<Guid> CreateJobAsync(IPage page, int seconds)
    {
        var json = await page.EvaluateAsync<JsonElement>("""
            async (seconds) => {
              const token = document.querySelector('meta[name="request-verification-token"]').content;
              const res = await fetch('/api/jobs', { method: 'POST', credentials: 'same-origin',
                headers: { 'Content-Type': 'application/json', RequestVerificationToken: token },
                body: JSON.stringify({ pipeline: 'sleep', options: { seconds } }) });
              return await res.json();
            }
            """, seconds);
        return Guid.Parse(json.GetProperty("id").GetString()!);
    }
}
