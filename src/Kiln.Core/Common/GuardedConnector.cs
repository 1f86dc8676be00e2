using System.Net;
using System.Net.Sockets;

namespace Kiln.Core.Common;

/// <summary>Why <see cref="GuardedConnector"/> did not connect.</summary>
public enum GuardedConnectFailure { HostNotFound, ForbiddenAddress, Unreachable }

public sealed class GuardedConnectException(GuardedConnectFailure failure, string host, Exception? inner = null)
    : Exception(Describe(failure, host), inner)
{
    public GuardedConnectFailure Failure { get; } = failure;
    public string Host { get; } = host;

    private static string Describe(GuardedConnectFailure failure, string host) => failure switch
    {
        GuardedConnectFailure.HostNotFound => $"The host name '{host}' could not be found.",
        GuardedConnectFailure.ForbiddenAddress => $"'{host}' is an internal address (loopback, private network, link-local or similar); Kiln does not connect there.",
        _ => $"Could not connect to {host}.",
    };
}

/// <summary>
/// A <see cref="SocketsHttpHandler.ConnectCallback"/> for requests that users aim (link imports, outbound webhooks): it
/// resolves the host itself, connects only to addresses <paramref name="allowed"/> accepts (normally
/// <see cref="UrlAddressPolicy.IsPublic"/>) and checks the peer it actually reached, so neither a DNS answer that
/// changes between check and use nor a redirect can reach an internal service. Every connection goes through it,
/// including those after redirects.
/// </summary>
public static class GuardedConnector
{
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Callback(Func<IPAddress, bool> allowed) =>
        (context, ct) => ConnectAsync(context.DnsEndPoint, allowed, ct);

    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, Func<IPAddress, bool> allowed, CancellationToken ct)
    {
        var host = endpoint.Host;
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal)) addresses = [literal];
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, ct);
            }
            catch (SocketException e)
            {
                throw new GuardedConnectException(GuardedConnectFailure.HostNotFound, host, e);
            }
        }

        var permitted = addresses.Where(allowed).ToList();
        if (permitted.Count == 0) throw new GuardedConnectException(GuardedConnectFailure.ForbiddenAddress, host);
        SocketException? last = null;
        foreach (var address in permitted)
        {
            Socket? socket = null;
            try
            {
                // Inside the try: a machine without IPv6 throws here, and the next (IPv4) address should still be tried.
                socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), ct);
                // The peer is what counts, not what was looked up.
                if (socket.RemoteEndPoint is not IPEndPoint peer || !allowed(peer.Address))
                    throw new GuardedConnectException(GuardedConnectFailure.ForbiddenAddress, host);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                last = e;
                socket?.Dispose();
            }
            catch
            {
                socket?.Dispose();
                throw;
            }
        }
        throw new GuardedConnectException(GuardedConnectFailure.Unreachable, host, last);
    }
}
