using System.Net;
using Kiln.Core.Common;
using Kiln.Core.Pipelines;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Ai;

/// <summary>
/// A job's AI usage (calls, cache hits, tokens, estimated provider cost) is stored per attempt and model, returned to
/// operators by the admin API and shown on the admin job view and the per-provider totals — never to the job's owner.
/// </summary>
public sealed class JobAiUsageTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_jobs_ai_calls_are_stored_and_shown_to_operators_with_their_estimated_cost(string provider)
    {
        await using var fake = await FakeOpenAiServer.StartAsync();
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: new Dictionary<string, string?>
        {
            ["Kiln:Ai:DefaultProvider"] = "fake",
            ["Kiln:Ai:Providers:fake:Kind"] = "openai",
            ["Kiln:Ai:Providers:fake:BaseUrl"] = fake.BaseUrl,
            ["Kiln:Ai:Providers:fake:ApiKey"] = "test-key",
            ["Kiln:Ai:Providers:fake:Models:0"] = "small",
            ["Kiln:Ai:Providers:fake:Prices:small:InputPerMillion"] = "1000",
            ["Kiln:Ai:Providers:fake:Prices:small:OutputPerMillion"] = "2000",
        }, services: s => s.AddSingleton<IPipeline, AskTwicePipeline>());
        var user = await host.SignUpAsync();
        var admin = await host.SignUpAsync(admin: true);

        var job = await (await user.Client.CreateJob(AskTwicePipeline.PipelineId)).Json(HttpStatusCode.Created);
        var done = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());
        // Two distinct prompts reached the provider; the repeated one was answered from the cache.
        fake.Requests.Count.ShouldBe(2);

        // The usage is written as the attempt ends, just after its completion.
        var url = $"/api/admin/jobs/{job.Id()}/ai-usage";
        var usage = await (await admin.Client.GetAsync(url)).Json(HttpStatusCode.OK);
        for (var deadline = DateTime.UtcNow.AddSeconds(20); usage.GetProperty("lines").GetArrayLength() == 0 && DateTime.UtcNow < deadline; await Task.Delay(100))
            usage = await (await admin.Client.GetAsync(url)).Json(HttpStatusCode.OK);
        var line = usage.GetProperty("lines").EnumerateArray().Single();
        line.GetProperty("attempt").GetInt32().ShouldBe(1);
        line.GetProperty("provider").GetString().ShouldBe("fake");
        line.GetProperty("model").GetString().ShouldBe("small");
        line.GetProperty("calls").GetInt32().ShouldBe(3);
        line.GetProperty("cachedCalls").GetInt32().ShouldBe(1);
        line.GetProperty("inputTokens").GetInt64().ShouldBeGreaterThanOrEqualTo(20);
        line.GetProperty("outputTokens").GetInt64().ShouldBeGreaterThanOrEqualTo(10);
        // The fake reports 10 prompt and 5 completion tokens per answer: 2 × (10 × 1000 + 5 × 2000) / 1,000,000; the cached one is free.
        line.GetProperty("estimatedCost").GetDecimal().ShouldBe(0.04m);
        line.GetProperty("costIncomplete").GetBoolean().ShouldBeFalse();

        // Per provider over the last 30 days (this database holds only this test's jobs).
        var totals = await (await admin.Client.GetAsync("/api/admin/ai-usage")).Json(HttpStatusCode.OK);
        var fakeTotal = totals.GetProperty("providers").EnumerateArray().Single(p => p.GetProperty("provider").GetString() == "fake");
        fakeTotal.GetProperty("calls").GetInt32().ShouldBe(3);
        fakeTotal.GetProperty("estimatedCost").GetDecimal().ShouldBe(0.04m);
        await (await admin.Client.GetAsync("/api/admin/ai-usage?days=0")).Problem(HttpStatusCode.BadRequest, "invalid_days");

        // Operators see it on the admin job view and the AI usage page; the job's owner cannot ask.
        var pages = await PageClient.SignInAsync(host, admin.Email);
        var jobView = await pages.Client.GetStringAsync($"/admin/jobs/{job.Id()}");
        jobView.ShouldContain("data-provider=\"fake\" data-model=\"small\"");
        jobView.ShouldContain(">0.04<");
        var usagePage = await pages.Client.GetStringAsync("/admin/ai-usage");
        usagePage.ShouldContain("data-provider=\"fake\" data-model=\"all\"");
        (await pages.Client.GetStringAsync("/admin/jobs")).ShouldContain($"href=\"/admin/jobs/{job.Id()}\"");
        (await user.Client.GetAsync(url)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await user.Client.GetAsync("/api/admin/ai-usage")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await admin.Client.GetAsync($"/api/admin/jobs/{Guid.NewGuid()}/ai-usage")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    /// <summary>Asks the operator's default engine two different questions, then the first one again (a cache hit).</summary>
    private sealed class AskTwicePipeline : Pipeline<AskTwiceOptions>
    {
        public const string PipelineId = "ask-twice";
        public override string Id => PipelineId;
        public override string Name => "Ask twice (test)";
        public override string Description => "Calls the default AI engine three times, once from the cache.";
        public override IReadOnlyList<InputSlot> Slots => [];
        public override IReadOnlyList<string> Produces => [];
        public override PriceList DefaultPricing { get; } = new(new Dictionary<string, decimal>(), PerJob: 1);

        public override Result<PipelineQuote> Plan(AskTwiceOptions options, InputSet<InputFacts> inputs) => Quote(options);

        public override async Task<PipelineOutcome> Run(PipelineContext context, AskTwiceOptions options, CancellationToken ct)
        {
            var chat = context.Services.GetRequiredService<IChatClient>();
            var question = $"What is a kiln? ({context.JobId})";
            await chat.GetResponseAsync(question, cancellationToken: ct);
            await chat.GetResponseAsync($"What is glaze? ({context.JobId})", cancellationToken: ct);
            await chat.GetResponseAsync(question, cancellationToken: ct);
            return new PipelineOutcome();
        }
    }

    public sealed record AskTwiceOptions;
}
