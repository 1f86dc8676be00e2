using System.Net;
using System.Net.Http.Json;
using Kiln.Core.Webhooks;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Webhooks;

public sealed class WebhookSecretsAtRestTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Webhook_secrets_are_stored_encrypted_and_plaintext_rows_from_before_are_encrypted_at_startup_by_any_process(string provider)
    {
        await using var first = await KilnTestHost.StartAsync(provider, pg, worker: false,
            new Dictionary<string, string?> { ["Kiln:Webhooks:AllowPrivateUrls"] = "true" });
        var owner = await first.SignUpAsync();
        var created = await (await owner.Client.PostAsJsonAsync("/api/webhooks", new { url = "https://hooks.example.com/kiln", events = new[] { "job.failed" } }))
            .Json(HttpStatusCode.Created);
        var secret = created.GetProperty("secret").GetString()!;
        var id = created.GetProperty("id").GetGuid();

        string Stored()
        {
            using var db = first.NewDbContext();
            return db.Set<WebhookEndpoint>().IgnoreQueryFilters().AsNoTracking().Single(e => e.Id == id).Secret;
        }
        Stored().ShouldStartWith(WebhookSecrets.Prefix);
        Stored().ShouldNotContain(secret[6..]);
        first.Services.GetRequiredService<WebhookSecrets>().Reveal(Stored()).ShouldBe(secret);

        // A row from before encryption at rest: still readable as is, and encrypted by the next process that starts.
        const string legacy = "whsec_bGVnYWN5LXBsYWludGV4dC1zZWNyZXQtMTIzNDU2Nzg5MA==";
        await using (var db = first.NewDbContext())
            await db.Set<WebhookEndpoint>().IgnoreQueryFilters().Where(e => e.Id == id).ExecuteUpdateAsync(s => s.SetProperty(e => e.Secret, legacy));
        first.Services.GetRequiredService<WebhookSecrets>().Reveal(Stored()).ShouldBe(legacy);

        await using var second = KilnTestHost.Start(first.Database, worker: false);
        var encryption = second.Services.GetRequiredService<WebhookSecretEncryption>();
        await encryption.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Stored().ShouldStartWith(WebhookSecrets.Prefix);
        // The key ring is shared through the database: the first process reads what the second one encrypted.
        first.Services.GetRequiredService<WebhookSecrets>().Reveal(Stored()).ShouldBe(legacy);
        second.Services.GetRequiredService<WebhookSecrets>().Reveal(Stored()).ShouldBe(legacy);
    }
}
