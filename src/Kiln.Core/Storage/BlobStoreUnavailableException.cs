using System.Net;
using System.Net.Sockets;

namespace Kiln.Core.Storage;

/// <summary>
/// Kiln's own blob store could not be reached (connection refused or reset, a timeout, a 5xx from the object store):
/// an outage of the platform, not a fault of the job or the file, so a job that meets it waits for the store instead of
/// spending its attempts (the chaos harness found every in-flight job failing during a 30 s S3 outage).
/// Thrown by <see cref="MeteredBlobStore"/>, which every host's store is wrapped in.
/// </summary>
public sealed class BlobStoreUnavailableException(string operation, Exception inner)
    : IOException($"The blob store is unavailable ({operation}): {inner.GetBaseException().Message}", inner)
{
    public string Operation { get; } = operation;

    /// <summary>True for failures that say the store is down or unreachable, not that the request was wrong.</summary>
    public static bool IsOutage(Exception ex, CancellationToken ct)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case BlobStoreUnavailableException:
                case SocketException:
                case HttpRequestException { StatusCode: null or >= HttpStatusCode.InternalServerError }:
                case Amazon.Runtime.AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError }:
                    return true;
                case TimeoutException:
                case TaskCanceledException when !ct.IsCancellationRequested:
                    return true;
            }
        }
        return false;
    }
}
