using Kiln.Core.Billing;
using Kiln.Core.Credits;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Billing;

public sealed class WebhookIdempotencyTests
{
    private static object PackPaid(Guid ws, string paymentId) =>
        new { workspace_id = ws.ToString(), payment_id = paymentId, item_id = "pack-50", amount = 2000, currency = "EUR" };

    [Fact]
    public async Task The_same_event_delivered_100_times_credits_once()
    {
        await using var kit = new BillingTestKit();
        var s = kit.New();
        var ct = TestContext.Current.CancellationToken;
        var (body, headers) = kit.SandboxDelivery("evt_pack_1", "payment.succeeded", kit.Clock.GetUtcNow(), PackPaid(kit.WorkspaceId, "sbx_pay_1"));

        var first = await s.Intake.Run("sandbox", body, headers, ct);
        first.IsSuccess.ShouldBeTrue(first.Error?.Message);
        first.Value!.Duplicate.ShouldBeFalse();
        for (var i = 0; i < 99; i++)
        {
            var again = await s.Intake.Run("sandbox", body, headers, ct);
            again.Value!.Duplicate.ShouldBeTrue();
            again.Value.EventId.ShouldBe(first.Value.EventId);
            await s.Processor.Run(10, ct);
        }
        await s.Processor.Run(10, ct);

        await using var check = kit.NewContextUntracked();
        (await check.Set<PaymentEvent>().CountAsync(ct)).ShouldBe(1);
        (await check.Set<PaymentEvent>().SingleAsync(ct)).Status.ShouldBe(PaymentEventStatus.Processed);
        (await check.LedgerEntries.CountAsync(e => e.Kind == LedgerEntryKind.Purchase, ct)).ShouldBe(1);
        (await check.CreditAccounts.SingleAsync(ct)).Posted.ShouldBe(50);
        (await check.Set<Payment>().SingleAsync(ct)).Status.ShouldBe("paid");
    }

