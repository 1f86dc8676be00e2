using Kiln.Core.Billing;
using Kiln.Core.Credits;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Billing;

public sealed class RefundAndAllowanceTests
{
    private static async Task Deliver(BillingTestKit kit, BillingTestKit.Services s, string id, string type, object data)
    {
        var (body, headers) = kit.SandboxDelivery(id, type, kit.Clock.GetUtcNow(), data);
        var receipt = await s.Intake.Run("sandbox", body, headers, TestContext.Current.CancellationToken);
        receipt.IsSuccess.ShouldBeTrue(receipt.Error?.Message);
        (await s.Processor.ProcessOneAsync(receipt.Value!.EventId, TestContext.Current.CancellationToken)).ShouldBe(PaymentEventStatus.Processed);
    }

    private static object Pack(Guid ws, string pay, string pack, long amount) =>
        new { workspace_id = ws.ToString(), payment_id = pay, item_id = pack, amount, currency = "EUR" };

    private static object Refund(Guid ws, string pay, string re, long amount) =>
        new { workspace_id = ws.ToString(), payment_id = pay, refund_id = re, amount };

    private static async Task Spend(BillingTestKit.Services s, Guid ws, long amount)
    {
        var job = Guid.CreateVersion7();
        var ct = TestContext.Current.CancellationToken;
        await using var tx = await s.Db.Database.BeginTransactionAsync(ct);
        (await s.Ledger.PlaceHoldAsync(ws, job, amount, ct)).IsSuccess.ShouldBeTrue();
        await tx.CommitAsync(ct);
        (await s.Ledger.ResolveHoldAsync(job, amount, ct)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_refund_after_partial_spending_claws_back_only_what_is_left_and_records_the_shortfall()
    {
        await using var kit = new BillingTestKit();
        var s = kit.New();
        var ct = TestContext.Current.CancellationToken;
        var ws = kit.WorkspaceId;
        await Deliver(kit, s, "evt_p", "payment.succeeded", Pack(ws, "pay_1", "pack-10", 500));
        await Spend(s, ws, 7);
        await Deliver(kit, s, "evt_r", "refund.succeeded", Refund(ws, "pay_1", "re_1", 500));
        await Deliver(kit, s, "evt_r_again", "refund.succeeded", Refund(ws, "pay_1", "re_1", 500)); // same refund, another event

        var balance = await new GetBalanceQuery(s.Db).Run(ws, ct);
        balance.Posted.ShouldBe(0);
        var refund = await s.Db.LedgerEntries.SingleAsync(e => e.Kind == LedgerEntryKind.Refund, ct);
        refund.PostedDelta.ShouldBe(-3);
        refund.IdempotencyKey.ShouldBe("refund:sandbox:re_1");
        var shortfall = await s.Db.Set<CreditShortfall>().SingleAsync(ct);
        (shortfall.CreditsRequested, shortfall.CreditsClawedBack, shortfall.Shortfall).ShouldBe((10L, 3L, 7L));
        var payment = await s.Db.Set<Payment>().AsNoTracking().SingleAsync(ct);
        (payment.Status, payment.RefundedAmount, payment.CreditsClawedBack).ShouldBe(("refunded", 500L, 3L));
        (await new ListCreditShortfallsQuery(s.Db).Run(true, ct)).ShouldHaveSingleItem();
        (await new ResolveCreditShortfallCommand(s.Db, kit.Clock, new Kiln.Core.Audit.AuditLog(s.Db, new Kiln.Core.Audit.NoAuditOrigin(), kit.Clock)).Run(shortfall.Id, null, ct))
            .Value!.ResolvedAt.ShouldNotBeNull();
        (await new ListCreditShortfallsQuery(s.Db).Run(true, ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Partial_refunds_claw_back_proportionally_and_never_below_zero()
    {
        await using var kit = new BillingTestKit();
        var s = kit.New();
        var ct = TestContext.Current.CancellationToken;
        var ws = kit.WorkspaceId;
        await Deliver(kit, s, "evt_p", "payment.succeeded", Pack(ws, "pay_1", "pack-50", 2000));
        await Spend(s, ws, 10);
        await Deliver(kit, s, "evt_r1", "refund.succeeded", Refund(ws, "pay_1", "re_1", 1000));
        (await new GetBalanceQuery(s.Db).Run(ws, ct)).Posted.ShouldBe(15);
        await Deliver(kit, s, "evt_r2", "refund.succeeded", Refund(ws, "pay_1", "re_2", 1000));
        (await new GetBalanceQuery(s.Db).Run(ws, ct)).Posted.ShouldBe(0);
        (await s.Db.Set<CreditShortfall>().SingleAsync(ct)).Shortfall.ShouldBe(10);
    }

    [Fact]
    public async Task Allowance_is_spent_first_so_a_pack_refund_takes_purchased_credits_only()
    {
        await using var kit = new BillingTestKit();
        var s = kit.New();
        var ct = TestContext.Current.CancellationToken;
        var ws = kit.WorkspaceId;
        await Deliver(kit, s, "evt_inv", "invoice.paid", Invoice(ws, "in_1", kit.Clock.GetUtcNow()));
        await Deliver(kit, s, "evt_p", "payment.succeeded", Pack(ws, "pay_1", "pack-10", 500));
        await Spend(s, ws, 50); // from the allowance
        await Deliver(kit, s, "evt_r", "refund.succeeded", Refund(ws, "pay_1", "re_1", 500));
        (await new GetBalanceQuery(s.Db).Run(ws, ct)).Posted.ShouldBe(50);
        (await s.Db.Set<CreditShortfall>().CountAsync(ct)).ShouldBe(0);
        (await new GetSubscriptionQuery(s.Db, kit.Catalog, s.Ledger, s.Providers).Run(ws, ct)).AllowanceLeft.ShouldBe(50);
    }

    private static object Invoice(Guid ws, string id, DateTimeOffset start) => new
    {
        workspace_id = ws.ToString(), invoice_id = id, subscription_id = "sub_1", plan_id = "creator",
        period_start = start.ToUnixTimeSeconds(), period_end = start.AddMonths(1).ToUnixTimeSeconds(), amount = 1500, currency = "EUR",
    };

    [Fact]
    public async Task Unspent_allowance_expires_at_renewal_and_at_period_end_once()
    {
        await using var kit = new BillingTestKit();
        var s = kit.New();
        var ct = TestContext.Current.CancellationToken;
        var ws = kit.WorkspaceId;
        var p1 = kit.Clock.GetUtcNow();
        await Deliver(kit, s, "evt_inv1", "invoice.paid", Invoice(ws, "in_1", p1));
        await Deliver(kit, s, "evt_p", "payment.succeeded", Pack(ws, "pay_1", "pack-10", 500));
        await Spend(s, ws, 30);

        kit.Clock.SetUtcNow(p1.AddMonths(1));
        await Deliver(kit, s, "evt_inv2", "invoice.paid", Invoice(ws, "in_2", p1.AddMonths(1)));
        // 100 + 10 - 30, the 70 unspent allowance expired, then the new 100.
        (await new GetBalanceQuery(s.Db).Run(ws, ct)).Posted.ShouldBe(110);
        (await s.Db.LedgerEntries.SingleAsync(e => e.Kind == LedgerEntryKind.Expiry, ct)).PostedDelta.ShouldBe(-70);

        kit.Clock.SetUtcNow(p1.AddMonths(2).AddMinutes(1)); // canceled: no renewal arrives
        var expire = new ExpireAllowancesCommand(s.Db, s.Applier, kit.Clock);
        (await expire.Run(ct)).ShouldBe(1);
        (await expire.Run(ct)).ShouldBe(0);
        (await new GetBalanceQuery(s.Db).Run(ws, ct)).Posted.ShouldBe(10); // purchased credits never expire
        (await s.Db.LedgerEntries.CountAsync(e => e.Kind == LedgerEntryKind.Expiry, ct)).ShouldBe(2);
    }
}
