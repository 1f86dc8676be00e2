using System.Net;
using System.Text;
using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Tests.Billing;
using Kiln.Core.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Webhooks;

/// <summary>The sender against a migrated SQLite file, a manual clock and a scripted HTTP handler.</summary>
public sealed class WebhookDeliveryTests : IAsyncDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"kiln-webhooks-{Guid.NewGuid():N}.db");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly ScriptedHandler _handler = new();
    private readonly WebhookOptions _options = new();
    private readonly Guid _workspace = Guid.CreateVersion7();

    public WebhookDeliveryTests()
    {
        using var db = NewContext();
        db.Database.Migrate();
        db.Workspaces.Add(new Workspace { Id = _workspace, Name = "Test", CreatedAt = _clock.GetUtcNow().UtcDateTime });
        db.SaveChanges();
    }

    [Fact]
    public void Signature_matches_the_Standard_Webhooks_reference_vector()
    {
        // From the Standard Webhooks reference libraries' tests.
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        var body = Encoding.UTF8.GetBytes("""{"test": 2432232314}""");
        StandardWebhookVerifier.Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
            .ShouldBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    [Fact]
    public void Retry_schedule_follows_Standard_Webhooks_and_repeats_its_last_step()
    {
        var o = new WebhookOptions();
        Enumerable.Range(1, 8).Select(o.DelayAfter).ShouldBe([
            TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
            TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10), TimeSpan.FromHours(10)]);
        new WebhookOptions { RetrySchedule = "0.5, 2" }.DelayAfter(1).ShouldBe(TimeSpan.FromSeconds(0.5));
    }

    [Fact]
    public async Task A_delivery_is_signed_so_the_verifier_accepts_it()
    {
        var (endpoint, delivery) = await SeedAsync();
        _handler.Answers.Enqueue(HttpStatusCode.NoContent);

        (await Sender().RunAsync(delivery, CancellationToken.None)).ShouldBe(WebhookDeliveryStatus.Succeeded);

        var sent = _handler.Requests.ShouldHaveSingleItem();
        sent.Url.ShouldBe("https://hooks.example.com/kiln");
        sent.Headers["webhook-id"].ShouldStartWith("msg_");
        sent.Headers["webhook-timestamp"].ShouldBe(_clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        new StandardWebhookVerifier(_clock).Verify(Encoding.UTF8.GetBytes(sent.Body), sent.Headers["webhook-id"], sent.Headers["webhook-timestamp"],
            sent.Headers["webhook-signature"], endpoint.Secret).ShouldBeNull();
        new StandardWebhookVerifier(_clock).Verify(Encoding.UTF8.GetBytes(sent.Body + " "), sent.Headers["webhook-id"], sent.Headers["webhook-timestamp"],
            sent.Headers["webhook-signature"], endpoint.Secret)!.Code.ShouldBe("invalid_signature");
        await using var db = NewContext();
        var row = await db.Set<WebhookDelivery>().SingleAsync();
        (row.Status, row.Attempts, row.LastStatusCode, row.LastError).ShouldBe((WebhookDeliveryStatus.Succeeded, 1, 204, (string?)null));
        row.DeliveredAt.ShouldNotBeNull();
    }

    [Fact]
    public async Task Failures_wait_for_the_schedule_and_fail_for_good_after_max_attempts()
    {
        _options.MaxAttempts = 3;
        var (_, delivery) = await SeedAsync();
        for (var i = 0; i < 3; i++) _handler.Answers.Enqueue(HttpStatusCode.InternalServerError);
        var start = _clock.GetUtcNow();

        (await Sender().RunAsync(delivery, CancellationToken.None)).ShouldBe(WebhookDeliveryStatus.Pending);
        (await Row()).NextAttemptAt.ShouldBe(start.UtcDateTime.AddSeconds(5));
        (await Sender().RunAsync(delivery, CancellationToken.None)).ShouldBeNull("not due yet");
        _clock.SetUtcNow(start.AddSeconds(5));
        (await Sender().DueAsync(10, CancellationToken.None)).ShouldBe([delivery]);
        (await Sender().RunAsync(delivery, CancellationToken.None)).ShouldBe(WebhookDeliveryStatus.Pending);
        (await Row()).NextAttemptAt.ShouldBe(start.UtcDateTime.AddSeconds(5).AddMinutes(5));
        _clock.SetUtcNow(start.AddSeconds(5).AddMinutes(5));
        (await Sender().RunAsync(delivery, CancellationToken.None)).ShouldBe(WebhookDeliveryStatus.Failed);
        var row = await Row();
        (row.Attempts, row.LastStatusCode).ShouldBe((3, 500));
        row.LastError!.ShouldContain("500");
        _handler.Requests.Count.ShouldBe(3);
        _handler.Requests.Select(r => r.Headers["webhook-id"]).Distinct().Count().ShouldBe(1);
    }

    [Fact]
    public async Task An_endpoint_failing_for_longer_than_DisableAfter_is_disabled_and_a_success_resets_the_clock()
    {
        _options.DisableAfter = TimeSpan.FromDays(5);
        var (endpoint, first) = await SeedAsync();
        _handler.Answers.Enqueue(HttpStatusCode.BadGateway);
        await Sender().RunAsync(first, CancellationToken.None);
        (await Endpoint(endpoint.Id)).FailingSince.ShouldBe(_clock.GetUtcNow().UtcDateTime);

        _clock.Advance(TimeSpan.FromDays(4));
        var (_, second) = await SeedAsync(endpoint);
        _handler.Answers.Enqueue(HttpStatusCode.OK);
        await Sender().RunAsync(second, CancellationToken.None);
        (await Endpoint(endpoint.Id)).FailingSince.ShouldBeNull();

        var since = _clock.GetUtcNow();
        var (_, third) = await SeedAsync(endpoint);
        _handler.Answers.Enqueue(HttpStatusCode.BadGateway);
        await Sender().RunAsync(third, CancellationToken.None);
        _clock.SetUtcNow(since.AddDays(5).AddMinutes(1));
        var (_, fourth) = await SeedAsync(endpoint);
        _handler.Answers.Enqueue(HttpStatusCode.BadGateway);
        await Sender().RunAsync(fourth, CancellationToken.None);
        var disabled = await Endpoint(endpoint.Id);
        disabled.Enabled.ShouldBeFalse();
        disabled.DisabledReason!.ShouldContain("5 days");

        // Nothing more goes out to a disabled endpoint.
        var (_, fifth) = await SeedAsync(endpoint);
        (await Sender().RunAsync(fifth, CancellationToken.None)).ShouldBe(WebhookDeliveryStatus.Failed);
        _handler.Requests.Count.ShouldBe(4);
    }

    [Fact]
    public async Task Gone_disables_at_once_and_a_timeout_is_a_retryable_failure()
    {
        var (endpoint, delivery) = await SeedAsync();
        _handler.Throw = new TaskCanceledException("timeout");
        (await Sender().RunAsync(delivery, CancellationToken.None)).ShouldBe(WebhookDeliveryStatus.Pending);
        (await Row()).LastError!.ShouldContain("timeout");
        _handler.Throw = null;
        _handler.Answers.Enqueue(HttpStatusCode.Gone);
        _clock.Advance(TimeSpan.FromSeconds(5));
        (await Sender().RunAsync(delivery, CancellationToken.None)).ShouldBe(WebhookDeliveryStatus.Failed);
        (await Endpoint(endpoint.Id)).Enabled.ShouldBeFalse();
    }

    [Theory]
    [InlineData("https://hooks.example.com/x", false, false, true)]
    [InlineData("http://hooks.example.com/x", false, false, false)]
    [InlineData("http://127.0.0.1:5000/x", true, true, true)]
    [InlineData("http://127.0.0.1:5000/x", true, false, false)]
    [InlineData("https://localhost/x", false, false, false)]
    [InlineData("https://[::1]/x", false, false, false)]
    [InlineData("https://169.254.169.254/latest/meta-data", false, false, false)]
    [InlineData("https://10.1.2.3/x", false, false, false)]
    [InlineData("https://93.184.215.14/x", false, false, true)]
    [InlineData("ftp://hooks.example.com/x", true, true, false)]
    [InlineData("https://user:pw@hooks.example.com/x", false, false, false)]
    [InlineData("https://hooks.example.com/x#frag", false, false, false)]
    [InlineData("hooks.example.com/x", false, false, false)]
    [InlineData("", false, false, false)]
    public void Urls_are_validated(string url, bool allowHttp, bool allowPrivate, bool ok) =>
        (CreateWebhookEndpointCommand.ValidateUrl(url, allowHttp, allowPrivate) is null).ShouldBe(ok);

    [Fact]
    public async Task The_webhook_client_never_connects_to_an_internal_address_unless_allowed()
    {
        await using var receiver = await FakeProviderServer.StartAsync();
        receiver.Respond = (_, _) => (200, "{}");
        foreach (var allowPrivate in new[] { false, true })
        {
            var services = new ServiceCollection();
            services.Configure<WebhookOptions>(o => o.AllowPrivateUrls = allowPrivate);
            services.AddWebhookHttpClient();
            await using var sp = services.BuildServiceProvider();
            using var client = sp.GetRequiredService<IHttpClientFactory>().CreateClient(Kiln.Core.Webhooks.Registrations.HttpClientName);
            // A name (not an IP literal) that resolves to loopback: only the connect-time check can stop it.
            var url = $"http://localhost:{receiver.BaseAddress.Port}/hook";
            if (allowPrivate)
                (await client.PostAsync(url, new StringContent("{}"))).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
            else
            {
                var ex = await Should.ThrowAsync<HttpRequestException>(() => client.PostAsync(url, new StringContent("{}")));
                ex.InnerException.ShouldBeOfType<GuardedConnectException>().Failure.ShouldBe(GuardedConnectFailure.ForbiddenAddress);
                receiver.Requests.ShouldBeEmpty();
            }
        }
        receiver.Requests.Count.ShouldBe(1);
    }

    private DeliverWebhookCommand Sender() =>
        new(NewContext(), new HandlerFactory(_handler), _clock, Options.Create(_options), NullLogger<DeliverWebhookCommand>.Instance,
            new WebhookSecrets(new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider()));

    private async Task<(WebhookEndpoint, Guid)> SeedAsync(WebhookEndpoint? endpoint = null)
    {
        await using var db = NewContext();
        var now = _clock.GetUtcNow().UtcDateTime;
        if (endpoint is null)
        {
            endpoint = new WebhookEndpoint
            {
                Id = Ids.New(), WorkspaceId = _workspace, Url = "https://hooks.example.com/kiln", Secret = "whsec_" + Convert.ToBase64String(new byte[32].Select((_, i) => (byte)i).ToArray()),
                EventTypes = "job.succeeded", CreatedAt = now,
            };
            db.Add(endpoint);
        }
        var id = Ids.New();
        db.Add(new WebhookDelivery
        {
            Id = id, EndpointId = endpoint.Id, WorkspaceId = _workspace, EventType = WebhookEventTypes.Test, EventKey = $"test:{id:N}",
            MessageId = WebhookPayloads.NewMessageId(), Payload = WebhookPayloads.Serialize(WebhookEventTypes.Test, now, new { n = 1, text = "héllo" }),
            NextAttemptAt = now, CreatedAt = now,
        });
        await db.SaveChangesAsync();
        return (endpoint, id);
    }

    private async Task<WebhookDelivery> Row()
    {
        await using var db = NewContext();
        return await db.Set<WebhookDelivery>().OrderBy(d => d.CreatedAt).FirstAsync();
    }

    private async Task<WebhookEndpoint> Endpoint(Guid id)
    {
        await using var db = NewContext();
        return await db.Set<WebhookEndpoint>().SingleAsync(e => e.Id == id);
    }

    private KilnDbContext NewContext() =>
        DataRegistrations.CreateContext(new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = $"Data Source={_file}" });

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _file, _file + "-wal", _file + "-shm" }) try { File.Delete(f); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }

    private sealed record Sent(string Url, Dictionary<string, string> Headers, string Body);

    private sealed class ScriptedHandler : HttpMessageHandler
    {
        public Queue<HttpStatusCode> Answers { get; } = new();
        public List<Sent> Requests { get; } = [];
        public Exception? Throw { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (Throw is { } ex) throw ex;
            var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(',', h.Value), StringComparer.OrdinalIgnoreCase);
            Requests.Add(new Sent(request.RequestUri!.ToString(), headers, await request.Content!.ReadAsStringAsync(ct)));
            return new HttpResponseMessage(Answers.Dequeue());
        }
    }

    private sealed class HandlerFactory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }
}
