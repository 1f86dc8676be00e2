using System.Text;
using System.Text.Json;
using Kiln.Core.Audit;
using Kiln.Core.Common;
using Kiln.Web.Infrastructure;
using Kiln.Web.Ui;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public sealed record AuditEventDto(Guid Id, DateTime At, string Action, Guid? ActorUserId, string? ActorEmail, Guid? WorkspaceId, string? Target,
    string? Ip, string? UserAgent, JsonElement? Details)
{
    public static AuditEventDto From(AuditEventView v) => new(v.Event.Id, v.Event.At, v.Event.Action, v.Event.ActorUserId, v.ActorEmail, v.Event.WorkspaceId,
        v.Event.Target, v.Event.Ip, v.Event.UserAgent, v.Event.Details is { } d ? JsonSerializer.Deserialize<JsonElement>(d) : null);
}

/// <summary>The audit log: a workspace's for its owners, every event for operators, as JSON pages or CSV.</summary>
public static class AuditApi
{
    /// <summary>The CSV export's cap: a bigger history is exported in slices with <c>before</c> and <c>beforeId</c>.</summary>
    public const int MaxExportRows = 100_000;

    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        var ws = api.MapGroup("/workspace/audit").WithTags("Audit");
        ws.MapGet("/", async Task<Results<Ok<List<AuditEventDto>>, ProblemHttpResult>> (DateTime? before, Guid? beforeId, string? action, int? limit, CurrentUser user,
                ListAuditEventsQuery q, CancellationToken ct) =>
                Problems.Map(await q.ForWorkspace(user.Caller, new AuditFilter(before, action, Limit: limit ?? 100, BeforeId: beforeId), ct),
                    rows => TypedResults.Ok(rows.Select(AuditEventDto.From).ToList())))
            .WithSummary("The current workspace's audit log, newest first (owners only). Page with before = the last event's at and beforeId = its id "
                + "(events at the same instant are neither skipped nor repeated); limit at most 500.");
        ws.MapGet("/export", (DateTime? before, Guid? beforeId, string? action, CurrentUser user, ListAuditEventsQuery q, HttpContext http, CancellationToken ct) =>
                Export(http, (f, c) => q.ForWorkspace(user.Caller, f, c), new AuditFilter(before, action, BeforeId: beforeId), "workspace", ct))
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .WithSummary("The current workspace's audit log as CSV (owners only), newest first, at most 100,000 rows.");

        var admin = api.MapGroup("/admin/audit").WithTags("Admin").RequireAuthorization(KilnPolicies.Admin);
        admin.MapGet("/", async Task<Results<Ok<List<AuditEventDto>>, ProblemHttpResult>> (DateTime? before, Guid? beforeId, string? action, Guid? workspaceId, Guid? userId,
                int? limit, CurrentUser user, ListAuditEventsQuery q, CancellationToken ct) =>
                Problems.Map(await q.ForOperator(user.Caller, new AuditFilter(before, action, userId, workspaceId, limit ?? 100, beforeId), ct),
                    rows => TypedResults.Ok(rows.Select(AuditEventDto.From).ToList())))
            .WithSummary("Every audit event of the installation (operators), newest first, filtered by workspace, acting user or action.");
        admin.MapGet("/export", (DateTime? before, Guid? beforeId, string? action, Guid? workspaceId, Guid? userId, CurrentUser user, ListAuditEventsQuery q,
                HttpContext http, CancellationToken ct) =>
                Export(http, (f, c) => q.ForOperator(user.Caller, f, c), new AuditFilter(before, action, userId, workspaceId, BeforeId: beforeId), "all", ct))
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .WithSummary("The installation's audit log as CSV (operators), newest first, at most 100,000 rows.");
        return api;
    }

    /// <summary>Streams the CSV in keyset pages of 500, so a long history is never held in memory.</summary>
    private static async Task<IResult> Export(HttpContext http, Func<AuditFilter, CancellationToken, Task<Result<List<AuditEventView>>>> page,
        AuditFilter filter, string scope, CancellationToken ct)
    {
        var first = await page(filter with { Limit = AuditFilter.MaxLimit }, ct);
        if (first.Error is { } e) return Problems.From(e);
        var clock = http.RequestServices.GetRequiredService<TimeProvider>();
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"kiln-audit-{scope}-{clock.GetUtcNow():yyyyMMdd}.csv\"";
        await http.Response.WriteAsync(Csv.Line("id", "at", "action", "actor_user_id", "actor_email", "workspace_id", "target", "ip", "user_agent", "details"), Encoding.UTF8, ct);
        var rows = first.Value!;
        for (var written = 0; rows.Count > 0 && written < MaxExportRows; written += rows.Count)
        {
            var sb = new StringBuilder();
            foreach (var v in rows)
            {
                var a = v.Event;
                sb.Append(Csv.Line(a.Id, Format.Iso(a.At), a.Action, a.ActorUserId, v.ActorEmail, a.WorkspaceId, a.Target, a.Ip, a.UserAgent, a.Details));
            }
            await http.Response.WriteAsync(sb.ToString(), Encoding.UTF8, ct);
            if (rows.Count < AuditFilter.MaxLimit) break;
            rows = (await page(filter.After(rows[^1].Event) with { Limit = AuditFilter.MaxLimit }, ct)).Value ?? [];
        }
        return Results.Empty;
    }
}
