using Kiln.Core.Common;
using Kiln.Core.Accounts;
using Kiln.Core.Tests.Support;
using Kiln.Core.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Accounts;

/// <summary>Commands that need a role check the caller themselves: a page, endpoint or CLI command calling them directly cannot skip it.</summary>
public sealed class CallerRoleTests : IDisposable
{
    private readonly TestDb _db = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    private Kiln.Core.Audit.AuditLog Audit(Data.KilnDbContext db) => new(db, new Kiln.Core.Audit.NoAuditOrigin(), _clock);
    private readonly Guid _workspace = Guid.CreateVersion7();
    private readonly Guid _ownerId = Guid.CreateVersion7();
    private readonly Guid _memberId = Guid.CreateVersion7();

    public CallerRoleTests()
    {
        using var db = _db.Create();
        var now = _clock.GetUtcNow().UtcDateTime;
        db.Workspaces.Add(new Workspace { Id = _workspace, Name = "Studio", CreatedAt = now });
        foreach (var (id, role) in new[] { (_ownerId, WorkspaceRole.Owner), (_memberId, WorkspaceRole.Member) })
        {
            db.Users.Add(new KilnUser { Id = id, UserName = $"{id:N}@example.test", Email = $"{id:N}@example.test", NormalizedEmail = $"{id:N}@EXAMPLE.TEST", CreatedAt = now });
            db.WorkspaceMembers.Add(new WorkspaceMember { WorkspaceId = _workspace, UserId = id, Role = role, CreatedAt = now });
        }
        db.SaveChanges();
    }

    public void Dispose() => _db.Dispose();

    private Caller Member => new(_memberId, _workspace, WorkspaceRole.Member);
    private Caller Owner => new(_ownerId, _workspace, WorkspaceRole.Owner);
    /// <summary>An API key: no user, acts as a member.</summary>
    private Caller Key => new(null, _workspace, WorkspaceRole.Member);

    [Fact]
    public async Task A_member_is_forbidden_to_rename_the_workspace_and_an_owner_is_not()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = _db.Create();
        var rename = new RenameWorkspaceCommand(db);
        foreach (var caller in new[] { Member, Key, new Caller(_memberId, _workspace, WorkspaceRole.Member, IsOperator: true) })
            (await rename.Run(caller, "Hijacked", ct)).Error!.ShouldSatisfyAllConditions(e => e.Code.ShouldBe("forbidden"), e => e.Kind.ShouldBe(ErrorKind.Forbidden));
        (await db.Workspaces.AsNoTracking().SingleAsync(w => w.Id == _workspace, ct)).Name.ShouldBe("Studio");
        (await rename.Run(Owner, "Renamed", ct)).Value!.Name.ShouldBe("Renamed");
    }

    [Fact]
    public async Task A_member_is_forbidden_to_manage_api_keys_members_and_webhooks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = _db.Create();
        var createKey = new CreateApiKeyCommand(db, _clock, Audit(db));
        var key = (await createKey.Run(Owner, "ci", ct)).Value!.Key;
        key.CreatedByUserId.ShouldBe(_ownerId);
        var webhooks = Options.Create(new WebhookOptions());
        var email = Options.Create(new Kiln.Core.Accounts.Email.EmailOptions());
        var notifications = new Kiln.Core.Accounts.Email.NotificationEmails(db, new Kiln.Core.Accounts.Email.EmailOutbox(db, email, _clock), email, _clock);
        var endpoint = (await new CreateWebhookEndpointCommand(db, _clock, webhooks, new WebhookSecrets(new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider())).Run(Owner, "https://example.com/hook", null, [WebhookEventTypes.JobFailed], ct)).Value!.Endpoint;

        foreach (var caller in new[] { Member, Key })
        {
            var errors = new[]
            {
                (await createKey.Run(caller, "x", ct)).Error,
                (await new RevokeApiKeyCommand(db, _clock, Audit(db), new ApiKeyCache(Options.Create(new Kiln.Core.Accounts.Sessions.AuthOptions()))).Run(caller, key.Id, ct)).Error,
                (await new Kiln.Core.Accounts.Invitations.InviteMemberCommand(db, _clock, Audit(db), notifications).Run(caller, "someone@example.test", WorkspaceRole.Member, ct)).Error,
                (await new ManageMembersCommand(db, Audit(db)).ChangeRole(caller, _ownerId, WorkspaceRole.Member, ct)).Error,
                (await new ManageMembersCommand(db, Audit(db)).Remove(caller, _ownerId, ct)).Error,
                (await new CreateWebhookEndpointCommand(db, _clock, webhooks, new WebhookSecrets(new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider())).Run(caller, "https://example.com/x", null, [WebhookEventTypes.JobFailed], ct)).Error,
                (await new ListWebhookEndpointsQuery(db).Run(caller, ct)).Error,
                (await new DeleteWebhookEndpointCommand(db).Run(caller, endpoint.Id, ct)).Error,
                (await new EnableWebhookEndpointCommand(db).Run(caller, endpoint.Id, ct)).Error,
                (await new SendTestWebhookCommand(db, _clock).Run(caller, endpoint.Id, ct)).Error,
                (await new ListWebhookDeliveriesQuery(db).Run(caller, endpoint.Id, 1, 10, ct)).Error,
                (await new RetryWebhookDeliveryCommand(db, _clock).Run(caller, endpoint.Id, Guid.NewGuid(), ct)).Error,
            };
            errors.ShouldAllBe(e => e != null && e.Code == "forbidden" && e.Kind == ErrorKind.Forbidden);
        }

        db.ChangeTracker.Clear();
        (await db.ApiKeys.CountAsync(ct)).ShouldBe(1);
        (await db.ApiKeys.SingleAsync(ct)).RevokedAt.ShouldBeNull();
        (await db.Set<WebhookEndpoint>().CountAsync(ct)).ShouldBe(1);
        (await db.WorkspaceMembers.CountAsync(ct)).ShouldBe(2);

        // Anyone may leave; the owner still administers.
        (await new ManageMembersCommand(db, Audit(db)).Remove(Member, _memberId, ct)).Value.ShouldBeTrue();
        (await new ListWebhookEndpointsQuery(db).Run(Owner, ct)).Value!.Count.ShouldBe(1);
    }
}
