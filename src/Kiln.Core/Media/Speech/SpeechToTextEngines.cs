namespace Kiln.Core.Media.Speech;

/// <summary>
/// The engines configured under <c>Kiln:Speech</c>: pocketsphinx always (offline, English), plus each entry of
/// <c>Engines</c> by its name. A misconfigured entry fails when the host starts, not in the middle of a job.
/// </summary>
public sealed class SpeechToTextEngines : ISpeechToTextEngines
{
    public const string Pocketsphinx = "pocketsphinx";
    private readonly Dictionary<string, ISpeechToText> _byName = new(StringComparer.OrdinalIgnoreCase);

    public SpeechToTextEngines(SpeechOptions options, IProcessRunner runner, Func<SpeechEngineOptions, HttpClient> httpFor)
    {
        var engines = new List<ISpeechToText>();
        if (!options.Engines.ContainsKey(Pocketsphinx)) engines.Add(new PocketsphinxSpeechToText(runner, options.Pocketsphinx));
        foreach (var (name, engine) in options.Engines.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var kind = (string.IsNullOrWhiteSpace(engine.Kind) ? name : engine.Kind).Trim().ToLowerInvariant();
            engines.Add(kind switch
            {
                "openai" or "openai-compatible" or "whisper" => new OpenAiTranscriber(httpFor(engine), runner, engine, name),
                "deepgram" => new DeepgramTranscriber(httpFor(engine), engine, name),
                Pocketsphinx => new PocketsphinxSpeechToText(runner, options.Pocketsphinx, name),
                _ => throw new InvalidOperationException(
                    $"Kiln:Speech:Engines:{name} has Kind '{kind}'; use openai (any OpenAI-compatible server), deepgram or pocketsphinx."),
            });
        }
        foreach (var e in engines) _byName[e.Name] = e;

        var defaultName = string.IsNullOrWhiteSpace(options.Default) ? Pocketsphinx : options.Default.Trim();
        Default = Find(defaultName) ?? throw new InvalidOperationException(
            $"Kiln:Speech:Default is '{defaultName}', which is not a configured engine ({string.Join(", ", engines.Select(e => e.Name))}).");
        All = [Default, .. engines.Where(e => !ReferenceEquals(e, Default))];
    }

    public ISpeechToText Default { get; }
    public IReadOnlyList<ISpeechToText> All { get; }
    public ISpeechToText? Find(string name) => _byName.GetValueOrDefault(name.Trim());
}
