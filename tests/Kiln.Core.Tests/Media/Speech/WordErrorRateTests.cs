using Kiln.Core.Media.Speech;

namespace Kiln.Core.Tests.Media.Speech;

public sealed class WordErrorRateTests
{
    [Theory]
    [InlineData("the cat sat", "the cat sat", 0)]
    [InlineData("The cat, sat!", "the  CAT sat", 0)]
    [InlineData("the cat sat down", "the dog sat down", 0.25)]
    [InlineData("the cat sat down", "the cat down", 0.25)]
    [InlineData("the cat sat down", "the cat sat right down", 0.25)]
    [InlineData("don't stop", "dont stop", 0.5)]
    [InlineData("Don’t stop", "don't stop", 0)]
    [InlineData("one two", "three four five", 1.5)]
    [InlineData("", "", 0)]
    [InlineData("", "noise", 1)]
    [InlineData("pod-cast", "pod cast", 0)]
    public void Counts_substitutions_deletions_and_insertions_over_normalised_reference_words(string reference, string hypothesis, double expected) =>
        WordErrorRate.Compute(reference, hypothesis).ShouldBe(expected, 1e-9);
}
