using Kiln.Core.Accounts;
using Kiln.Core.Credits;
using Kiln.Core.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Credits;

/// <summary>The one set of rules for an operator's grant or adjustment (the API, the admin page and the CLI all run these commands).</summary>
public sealed class OperatorCreditsTests : IDisposable
{
    private readonly TestDb _db = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly Guid _workspace = Guid.CreateVersion7();
    private static readonly Caller Operator = new(Guid.NewGuid(), null, WorkspaceRole.Member, IsOperator: true);

    public OperatorCreditsTests()
    {
        using var db = _db.Create();
        db.Workspaces.Add(new Workspace { Id = _workspace, Name = "Test", CreatedAt = _clock.GetUtcNow().UtcDateTime });
        db.SaveChanges();
    }

    public void Dispose() => _db.Dispose();

    private (GrantCreditsCommand Grant, AdjustCreditsCommand Adjust, Data.KilnDbContext Db) New()
    {
        var db = _db.Create();
        var ledger = new CreditsLedger(db, _clock);
        var audit = new Kiln.Core.Audit.AuditLog(db, new Kiln.Core.Audit.NoAuditOrigin(), _clock);
        return (new GrantCreditsCommand(db, ledger, audit), new AdjustCreditsCommand(db, ledger, audit), db);
    }

    [Fact]
    public async Task A_grant_with_a_request_id_posts_once_however_often_it_is_retried()
    {
        var ct = TestContext.Current.CancellationToken;
        for (var i = 0; i < 3; i++)
        {
            var (grant, _, db) = New();
            await using (db)
            {
                var entry = (await grant.Run(Operator, new(_workspace, 10, "  Support  ", "ticket-42"), ct)).Value!;
                entry.PostedAfter.ShouldBe(10);
                entry.Reason.ShouldBe("Support");
                entry.IdempotencyKey.ShouldBe("admin:ticket-42");
            }
        }
        await using var check = _db.Create();
        (await check.LedgerEntries.IgnoreQueryFilters().CountAsync(ct)).ShouldBe(1);
    }

    [Fact]
    public async Task An_over_long_request_id_is_refused_not_replaced()
    {
        var ct = TestContext.Current.CancellationToken;
        var (grant, adjust, db) = New();
        await using var _ = db;
        var longest = new string('r', OperatorCreditMove.MaxRequestIdLength);
        (await grant.Run(Operator, new(_workspace, 10, "Support", longest + "x"), ct)).Error!.Code.ShouldBe("invalid_request_id");
        (await adjust.Run(Operator, new(_workspace, 10, "Support", longest + "x"), ct)).Error!.Code.ShouldBe("invalid_request_id");
        (await db.LedgerEntries.IgnoreQueryFilters().CountAsync(ct)).ShouldBe(0);
        (await grant.Run(Operator, new(_workspace, 10, "Support", longest), ct)).IsSuccess.ShouldBeTrue();
    }

    [Theory]
    [InlineData(0, "invalid_amount")]
    [InlineData(-5, "invalid_amount")]
    [InlineData(1_000_000_001, "invalid_amount")]
    public async Task A_grant_is_a_positive_bounded_amount(long amount, string code)
    {
        var (grant, _, db) = New();
        await using var _ = db;
        (await grant.Run(Operator, new(_workspace, amount, "Support", null), TestContext.Current.CancellationToken)).Error!.Code.ShouldBe(code);
    }

    [Fact]
    public async Task Reason_workspace_and_balance_are_checked()
    {
        var ct = TestContext.Current.CancellationToken;
        var (grant, adjust, db) = New();
        await using var _ = db;
        (await grant.Run(Operator, new(_workspace, 10, "  ", null), ct)).Error!.Code.ShouldBe("reason_required");
        (await grant.Run(Operator, new(_workspace, 10, new string('x', 501), null), ct)).Error!.Code.ShouldBe("invalid_reason");
        (await grant.Run(Operator, new(Guid.NewGuid(), 10, "x", null), ct)).Error!.Code.ShouldBe("not_found");
        (await adjust.Run(Operator, new(_workspace, 0, "x", null), ct)).Error!.Code.ShouldBe("invalid_amount");
        (await adjust.Run(Operator, new(_workspace, -1, "x", null), ct)).Error!.Code.ShouldBe("balance_would_be_negative");
        (await grant.Run(Operator, new(_workspace, 10, "x", null), ct)).IsSuccess.ShouldBeTrue();
        (await grant.Run(new Caller(Guid.NewGuid(), _workspace, WorkspaceRole.Owner), new(_workspace, 10, "x", null), ct)).Error!.Code.ShouldBe("forbidden");
        (await adjust.Run(Operator, new(_workspace, -4, "Correction", null), ct)).Value!.PostedAfter.ShouldBe(6);
    }
}
