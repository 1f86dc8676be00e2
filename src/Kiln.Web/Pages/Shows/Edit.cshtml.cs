using Kiln.Core.Common;
using Kiln.Core.Podcasts;
using Kiln.Web.Api;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Shows;

/// <summary>Create or edit a show. Every refusal of the use case is shown beside the field it concerns.</summary>
public sealed class EditModel(GetShowQuery get) : KilnPageModel
{
    [BindProperty(SupportsGet = true)] public Guid? Id { get; set; }
    [BindProperty] public string? Title { get; set; }
    [BindProperty] public string? Slug { get; set; }
    [BindProperty] public string? Description { get; set; }
    [BindProperty] public string? Author { get; set; }
    [BindProperty] public string? OwnerName { get; set; }
    [BindProperty] public string? OwnerEmail { get; set; }
    [BindProperty] public string Language { get; set; } = "en";
    [BindProperty] public string? Category { get; set; }
    [BindProperty] public bool Explicit { get; set; }
    [BindProperty] public string Type { get; set; } = "episodic";
    [BindProperty] public string? Link { get; set; }
    [BindProperty] public string? Copyright { get; set; }
    [BindProperty] public bool Locked { get; set; } = true;
    [BindProperty] public string? FundingUrl { get; set; }
    [BindProperty] public string? FundingText { get; set; }
    /// <summary>One person a line: "Name, host|guest[, link]".</summary>
    [BindProperty] public string? Persons { get; set; }
    [BindProperty] public bool IsPrivate { get; set; }
    [BindProperty] public Guid? ArtworkUploadId { get; set; }
    public string? ArtworkUrl { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (Id is not { } id) return Page();
        var r = await get.Run(Me.Caller, id, ct);
        if (r.Error is not null) return NotFoundPage();
        var s = r.Value!;
        (Title, Slug, Description, Author, OwnerName, OwnerEmail, Language) = (s.Title, s.Slug, s.Description, s.Author, s.OwnerName, s.OwnerEmail, s.Language);
        Category = s.Subcategory is null ? s.Category : $"{s.Category}|{s.Subcategory}";
        (Explicit, Type, Link, Copyright, Locked, FundingUrl, FundingText, IsPrivate) = (s.Explicit, s.Type.WireName(), s.Link, s.Copyright, s.Locked, s.FundingUrl, s.FundingText, s.IsPrivate);
        Persons = string.Join("\n", ShowRules.Persons(s.PersonsJson).Select(p => p.Href is null ? $"{p.Name}, {p.Role}" : $"{p.Name}, {p.Role}, {p.Href}"));
        ArtworkUrl = s.ArtworkKey is null ? null : PodcastUrls.Artwork(PodcastBase.Of(HttpContext), s);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromServices] CreateShowCommand create, [FromServices] UpdateShowCommand update, CancellationToken ct)
    {
        ModelState.Clear();
        var parts = (Category ?? "").Split('|', 2);
        var persons = (Persons ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(',', StringSplitOptions.TrimEntries))
            .Select(f => new ShowPerson(f[0], f.Length > 1 ? f[1] : "host", f.Length > 2 && f[2].Length > 0 ? f[2] : null)).ToList();
        var input = new ShowInput(Title, Slug, Description, Author, OwnerName, OwnerEmail, Language, parts[0], parts.Length > 1 ? parts[1] : null, Explicit, Type,
            Link, Copyright, Locked, FundingUrl, FundingText, persons, IsPrivate, ArtworkUploadId);
        var result = Id is { } id ? await update.Run(Me.Caller, id, input, ct) : await create.Run(Me.Caller, input, PodcastBase.Of(HttpContext), ct);
        if (result.Error is { Kind: ErrorKind.NotFound, Code: "not_found" } && Id is not null) return NotFoundPage();
        if (result.Error is { } e)
        {
            var field = e.Extensions?.GetValueOrDefault("field") as string;
            ModelState.AddModelError(e.Code == "artwork_invalid" ? nameof(ArtworkUploadId) : FieldFor(field), e.Message);
            return Page();
        }
        TempData["Flash"] = Id is null ? $"“{result.Value!.Title}” is created. Add its first episode below." : "Show saved.";
        return Redirect($"/shows/{result.Value!.Id}");
    }

    private static string FieldFor(string? field) => field switch
    {
        "title" => nameof(Title), "slug" => nameof(Slug), "description" => nameof(Description), "owner_email" => nameof(OwnerEmail),
        "language" => nameof(Language), "category" or "subcategory" => nameof(Category), "type" => nameof(Type), "link" => nameof(Link),
        "funding_url" => nameof(FundingUrl), "funding_text" => nameof(FundingText), "persons" => nameof(Persons), "author" => nameof(Author),
        "copyright" => nameof(Copyright), "artwork" => nameof(ArtworkUploadId), _ => "",
    };
}
