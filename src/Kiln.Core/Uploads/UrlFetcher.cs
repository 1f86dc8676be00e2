using System.Net;
using Kiln.Core.Common;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Uploads;

/// <summary>An expected failure while fetching a link, carrying the stable error to answer with.</summary>
public sealed class UrlFetchException(Error error) : Exception(error.Message)
{
    public Error Error { get; } = error;
}

/// <summary>A successful (2xx) response to a fetched link, after following redirects; the body is not read yet.</summary>
public sealed class UrlResponse(Uri finalUri, HttpResponseMessage message) : IDisposable
{
    public Uri FinalUri { get; } = finalUri;
    public HttpResponseMessage Message { get; } = message;
    public void Dispose() => Message.Dispose();
}

/// <summary>
/// Fetches user-given links server-side without letting them reach inside the network (SSRF). Every connection —
/// the first one and the one after each redirect — goes through <see cref="GuardedConnector"/>, which resolves the host
/// itself, connects only to addresses <see cref="UrlAddressPolicy"/> allows, and checks the address actually
/// connected to; so a DNS answer that changes between a check and the connect (rebinding) cannot slip through.
/// No proxy is used (the check would then see the proxy), redirects are followed here (at most
/// <see cref="MaxRedirects"/>, each re-validated), and bodies are never decompressed or buffered.
/// </summary>
public sealed class UrlFetcher : IDisposable
{
    public const int MaxRedirects = 5;
    public const int MaxUrlLength = 2000;
    private const string UserAgent = "Kiln-UrlImport/1.0";
    private readonly HttpClient _http;
    private readonly Func<IPAddress, bool> _allowed;

    public UrlFetcher(IOptions<UploadOptions> options)
        : this(options.Value.AllowPrivateUrls ? _ => true : UrlAddressPolicy.IsPublic)
    {
    }

    /// <summary>With a custom address check, so tests can allow one loopback address and refuse another.</summary>
    internal UrlFetcher(Func<IPAddress, bool> allowed)
    {
        _allowed = allowed;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = ConnectAsync,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
            MaxResponseHeadersLength = 64,
        };
        // The caller's token carries the total time limit; HttpClient's own timeout would cut off a long body.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>An absolute http(s) URL without credentials, at most <see cref="MaxUrlLength"/> characters.</summary>
    public static Result<Uri> Parse(string? url)
    {
        url = url?.Trim();
        if (string.IsNullOrEmpty(url)) return UploadErrors.UrlInvalid("Give the link to a file, starting with https:// or http://.");
        if (url.Length > MaxUrlLength) return UploadErrors.UrlInvalid($"The link is longer than {MaxUrlLength} characters.");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.IsFile || uri.IsUnc)
            return UploadErrors.UrlInvalid("That is not a valid link; it should look like https://example.com/paper.pdf.");
        return Check(uri);
    }

    private static Result<Uri> Check(Uri uri)
    {
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            return UploadErrors.UrlInvalid($"Only http:// and https:// links can be fetched, not {uri.Scheme}://.");
        if (uri.UserInfo.Length > 0) return UploadErrors.UrlInvalid("Links with a user name or password in them are not accepted.");
        if (uri.Host.Length == 0) return UploadErrors.UrlInvalid("The link has no host name.");
        if (uri.OriginalString.Length > MaxUrlLength) return UploadErrors.UrlInvalid($"The link is longer than {MaxUrlLength} characters.");
        return uri;
    }

    /// <summary>
    /// GETs <paramref name="url"/>, following redirects, and returns the final 2xx response with only its headers
    /// read. Throws <see cref="UrlFetchException"/> for expected failures; cancellation (the time limit) propagates.
    /// </summary>
    public async Task<UrlResponse> GetAsync(Uri url, CancellationToken ct)
    {
        var current = url;
        for (var redirects = 0; ; redirects++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current)
            {
                // HTTP/3 would connect over QUIC, around the connect callback; stay on TCP.
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            };
            request.Headers.UserAgent.ParseAdd(UserAgent);
            request.Headers.Accept.ParseAdd("*/*");
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e) when (!ct.IsCancellationRequested)
            {
                throw Translate(e, current);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new UrlFetchException(UploadErrors.UrlTimeout($"{current.Host} did not accept a connection in time; the server may be down."));
            }

            var status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308)
            {
                var location = response.Headers.Location;
                response.Dispose();
                if (location is null) throw Failed($"{current.Host} answered a redirect without saying where to.");
                if (redirects == MaxRedirects) throw Failed($"The link redirects more than {MaxRedirects} times.");
                var next = location.IsAbsoluteUri ? location : new Uri(current, location);
                var checkedNext = Check(next);
                if (!checkedNext.IsSuccess) throw new UrlFetchException(checkedNext.Error! with { Message = "The link redirects to an address that cannot be fetched: " + checkedNext.Error!.Message });
                current = checkedNext.Value!;
                continue;
            }
            if (status is < 200 or > 299)
            {
                var reason = response.ReasonPhrase is { Length: > 0 and <= 100 } r ? " " + r : "";
                response.Dispose();
                throw new UrlFetchException(UploadErrors.UrlFetchFailed(
                    status is 401 or 403
                        ? $"The link answered {status}{reason}: the file is not public. Download it yourself and upload it instead."
                        : $"The link answered {status}{reason}; check that it points at the file and that the file is still there.", status));
            }
            return new UrlResponse(current, response);
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        try
        {
            return await GuardedConnector.ConnectAsync(context.DnsEndPoint, _allowed, ct);
        }
        catch (GuardedConnectException e)
        {
            throw e.Failure switch
            {
                GuardedConnectFailure.HostNotFound => Failed($"The host name '{host}' could not be found; check the link for typos."),
                GuardedConnectFailure.ForbiddenAddress => new UrlFetchException(UploadErrors.UrlForbiddenAddress(host)),
                _ => Failed($"Could not connect to {host}; the server may be down."),
            };
        }
    }

    private static UrlFetchException Translate(HttpRequestException e, Uri uri)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is UrlFetchException known) return known;
        return e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => Failed($"The host name '{uri.Host}' could not be found; check the link for typos."),
            HttpRequestError.SecureConnectionError => Failed($"A secure connection to {uri.Host} could not be established (certificate or TLS problem)."),
            HttpRequestError.ConnectionError => Failed($"Could not connect to {uri.Host}; the server may be down."),
            _ => Failed($"Fetching the link from {uri.Host} failed: the server's answer could not be read."),
        };
    }

    private static UrlFetchException Failed(string message) => new(UploadErrors.UrlFetchFailed(message));

    public void Dispose() => _http.Dispose();
}
