using Kiln.Core.Accounts;
using Kiln.Core.Billing;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Tests.Billing;

public sealed class RegistrationAndSandboxTests
{
    private static ServiceProvider Build(string file, Dictionary<string, string?> extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Kiln:Database:Provider"] = "Sqlite",
            ["Kiln:Database:ConnectionString"] = $"Data Source={file}",
            ["Kiln:Billing:Provider"] = "sandbox",
            ["Kiln:Billing:PublicBaseUrl"] = "https://kiln.example/",
            ["Kiln:Billing:Sandbox:Secret"] = "sbx-secret",
        };
        foreach (var (k, v) in extra) settings[k] = v;
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddKilnData(config);
        services.AddCredits();
        services.AddBilling(config);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    [Fact]
    public async Task Sandbox_checkout_end_to_end_through_the_registered_services_raises_the_balance_once()
    {
        var file = Path.Combine(Path.GetTempPath(), $"kiln-billing-di-{Guid.NewGuid():N}.db");
        var ct = TestContext.Current.CancellationToken;
        await using (var sp = Build(file, []))
        {
            await using var scope = sp.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDbContext>();
            await db.Database.MigrateAsync(ct);
            var ws = Guid.CreateVersion7();
            db.Workspaces.Add(new Workspace { Id = ws, Name = "Demo", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync(ct);

            var started = await scope.ServiceProvider.GetRequiredService<CreateCheckoutCommand>().Run(Owner(ws), "pack", "pack-50", null, ct);
            started.IsSuccess.ShouldBeTrue(started.Error?.Message);
            started.Value!.RedirectUrl.AbsolutePath.ShouldBe("/billing/sandbox/checkout");
            var session = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(started.Value.RedirectUrl.Query)["session"].ToString();

            scope.ServiceProvider.GetRequiredService<DescribeSandboxCheckoutQuery>().Run(session).Value!.Item.Credits.ShouldBe(50);
            scope.ServiceProvider.GetRequiredService<DescribeSandboxCheckoutQuery>().Run(session + "x").Error!.Code.ShouldBe("invalid_session");
            var complete = scope.ServiceProvider.GetRequiredService<CompleteSandboxCheckoutCommand>();
            (await complete.Run(session, ct)).IsSuccess.ShouldBeTrue();
            (await complete.Run(session, ct)).IsSuccess.ShouldBeTrue(); // double submit of the page
            (await scope.ServiceProvider.GetRequiredService<GetBalanceQuery>().Run(ws, ct)).Posted.ShouldBe(50);

            var plan = await scope.ServiceProvider.GetRequiredService<CreateCheckoutCommand>().Run(Owner(ws), "plan", "pro", null, ct);
            var planSession = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(plan.Value!.RedirectUrl.Query)["session"].ToString();
            (await complete.Run(planSession, ct)).IsSuccess.ShouldBeTrue();
            var sub = await scope.ServiceProvider.GetRequiredService<GetSubscriptionQuery>().Run(ws, ct);
            (sub.PlanId, sub.Status, sub.AllowanceLeft).ShouldBe(("pro", "active", 500L));
            (await scope.ServiceProvider.GetRequiredService<GetBalanceQuery>().Run(ws, ct)).Posted.ShouldBe(550);
            (await scope.ServiceProvider.GetRequiredService<CreateCheckoutCommand>().Run(Owner(ws), "plan", "creator", null, ct)).Error!.Code.ShouldBe("already_subscribed");
            (await scope.ServiceProvider.GetRequiredService<ListPaymentsQuery>().Run(ws, 10, ct)).Count.ShouldBe(2);
            (await scope.ServiceProvider.GetRequiredService<GetPlanLimitsQuery>().Run(ws, ct)).MaxConcurrentJobs.ShouldBe(10);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { file, file + "-wal", file + "-shm" }) File.Delete(f);
    }

    [Fact]
    public async Task All_providers_register_from_configuration_and_unknown_items_are_refused()
    {
        var file = Path.Combine(Path.GetTempPath(), $"kiln-billing-di-{Guid.NewGuid():N}.db");
        await using var sp = Build(file, new()
        {
            ["Kiln:Billing:Stripe:SecretKey"] = "sk_test_x", ["Kiln:Billing:Stripe:WebhookSecret"] = "whsec_x",
            ["Kiln:Billing:Mollie:ApiKey"] = "test_x", ["Kiln:Billing:Paddle:ApiKey"] = "pdl_x", ["Kiln:Billing:Paddle:WebhookSecret"] = "pdl_ntfset_x",
            ["Kiln:Billing:Packs:0:Id"] = "starter", ["Kiln:Billing:Packs:0:Credits"] = "5", ["Kiln:Billing:Packs:0:Price"] = "300",
        });
        await using var scope = sp.CreateAsyncScope();
        var providers = scope.ServiceProvider.GetServices<IPaymentProvider>().Select(p => p.Name).Order().ToList();
        providers.ShouldBe(["mollie", "paddle", "sandbox", "stripe"]);
        scope.ServiceProvider.GetRequiredService<PaymentProviders>().Find("STRIPE").IsSuccess.ShouldBeTrue();
        var catalog = scope.ServiceProvider.GetRequiredService<BillingCatalog>();
        catalog.Packs.ShouldHaveSingleItem().Id.ShouldBe("starter"); // configured packs replace the defaults
        catalog.Packs[0].Currency.ShouldBe("EUR");
        catalog.Plans.Select(p => p.Id).ShouldBe(["free", "creator", "pro"]);
        catalog.Resolve("pack", "nope").Error!.Code.ShouldBe("unknown_pack");
        catalog.Resolve("plan", "free").Error!.Code.ShouldBe("unknown_plan");
        catalog.Resolve("gift", "x").Error!.Code.ShouldBe("unknown_item_kind");
        scope.ServiceProvider.GetRequiredService<IOptions<BillingOptions>>().Value.Provider.ShouldBe("sandbox");
        _ = scope.ServiceProvider.GetRequiredService<ProcessPaymentEventsCommand>();
        _ = scope.ServiceProvider.GetRequiredService<ExpireAllowancesCommand>();
        _ = scope.ServiceProvider.GetRequiredService<RetryPaymentEventCommand>();
    }

    [Fact]
    public async Task Without_a_provider_checkout_is_refused_and_no_webhook_is_accepted()
    {
        var file = Path.Combine(Path.GetTempPath(), $"kiln-billing-di-{Guid.NewGuid():N}.db");
        await using var sp = Build(file, new() { ["Kiln:Billing:Provider"] = null, ["Kiln:Billing:Sandbox:Secret"] = null });
        await using var scope = sp.CreateAsyncScope();
        (await scope.ServiceProvider.GetRequiredService<CreateCheckoutCommand>().Run(Owner(Guid.NewGuid()), "pack", "pack-10", null, TestContext.Current.CancellationToken))
            .Error!.Code.ShouldBe("billing_not_configured");
        scope.ServiceProvider.GetServices<IPaymentProvider>().ShouldBeEmpty();
        (await scope.ServiceProvider.GetRequiredService<ReceiveWebhookCommand>().Run("sandbox", [], new Dictionary<string, string>(), TestContext.Current.CancellationToken))
            .Error!.Code.ShouldBe("unknown_provider");
    }

    [Fact]
    public void The_sandbox_refuses_to_start_in_production_unless_allowed()
    {
        var file = Path.Combine(Path.GetTempPath(), $"kiln-billing-di-{Guid.NewGuid():N}.db");
        Should.Throw<InvalidOperationException>(() => Build(file, new() { ["environment"] = "Production" }).Dispose()).Message.ShouldContain("AllowInProduction");
        using var allowed = Build(file, new() { ["environment"] = "Production", ["Kiln:Billing:Sandbox:AllowInProduction"] = "true" });
        using var dev = Build(file, new() { ["environment"] = "Development" });
    }

    /// <summary>Billing is for owners and admins (<see cref="BillingAccess"/>): these tests act as the workspace's owner.</summary>
    private static Caller Owner(Guid workspace) => new(Guid.NewGuid(), workspace, WorkspaceRole.Owner);
}
