using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// Billing: provider customers, subscriptions, payments, the webhook inbox, allowance grants and refund shortfalls.
/// Hand-written like the core migration; every unique index here is what makes a money movement happen once.
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261122010000_Billing")]
public sealed class Billing : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "billing_customers",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                provider = table.Column<string>(maxLength: 32, nullable: false),
                provider_customer_id = table.Column<string>(maxLength: 200, nullable: false),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_billing_customers", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "subscriptions",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                provider = table.Column<string>(maxLength: 32, nullable: false),
                provider_subscription_id = table.Column<string>(maxLength: 200, nullable: false),
                plan_id = table.Column<string>(maxLength: 64, nullable: false),
                status = table.Column<string>(maxLength: 32, nullable: false),
                current_period_start = table.Column<DateTime>(nullable: true),
                current_period_end = table.Column<DateTime>(nullable: true),
                cancel_at_period_end = table.Column<bool>(nullable: false),
                last_event_at = table.Column<DateTime>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_subscriptions", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "payments",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                provider = table.Column<string>(maxLength: 32, nullable: false),
                provider_payment_id = table.Column<string>(maxLength: 200, nullable: false),
                kind = table.Column<int>(nullable: false),
                item_id = table.Column<string>(maxLength: 64, nullable: false),
                credits = table.Column<long>(nullable: false),
                amount = table.Column<long>(nullable: false),
                currency = table.Column<string>(maxLength: 8, nullable: false),
                status = table.Column<string>(maxLength: 32, nullable: false),
                receipt_url = table.Column<string>(maxLength: 2000, nullable: true),
                refunded_amount = table.Column<long>(nullable: false),
                credits_clawed_back = table.Column<long>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_payments", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "payment_events",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                provider = table.Column<string>(maxLength: 32, nullable: false),
                event_id = table.Column<string>(maxLength: 200, nullable: false),
                type = table.Column<string>(maxLength: 100, nullable: false),
                payload = table.Column<string>(nullable: false),
                received_at = table.Column<DateTime>(nullable: false),
                status = table.Column<int>(nullable: false),
                attempts = table.Column<int>(nullable: false),
                next_attempt_at = table.Column<DateTime>(nullable: false),
                locked_until = table.Column<DateTime>(nullable: true),
                processed_at = table.Column<DateTime>(nullable: true),
                last_error = table.Column<string>(maxLength: 2000, nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_payment_events", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "allowance_grants",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                provider = table.Column<string>(maxLength: 32, nullable: false),
                provider_invoice_id = table.Column<string>(maxLength: 200, nullable: false),
                provider_subscription_id = table.Column<string>(maxLength: 200, nullable: false),
                credits = table.Column<long>(nullable: false),
                period_start = table.Column<DateTime>(nullable: false),
                period_end = table.Column<DateTime>(nullable: false),
                ledger_entry_id = table.Column<long>(nullable: false),
                expired_at = table.Column<DateTime>(nullable: true),
                expired_credits = table.Column<long>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_allowance_grants", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "credit_shortfalls",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                payment_id = table.Column<Guid>(nullable: false),
                provider = table.Column<string>(maxLength: 32, nullable: false),
                refund_id = table.Column<string>(maxLength: 200, nullable: false),
                credits_requested = table.Column<long>(nullable: false),
                credits_clawed_back = table.Column<long>(nullable: false),
                shortfall = table.Column<long>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                resolved_at = table.Column<DateTime>(nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_credit_shortfalls", x => x.id);
            });

        migrationBuilder.CreateIndex(name: "ix_billing_customers_provider_provider_customer_id", table: "billing_customers", columns: new[] { "provider", "provider_customer_id" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_billing_customers_workspace_id_provider", table: "billing_customers", columns: new[] { "workspace_id", "provider" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_subscriptions_provider_provider_subscription_id", table: "subscriptions", columns: new[] { "provider", "provider_subscription_id" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_subscriptions_workspace_id", table: "subscriptions", column: "workspace_id");
        migrationBuilder.CreateIndex(name: "ix_payments_provider_provider_payment_id", table: "payments", columns: new[] { "provider", "provider_payment_id" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_payments_workspace_id_created_at", table: "payments", columns: new[] { "workspace_id", "created_at" });
        migrationBuilder.CreateIndex(name: "ix_payment_events_provider_event_id", table: "payment_events", columns: new[] { "provider", "event_id" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_payment_events_received_at", table: "payment_events", column: "received_at");
        migrationBuilder.CreateIndex(name: "ix_payment_events_status_next_attempt_at", table: "payment_events", columns: new[] { "status", "next_attempt_at" });
        migrationBuilder.CreateIndex(name: "ix_allowance_grants_expired_at_period_end", table: "allowance_grants", columns: new[] { "expired_at", "period_end" });
        migrationBuilder.CreateIndex(name: "ix_allowance_grants_provider_provider_invoice_id", table: "allowance_grants", columns: new[] { "provider", "provider_invoice_id" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_allowance_grants_workspace_id_period_end", table: "allowance_grants", columns: new[] { "workspace_id", "period_end" });
        migrationBuilder.CreateIndex(name: "ix_credit_shortfalls_provider_refund_id", table: "credit_shortfalls", columns: new[] { "provider", "refund_id" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_credit_shortfalls_workspace_id", table: "credit_shortfalls", column: "workspace_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in new[] { "billing_customers", "subscriptions", "payments", "payment_events", "allowance_grants", "credit_shortfalls" })
        {
            migrationBuilder.DropTable(table);
        }
    }
}
