using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Jobs;

internal sealed class JobConfiguration : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> b)
    {
        b.Property(x => x.PipelineId).HasMaxLength(64);
        b.Property(x => x.ProgressStep).HasMaxLength(100);
        b.Property(x => x.ProgressMessage).HasMaxLength(1000);
        b.Property(x => x.ErrorCode).HasMaxLength(100);
        b.Property(x => x.ErrorMessage).HasMaxLength(2000);
        b.Property(x => x.IdempotencyKey).HasMaxLength(200);
        b.Property(x => x.RequestHash).HasMaxLength(64);
        b.Property(x => x.WorkerId).HasMaxLength(200);
        b.Property(x => x.TraceParent).HasMaxLength(64);
        b.Ignore(x => x.IsFinished);
        b.HasIndex(x => new { x.WorkspaceId, x.IdempotencyKey }).IsUnique();
        b.HasIndex(x => new { x.Status, x.RunAfter });
        b.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
        b.HasIndex(x => new { x.Status, x.LeaseExpiresAt });
        // The claim reads the best queued jobs in this order; a partial index keeps that a short index scan however
        // deep the queue (see bench/RESULTS.md).
        b.HasIndex(x => new { x.Priority, x.RunAfter, x.Id }, "ix_jobs_queued_priority").IsDescending(true, false, false).HasFilter("status = 0");
        // Fair claims: the workspaces with queued jobs (a loose index scan) and each one's next jobs in its own order.
        b.HasIndex(x => new { x.WorkspaceId, x.Priority, x.RunAfter, x.Id }, "ix_jobs_queued_workspace").IsDescending(false, true, false, false).HasFilter("status = 0");
        // The kiln_jobs gauge counts queued and running jobs by pipeline at every scrape: from this small index alone,
        // never from the (ever-growing) finished jobs.
        b.HasIndex(x => new { x.Status, x.PipelineId }, "ix_jobs_active_pipeline").HasFilter("status < 2");
    }
}

internal sealed class JobEventConfiguration : IEntityTypeConfiguration<JobEvent>
{
    public void Configure(EntityTypeBuilder<JobEvent> b)
    {
        b.Property(x => x.Type).HasMaxLength(32);
        b.HasIndex(x => new { x.JobId, x.Id });
        b.HasIndex(x => new { x.WorkspaceId, x.Id });
    }
}

internal sealed class ArtifactConfiguration : IEntityTypeConfiguration<Artifact>
{
    public void Configure(EntityTypeBuilder<Artifact> b)
    {
        b.Property(x => x.Name).HasMaxLength(300);
        b.Property(x => x.ContentType).HasMaxLength(200);
        b.Property(x => x.BlobKey).HasMaxLength(600);
        b.Property(x => x.Sha256).HasMaxLength(64);
        b.HasIndex(x => new { x.JobId, x.Name }).IsUnique();
    }
}

internal sealed class WorkerHeartbeatConfiguration : IEntityTypeConfiguration<WorkerHeartbeat>
{
    public void Configure(EntityTypeBuilder<WorkerHeartbeat> b)
    {
        b.HasKey(x => x.WorkerId);
        b.Property(x => x.WorkerId).HasMaxLength(200);
        b.Property(x => x.Host).HasMaxLength(200);
    }
}

internal sealed class WorkspaceRunningJobsConfiguration : IEntityTypeConfiguration<WorkspaceRunningJobs>
{
    public void Configure(EntityTypeBuilder<WorkspaceRunningJobs> b) => b.HasKey(x => x.WorkspaceId);
}
