using System.Diagnostics;
using Kiln.Core.Privacy;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.IntegrationTests.Privacy;

public sealed class RetentionTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Retention_removes_bytes_and_rows_per_plan_and_spares_what_a_published_episode_or_a_waiting_job_uses(string provider)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // The free plan keeps artifacts (and so uploads) 3 days; event logs 5 days and job rows 10 days here.
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false,
            new Dictionary<string, string?> { ["Kiln:Retention:EventDays"] = "5", ["Kiln:Retention:JobDays"] = "10" },
            s => s.AddSingleton<TimeProvider>(clock));
        var user = await host.SignUpAsync();
        var ws = user.WorkspaceId;
        var make = new PrivacyFixtures(host, clock.GetUtcNow().UtcDateTime);
        var loose = await make.UploadAsync(ws, user.UserId);
        var (job, artifact) = await make.JobAsync(ws, user.UserId);
        var published = await make.UploadAsync(ws, user.UserId);
        var (publishedJob, publishedArtifact) = await make.JobAsync(ws, user.UserId);
        await make.EpisodeAsync(ws, publishedJob.Id, published.Id);
        var waiting = await make.UploadAsync(ws, user.UserId);
        await make.JobAsync(ws, user.UserId, finished: false, input: waiting.Id);

        async Task<IReadOnlyList<PurgeItem>> Purge(bool dryRun)
        {
            await using var scope = host.Services.CreateAsyncScope();
            var purge = scope.ServiceProvider.GetRequiredService<PurgeCommand>();
            return dryRun ? await purge.PlanAsync(100, default) : await purge.RunAsync(100, default);
        }

        (await Purge(dryRun: true)).ShouldBeEmpty();
        clock.Advance(TimeSpan.FromDays(4));
        var planned = await Purge(dryRun: true);
        planned.Select(i => (i.Kind, i.Id)).ShouldBe([(PurgeKind.Artifact, artifact!.Id), (PurgeKind.Upload, loose.Id)], ignoreOrder: true);
        planned.Single(i => i.Kind == PurgeKind.Artifact).Bytes.ShouldBe(6);
        make.BlobExists(artifact.BlobKey).ShouldBeTrue("a dry run removes nothing");

        (await Purge(dryRun: false)).Count.ShouldBe(2);
        make.BlobExists(artifact.BlobKey).ShouldBeFalse();
        make.BlobExists(loose.BlobKey).ShouldBeFalse();
        make.BlobExists(publishedArtifact!.BlobKey).ShouldBeTrue();
        make.BlobExists(published.BlobKey).ShouldBeTrue();
        make.BlobExists(waiting.BlobKey).ShouldBeTrue();
        await using (var db = host.NewDbContext())
        {
            (await db.Artifacts.AnyAsync(a => a.Id == artifact.Id)).ShouldBeFalse();
            (await db.Uploads.AnyAsync(u => u.Id == loose.Id)).ShouldBeFalse();
            (await db.Uploads.CountAsync(u => u.Id == published.Id || u.Id == waiting.Id)).ShouldBe(2);
        }

        // Day 6: the finished jobs' event logs go, their rows stay (the published one's too: events are not what an episode uses).
        clock.Advance(TimeSpan.FromDays(2));
        (await Purge(dryRun: false)).Where(i => i.Kind == PurgeKind.Events).Select(i => i.Id).ShouldBe([job.Id, publishedJob.Id], ignoreOrder: true);
        await using (var db = host.NewDbContext())
        {
            (await db.JobEvents.AnyAsync()).ShouldBeFalse();
            (await db.Jobs.CountAsync()).ShouldBe(3);
        }

        // Day 11: the unpublished job's row goes; the published one's stays with its file.
        clock.Advance(TimeSpan.FromDays(5));
        (await Purge(dryRun: false)).Where(i => i.Kind == PurgeKind.Job).Select(i => i.Id).ShouldBe([job.Id]);
        await using (var db = host.NewDbContext())
        {
            (await db.Jobs.AnyAsync(j => j.Id == job.Id)).ShouldBeFalse();
            (await db.Jobs.AnyAsync(j => j.Id == publishedJob.Id)).ShouldBeTrue();
            await DbAssertions.LedgerBalances(db);
        }
        make.BlobExists(publishedArtifact.BlobKey).ShouldBeTrue();
    }

    [Fact]
    public async Task Kiln_purge_lists_with_dry_run_and_then_removes()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false);
        var user = await host.SignUpAsync();
        // Made four days ago by the real clock the CLI reads: past the free plan's three days.
        var make = new PrivacyFixtures(host, DateTime.UtcNow.AddDays(-4));
        var upload = await make.UploadAsync(user.WorkspaceId, user.UserId);
        var (_, artifact) = await make.JobAsync(user.WorkspaceId, user.UserId);

        var listed = await Kiln(host, "purge", "--dry-run");
        listed.Contains("Dry run: 2 item(s) would be removed", StringComparison.Ordinal).ShouldBeTrue(listed);
        listed.Contains("artifact", StringComparison.Ordinal).ShouldBeTrue(listed);
        listed.Contains("upload", StringComparison.Ordinal).ShouldBeTrue(listed);
        make.BlobExists(upload.BlobKey).ShouldBeTrue();

        var removed = await Kiln(host, "purge");
        removed.Contains("Removed 2 item(s)", StringComparison.Ordinal).ShouldBeTrue(removed);
        make.BlobExists(upload.BlobKey).ShouldBeFalse();
        make.BlobExists(artifact!.BlobKey).ShouldBeFalse();
        var after = await Kiln(host, "purge", "--dry-run");
        after.Contains("Dry run: 0 item(s)", StringComparison.Ordinal).ShouldBeTrue(after);
    }

    private static async Task<string> Kiln(KilnTestHost host, params string[] args)
    {
        var cli = Path.Combine(S3Server.RepoRoot(), "src", "Kiln.Cli", "bin", "Debug", "net10.0", "kiln.dll");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["Kiln__Database__Provider"] = host.Database.Provider.ToString();
        psi.Environment["Kiln__Database__ConnectionString"] = host.Database.ConnectionString;
        psi.Environment["Kiln__Storage__LocalPath"] = host.BlobPath;
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        var text = await output + await errors;
        process.ExitCode.ShouldBe(0, text);
        // Spectre colours the summary even when redirected.
        return System.Text.RegularExpressions.Regex.Replace(text, @"\x1b\[[0-9;]*m", "");
    }
}
