using Kiln.Core.Media.Speech;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Tests.Media.Speech;

public sealed class SpeechToTextEnginesTests
{
    [Fact]
    public void Pocketsphinx_is_the_default_with_no_configuration()
    {
        using var services = Services.Build();
        var engines = services.GetRequiredService<ISpeechToTextEngines>();

        engines.Default.ShouldBeOfType<PocketsphinxSpeechToText>().Name.ShouldBe("pocketsphinx");
        engines.Default.Languages.ShouldBe(["en"]);
        engines.All.ShouldHaveSingleItem();
        services.GetRequiredService<ISpeechToText>().ShouldBeSameAs(engines.Default);
    }

    [Fact]
    public void Configured_engines_are_found_by_name_with_the_default_first()
    {
        using var services = Services.Build(new Dictionary<string, string?>
        {
            ["Kiln:Speech:Default"] = "Whisper",
            ["Kiln:Speech:Engines:whisper:Kind"] = "openai",
            ["Kiln:Speech:Engines:whisper:BaseUrl"] = "http://127.0.0.1:9/v1",
            ["Kiln:Speech:Engines:deepgram:ApiKey"] = "dg",
            ["Kiln:Speech:Engines:deepgram:Languages:0"] = "en",
            ["Kiln:Speech:Engines:deepgram:Languages:1"] = "es",
        });
        var engines = services.GetRequiredService<ISpeechToTextEngines>();

        engines.Default.ShouldBeOfType<OpenAiTranscriber>().Name.ShouldBe("whisper");
        engines.All.Select(e => e.Name).ShouldBe(["whisper", "pocketsphinx", "deepgram"]);
        engines.Find("DEEPGRAM").ShouldBeOfType<DeepgramTranscriber>().Languages.ShouldBe(["en", "es"], ignoreOrder: true);
        engines.Find("nope").ShouldBeNull();
        engines.Default.DetectsLanguage.ShouldBeTrue();
    }

    [Fact]
    public void An_unknown_default_or_kind_fails_with_the_key_to_fix()
    {
        using var a = Services.Build(new Dictionary<string, string?> { ["Kiln:Speech:Default"] = "whisper" });
        Should.Throw<InvalidOperationException>(() => a.GetRequiredService<ISpeechToTextEngines>()).Message.ShouldContain("Kiln:Speech:Default");

        using var b = Services.Build(new Dictionary<string, string?> { ["Kiln:Speech:Engines:x:Kind"] = "vosk" });
        Should.Throw<InvalidOperationException>(() => b.GetRequiredService<ISpeechToTextEngines>()).Message.ShouldContain("Kiln:Speech:Engines:x");
    }
}
