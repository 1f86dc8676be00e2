namespace Kiln.Core.Pipelines.Dubbing;

/// <summary>
/// Operator settings of the dubbing product, in the pipeline's own section (<c>Kiln:Pipelines:dubbing</c>) beside the
/// settings every pipeline has (<see cref="PipelineSettings"/>: Enabled, TimeoutSeconds, Pricing, RetentionHours).
/// </summary>
public sealed class DubbingSettings
{
    public const string Section = "Kiln:Pipelines:" + DubbingPipeline.PipelineId;

    /// <summary>Longest voice input accepted, in seconds (2 hours by default); a plan's media limit may be lower.</summary>
    public double MaxInputSeconds { get; set; } = 7200;
}
