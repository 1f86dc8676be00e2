using System.Globalization;
using System.Text;
using System.Xml;
using Markdig;

namespace Kiln.Core.Podcasts;

/// <summary>
/// Writes a show's RSS 2.0 feed with the tags Apple Podcasts requires and recommends (itunes namespace) and the
/// Podcasting 2.0 tags (podcast namespace): guid, locked, funding, person, transcript, chapters. Item guids are the
/// episodes' stable guids (isPermaLink="false"); enclosures carry the exact byte length and type.
/// </summary>
public static class FeedWriter
{
    public const string Itunes = "http://www.itunes.com/dtds/podcast-1.0.dtd";
    public const string Podcast = "https://podcastindex.org/namespace/1.0";
    public const string Content = "http://purl.org/rss/1.0/modules/content/";
    public const string Atom = "http://www.w3.org/2005/Atom";

    // The same safe Markdown settings as the job page: raw HTML in show notes is never passed through.
    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().DisableHtml().Build();

    public static string NotesHtml(string markdown) => Markdig.Markdown.ToHtml(markdown ?? "", Markdown);

    public static byte[] Write(Show show, IReadOnlyList<Episode> episodes, Uri publicBase, string feedUrl)
    {
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, Async = false };
        using var buffer = new MemoryStream();
        using (var w = XmlWriter.Create(buffer, settings))
        {
            w.WriteStartDocument();
            w.WriteStartElement("rss");
            w.WriteAttributeString("version", "2.0");
            w.WriteAttributeString("xmlns", "itunes", null, Itunes);
            w.WriteAttributeString("xmlns", "podcast", null, Podcast);
            w.WriteAttributeString("xmlns", "content", null, Content);
            w.WriteAttributeString("xmlns", "atom", null, Atom);
            w.WriteStartElement("channel");

            w.WriteStartElement("atom", "link", Atom);
            w.WriteAttributeString("href", feedUrl);
            w.WriteAttributeString("rel", "self");
            w.WriteAttributeString("type", "application/rss+xml");
            w.WriteEndElement();
            w.WriteElementString("title", show.Title);
            w.WriteElementString("description", string.IsNullOrWhiteSpace(show.Description) ? show.Title : show.Description);
            w.WriteElementString("link", show.Link ?? PodcastUrls.ShowPage(publicBase, show.Slug));
            w.WriteElementString("language", show.Language);
            if (show.Copyright is not null) w.WriteElementString("copyright", show.Copyright);
            w.WriteElementString("generator", "Kiln");
            var last = episodes.Select(e => e.PublishedAt).Max() ?? show.UpdatedAt;
            w.WriteElementString("lastBuildDate", Rfc822(show.UpdatedAt > last ? show.UpdatedAt : last));
            if (show.ArtworkKey is not null)
            {
                var art = PodcastUrls.Artwork(publicBase, show);
                w.WriteStartElement("image");
                w.WriteElementString("url", art);
                w.WriteElementString("title", show.Title);
                w.WriteElementString("link", show.Link ?? PodcastUrls.ShowPage(publicBase, show.Slug));
                w.WriteEndElement();
                w.WriteStartElement("itunes", "image", Itunes);
                w.WriteAttributeString("href", art);
                w.WriteEndElement();
            }
            w.WriteStartElement("itunes", "category", Itunes);
            w.WriteAttributeString("text", show.Category);
            if (show.Subcategory is not null)
            {
                w.WriteStartElement("itunes", "category", Itunes);
                w.WriteAttributeString("text", show.Subcategory);
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteElementString("itunes", "explicit", Itunes, show.Explicit ? "true" : "false");
            w.WriteElementString("itunes", "author", Itunes, string.IsNullOrEmpty(show.Author) ? show.Title : show.Author);
            if (show.OwnerEmail.Length > 0)
            {
                w.WriteStartElement("itunes", "owner", Itunes);
                w.WriteElementString("itunes", "name", Itunes, string.IsNullOrEmpty(show.OwnerName) ? show.Author : show.OwnerName);
                w.WriteElementString("itunes", "email", Itunes, show.OwnerEmail);
                w.WriteEndElement();
            }
            w.WriteElementString("itunes", "type", Itunes, show.Type == ShowType.Serial ? "serial" : "episodic");
            w.WriteElementString("podcast", "guid", Podcast, show.PodcastGuid.ToString());
            w.WriteStartElement("podcast", "locked", Podcast);
            if (show.OwnerEmail.Length > 0) w.WriteAttributeString("owner", show.OwnerEmail);
            w.WriteString(show.Locked ? "yes" : "no");
            w.WriteEndElement();
            if (show.FundingUrl is not null)
            {
                w.WriteStartElement("podcast", "funding", Podcast);
                w.WriteAttributeString("url", show.FundingUrl);
                w.WriteString(show.FundingText ?? "Support the show");
                w.WriteEndElement();
            }
            foreach (var p in ShowRules.Persons(show.PersonsJson)) WritePerson(w, p);

            foreach (var e in episodes.Where(e => e.HasAudio)) WriteItem(w, show, e, publicBase);

            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndDocument();
        }
        return buffer.ToArray();
    }

