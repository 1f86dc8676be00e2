using Kiln.Core.Pipelines.PodcastEpisode;

namespace Kiln.Core.Tests.Pipelines.PodcastEpisode;

public sealed class EpisodeRulesTests
{
    [Fact]
    public void Long_pauses_are_cut_to_the_threshold_keeping_half_on_each_side_and_natural_pauses_stay()
    {
        var pauses = new List<Span> { new(0, 2), new(5, 5.6), new(10, 14), new(20, 22) };
        var cuts = SilenceCuts.Plan(pauses, threshold: 1.0, duration: 22);
        cuts.ShouldBe([new Span(0, 1.75), new Span(10.5, 13.5), new Span(20.5, 22)]);
        SilenceCuts.Removed(cuts).ShouldBe(6.25, 1e-9);
    }

    [Fact]
    public void The_keep_expression_is_a_balanced_tree_over_the_cuts()
    {
        SilenceCuts.KeepExpression([]).ShouldBe("1");
        SilenceCuts.KeepExpression([new Span(1, 2)]).ShouldBe("not(between(t,1,2))");
        SilenceCuts.KeepExpression([new Span(1, 2), new Span(3.5, 4), new Span(6, 7.25)])
            .ShouldBe("not(if(lt(t,3.5),between(t,1,2),if(lt(t,6),between(t,3.5,4),between(t,6,7.25))))");
    }

    [Fact]
    public void Pause_thresholds_sit_relative_to_the_measured_floor_not_a_fixed_level()
    {
        // Noisy speech: floor −50, speech −28 → pauses below −43 (a fixed −40 dB would call the whole file silence
        // in a quiet studio and nothing in a noisy room).
        var noisy = Enumerable.Repeat(-50f, 30).Concat(Enumerable.Repeat(-28f, 70)).ToList();
        var levels = AudioLevels.Measure(noisy);
        levels.NoiseFloorDb.ShouldBe(-50);
        levels.PauseThresholdDb.ShouldBe(-43, 0.01);
        var quiet = Enumerable.Repeat(-75f, 30).Concat(Enumerable.Repeat(-25f, 70)).ToList();
        AudioLevels.Measure(quiet).PauseThresholdDb.ShouldBe(-40, 0.01);
        // Digital silence says nothing about the noise floor.
        AudioLevels.Measure([.. Enumerable.Repeat(-120f, 50), .. noisy]).NoiseFloorDb.ShouldBe(-50);
    }

    [Fact]
    public void Pauses_are_runs_of_quiet_windows_of_at_least_three_tenths_of_a_second()
    {
        var levels = new AudioLevels(-50, -28, -43);
        float[] w = [-20, -45, -45, -45, -45, -45, -45, -20, -45, -45, -20];
        levels.FindPauses(w).ShouldBe([new Span(0.05, 0.35)]);
    }

    [Fact]
    public void Chapters_start_inside_the_longest_pause_near_each_even_split()
    {
        var pauses = new List<Span> { new(100, 100.4), new(290, 291), new(310, 310.5), new(600, 601.5), new(880, 880.4) };
        var starts = ChapterPlanner.Starts(900, pauses);
        starts.ShouldBe([0, 290.8, 601.3]);
        foreach (var s in starts.Skip(1)) pauses.ShouldContain(p => p.Start <= s && s <= p.End);
        ChapterPlanner.Starts(15, pauses).ShouldBe([0]);
    }

    [Fact]
    public void Finds_spoken_and_written_links()
    {
        ShowNotesWriter.FindLinks("the plans are at workshop dot example dot com and also see kiln.dev/docs.")
            .ShouldBe(["https://workshop.example.com", "https://kiln.dev/docs"]);
        ShowNotesWriter.FindLinks("go to w w w dot example dot org slash show").ShouldBe(["https://www.example.org/show"]);
        ShowNotesWriter.FindLinks("no links here, dot or not").ShouldBeEmpty();
    }

    [Fact]
    public void Finds_guests_introduced_by_the_host()
    {
        ShowNotesWriter.FindGuests("welcome my guest today is maria lopez who builds stations").ShouldBe(["Maria Lopez"]);
        ShowNotesWriter.FindGuests("We are joined by Sam Okafor. Please welcome Lee").ShouldBe(["Sam Okafor", "Lee"]);
        ShowNotesWriter.FindGuests("welcome back everyone to the show").ShouldBeEmpty();
    }

    [Theory]
    [InlineData("Title: \"Kilns and glazes.\"", "Kilns and glazes")]
    [InlineData("next we talk about money and the cost of a station in the spring", "Next we talk about money and the cost")]
    [InlineData("**Firing schedules**\nmore text", "Firing schedules")]
    public void Chapter_titles_are_short_and_clean(string reply, string title) => ShowNotesWriter.CleanTitle(reply).ShouldBe(title);

    [Fact]
    public void Ffmetadata_escapes_special_characters_and_ends_the_last_chapter_at_the_end()
    {
        var text = EpisodeAudio.FfMetadata(new EpisodeTags("A=B; #1", "Show", null), [new EpisodeChapter(0, "Intro"), new EpisodeChapter(12.5, "Q\\A")], 30);
        text.ShouldBe(";FFMETADATA1\ntitle=A\\=B\\; \\#1\nalbum=Show\ngenre=Podcast\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=12500\ntitle=Intro\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=12500\nEND=30000\ntitle=Q\\\\A\n");
    }
}
