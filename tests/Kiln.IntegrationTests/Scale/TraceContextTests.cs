using System.Diagnostics;
using System.Net;
using Kiln.Core;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Scale;

/// <summary>The trace of the request that creates a job continues in the worker's attempt, through the job row.</summary>
public sealed class TraceContextTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_jobs_attempt_continues_the_trace_of_the_request_that_created_it(string provider)
    {
        var attempts = new System.Collections.Concurrent.ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == Kiln.Core.Common.KilnMetrics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if (a.OperationName == "job attempt") attempts.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);

        await using var host = await KilnTestHost.StartAsync(provider, pg);
        var user = await host.SignUpAsync();
        var traceId = ActivityTraceId.CreateRandom();
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = System.Net.Http.Json.JsonContent.Create(new { pipeline = "noop" }) };
        create.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        var job = (await (await user.Client.SendAsync(create)).Json(HttpStatusCode.Created)).Id();
        await user.Client.WaitForJob(job, "succeeded");

        await using var db = host.NewDbContext();
        var stored = (await db.Jobs.IgnoreQueryFilters().SingleAsync(j => j.Id == job)).TraceParent;
        stored.ShouldNotBeNull();
        ActivityContext.TryParse(stored, null, out var parent).ShouldBeTrue(stored);
        parent.TraceId.ShouldBe(traceId, "the request's trace, as the caller sent it");

        Activity? attempt = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(10); attempt is null && DateTime.UtcNow < deadline; await Task.Delay(50))
            attempt = attempts.FirstOrDefault(a => (string?)a.GetTagItem("kiln.job.id") == job.ToString());
        attempt.ShouldNotBeNull();
        attempt.TraceId.ShouldBe(traceId);
        attempt.ParentSpanId.ShouldBe(parent.SpanId);
    }
}