    private static void WriteItem(XmlWriter w, Show show, Episode e, Uri b)
    {
        w.WriteStartElement("item");
        if (e.ArtworkKey is not null)
        {
            w.WriteStartElement("itunes", "image", Itunes);
            w.WriteAttributeString("href", PodcastUrls.EpisodeArtwork(b, show.Slug, e));
            w.WriteEndElement();
        }
        w.WriteElementString("title", e.Title);
        w.WriteElementString("itunes", "title", Itunes, e.Title);
        var html = NotesHtml(e.ShowNotes);
        w.WriteElementString("description", string.IsNullOrWhiteSpace(e.ShowNotes) ? e.Title : html);
        if (!string.IsNullOrWhiteSpace(e.ShowNotes))
        {
            w.WriteStartElement("content", "encoded", Content);
            w.WriteCData(html.Replace("]]>", "]]]]><![CDATA[>", StringComparison.Ordinal));
            w.WriteEndElement();
        }
        w.WriteElementString("link", PodcastUrls.EpisodePage(b, show.Slug, e.ItemGuid));
        w.WriteStartElement("guid");
        w.WriteAttributeString("isPermaLink", "false");
        w.WriteString(e.ItemGuid);
        w.WriteEndElement();
        w.WriteElementString("pubDate", Rfc822(e.PublishedAt ?? e.UpdatedAt));
        w.WriteStartElement("enclosure");
        w.WriteAttributeString("url", PodcastUrls.Audio(b, show.Slug, e));
        w.WriteAttributeString("length", (e.AudioSize ?? 0).ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("type", e.AudioContentType ?? "audio/mpeg");
        w.WriteEndElement();
        if (e.DurationSeconds is { } d) w.WriteElementString("itunes", "duration", Itunes, ((long)Math.Round(d)).ToString(CultureInfo.InvariantCulture));
        w.WriteElementString("itunes", "explicit", Itunes, e.Explicit ? "true" : "false");
        w.WriteElementString("itunes", "episodeType", Itunes, e.Type switch { EpisodeType.Trailer => "trailer", EpisodeType.Bonus => "bonus", _ => "full" });
        if (e.Season is { } season) w.WriteElementString("itunes", "season", Itunes, season.ToString(CultureInfo.InvariantCulture));
        if (e.Number is { } number) w.WriteElementString("itunes", "episode", Itunes, number.ToString(CultureInfo.InvariantCulture));
        if (e.TranscriptVtt is not null)
        {
            foreach (var (format, type) in new[] { ("vtt", "text/vtt"), ("srt", "application/srt"), ("json", "application/json") })
            {
                w.WriteStartElement("podcast", "transcript", Podcast);
                w.WriteAttributeString("url", PodcastUrls.Transcript(b, show.Slug, e.ItemGuid, format));
                w.WriteAttributeString("type", type);
                w.WriteAttributeString("language", show.Language);
                if (format == "srt") w.WriteAttributeString("rel", "captions");
                w.WriteEndElement();
            }
        }
        if (e.ChaptersJson is not null)
        {
            w.WriteStartElement("podcast", "chapters", Podcast);
            w.WriteAttributeString("url", PodcastUrls.Chapters(b, show.Slug, e.ItemGuid));
            w.WriteAttributeString("type", "application/json+chapters");
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    private static void WritePerson(XmlWriter w, ShowPerson p)
    {
        w.WriteStartElement("podcast", "person", Podcast);
        w.WriteAttributeString("role", p.Role);
        w.WriteAttributeString("group", "cast");
        if (p.Img is not null) w.WriteAttributeString("img", p.Img);
        if (p.Href is not null) w.WriteAttributeString("href", p.Href);
        w.WriteString(p.Name);
        w.WriteEndElement();
    }

    public static string Rfc822(DateTime utc) => utc.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss", CultureInfo.InvariantCulture) + " +0000";
}
