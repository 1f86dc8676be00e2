namespace Kiln.Core.Media.Speech;

/// <summary>Bound from <c>Kiln:Speech</c>. Secrets (API keys) come from configuration or the environment
/// (<c>Kiln__Speech__Engines__openai__ApiKey</c>), never from the repository.</summary>
public sealed class SpeechOptions
{
    public const string Section = "Kiln:Speech";

    /// <summary>The engine used when a job does not name one; <c>pocketsphinx</c> when unset.</summary>
    public string? Default { get; set; }

    /// <summary>Named engines, e.g. <c>Engines:openai:{Kind=openai, BaseUrl, ApiKey, Model}</c>.</summary>
    public Dictionary<string, SpeechEngineOptions> Engines { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public PocketsphinxOptions Pocketsphinx { get; set; } = new();
}

/// <summary>One configured engine. <see cref="Kind"/> defaults to the engine's name.</summary>
public sealed class SpeechEngineOptions
{
    /// <summary><c>openai</c> (any OpenAI-compatible server), <c>deepgram</c> or <c>pocketsphinx</c>.</summary>
    public string? Kind { get; set; }
    public string? BaseUrl { get; set; }
    public string? ApiKey { get; set; }
    public string? Model { get; set; }
    /// <summary>A language to ask for when a job gives none (otherwise the service detects it).</summary>
    public string? Language { get; set; }
    /// <summary>ISO 639-1 codes the engine hears; empty = whatever the service accepts.</summary>
    public string[]? Languages { get; set; }
    public int TimeoutSeconds { get; set; } = 600;
    /// <summary>OpenAI-compatible servers: the upload limit (OpenAI: 25 MB); bigger files are re-encoded, then split.</summary>
    public long MaxUploadBytes { get; set; } = 25 * 1024 * 1024;
    /// <summary>Deepgram: label speakers (<c>diarize=true</c>).</summary>
    public bool Diarize { get; set; }
}

public sealed class PocketsphinxOptions
{
    /// <summary>How many pocketsphinx processes run at once on a long file; default: one per core.</summary>
    public int Parallelism { get; set; } = Environment.ProcessorCount;
    /// <summary>Files longer than this are cut at quiet places into pieces of about this length.</summary>
    public double ChunkSeconds { get; set; } = 120;
    /// <summary>An acoustic model directory (<c>-hmm</c>); Debian's en-us model when unset.</summary>
    public string? ModelPath { get; set; }
    /// <summary>A language model (<c>-lm</c>) and pronunciation dictionary (<c>-dict</c>); the model's defaults when unset.</summary>
    public string? LanguageModelPath { get; set; }
    public string? DictionaryPath { get; set; }
}
