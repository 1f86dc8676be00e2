using System.Text.Json;
using Kiln.Core.Tests.Support;
using Kiln.Core.Ai;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.BrowserTests;

/// <summary>
/// axe-core (from npm, injected into the page) finds no WCAG 2.1 A/AA violation on the app's pages, signed out, signed
/// in and as an operator, at desktop and phone widths — including the New job form of each pipeline with its price lines.
/// </summary>
public sealed class AccessibilityTests(KilnApp app)
{
    private static readonly string AxeScript = File.ReadAllText(Path.Combine(S3Server.RepoRoot(), "node_modules", "axe-core", "axe.min.js"));

    private static string Email(string tag) => $"{tag}-{Guid.NewGuid():N}"[..20] + "@example.com";

    [Fact]
    public async Task Pages_have_no_wcag_violations_at_desktop_and_phone_widths()
    {
        var adminEmail = Email("a11y-admin");
        var admin = await app.CreateUserAsync(adminEmail, BrowserSession.Password, isAdmin: true);
        var noteId = await NotesTests.CreateLectureNoteAsync(app, admin.Id);
        // A show with a published episode, so the podcast pages (in-app and public) are checked with content.
        var podcastPages = await PodcastPages.SeedAsync(app, admin);
        var adminJob = await SeedJobWithAiUsageAsync(admin.Id);
        await using var s = await BrowserSession.OpenAsync(app, nameof(Pages_have_no_wcag_violations_at_desktop_and_phone_widths), bypassCsp: true);
        var failures = new List<string>();

        string[] anonymous = ["/", "/pricing", "/signup", "/signin", "/invitations/kinv_no-such-invitation", podcastPages[3], podcastPages[4],
            "/account/forgot-password", "/account/reset-password?token=kat_no-such-token", "/account/confirm-email?token=kat_no-such-token"];
        string[] signedIn = ["/dashboard", "/jobs", "/jobs/new", "/jobs/new?pipelineId=pdf-podcast", "/jobs/new?pipelineId=pdf-audiobook",
            "/jobs/new?pipelineId=sleep", "/credits", "/workspace", "/workspace/members", "/workspace/api-keys", "/workspace/webhooks", "/account/privacy", "/workspace/audit", "/signout",
            "/admin", "/admin/jobs", "/admin/pipelines", "/admin/billing", "/admin/ai-usage", "/admin/audit", $"/admin/jobs/{adminJob}", "/admin/emails", "/account/settings", "/account/two-factor",
            "/jobs/new?pipelineId=study-notes", "/jobs/new?pipelineId=dubbing", "/notes", "/notes?q=zebra", $"/notes/{noteId}", $"/notes/{noteId}/edit", $"/notes/{noteId}/quiz",
            "/shows", "/shows/new", .. podcastPages];

        foreach (var width in new[] { 1280, 390 })
        {
            await s.Page.SetViewportSizeAsync(width, width > 800 ? 900 : 844);
            if (width == 1280) foreach (var path in anonymous) failures.AddRange(await CheckAsync(s, path, width));
        }
        await s.SignInAsync(adminEmail);
        foreach (var width in new[] { 1280, 390 })
        {
            await s.Page.SetViewportSizeAsync(width, width > 800 ? 900 : 844);
            foreach (var path in signedIn) failures.AddRange(await CheckAsync(s, path, width));
        }
        await s.Page.Context.ClearCookiesAsync();
        await s.Page.SetViewportSizeAsync(390, 844);
        foreach (var path in anonymous) failures.AddRange(await CheckAsync(s, path, 390));

        failures.ShouldBeEmpty(string.Join("\n", failures));
    }

    /// <summary>A finished job with stored AI usage, so the admin job view and the AI usage page are checked with their tables.</summary>
    private Task<Guid> SeedJobWithAiUsageAsync(Guid userId) => app.WithScope(async sp =>
    {
        var db = sp.GetRequiredService<KilnDbContext>();
        var workspace = await db.WorkspaceMembers.Where(m => m.UserId == userId).Select(m => m.WorkspaceId).FirstAsync();
        var created = await sp.GetRequiredService<CreateJobCommand>().Run(workspace, userId, new JobRequest("noop", null, null), null, CancellationToken.None);
        var job = created.Value!.Job;
        db.JobAiUsage.Add(new JobAiUsage
        {
            Id = Guid.NewGuid(), JobId = job.Id, WorkspaceId = workspace, Attempt = 1, Provider = "openai", Model = "gpt-4o-mini",
            Calls = 3, CachedCalls = 1, InputTokens = 1200, OutputTokens = 300, EstimatedCostMicros = 360, CreatedAt = DateTime.UtcNow,
        });
        await db.SaveChangesAsync();
        return job.Id;
    });

    internal static async Task<IEnumerable<string>> CheckAsync(BrowserSession s, string path, int width)
    {
        var response = await s.GoAsync(path);
        if (response is not { Ok: true }) return [$"{path} @{width}px: HTTP {response?.Status}"];
        await s.Page.AddScriptTagAsync(new PageAddScriptTagOptions { Content = AxeScript });
        var json = await s.Page.EvaluateAsync<JsonElement>("""
            async () => {
              const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
              return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }));
            }
            """);
        return json.EnumerateArray().Select(v =>
            $"{path} @{width}px: {v.GetProperty("id").GetString()} ({v.GetProperty("impact")}) {v.GetProperty("help").GetString()} — {string.Join(", ", v.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()))}");
    }
}
