using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Kiln.Core.Tests.Support;

/// <summary>
/// Checks an S3 presigned URL's SigV4 query signature the way an S3 server does for a request that arrives with a given
/// <c>Host</c> header. s3rver accepts any v4 signature, so tests that care which host a link was signed for check here.
/// </summary>
public static class SigV4Presigned
{
    public static bool Verifies(Uri url, string method, string host, string secretKey, IReadOnlyDictionary<string, string>? headers = null)
    {
        var query = url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);
        var signature = query["X-Amz-Signature"];
        var date = query["X-Amz-Date"];
        var scope = Uri.UnescapeDataString(query["X-Amz-Credential"]).Split('/', 2)[1]; // yyyyMMdd/region/s3/aws4_request
        var signedHeaders = Uri.UnescapeDataString(query["X-Amz-SignedHeaders"]).Split(';');

        var canonicalQuery = string.Join('&', query.Where(p => p.Key != "X-Amz-Signature")
            .OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        var canonicalHeaders = string.Concat(signedHeaders.Select(h => $"{h}:{(h == "host" ? host : headers?.First(x => x.Key.Equals(h, StringComparison.OrdinalIgnoreCase)).Value.Trim())}\n"));
        var canonicalRequest = $"{method}\n{url.AbsolutePath}\n{canonicalQuery}\n{canonicalHeaders}\n{string.Join(';', signedHeaders)}\nUNSIGNED-PAYLOAD";
        var stringToSign = $"AWS4-HMAC-SHA256\n{date}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

        var key = Encoding.UTF8.GetBytes("AWS4" + secretKey);
        foreach (var part in scope.Split('/')) key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        return string.Equals(expected, signature, StringComparison.Ordinal) && date.Length == 16
            && DateTime.TryParseExact(date, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
    }
}
