using Kiln.Core.Accounts;
using Kiln.Core.Billing;
using Kiln.Core.Credits;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Tests.Billing;

public sealed class SubscriptionOrderingTests
{
    private static IEnumerable<int[]> Permutations(int[] items) =>
        items.Length <= 1 ? [items] : items.SelectMany((x, i) => Permutations([.. items[..i], .. items[(i + 1)..]]).Select(p => (int[])[x, .. p]));

    private static List<(string Id, string Type, DateTimeOffset At, object Data)> Lifecycle(Guid ws, string n, DateTimeOffset t0, bool withDelete)
    {
        var start = t0.ToUnixTimeSeconds();
        var end = t0.AddDays(30).ToUnixTimeSeconds();
        object Sub(string status, bool cancel) => new
        {
            workspace_id = ws.ToString(), subscription_id = $"sub_{n}", plan_id = "creator", status, period_start = start, period_end = end, cancel_at_period_end = cancel,
        };
        var list = new List<(string, string, DateTimeOffset, object)>
        {
            ($"evt_{n}_created", "subscription.created", t0, Sub("active", false)),
            ($"evt_{n}_updated", "subscription.updated", t0.AddHours(1), Sub("active", true)),
            ($"evt_{n}_invoice", "invoice.paid", t0, new
            {
                workspace_id = ws.ToString(), invoice_id = $"in_{n}", subscription_id = $"sub_{n}", plan_id = "creator", period_start = start, period_end = end,
                amount = 1500, currency = "EUR",
            }),
        };
        if (withDelete) list.Add(($"evt_{n}_deleted", "subscription.deleted", t0.AddHours(2), Sub("canceled", true)));
        return list;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Every_delivery_order_ends_in_the_same_state(bool withDelete)
    {
        await using var kit = new BillingTestKit();
        var ct = TestContext.Current.CancellationToken;
        var s = kit.New();
        var t0 = kit.Clock.GetUtcNow();
        var order = Enumerable.Range(0, withDelete ? 4 : 3).ToArray();
        var states = new List<string>();
        var n = 0;
        foreach (var perm in Permutations(order))
        {
            n++;
            var ws = Guid.CreateVersion7();
            s.Db.Workspaces.Add(new Workspace { Id = ws, Name = $"ws{n}", CreatedAt = t0.UtcDateTime });
            await s.Db.SaveChangesAsync(ct);
            var events = Lifecycle(ws, n.ToString(System.Globalization.CultureInfo.InvariantCulture), t0, withDelete);
            foreach (var i in perm)
            {
                var (id, type, at, data) = events[i];
                var (body, headers) = kit.SandboxDelivery(id, type, at, data);
                var receipt = await s.Intake.Run("sandbox", body, headers, ct);
                (await s.Processor.ProcessOneAsync(receipt.Value!.EventId, ct)).ShouldBe(PaymentEventStatus.Processed);
                // A redelivery mid-sequence changes nothing either.
                (await s.Intake.Run("sandbox", body, headers, ct)).Value!.Duplicate.ShouldBeTrue();
            }
            await using var check = kit.NewContextUntracked();
            var sub = await check.Set<Subscription>().SingleAsync(x => x.WorkspaceId == ws, ct);
            var plan = await check.Workspaces.Where(w => w.Id == ws).Select(w => w.Plan).SingleAsync(ct);
            var allowances = await check.LedgerEntries.CountAsync(e => e.WorkspaceId == ws && e.Kind == LedgerEntryKind.SubscriptionAllowance, ct);
            var posted = await check.CreditAccounts.Where(a => a.WorkspaceId == ws).Select(a => a.Posted).SingleAsync(ct);
            states.Add($"{sub.Status}|{sub.CancelAtPeriodEnd}|{sub.CurrentPeriodStart:O}|{sub.CurrentPeriodEnd:O}|{sub.LastEventAt:O}|{plan}|{allowances}|{posted}");
        }
        states.Count.ShouldBe(withDelete ? 24 : 6);
        states.Distinct().ShouldHaveSingleItem();
        states[0].ShouldStartWith(withDelete ? "canceled|True" : "active|True");
        states[0].ShouldEndWith(withDelete ? "|free|1|100" : "|creator|1|100");
    }

    [Fact]
    public async Task Plan_limits_follow_the_subscription()
    {
        await using var kit = new BillingTestKit();
        var ct = TestContext.Current.CancellationToken;
        var s = kit.New();
        var limits = new GetPlanLimitsQuery(s.Db, kit.Catalog);
        (await limits.Run(kit.WorkspaceId, ct)).MaxConcurrentJobs.ShouldBe(2);
        var (id, type, at, data) = Lifecycle(kit.WorkspaceId, "x", kit.Clock.GetUtcNow(), false)[0];
        var (body, headers) = kit.SandboxDelivery(id, type, at, data);
        await s.Intake.Run("sandbox", body, headers, ct);
        await s.Processor.Run(10, ct);
        var creator = await limits.Run(kit.WorkspaceId, ct);
        creator.MaxConcurrentJobs.ShouldBe(3);
        creator.ArtifactRetentionDays.ShouldBe(30);
        creator.AllowsPipeline("anything").ShouldBeTrue();
        // The job claim enforces the plan's concurrency through the workspace's cap.
        (await kit.New().Db.Workspaces.AsNoTracking().SingleAsync(w => w.Id == kit.WorkspaceId, ct)).MaxConcurrentJobs.ShouldBe(3);
    }
}
