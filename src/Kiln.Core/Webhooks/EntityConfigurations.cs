using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Webhooks;

internal sealed class WebhookEndpointConfiguration : IEntityTypeConfiguration<WebhookEndpoint>
{
    public void Configure(EntityTypeBuilder<WebhookEndpoint> b)
    {
        b.ToTable("WebhookEndpoints");
        b.Property(x => x.Url).HasMaxLength(2000);
        b.Property(x => x.Description).HasMaxLength(500);
        b.Property(x => x.Secret).HasMaxLength(1000);
        b.Property(x => x.EventTypes).HasMaxLength(500);
        b.Property(x => x.DisabledReason).HasMaxLength(500);
        b.Ignore(x => x.EventTypeList);
        b.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> b)
    {
        b.ToTable("WebhookDeliveries");
        b.Property(x => x.EventType).HasMaxLength(64);
        b.Property(x => x.EventKey).HasMaxLength(200);
        b.Property(x => x.MessageId).HasMaxLength(64);
        b.Property(x => x.LastError).HasMaxLength(1000);
        b.HasIndex(x => new { x.EndpointId, x.EventKey }).IsUnique();
        b.HasIndex(x => new { x.EndpointId, x.CreatedAt });
        b.HasIndex(x => new { x.Status, x.NextAttemptAt });
    }
}

internal sealed class WebhookCursorConfiguration : IEntityTypeConfiguration<WebhookCursor>
{
    public void Configure(EntityTypeBuilder<WebhookCursor> b)
    {
        b.ToTable("WebhookCursors");
        b.HasKey(x => x.Name);
        b.Property(x => x.Name).HasMaxLength(64);
    }
}
