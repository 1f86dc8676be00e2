namespace Kiln.Core.Ai;

/// <summary>Bound from <c>Kiln:Ai</c>.</summary>
public sealed class AiOptions
{
    public const string Section = "Kiln:Ai";

    /// <summary><c>extractive</c> (default, offline, deterministic) or <c>openai</c> (any OpenAI-compatible endpoint).</summary>
    public string Provider { get; set; } = "extractive";
    public string? BaseUrl { get; set; }
    public string? ApiKey { get; set; }
    public string Model { get; set; } = "gpt-4o-mini";
}
