using Kiln.Core.Media.Speech;
using Kiln.Core.Podcasts;
using Kiln.Core.Uploads;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Tests.Podcasts;

public sealed class PodcastRulesTests
{
    [Fact]
    public void Podcast_guid_is_the_uuidv5_of_the_feed_url_without_scheme_or_trailing_slash()
    {
        // The worked example of the Podcasting 2.0 spec.
        PodcastGuid.ForFeedUrl("https://mp3s.nashownotes.com/pc20rss.xml").ShouldBe(Guid.Parse("917393e3-1b1e-5cef-ace4-edaa54e1f810"));
        PodcastGuid.ForFeedUrl("http://mp3s.nashownotes.com/pc20rss.xml/").ShouldBe(Guid.Parse("917393e3-1b1e-5cef-ace4-edaa54e1f810"));
    }

    [Fact]
    public void Apple_categories_accept_only_the_list_and_name_the_valid_subcategories()
    {
        AppleCategories.Check("Arts", "Visual Arts").ShouldBeNull();
        AppleCategories.Check("Technology", null).ShouldBeNull();
        AppleCategories.Check("Pottery", null)!.ShouldContain("not an Apple Podcasts category");
        AppleCategories.Check("Technology", "Gadgets")!.ShouldContain("has no subcategories");
        AppleCategories.Check("Arts", "Baseball")!.ShouldContain("Books, Design");
    }

    [Theory]
    [InlineData("Die Küche, Folge 1!", "die-kuche-folge-1")]
    [InlineData("  The   Kiln  Hour ", "the-kiln-hour")]
    public void Slugs_are_made_from_titles(string title, string slug) => ShowRules.SlugFrom(title).ShouldBe(slug);

    [Fact]
    public void A_webvtt_transcript_becomes_srt_and_podcast_json_with_speakers()
    {
        var (cues, error) = TranscriptText.Read("WEBVTT\n\nintro\n00:00:01.000 --> 00:00:02.500\n<v Ada>Hello there\n\n00:02.500 --> 00:04.000\nBye\n");
        error.ShouldBeNull();
        cues!.Count.ShouldBe(2);
        cues[0].ShouldBe(new CaptionCue(1, 2.5, "Hello there", "Ada"));
        cues[1].Start.ShouldBe(2.5);
        Captions.ToSrt(cues).ShouldBe("1\n00:00:01,000 --> 00:00:02,500\nAda: Hello there\n\n2\n00:00:02,500 --> 00:00:04,000\nBye\n");
        var segment = System.Text.Json.JsonDocument.Parse(Captions.ToPodcastJson(cues)).RootElement.GetProperty("segments")[0];
        (segment.GetProperty("speaker").GetString(), segment.GetProperty("startTime").GetDouble(), segment.GetProperty("endTime").GetDouble(), segment.GetProperty("body").GetString())
            .ShouldBe(("Ada", 1, 2.5, "Hello there"));
        // Pasted SRT is read too; a bare header is an empty transcript; a broken cue names its line.
        TranscriptText.Read("1\n00:00:01,000 --> 00:00:02,000\nSRT, not VTT\n").Cues!.Single().Text.ShouldBe("SRT, not VTT");
        TranscriptText.Read("WEBVTT\n").Cues.ShouldBeEmpty();
        var backwards = TranscriptText.Read("WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nbackwards\n");
        backwards.Cues.ShouldBeNull();
        backwards.Error!.ShouldContain("line 3");
        TranscriptText.Cues("not a transcript").ShouldBeEmpty();
    }

    [Fact]
    public void Chapter_lines_round_trip_and_a_bad_line_is_named()
    {
        var (chapters, error) = TranscriptText.ChaptersFromLines("1:02:03 Late\n00:00 Intro\n\n05:30.5 Middle");
        error.ShouldBeNull();
        chapters.ShouldNotBeNull();
        chapters.Select(c => c.StartTime).ShouldBe([0, 330.5, 3723]);
        TranscriptText.ChaptersToLines(chapters).ShouldBe("00:00 Intro\n05:30 Middle\n1:02:03 Late");
        TranscriptText.ParseChapters(TranscriptText.ChaptersJson(chapters))!.ShouldBe(chapters);
        TranscriptText.ChaptersFromLines("00:00 Intro\nIntro again").Error.ShouldBe("Line 2 (\"Intro again\") does not start with a time like 12:34.");
    }

    [Theory]
    [InlineData("AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X)", false)]
    [InlineData("Spotify/8.8.0 iOS/17.0", false)]
    [InlineData("okhttp/4.9.0", false)]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true)]
    [InlineData("python-requests/2.31", true)]
    [InlineData("", true)]
    [InlineData("MyCorpScanner/1.0", true)]
    public void Bots_are_recognized_by_user_agent(string userAgent, bool bot) =>
        new BotFilter(Options.Create(new PodcastOptions { ExtraBotUserAgents = ["corpscanner"] })).IsBot(userAgent).ShouldBe(bot);

    [Fact]
    public async Task Png_and_jpeg_headers_are_read_without_decoding()
    {
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 0, 0x05, 0x78, 0, 0, 0x05, 0x78, 8, 2, 0, 0, 0 };
        (await ImageInspector.ReadPngAsync(new MemoryStream(png), CancellationToken.None)).ShouldBe(new ImageFacts("png", 1400, 1400, "rgb"));
        // SOI, an APP0 segment to skip, then a progressive frame header (SOF2) with three components.
        var jpeg = new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC2, 0, 11, 8, 0x0B, 0xB8, 0x0B, 0xB8, 3, 1, 0x11, 0 };
        (await ImageInspector.ReadJpegAsync(new MemoryStream(jpeg), CancellationToken.None)).ShouldBe(new ImageFacts("jpeg", 3000, 3000, "rgb"));
        ImageInspector.CheckArtwork(new ImageFacts("jpeg", 3000, 3000, "rgb")).ShouldBeNull();
        ImageInspector.CheckArtwork(new ImageFacts("jpeg", 3001, 3001, "rgb"))!.Message.ShouldBe("The artwork is 3001×3001 px; Apple accepts at most 3000×3000.");
    }

    [Fact]
    public void Jpeg_is_sniffed_as_an_image_not_as_an_mp3_frame() =>
        ContentSniffer.Detect([0xFF, 0xD8, 0xFF, 0xE0, 0, 16]).ShouldBe(Container.Jpeg);
}
