using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Billing;

// Every length, nullability and index here is mirrored by hand in Migrations/20261122010000_Billing.cs.

internal sealed class BillingCustomerConfiguration : IEntityTypeConfiguration<BillingCustomer>
{
    public void Configure(EntityTypeBuilder<BillingCustomer> b)
    {
        b.ToTable("BillingCustomers");
        b.Property(x => x.Provider).HasMaxLength(32);
        b.Property(x => x.ProviderCustomerId).HasMaxLength(200);
        b.HasIndex(x => new { x.WorkspaceId, x.Provider }).IsUnique();
        b.HasIndex(x => new { x.Provider, x.ProviderCustomerId }).IsUnique();
    }
}

internal sealed class SubscriptionConfiguration : IEntityTypeConfiguration<Subscription>
{
    public void Configure(EntityTypeBuilder<Subscription> b)
    {
        b.ToTable("Subscriptions");
        b.Property(x => x.Provider).HasMaxLength(32);
        b.Property(x => x.ProviderSubscriptionId).HasMaxLength(200);
        b.Property(x => x.PlanId).HasMaxLength(64);
        b.Property(x => x.Status).HasMaxLength(32);
        b.Ignore(x => x.IsLive);
        b.HasIndex(x => new { x.Provider, x.ProviderSubscriptionId }).IsUnique();
        b.HasIndex(x => x.WorkspaceId);
    }
}

internal sealed class PaymentConfiguration : IEntityTypeConfiguration<Payment>
{
    public void Configure(EntityTypeBuilder<Payment> b)
    {
        b.ToTable("Payments");
        b.Property(x => x.Provider).HasMaxLength(32);
        b.Property(x => x.ProviderPaymentId).HasMaxLength(200);
        b.Property(x => x.ItemId).HasMaxLength(64);
        b.Property(x => x.Currency).HasMaxLength(8);
        b.Property(x => x.Status).HasMaxLength(32);
        b.Property(x => x.ReceiptUrl).HasMaxLength(2000);
        b.HasIndex(x => new { x.Provider, x.ProviderPaymentId }).IsUnique();
        b.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
    }
}

internal sealed class PaymentEventConfiguration : IEntityTypeConfiguration<PaymentEvent>
{
    public void Configure(EntityTypeBuilder<PaymentEvent> b)
    {
        b.ToTable("PaymentEvents");
        b.Property(x => x.Provider).HasMaxLength(32);
        b.Property(x => x.EventId).HasMaxLength(200);
        b.Property(x => x.Type).HasMaxLength(100);
        b.Property(x => x.LastError).HasMaxLength(2000);
        b.HasIndex(x => new { x.Provider, x.EventId }).IsUnique();
        b.HasIndex(x => new { x.Status, x.NextAttemptAt });
        b.HasIndex(x => x.ReceivedAt);
    }
}

internal sealed class AllowanceGrantConfiguration : IEntityTypeConfiguration<AllowanceGrant>
{
    public void Configure(EntityTypeBuilder<AllowanceGrant> b)
    {
        b.ToTable("AllowanceGrants");
        b.Property(x => x.Provider).HasMaxLength(32);
        b.Property(x => x.ProviderInvoiceId).HasMaxLength(200);
        b.Property(x => x.ProviderSubscriptionId).HasMaxLength(200);
        b.HasIndex(x => new { x.Provider, x.ProviderInvoiceId }).IsUnique();
        b.HasIndex(x => new { x.WorkspaceId, x.PeriodEnd });
        b.HasIndex(x => new { x.ExpiredAt, x.PeriodEnd });
    }
}

internal sealed class CreditShortfallConfiguration : IEntityTypeConfiguration<CreditShortfall>
{
    public void Configure(EntityTypeBuilder<CreditShortfall> b)
    {
        b.ToTable("CreditShortfalls");
        b.Property(x => x.Provider).HasMaxLength(32);
        b.Property(x => x.RefundId).HasMaxLength(200);
        b.HasIndex(x => new { x.Provider, x.RefundId }).IsUnique();
        b.HasIndex(x => x.WorkspaceId);
    }
}
