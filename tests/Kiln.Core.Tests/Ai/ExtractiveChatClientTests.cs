using Kiln.Core.Ai;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.AI;

namespace Kiln.Core.Tests.Ai;

public sealed class ExtractiveChatClientTests
{
    private static ChatOptions Dialogue(string style = "conversational", int turns = 4) => new()
    {
        AdditionalProperties = new AdditionalPropertiesDictionary
        {
            [ChatHints.Task] = ChatHints.DialogueTask,
            [ChatHints.Hosts] = "Ada|Ben",
            [ChatHints.Title] = "Kilns",
            [ChatHints.Style] = style,
            [ChatHints.MaxTurns] = turns.ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
    };

    private static ChatMessage[] Messages() =>
    [
        new(ChatRole.System, "You write podcast scripts."),
        new(ChatRole.User, $"Chapter 1 of 1: Kilns\n{ChatHints.SourceStart}\n{SampleText.KilnParagraph}\n{ChatHints.SourceEnd}"),
    ];

    [Fact]
    public async Task Is_deterministic()
    {
        using var client = new ExtractiveChatClient();
        var ct = TestContext.Current.CancellationToken;
        var first = (await client.GetResponseAsync(Messages(), Dialogue(), ct)).Text;
        for (var i = 0; i < 3; i++)
            (await new ExtractiveChatClient().GetResponseAsync(Messages(), Dialogue(), ct)).Text.ShouldBe(first);
    }

    [Fact]
    public async Task Writes_a_question_and_answer_conversation_that_alternates_hosts_and_never_repeats_a_filler()
    {
        using var client = new ExtractiveChatClient();
        var text = (await client.GetResponseAsync(Messages(), Dialogue(turns: 8), TestContext.Current.CancellationToken)).Text;
        var lines = text.Split('\n');
        lines[0].ShouldStartWith("Ada: ");
        lines[0].ShouldContain("Kilns");
        var speakers = lines.Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).ToList();
        speakers.ShouldAllBe(s => s == "Ada" || s == "Ben");
        for (var i = 1; i < speakers.Count; i++) speakers[i].ShouldNotBe(speakers[i - 1]);
        lines.Count(l => l.TrimEnd().EndsWith('?')).ShouldBeGreaterThan(0);
        var openings = lines.Select(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 2)..].Split(' ')[0]).ToList();
        for (var i = 1; i < openings.Count; i++) (openings[i] == openings[i - 1] && openings[i] is "Okay." or "Got" or "Noted.").ShouldBeFalse();
        text.ShouldNotContain("That's a key point.");
        text.ShouldNotContain("Bananas");
        text.ShouldNotContain(ChatHints.SourceStart);
    }

    [Fact]
    public async Task Lecture_style_lets_the_first_host_explain()
    {
        using var client = new ExtractiveChatClient();
        var text = (await client.GetResponseAsync(Messages(), Dialogue("lecture"), TestContext.Current.CancellationToken)).Text;
        var lines = text.Split('\n');
        lines.Where(l => l.StartsWith("Ben:", StringComparison.Ordinal)).Skip(0).Take(2).ShouldAllBe(l => l.TrimEnd().EndsWith('?') || l.TrimEnd().EndsWith('.'));
        lines.Count(l => l.StartsWith("Ada:", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public async Task Without_hints_it_summarizes_in_document_order()
    {
        using var client = new ExtractiveChatClient();
        var text = (await client.GetResponseAsync([new ChatMessage(ChatRole.User, SampleText.KilnParagraph)], null, TestContext.Current.CancellationToken)).Text;
        var picked = TextRank.SplitSentences(text);
        picked.Count.ShouldBeLessThanOrEqualTo(8);
        picked.Select(s => Array.IndexOf(SampleText.Kilns, s)).ShouldBeInOrder();
        picked.ShouldNotContain("Bananas are yellow.");
    }

    [Fact]
    public async Task Streaming_returns_the_same_text()
    {
        using var client = new ExtractiveChatClient();
        var ct = TestContext.Current.CancellationToken;
        var full = (await client.GetResponseAsync(Messages(), Dialogue(), ct)).Text;
        var streamed = string.Concat(await client.GetStreamingResponseAsync(Messages(), Dialogue(), ct).Select(u => u.Text).ToListAsync(ct));
        streamed.ShouldBe(full);
    }

    [Fact]
    public void Sentence_splitting_keeps_abbreviations_in_lowercase_context()
    {
        TextRank.SplitSentences("Use a cone, e.g. a small one. Then fire it! Done?  \"Yes.\" Next").ShouldBe(
            ["Use a cone, e.g. a small one.", "Then fire it!", "Done?", "\"Yes.\"", "Next"]);
    }
}
