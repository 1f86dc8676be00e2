using System.Text.Json;
using Kiln.Core.Pipelines;
using Kiln.Core.Uploads;

namespace Kiln.Core.Tests.Pipelines;

/// <summary>The one slot rule the API, the form and <c>kiln run</c> share: errors name their slot so a form can show
/// them beside it, and a pipeline whose slots are all optional is offered as a choice.</summary>
public sealed class SlotBindingTests
{
    private static PipelineDescriptor Descriptor(params InputSlot[] slots) =>
        new("test", "Test", "1", "A test pipeline.", slots, [], JsonDocument.Parse("{}").RootElement, new PriceList(new Dictionary<string, decimal>()));

    private static readonly PipelineDescriptor Dubbing = Descriptor(
        new("voice", "Voice track or video", ["audio", "video"]),
        new("background", "Background", ["audio"], Required: false));

    [Fact]
    public void Each_slot_error_names_the_slot_it_is_about()
    {
        var missing = SlotBinding.Check(Dubbing, [new("background", "audio", "music.wav")])!;
        (missing.Code, missing.Extensions!["slot"]).ShouldBe(("input_required", "voice"));
        missing.Message.ShouldContain("Voice track or video");

        var wrongKind = SlotBinding.Check(Dubbing, [new("voice", "audio", "v.wav"), new("background", "pdf", "notes.pdf")])!;
        (wrongKind.Code, wrongKind.Extensions!["slot"]).ShouldBe(("unsupported_input", "background"));

        var twice = SlotBinding.Check(Dubbing, [new("voice", "audio", "a.wav"), new("voice", "audio", "b.wav")])!;
        (twice.Code, twice.Extensions!["slot"]).ShouldBe(("too_many_inputs", "voice"));

        SlotBinding.Check(Dubbing, [new("voice", "video", "talk.mp4"), new("background", "audio", "music.wav")]).ShouldBeNull();
    }

    [Fact]
    public void Only_several_optional_slots_make_a_choice()
    {
        SlotBinding.IsChoice(Dubbing).ShouldBeFalse();
        SlotBinding.IsChoice(Descriptor(new InputSlot("source", "PDF", ["pdf"], Required: false))).ShouldBeFalse();
        SlotBinding.IsChoice(Descriptor(
            new InputSlot("media", "Video", ["video", "audio"], Required: false),
            new InputSlot("subtitles", "Subtitles", ["subtitles"], Required: false))).ShouldBeTrue();
    }

    [Fact]
    public void A_file_picker_offers_the_extensions_of_the_slots_kinds()
    {
        FileTypes.ExtensionsFor(["subtitles"]).Order().ShouldBe([".srt", ".vtt"]);
        FileTypes.ExtensionsFor(["pdf", "text"]).Order().ShouldBe([".pdf", ".txt"]);
        var audio = FileTypes.ExtensionsFor(["audio"]);
        audio.ShouldContain(".wav");
        audio.ShouldContain(".mp3");
        // Audio and video are one family: a .webm or .mp4 may hold only sound, and the bytes decide.
        audio.ShouldContain(".mp4");
        audio.ShouldNotContain(".pdf");
        FileTypes.ExtensionsFor(["image"]).Order().ShouldBe([".jpeg", ".jpg", ".png"]);
    }
}