    [Fact]
    public async Task Twenty_concurrent_deliveries_and_processors_credit_once()
    {
        await using var kit = new BillingTestKit();
        var ct = TestContext.Current.CancellationToken;
        var (body, headers) = kit.SandboxDelivery("evt_pack_2", "payment.succeeded", kit.Clock.GetUtcNow(), PackPaid(kit.WorkspaceId, "sbx_pay_2"));

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            var s = kit.New();
            var receipt = await s.Intake.Run("sandbox", body, headers, ct);
            await s.Processor.Run(10, ct);
            return receipt;
        }, ct)));

        results.ShouldAllBe(r => r.IsSuccess);
        results.Count(r => !r.Value!.Duplicate).ShouldBe(1);
        await using var check = kit.NewContextUntracked();
        (await check.Set<PaymentEvent>().CountAsync(ct)).ShouldBe(1);
        (await check.Set<PaymentEvent>().SingleAsync(ct)).Status.ShouldBe(PaymentEventStatus.Processed);
        (await check.LedgerEntries.CountAsync(e => e.Kind == LedgerEntryKind.Purchase, ct)).ShouldBe(1);
        (await check.CreditAccounts.SingleAsync(ct)).Posted.ShouldBe(50);
    }

    [Fact]
    public async Task A_second_event_about_the_same_payment_does_not_credit_again()
    {
        await using var kit = new BillingTestKit();
        var s = kit.New();
        var ct = TestContext.Current.CancellationToken;
        foreach (var id in new[] { "evt_a", "evt_b" })
        {
            var (body, headers) = kit.SandboxDelivery(id, "payment.succeeded", kit.Clock.GetUtcNow(), PackPaid(kit.WorkspaceId, "sbx_pay_3"));
            (await s.Intake.Run("sandbox", body, headers, ct)).IsSuccess.ShouldBeTrue();
        }
        (await s.Processor.Run(10, ct)).ShouldBe(2);
        (await new GetBalanceQuery(s.Db).Run(kit.WorkspaceId, ct)).Posted.ShouldBe(50);
    }

    [Fact]
    public async Task Forged_and_unknown_deliveries_are_refused_and_not_stored()
    {
        await using var kit = new BillingTestKit();
        var s = kit.New();
        var ct = TestContext.Current.CancellationToken;
        var (body, headers) = kit.SandboxDelivery("evt_forged", "payment.succeeded", kit.Clock.GetUtcNow(), PackPaid(kit.WorkspaceId, "sbx_pay_4"));
        body[^2] ^= 1;
        (await s.Intake.Run("sandbox", body, headers, ct)).Error!.Code.ShouldBe("invalid_signature");
        (await s.Intake.Run("stripe", body, headers, ct)).Error!.Code.ShouldBe("unknown_provider");
        (await s.Db.Set<PaymentEvent>().CountAsync(ct)).ShouldBe(0);
    }

    [Fact]
    public async Task Failures_back_off_are_visible_and_can_be_retried_by_an_admin()
    {
        await using var kit = new BillingTestKit();
        var s = kit.New();
        var ct = TestContext.Current.CancellationToken;
        // A refund for a payment Kiln has not recorded yet fails until the payment arrives.
        var (body, headers) = kit.SandboxDelivery("evt_refund_early", "refund.succeeded", kit.Clock.GetUtcNow(),
            new { workspace_id = kit.WorkspaceId.ToString(), payment_id = "sbx_pay_5", refund_id = "re_5", amount = 2000 });
        var receipt = (await s.Intake.Run("sandbox", body, headers, ct)).Value!;
        (await s.Processor.ProcessOneAsync(receipt.EventId, ct)).ShouldBe(PaymentEventStatus.Pending);
        var evt = await s.Db.Set<PaymentEvent>().AsNoTracking().SingleAsync(ct);
        evt.Attempts.ShouldBe(1);
        evt.LastError!.ShouldContain("payment_not_recorded");
        evt.NextAttemptAt.ShouldBe(kit.Clock.GetUtcNow().UtcDateTime.AddSeconds(30));
        (await s.Processor.Run(10, ct)).ShouldBe(0); // not due yet

        var (pb, ph) = kit.SandboxDelivery("evt_pay_5", "payment.succeeded", kit.Clock.GetUtcNow(), PackPaid(kit.WorkspaceId, "sbx_pay_5"));
        await s.Intake.Run("sandbox", pb, ph, ct);
        (await s.Processor.Run(10, ct)).ShouldBe(1);
        (await new GetBalanceQuery(s.Db).Run(kit.WorkspaceId, ct)).Posted.ShouldBe(50);

        (await new RetryPaymentEventCommand(s.Db, kit.Clock, new Kiln.Core.Audit.AuditLog(s.Db, new Kiln.Core.Audit.NoAuditOrigin(), kit.Clock)).Run(receipt.EventId, null, ct)).IsSuccess.ShouldBeTrue();
        (await s.Processor.Run(10, ct)).ShouldBe(1);
        (await new GetBalanceQuery(s.Db).Run(kit.WorkspaceId, ct)).Posted.ShouldBe(0);
        (await new RetryPaymentEventCommand(s.Db, kit.Clock, new Kiln.Core.Audit.AuditLog(s.Db, new Kiln.Core.Audit.NoAuditOrigin(), kit.Clock)).Run(receipt.EventId, null, ct)).Error!.Code.ShouldBe("event_not_retryable");
        ProcessPaymentEventsCommand.Backoff(3).ShouldBe(TimeSpan.FromMinutes(2));
        ProcessPaymentEventsCommand.Backoff(30).ShouldBe(TimeSpan.FromHours(6));
    }

    [Fact]
    public async Task An_event_that_keeps_failing_ends_failed_after_the_attempt_limit_with_its_error_visible()
    {
        await using var kit = new BillingTestKit();
        var s = kit.New();
        var ct = TestContext.Current.CancellationToken;
        var (body, headers) = kit.SandboxDelivery("evt_bad", "payment.succeeded", kit.Clock.GetUtcNow(),
            new { workspace_id = kit.WorkspaceId.ToString(), payment_id = "p", item_id = "no-such-pack", amount = 1, currency = "EUR" });
        var id = (await s.Intake.Run("sandbox", body, headers, ct)).Value!.EventId;
        PaymentEventStatus? status = null;
        for (var i = 0; i < 10; i++)
        {
            status = await s.Processor.ProcessOneAsync(id, ct);
            kit.Clock.Advance(TimeSpan.FromHours(7));
        }
        status.ShouldBe(PaymentEventStatus.Failed);
        var evt = await s.Db.Set<PaymentEvent>().AsNoTracking().SingleAsync(ct);
        (evt.Attempts, evt.Status).ShouldBe((10, PaymentEventStatus.Failed));
        evt.LastError!.ShouldContain("unknown_pack");
        (await new ListPaymentEventsQuery(s.Db).Run(PaymentEventStatus.Failed, 10, ct)).ShouldHaveSingleItem();
        (await s.Processor.Run(10, ct)).ShouldBe(0);
        (await new RetryPaymentEventCommand(s.Db, kit.Clock, new Kiln.Core.Audit.AuditLog(s.Db, new Kiln.Core.Audit.NoAuditOrigin(), kit.Clock)).Run(id, null, ct)).IsSuccess.ShouldBeTrue();
        (await s.Processor.Run(10, ct)).ShouldBe(1);
    }

    [Fact]
    public async Task An_event_claimed_by_a_worker_that_died_is_reclaimed_after_its_lease()
    {
        await using var kit = new BillingTestKit();
        var s = kit.New();
        var ct = TestContext.Current.CancellationToken;
        var (body, headers) = kit.SandboxDelivery("evt_lease", "payment.succeeded", kit.Clock.GetUtcNow(),
            new { workspace_id = kit.WorkspaceId.ToString(), payment_id = "p_lease", item_id = "pack-10", amount = 500, currency = "EUR" });
        var id = (await s.Intake.Run("sandbox", body, headers, ct)).Value!.EventId;
        var lease = kit.Clock.GetUtcNow().UtcDateTime.AddMinutes(5);
        await s.Db.Set<PaymentEvent>().Where(e => e.Id == id)
            .ExecuteUpdateAsync(x => x.SetProperty(e => e.Status, PaymentEventStatus.Processing).SetProperty(e => e.LockedUntil, lease), ct);
        (await s.Processor.Run(10, ct)).ShouldBe(0);
        kit.Clock.Advance(TimeSpan.FromMinutes(6));
        (await s.Processor.Run(10, ct)).ShouldBe(1);
        (await new GetBalanceQuery(s.Db).Run(kit.WorkspaceId, ct)).Posted.ShouldBe(10);
    }
}
