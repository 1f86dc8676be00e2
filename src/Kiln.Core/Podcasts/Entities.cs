namespace Kiln.Core.Podcasts;

public enum ShowType { Episodic = 0, Serial = 1 }

public enum EpisodeType { Full = 0, Trailer = 1, Bonus = 2 }

/// <summary>draft → processing → ready → scheduled → published; a failed job sends an episode back to draft.</summary>
public enum EpisodeStatus { Draft = 0, Processing = 1, Ready = 2, Scheduled = 3, Published = 4 }

/// <summary>A person credited on a show (Podcasting 2.0 <c>podcast:person</c>).</summary>
public sealed record ShowPerson(string Name, string Role, string? Href = null, string? Img = null);

/// <summary>A podcast: what its RSS feed says about it, and where the feed lives.</summary>
public sealed class Show
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    /// <summary>The public name in URLs: <c>/feeds/{slug}.xml</c>, <c>/podcasts/{slug}</c>. Unique across the installation.</summary>
    public required string Slug { get; set; }
    public required string Title { get; set; }
    public string Description { get; set; } = "";
    public string Author { get; set; } = "";
    public string OwnerName { get; set; } = "";
    public string OwnerEmail { get; set; } = "";
    /// <summary>The artwork's blob (copied from the upload, so the upload's expiry does not take it away).</summary>
    public string? ArtworkKey { get; set; }
    public string? ArtworkContentType { get; set; }
    public int? ArtworkSize { get; set; }
    /// <summary>Changes with every new artwork, so its public URL changes and caches do not serve the old picture.</summary>
    public string? ArtworkVersion { get; set; }
    public string Language { get; set; } = "en";
    public required string Category { get; set; }
    public string? Subcategory { get; set; }
    public bool Explicit { get; set; }
    public ShowType Type { get; set; }
    public string? Link { get; set; }
    public string? Copyright { get; set; }
    /// <summary>Podcasting 2.0 <c>podcast:guid</c>: UUIDv5 of the first feed URL; never changes afterwards.</summary>
    public Guid PodcastGuid { get; set; }
    /// <summary><c>podcast:locked</c>: other platforms may not import the feed.</summary>
    public bool Locked { get; set; }
    public string? FundingUrl { get; set; }
    public string? FundingText { get; set; }
    /// <summary><see cref="ShowPerson"/> list as JSON.</summary>
    public string PersonsJson { get; set; } = "[]";
    /// <summary>A private show's feed lives only at <c>/feeds/private/{token}.xml</c>; its public pages answer 404.</summary>
    public bool IsPrivate { get; set; }
    public required string FeedToken { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Any change to the show or its episodes that alters the feed; the feed's Last-Modified.</summary>
    public DateTime UpdatedAt { get; set; }
}

public sealed class Episode
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid ShowId { get; set; }
    /// <summary>The RSS item guid; set once and never changed, so apps never see an episode twice.</summary>
    public required string ItemGuid { get; set; }
    public required string Title { get; set; }
    /// <summary>Markdown; rendered with raw HTML disabled.</summary>
    public string ShowNotes { get; set; } = "";
    public int? Season { get; set; }
    public int? Number { get; set; }
    public EpisodeType Type { get; set; }
    public bool Explicit { get; set; }
    public EpisodeStatus Status { get; set; }
    /// <summary>When a scheduled episode goes out.</summary>
    public DateTime? PublishAt { get; set; }
    public DateTime? PublishedAt { get; set; }
    public Guid? UploadId { get; set; }
    public Guid? JobId { get; set; }
    /// <summary>Why processing failed (the job's error), shown in the editor until the next attempt.</summary>
    public string? Error { get; set; }
    public string? AudioKey { get; set; }
    public string? AudioContentType { get; set; }
    public long? AudioSize { get; set; }
    public double? DurationSeconds { get; set; }
    public string? PeaksKey { get; set; }
    /// <summary>The episode's own artwork (a copy under the show, like the show's); the feed's item <c>itunes:image</c>.</summary>
    public string? ArtworkKey { get; set; }
    public string? ArtworkContentType { get; set; }
    /// <summary>Changes with every new picture, so its public URL changes too.</summary>
    public string? ArtworkVersion { get; set; }
    /// <summary>The image upload the artwork came from: handed to the processing job so the MP3's ID3 tags carry it.</summary>
    public Guid? ArtworkUploadId { get; set; }
    /// <summary>The transcript as WebVTT: the job's, or the user's edited version.</summary>
    public string? TranscriptVtt { get; set; }
    /// <summary>Podcasting 2.0 JSON chapters: the job's, or the user's edited version.</summary>
    public string? ChaptersJson { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public bool HasAudio => AudioKey is not null;
}

/// <summary>
/// One counted download: an episode, a UTC day and an anonymous listener (a hash of IP + user agent with that day's
/// salt). Unique per (episode, day, listener), so repeated and ranged requests count once a day.
/// </summary>
public sealed class EpisodeDownload
{
    public long Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid ShowId { get; set; }
    public Guid EpisodeId { get; set; }
    public DateTime Day { get; set; }
    public required string Listener { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>The random salt of one UTC day. Deleted after two days, which makes that day's listener hashes unlinkable.</summary>
public sealed class DownloadSalt
{
    public DateTime Day { get; set; }
    public required byte[] Salt { get; set; }
}
