namespace Kiln.Core.Storage;

/// <summary>
/// What a blob key may look like. Keys become file paths in the local store and URL paths everywhere, so the
/// alphabet is deliberately small: no "..", no absolute paths, no segments starting with '.' (those are reserved
/// for the local store's temp files and multipart staging).
/// </summary>
public static class BlobKeyRules
{
    public const int MaxLength = 600;

    public static bool IsValid(string? key, bool allowTrailingSlash = false)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength) return false;
        var body = allowTrailingSlash && key.EndsWith('/') ? key[..^1] : key;
        if (body.Length == 0) return false;
        foreach (var segment in body.Split('/'))
        {
            if (segment.Length == 0 || segment[0] == '.') return false;
            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '+' or '=' or '@' or '~')) return false;
            }
        }
        return true;
    }

    public static void Ensure(string key, bool allowTrailingSlash = false)
    {
        if (!IsValid(key, allowTrailingSlash)) throw new ArgumentException($"Invalid blob key '{key}'.", nameof(key));
    }

    /// <summary>The key as a URL path, each segment escaped.</summary>
    public static string ToUrlPath(string key) => string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
}
