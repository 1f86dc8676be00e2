using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Common;

namespace Kiln.Core.Podcasts;

/// <summary>What a client sends to create or replace a show. Missing optional values are empty.</summary>
public sealed record ShowInput(
    string? Title, string? Slug = null, string? Description = null, string? Author = null, string? OwnerName = null, string? OwnerEmail = null,
    string? Language = null, string? Category = null, string? Subcategory = null, bool Explicit = false, string? Type = null,
    string? Link = null, string? Copyright = null, bool Locked = true, string? FundingUrl = null, string? FundingText = null,
    IReadOnlyList<ShowPerson>? Persons = null, bool IsPrivate = false, Guid? ArtworkUploadId = null);

/// <summary>The field rules of a show; every refusal names its field so a form can show it beside the input.</summary>
public static partial class ShowRules
{
    public static readonly IReadOnlyList<string> PersonRoles = ["host", "guest"];
    private static readonly HashSet<string> ReservedSlugs = new(StringComparer.Ordinal) { "private", "new", "edit", "media", "feeds", "api" };
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private const string AccentedLetters = "àáâãäåāăąçćčďđèéêëēėęěìíîïīįıľłñńňòóôõöøōőŕřśšşťùúûüūůűųýÿźżž";
    private const string PlainLetters = "aaaaaaaaacccddeeeeeeeeiiiiiiillnnnoooooooorrssstuuuuuuuuyyzzz";

    public static string SerializePersons(IReadOnlyList<ShowPerson> persons) => JsonSerializer.Serialize(persons, Json);
    public static IReadOnlyList<ShowPerson> Persons(string json) => JsonSerializer.Deserialize<List<ShowPerson>>(json, Json) ?? [];

    /// <summary>A slug from a title: lower-case ASCII letters and digits joined by hyphens.</summary>
    public static string SlugFrom(string title)
    {
        // Latin letters with accents fold to their base letter by table: the host may run with invariant globalization,
        // where Unicode normalization does not decompose them.
        var folded = new System.Text.StringBuilder(title.Length);
        foreach (var c in title.ToLowerInvariant())
        {
            var i = AccentedLetters.IndexOf(c, StringComparison.Ordinal);
            folded.Append(i >= 0 ? PlainLetters[i].ToString() : c == 'ß' ? "ss" : c == 'æ' ? "ae" : c == 'œ' ? "oe" : c.ToString());
        }
        var chars = folded.ToString().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-');
        var slug = Hyphens().Replace(new string(chars.ToArray()), "-").Trim('-');
        if (slug.Length > 60) slug = slug[..60].TrimEnd('-');
        return slug.Length < 3 ? "show-" + Ids.Token(4).ToLowerInvariant().Replace('_', 'x').Replace('-', 'x') : slug;
    }

