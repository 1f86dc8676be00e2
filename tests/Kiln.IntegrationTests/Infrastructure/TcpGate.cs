using System.Net;
using System.Net.Sockets;

namespace Kiln.IntegrationTests.Infrastructure;

/// <summary>
/// A TCP relay in front of a server (the test PostgreSQL) that a test can close and open again: closed, it drops every
/// relayed connection and refuses new ones, as a database that restarts or a network that fails.
/// </summary>
public sealed class TcpGate : IAsyncDisposable
{
    private readonly int _targetPort;
    private readonly List<TcpClient> _open = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _cts;

    public int Port { get; }

    public TcpGate(int targetPort)
    {
        _targetPort = targetPort;
        Port = PostgresServer.FreePort();
        Open();
    }

    public void Open()
    {
        _cts = new CancellationTokenSource();
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _ = AcceptLoop(_listener, _cts.Token);
    }

    public void Close()
    {
        _cts?.Cancel();
        _listener?.Stop();
        lock (_open)
        {
            foreach (var c in _open) c.Dispose();
            _open.Clear();
        }
    }

    private async Task AcceptLoop(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(ct); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            var server = new TcpClient();
            try { await server.ConnectAsync(IPAddress.Loopback, _targetPort, ct); }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }
            lock (_open) { _open.Add(client); _open.Add(server); }
            _ = Pump(client, server, ct);
            _ = Pump(server, client, ct);
        }
    }

    private static async Task Pump(TcpClient from, TcpClient to, CancellationToken ct)
    {
        try { await from.GetStream().CopyToAsync(to.GetStream(), ct); }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException) { }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        Close();
        _cts?.Dispose();
        return ValueTask.CompletedTask;
    }
}
