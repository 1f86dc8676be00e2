namespace Kiln.Core.Podcasts;

/// <summary>
/// Apple Podcasts' category list (the one Apple Podcasts Connect accepts, with the 2019 revision). A feed with another
/// category is rejected by Apple, so shows are validated against this table; names are written exactly as here
/// (ampersands included — the feed writer escapes them).
/// </summary>
public static class AppleCategories
{
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> All = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        ["Arts"] = ["Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"],
        ["Business"] = ["Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"],
        ["Comedy"] = ["Comedy Interviews", "Improv", "Stand-Up"],
        ["Education"] = ["Courses", "How To", "Language Learning", "Self-Improvement"],
        ["Fiction"] = ["Comedy Fiction", "Drama", "Science Fiction"],
        ["Government"] = [],
        ["History"] = [],
        ["Health & Fitness"] = ["Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"],
        ["Kids & Family"] = ["Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"],
        ["Leisure"] = ["Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden", "Video Games"],
        ["Music"] = ["Music Commentary", "Music History", "Music Interviews"],
        ["News"] = ["Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News", "Tech News"],
        ["Religion & Spirituality"] = ["Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality"],
        ["Science"] = ["Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics", "Natural Sciences", "Nature", "Physics", "Social Sciences"],
        ["Society & Culture"] = ["Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"],
        ["Sports"] = ["Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby", "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling"],
        ["Technology"] = [],
        ["True Crime"] = [],
        ["TV & Film"] = ["After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"],
    };

    /// <summary>Null when (category, subcategory) is on Apple's list, else a sentence saying what is.</summary>
    public static string? Check(string? category, string? subcategory)
    {
        if (string.IsNullOrWhiteSpace(category) || !All.TryGetValue(category, out var subs))
            return $"'{category}' is not an Apple Podcasts category. Choose one of: {string.Join(", ", All.Keys)}.";
        if (string.IsNullOrEmpty(subcategory)) return null;
        if (subs.Count == 0) return $"{category} has no subcategories on Apple Podcasts; leave the subcategory empty.";
        return subs.Contains(subcategory, StringComparer.Ordinal) ? null
            : $"'{subcategory}' is not a subcategory of {category}. Choose one of: {string.Join(", ", subs)}.";
    }
}