    /// <summary>The validated, normalized values, or the first field error.</summary>
    public static Result<ShowInput> Validate(ShowInput i)
    {
        var title = i.Title?.Trim() ?? "";
        if (title.Length is 0 or > 255) return PodcastErrors.Invalid("title", "Give the show a title (at most 255 characters).");
        var slug = string.IsNullOrWhiteSpace(i.Slug) ? SlugFrom(title) : i.Slug.Trim().ToLowerInvariant();
        if (!SlugPattern().IsMatch(slug))
            return PodcastErrors.Invalid("slug", "The address may use a–z, 0–9 and hyphens, 3 to 64 characters, starting and ending with a letter or digit.");
        if (ReservedSlugs.Contains(slug)) return PodcastErrors.Invalid("slug", $"'{slug}' is reserved; choose another address.");
        var description = i.Description?.Trim() ?? "";
        if (description.Length > 4000) return PodcastErrors.Invalid("description", "Apple shows at most 4,000 characters of description; shorten it.");
        var ownerEmail = i.OwnerEmail?.Trim() ?? "";
        if (ownerEmail.Length > 0 && !EmailPattern().IsMatch(ownerEmail)) return PodcastErrors.Invalid("owner_email", $"'{ownerEmail}' is not an email address.");
        var language = string.IsNullOrWhiteSpace(i.Language) ? "en" : i.Language.Trim();
        if (!LanguagePattern().IsMatch(language)) return PodcastErrors.Invalid("language", $"'{language}' is not a language code; use one like en, en-US or fr.");
        var category = i.Category?.Trim();
        var subcategory = string.IsNullOrWhiteSpace(i.Subcategory) ? null : i.Subcategory.Trim();
        if (AppleCategories.Check(category, subcategory) is { } categoryError) return PodcastErrors.Invalid(subcategory is not null && category is not null && AppleCategories.All.ContainsKey(category) ? "subcategory" : "category", categoryError);
        var type = string.IsNullOrWhiteSpace(i.Type) ? "episodic" : i.Type.Trim().ToLowerInvariant();
        if (!EnumNames.TryParse<ShowType>(type, out _)) return PodcastErrors.Invalid("type", "The show type is 'episodic' (newest first) or 'serial' (in order).");
        var link = Blank(i.Link);
        if (link is not null && !IsWebUrl(link)) return PodcastErrors.Invalid("link", "The website must be an absolute http:// or https:// address.");
        var fundingUrl = Blank(i.FundingUrl);
        if (fundingUrl is not null && !IsWebUrl(fundingUrl)) return PodcastErrors.Invalid("funding_url", "The funding link must be an absolute http:// or https:// address.");
        var fundingText = Blank(i.FundingText);
        if (fundingText is { Length: > 128 }) return PodcastErrors.Invalid("funding_text", "Keep the funding text under 128 characters (the Podcasting 2.0 limit).");
        if (fundingText is not null && fundingUrl is null) return PodcastErrors.Invalid("funding_url", "Add the funding link the text points to.");
        var persons = new List<ShowPerson>();
        foreach (var p in i.Persons ?? [])
        {
            var name = p.Name?.Trim() ?? "";
            if (name.Length is 0 or > 128) return PodcastErrors.Invalid("persons", "Every person needs a name (at most 128 characters).");
            var role = (p.Role ?? "host").Trim().ToLowerInvariant();
            if (!PersonRoles.Contains(role)) return PodcastErrors.Invalid("persons", $"{name}'s role must be host or guest.");
            var href = Blank(p.Href);
            var img = Blank(p.Img);
            if ((href is not null && !IsWebUrl(href)) || (img is not null && !IsWebUrl(img)))
                return PodcastErrors.Invalid("persons", $"{name}'s link and picture must be absolute http:// or https:// addresses.");
            persons.Add(new ShowPerson(name, role, href, img));
        }
        if (persons.Count > 50) return PodcastErrors.Invalid("persons", "A show lists at most 50 people.");
        var author = Blank(i.Author) ?? Blank(i.OwnerName) ?? "";
        if (author.Length > 255 || (i.OwnerName?.Trim().Length ?? 0) > 255) return PodcastErrors.Invalid("author", "Keep names under 255 characters.");
        var copyright = Blank(i.Copyright);
        if (copyright is { Length: > 500 }) return PodcastErrors.Invalid("copyright", "Keep the copyright line under 500 characters.");

        return i with
        {
            Title = title, Slug = slug, Description = description, Author = author, OwnerName = i.OwnerName?.Trim() ?? "", OwnerEmail = ownerEmail,
            Language = language, Category = category, Subcategory = subcategory, Type = type, Link = link, Copyright = copyright,
            FundingUrl = fundingUrl, FundingText = fundingText, Persons = persons,
        };
    }

    public static void Apply(Show show, ShowInput v)
    {
        show.Title = v.Title!;
        show.Slug = v.Slug!;
        show.Description = v.Description ?? "";
        show.Author = v.Author ?? "";
        show.OwnerName = v.OwnerName ?? "";
        show.OwnerEmail = v.OwnerEmail ?? "";
        show.Language = v.Language!;
        show.Category = v.Category!;
        show.Subcategory = v.Subcategory;
        show.Explicit = v.Explicit;
        show.Type = EnumNames.TryParse<ShowType>(v.Type, out var type) ? type : ShowType.Episodic;
        show.Link = v.Link;
        show.Copyright = v.Copyright;
        show.Locked = v.Locked;
        show.FundingUrl = v.FundingUrl;
        show.FundingText = v.FundingText;
        show.PersonsJson = SerializePersons(v.Persons ?? []);
        show.IsPrivate = v.IsPrivate;
    }

    public static bool IsWebUrl(string s) =>
        s.Length <= 2000 && Uri.TryCreate(s, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp) && u.Host.Length > 0;

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{1,62})[a-z0-9]$")]
    private static partial Regex SlugPattern();
    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();
    [GeneratedRegex("^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")]
    private static partial Regex LanguagePattern();
    [GeneratedRegex("-{2,}")]
    private static partial Regex Hyphens();
}
