using System.Diagnostics;
using System.Net;
using Kiln.Core.Ai;
using Kiln.Core.Pipelines;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Tests.Ai;

/// <summary>Providers by name, retries, the answer cache and usage, against fake OpenAI and Anthropic servers.</summary>
public sealed class AiProviderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ChatMessage[] Messages(string text = "hello") => [new(ChatRole.System, "sys"), new(ChatRole.User, text)];

    /// <summary>The real registrations with one provider "p" of the kind at the URL, retried quickly.</summary>
    private static ServiceProvider Build(string kind, string baseUrl, params (string Key, string? Value)[] extra)
    {
        var config = new Dictionary<string, string?>
        {
            ["Kiln:Ai:DefaultProvider"] = "p",
            ["Kiln:Ai:Providers:p:Kind"] = kind,
            ["Kiln:Ai:Providers:p:BaseUrl"] = baseUrl,
            ["Kiln:Ai:Providers:p:ApiKey"] = "key-123",
            ["Kiln:Ai:Providers:p:Models:0"] = "model-a",
            ["Kiln:Ai:Providers:p:Models:1"] = "model-b",
            ["Kiln:Ai:Providers:p:RetryDelaySeconds"] = "0.01",
            ["Kiln:Ai:Providers:p:MaxRetries"] = "2",
        };
        foreach (var (key, value) in extra) config[key] = value;
        return Services.Build(config);
    }

    [Fact]
    public async Task Anthropic_sends_the_documented_request_and_maps_the_answer()
    {
        await using var server = await FakeAnthropicServer.StartAsync();
        using var services = Build("anthropic", server.BaseUrl);
        var client = services.GetRequiredService<IChatClient>();

        var response = await client.GetResponseAsync(Messages(), new ChatOptions { Temperature = 0.3f, AdditionalProperties = new() { [ChatHints.Task] = ChatHints.DialogueTask } }, Ct);

        response.Text.ShouldBe("Ada: Hello from Claude.\nBen: Hi!");
        response.Usage!.InputTokenCount.ShouldBe(12);
        response.Usage.OutputTokenCount.ShouldBe(6);
        response.FinishReason.ShouldBe(ChatFinishReason.Stop);
        server.Requests.TryDequeue(out var request).ShouldBeTrue();
        request.GetProperty("model").GetString().ShouldBe("model-a");
        request.GetProperty("max_tokens").GetInt32().ShouldBe(4096);
        request.GetProperty("system").ToString().ShouldContain("sys");
        request.GetProperty("messages").GetArrayLength().ShouldBe(1);
        request.GetProperty("messages")[0].GetProperty("role").GetString().ShouldBe("user");
        // This SDK version's Messages parameters have no temperature: ChatOptions.Temperature is not sent.
        request.TryGetProperty("temperature", out _).ShouldBeFalse();
        request.EnumerateObject().Select(p => p.Name).ShouldNotContain(ChatHints.Task); // engine hints stay in-process
        var headers = server.RequestHeaders.First();
        headers["x-api-key"].ToString().ShouldBe("key-123");
        headers.ContainsKey("Authorization").ShouldBeFalse();
        headers["anthropic-version"].ToString().ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Providers_are_chosen_by_name_and_model()
    {
        await using var openai = await FakeOpenAiServer.StartAsync();
        await using var anthropic = await FakeAnthropicServer.StartAsync();
        using var services = Build("openai", openai.BaseUrl,
            ("Kiln:Ai:Providers:claude:Kind", "anthropic"), ("Kiln:Ai:Providers:claude:BaseUrl", anthropic.BaseUrl),
            ("Kiln:Ai:Providers:claude:DefaultModel", "claude-x"));
        var providers = services.GetRequiredService<IAiProviders>();

        providers.Providers.Select(p => (p.Name, p.Kind, p.DefaultModel)).ShouldBe(
            [("claude", "anthropic", "claude-x"), ("extractive", "extractive", ExtractiveChatClient.ProviderName), ("p", "openai", "model-a")]);
        (await providers.GetChatClient("p", "model-b").GetResponseAsync(Messages(), cancellationToken: Ct)).Text.ShouldStartWith("Ada: Hello there.");
        openai.Requests.Single().GetProperty("model").GetString().ShouldBe("model-b");
        (await providers.GetChatClient("claude").GetResponseAsync(Messages(), cancellationToken: Ct)).Text.ShouldStartWith("Ada: Hello from Claude.");
        anthropic.Requests.Single().GetProperty("model").GetString().ShouldBe("claude-x");
        providers.GetChatClient("extractive").ShouldBeOfType<ExtractiveChatClient>();
        providers.GetChatClient("p", "model-a").ShouldBeSameAs(services.GetRequiredService<IChatClient>());
        Should.Throw<UnknownAiProviderException>(() => providers.GetChatClient("p", "gpt-5"));
        Should.Throw<UnknownAiProviderException>(() => providers.GetChatClient("nope"));
    }

    [Fact]
    public void Legacy_keys_and_defaults_still_work()
    {
        using (var services = Services.Build())
        {
            services.GetRequiredService<IChatClient>().ShouldBeOfType<ExtractiveChatClient>();
            services.GetRequiredService<IAiProviders>().DefaultProvider.ShouldBe("extractive");
        }
        using (var services = Services.Build(new Dictionary<string, string?> { ["Kiln:Ai:Provider"] = "openai" }))
        {
            var provider = services.GetRequiredService<IAiProviders>().Providers.Single(p => p.Name == "openai");
            provider.DefaultModel.ShouldBe("gpt-4o-mini");
            services.GetRequiredService<IChatClient>().GetService<ChatClientMetadata>()!.DefaultModelId.ShouldBe("gpt-4o-mini");
        }
        using (var services = Services.Build(new Dictionary<string, string?> { ["Kiln:Ai:Providers:x:BaseUrl"] = "http://localhost:1" }))
            Should.Throw<UnknownAiProviderException>(() => services.GetRequiredService<IAiProviders>()).Message.ShouldContain("Kiln:Ai:Providers:x:Kind");
    }

    [Fact]
    public async Task A_429_waits_as_long_as_Retry_After_asks_then_retries()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Failures.Enqueue(new FakeFailure(429, RetryAfter: "1"));
        using var services = Build("openai", server.BaseUrl);

        var response = await services.GetRequiredService<IChatClient>().GetResponseAsync(Messages(), cancellationToken: Ct);

        response.Text.ShouldStartWith("Ada:");
        var times = server.RequestTimes.ToArray();
        times.Length.ShouldBe(2);
        (times[1] - times[0]).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(950)); // the backoff alone would be ~10 ms
    }

    [Fact]
    public async Task A_503_with_an_http_date_Retry_After_is_honoured_on_anthropic()
    {
        await using var server = await FakeAnthropicServer.StartAsync();
        server.Failures.Enqueue(new FakeFailure(503, RetryAfterDateIn: TimeSpan.FromSeconds(2)));
        using var services = Build("anthropic", server.BaseUrl);
        var client = services.GetRequiredService<IChatClient>();
        var waits = new List<TimeSpan>();
        client.GetService<ResilientChatClient>()!.Waiting += waits.Add;

        (await client.GetResponseAsync(Messages(), cancellationToken: Ct)).Text.ShouldStartWith("Ada:");

        waits.ShouldHaveSingleItem().ShouldBeGreaterThan(TimeSpan.FromMilliseconds(300)); // the backoff alone would be ~10 ms
        var times = server.RequestTimes.ToArray();
        times.Length.ShouldBe(2);
        times[1].ShouldBeGreaterThanOrEqualTo(server.LastRetryAfterDate!.Value.AddMilliseconds(-50)); // not retried before the date
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task A_500_is_retried_and_a_400_is_not(string kind)
    {
        await using var openai = await FakeOpenAiServer.StartAsync();
        await using var anthropic = await FakeAnthropicServer.StartAsync();
        var failures = kind == "openai" ? openai.Failures : anthropic.Failures;
        var times = kind == "openai" ? openai.RequestTimes : anthropic.RequestTimes;
        using var services = Build(kind, kind == "openai" ? openai.BaseUrl : anthropic.BaseUrl, ("Kiln:Ai:CacheHours", "0"));
        var client = services.GetRequiredService<IChatClient>();

        failures.Enqueue(new FakeFailure(500));
        (await client.GetResponseAsync(Messages(), cancellationToken: Ct)).Text.ShouldStartWith("Ada:");
        times.Count.ShouldBe(2);

        failures.Enqueue(new FakeFailure(400));
        var ex = await Should.ThrowAsync<HttpRequestException>(() => client.GetResponseAsync(Messages(), cancellationToken: Ct));
        ex.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        times.Count.ShouldBe(3);
        var mapped = PipelineHost.Classify(ex)!;
        mapped.Transient.ShouldBeFalse();
        mapped.Code.ShouldBe("provider_rejected");
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task Exhausted_retries_surface_the_status_as_a_transient_failure(string kind)
    {
        await using var openai = await FakeOpenAiServer.StartAsync();
        await using var anthropic = await FakeAnthropicServer.StartAsync();
        var failures = kind == "openai" ? openai.Failures : anthropic.Failures;
        for (var i = 0; i < 3; i++) failures.Enqueue(new FakeFailure(429, RetryAfter: "0"));
        using var services = Build(kind, kind == "openai" ? openai.BaseUrl : anthropic.BaseUrl);

        var ex = await Should.ThrowAsync<HttpRequestException>(() => services.GetRequiredService<IChatClient>().GetResponseAsync(Messages(), cancellationToken: Ct));

        ex.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        failures.ShouldBeEmpty(); // 1 try + 2 retries
        PipelineHost.Classify(ex)!.ShouldSatisfyAllConditions(p => p.Transient.ShouldBeTrue(), p => p.Code.ShouldBe("provider_busy"));
    }

    [Fact]
    public async Task A_Retry_After_longer_than_allowed_is_not_waited_for()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Failures.Enqueue(new FakeFailure(429, RetryAfter: "3600"));
        using var services = Build("openai", server.BaseUrl);
        var watch = Stopwatch.StartNew();

        var ex = await Should.ThrowAsync<HttpRequestException>(() => services.GetRequiredService<IChatClient>().GetResponseAsync(Messages(), cancellationToken: Ct));

        ex.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        server.Requests.Count.ShouldBe(1);
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_attempt_that_takes_too_long_times_out_and_is_retried()
    {
        await using var server = await FakeAnthropicServer.StartAsync();
        server.Failures.Enqueue(new FakeFailure(200, Delay: TimeSpan.FromSeconds(20)));
        server.Failures.Enqueue(new FakeFailure(200, Delay: TimeSpan.FromSeconds(20)));
        using var services = Build("anthropic", server.BaseUrl, ("Kiln:Ai:Providers:p:TimeoutSeconds", "0.5"), ("Kiln:Ai:Providers:p:MaxRetries", "1"));
        var watch = Stopwatch.StartNew();

        var ex = await Should.ThrowAsync<TimeoutException>(() => services.GetRequiredService<IChatClient>().GetResponseAsync(Messages(), cancellationToken: Ct));

        server.Requests.Count.ShouldBe(2);
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        PipelineHost.Classify(ex)!.ShouldSatisfyAllConditions(p => p.Transient.ShouldBeTrue(), p => p.Code.ShouldBe("provider_timeout"));
    }

    [Fact]
    public async Task An_unreachable_provider_is_retried_then_fails_without_a_status()
    {
        using var services = Build("openai", "http://127.0.0.1:9/v1", ("Kiln:Ai:Providers:p:MaxRetries", "1"));
        var ex = await Should.ThrowAsync<HttpRequestException>(() => services.GetRequiredService<IChatClient>().GetResponseAsync(Messages(), cancellationToken: Ct));
        ex.StatusCode.ShouldBeNull();
        PipelineHost.Classify(ex)!.ShouldSatisfyAllConditions(p => p.Transient.ShouldBeTrue(), p => p.Code.ShouldBe("provider_unavailable"));
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task An_identical_call_is_answered_from_the_cache(string kind)
    {
        await using var openai = await FakeOpenAiServer.StartAsync();
        await using var anthropic = await FakeAnthropicServer.StartAsync();
        var requests = kind == "openai" ? openai.RequestTimes : anthropic.RequestTimes;
        using var services = Build(kind, kind == "openai" ? openai.BaseUrl : anthropic.BaseUrl);
        var providers = services.GetRequiredService<IAiProviders>();
        var options = new ChatOptions { Temperature = 0.4f, AdditionalProperties = new() { ["kiln.task"] = "dialogue" } };

        var first = await providers.GetChatClient().GetResponseAsync(Messages(), options, Ct);
        var second = await providers.GetChatClient().GetResponseAsync(Messages(), options.Clone(), Ct);

        requests.Count.ShouldBe(1);
        second.Text.ShouldBe(first.Text);
        second.Usage!.OutputTokenCount.ShouldBe(first.Usage!.OutputTokenCount);
        second.AdditionalProperties![CachingAiChatClient.CachedProperty].ShouldBe(true);

        await providers.GetChatClient().GetResponseAsync(Messages("another question"), options, Ct);
        await providers.GetChatClient().GetResponseAsync(Messages(), new ChatOptions { Temperature = 0.9f }, Ct);
        await providers.GetChatClient("p", "model-b").GetResponseAsync(Messages(), options, Ct);
        requests.Count.ShouldBe(4); // other messages, options or model are other calls
    }

    [Fact]
    public async Task A_failed_call_is_not_cached()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Failures.Enqueue(new FakeFailure(400));
        using var services = Build("openai", server.BaseUrl);
        var client = services.GetRequiredService<IChatClient>();

        await Should.ThrowAsync<HttpRequestException>(() => client.GetResponseAsync(Messages(), cancellationToken: Ct));
        (await client.GetResponseAsync(Messages(), cancellationToken: Ct)).Text.ShouldStartWith("Ada:");
        (await client.GetResponseAsync(Messages(), cancellationToken: Ct)).Text.ShouldStartWith("Ada:");

        server.Requests.Count.ShouldBe(2);
    }

    [Fact]
    public async Task Usage_is_recorded_per_scope_with_the_estimated_cost()
    {
        await using var openai = await FakeOpenAiServer.StartAsync();
        await using var anthropic = await FakeAnthropicServer.StartAsync();
        using var services = Build("openai", openai.BaseUrl,
            ("Kiln:Ai:Providers:p:Prices:model-a:InputPerMillion", "0.15"), ("Kiln:Ai:Providers:p:Prices:model-a:OutputPerMillion", "0.60"),
            ("Kiln:Ai:Providers:claude:Kind", "anthropic"), ("Kiln:Ai:Providers:claude:BaseUrl", anthropic.BaseUrl),
            ("Kiln:Ai:Providers:claude:DefaultModel", "claude-x"));
        var providers = services.GetRequiredService<IAiProviders>();

        using var job = AiUsageScope.Begin();
        await providers.GetChatClient().GetResponseAsync(Messages(), cancellationToken: Ct);
        await providers.GetChatClient().GetResponseAsync(Messages(), cancellationToken: Ct); // from the cache
        await Task.Run(() => providers.GetChatClient("claude").GetResponseAsync(Messages(), cancellationToken: Ct), Ct);
        using (var other = AiUsageScope.Begin())
        {
            await providers.GetChatClient("p", "model-b").GetResponseAsync(Messages(), cancellationToken: Ct);
            other.Totals.Calls.ShouldBe(1);
        }

        var records = job.Records;
        records.Count.ShouldBe(4); // a nested scope's calls count in the enclosing one too
        records[0].ShouldBe(records[0] with { Provider = "p", Model = "model-a", InputTokens = 10, OutputTokens = 5, Cached = false });
        records[0].EstimatedCost.ShouldBe((10 * 0.15m + 5 * 0.60m) / 1_000_000m);
        records[1].Cached.ShouldBeTrue();
        records[1].EstimatedCost.ShouldBe(0m);
        records[2].ShouldBe(records[2] with { Provider = "claude", Model = "claude-x", InputTokens = 12, OutputTokens = 6, EstimatedCost = null });
        var totals = job.Totals;
        totals.ShouldBe(new AiUsageTotals(Calls: 4, CachedCalls: 1, InputTokens: 42, OutputTokens: 21, EstimatedCost: records[0].EstimatedCost!.Value, CostIncomplete: true));
        job.ByModel()[("claude", "claude-x")].InputTokens.ShouldBe(12);
        services.GetRequiredService<AiUsageAccumulator>().Totals[("p", "model-a")].Calls.ShouldBe(2);
    }

    [Fact]
    public void Prices_are_found_for_model_names_that_configuration_cannot_spell()
    {
        using var services = Build("openai", "http://127.0.0.1:9/v1",
            ("Kiln:Ai:Providers:p:Models:2", "llama3.1:8b"), ("Kiln:Ai:Providers:p:Prices:llama3.1_8b:InputPerMillion", "0.5"),
            ("Kiln:Ai:Providers:p:Prices:MODEL-A:OutputPerMillion", "2"));
        var providers = services.GetRequiredService<IAiProviders>();
        providers.PriceOf("p", "llama3.1:8b")!.InputPerMillion.ShouldBe(0.5m);
        providers.PriceOf("p", "model-a")!.OutputPerMillion.ShouldBe(2m);
        providers.PriceOf("p", "model-b").ShouldBeNull();
        providers.GetChatClient("p", "llama3.1:8b").ShouldNotBeNull();
    }

    [Fact]
    public async Task Calls_outside_a_scope_are_not_recorded_into_it()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var services = Build("openai", server.BaseUrl);
        var client = services.GetRequiredService<IChatClient>();
        var scope = AiUsageScope.Begin();
        scope.Dispose();
        await client.GetResponseAsync(Messages(), cancellationToken: Ct);
        scope.Records.ShouldBeEmpty();
        AiUsageScope.Current.ShouldBeNull();
    }

    [Fact]
    public async Task A_root_scope_keeps_its_calls_from_the_scope_whose_flow_started_it()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var services = Build("openai", server.BaseUrl);
        var client = services.GetRequiredService<IChatClient>();
        using var previousJob = AiUsageScope.Begin();
        using (var nextJob = AiUsageScope.BeginRoot())
        {
            await client.GetResponseAsync(Messages(), cancellationToken: Ct);
            nextJob.Totals.Calls.ShouldBe(1);
        }
        previousJob.Records.ShouldBeEmpty();
        AiUsageScope.Current.ShouldBeSameAs(previousJob);
    }
}
