namespace Kiln.Core.Podcasts;

/// <summary>The public URLs of a show and its episodes. They are stable: a podcast app keeps them for years.</summary>
public static class PodcastUrls
{
    public static string Feed(Uri b, string slug) => Abs(b, $"feeds/{slug}.xml");
    public static string PrivateFeed(Uri b, string token) => Abs(b, $"feeds/private/{token}.xml");
    public static string ShowPage(Uri b, string slug) => Abs(b, $"podcasts/{slug}");
    public static string EpisodePage(Uri b, string slug, string itemGuid) => Abs(b, $"podcasts/{slug}/{itemGuid}");
    public static string Artwork(Uri b, Show s) => Abs(b, $"media/{s.Slug}/artwork-{s.ArtworkVersion}{(s.ArtworkContentType == "image/png" ? ".png" : ".jpg")}");
    public static string EpisodeArtwork(Uri b, string slug, Episode e) =>
        Abs(b, $"media/{slug}/{e.ItemGuid}.artwork-{e.ArtworkVersion}{(e.ArtworkContentType == "image/png" ? ".png" : ".jpg")}");
    public static string Audio(Uri b, string slug, Episode e) => Abs(b, $"media/{slug}/{e.ItemGuid}{AudioExtension(e.AudioContentType)}");
    public static string Transcript(Uri b, string slug, string itemGuid, string format) => Abs(b, $"media/{slug}/{itemGuid}.transcript.{format}");
    public static string Chapters(Uri b, string slug, string itemGuid) => Abs(b, $"media/{slug}/{itemGuid}.chapters.json");
    public static string Peaks(Uri b, string slug, string itemGuid) => Abs(b, $"media/{slug}/{itemGuid}.peaks.json");

    public static string AudioExtension(string? contentType) => contentType switch
    {
        "audio/mp4" or "audio/x-m4a" => ".m4a",
        _ => ".mp3",
    };

    private static string Abs(Uri b, string path) => b.AbsoluteUri.TrimEnd('/') + "/" + path;
}
