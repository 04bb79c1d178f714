using System.Net;
using System.Net.Sockets;

namespace GeoLedger.Cluster;

/// <summary>What a <see cref="RaftDatagramServer"/> does with each kind of datagram: a kind without its handler (or key) is dropped.</summary>
public sealed record RaftDatagramHandlers
{
    /// <summary>The MAC key of <see cref="ReadIndexDatagram"/> questions and answers.</summary>
    public byte[]? ReadIndexKey { get; init; }

    /// <summary>A read-index question's answer (term, asking member): the index, or null for a refusal.</summary>
    public Func<long, string, long?>? Answer { get; init; }

    /// <summary>The MAC key of <see cref="AckDatagram"/>s.</summary>
    public byte[]? AckKey { get; init; }

    /// <summary>A follower's acknowledgement (term, index, member), for this node as leader.</summary>
    public Action<long, long, string>? Acknowledge { get; init; }
}

/// <summary>
/// The Raft port's datagrams: a thread blocked on a UDP socket bound to the Raft listener's address and port. It answers each
/// valid <see cref="ReadIndexDatagram"/> question at once, hands each valid <see cref="AckDatagram"/> to its handler, and
/// drops anything else. Every node runs one (any node may lead); when the port cannot be bound, the node logs it and both
/// exchanges go over HTTP alone.
/// </summary>
public sealed class RaftDatagramServer(IPEndPoint endpoint, RaftDatagramHandlers handlers, ILogger logger) : IHostedService, IDisposable
{
    private static readonly int BufferBytes = Math.Max(ReadIndexDatagram.MaxQuestionLength, AckDatagram.MaxLength) + 1;
    private Socket? socket;
    private Thread? thread;

    /// <summary>Where it listens, once started; null when it could not bind.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>Binds and starts the serving thread.</summary>
    public void Start()
    {
        var udp = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            udp.Bind(endpoint);
        }
        catch (SocketException e)
        {
            udp.Dispose();
            LogMessages.RaftDatagramsUnbound(logger, endpoint.ToString(), e.SocketErrorCode.ToString());
            return;
        }

        socket = udp;
        LocalEndPoint = (IPEndPoint)udp.LocalEndPoint!;
        thread = new Thread(Serve) { IsBackground = true, Name = "Raft datagrams" };
        thread.UnsafeStart();
    }

    private void Serve()
    {
        var udp = socket!;
        var received = new byte[BufferBytes];
        var reply = new byte[ReadIndexDatagram.AnswerLength];
        EndPoint anyone = new IPEndPoint(endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (true)
        {
            int length;
            var from = anyone;
            try
            {
                length = udp.ReceiveFrom(received, ref from);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return; // disposed: the node stops
            }

            var datagram = received.AsSpan(0, length);
            try
            {
                if (AckDatagram.IsAck(datagram))
                {
                    if (handlers is { Acknowledge: { } acknowledge, AckKey: { } ackKey } && AckDatagram.TryRead(datagram, ackKey, out var term, out var index, out var member))
                        acknowledge(term, index, member);
                }
                else if (handlers is { Answer: { } answer, ReadIndexKey: { } key } && ReadIndexDatagram.TryReadQuestion(datagram, key, out var nonce, out var term, out var member))
                {
                    Reply(udp, reply, key, nonce, Answered(answer, term, member), from);
                }

                // anything else is not ours, or not from a member: dropped, as any stray datagram
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception e)
            {
                LogMessages.RaftDatagramFailed(logger, e); // the HTTP exchange beside it decides
            }
        }
    }

    private long? Answered(Func<long, string, long?> answer, long term, string member)
    {
        try
        {
            return answer(term, member);
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            LogMessages.RaftDatagramFailed(logger, e);
            return null; // the asker falls back to HTTP
        }
    }

    private static void Reply(Socket udp, byte[] reply, byte[] key, ulong nonce, long? index, EndPoint to)
    {
        try
        {
            udp.SendTo(reply.AsSpan(0, ReadIndexDatagram.WriteAnswer(reply, key, nonce, index)), SocketFlags.None, to);
        }
        catch (SocketException)
        {
            // The asker retries over HTTP when no answer comes.
        }
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        Start();
        return Task.CompletedTask;
    }

    Task IHostedService.StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Closes the socket; the thread ends.</summary>
    public void Dispose() => socket?.Dispose();
}
