using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.AspNetCore.Connections;

namespace GeoLedger.Cluster;

/// <summary>
/// A follower's acknowledgement as one UDP datagram to the leader's Raft port number, sent the moment entries it took
/// from the leader are on its disk, beside .NEXT's HTTP answer to the same AppendEntries. The HTTP answer reaches the
/// leader's replication only after the follower's Kestrel writes it and the leader's HttpClient reads it, each a wake-up
/// of a pool worker and a pass through its HTTP stack (0.6-0.7 ms on the 2-vCPU VM, docs/performance.md); the datagram
/// is one <c>sendto</c> on the follower's flushing thread and one wake-up of the leader's datagram thread, which records it
/// as the push answers are recorded (<see cref="Storage.LedgerLog.RecordPushAcknowledgement"/>). A lost datagram costs
/// nothing: the HTTP answer still comes. It says "I am in term T and hold your entry I (of term T) durably"; the leader
/// counts it only in term T, as leader, for an entry of T that it holds at I (Raft's log matching then makes the member's
/// log equal to its own up to I).
/// </summary>
/// <remarks>
/// An HMAC-SHA256 (16 bytes) keyed by the cluster secret covers everything before it: nobody without the secret can make a
/// leader count a copy that does not exist. A cluster without a secret runs on loopback only.
/// <code>
/// ack: "GLk1" term:8 index:8 memberLength:2 member:utf8 mac:16
/// </code>
/// </remarks>
public static class AckDatagram
{
    /// <summary>The longest acknowledgement: a member key up to 512 bytes of UTF-8.</summary>
    public const int MaxLength = MemberDatagram.MaxLength;

    private static ReadOnlySpan<byte> Magic => "GLk1"u8;

    /// <summary>True when <paramref name="datagram"/> claims to be an acknowledgement (its MAC is not checked).</summary>
    public static bool IsAck(ReadOnlySpan<byte> datagram) => datagram.StartsWith(Magic);

    /// <summary>The MAC key for <paramref name="secret"/> (its label keeps it apart from the read-index datagrams' key).</summary>
    public static byte[] Key(ClusterSecret secret) => SHA256.HashData(Encoding.UTF8.GetBytes("geoledger ack datagram\n" + (secret.Value ?? "")));

    /// <summary>Writes an acknowledgement into <paramref name="buffer"/> (at least <see cref="MaxLength"/> bytes); its length, or 0 when the member does not fit.</summary>
    public static int Write(Span<byte> buffer, ReadOnlySpan<byte> key, long term, long index, string member) =>
        MemberDatagram.Write(buffer, key, Magic, term, index, member);

    /// <summary>Reads an acknowledgement; false when it is malformed or its MAC is not the key's.</summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> key, out long term, out long index, out string member) =>
        MemberDatagram.TryRead(datagram, key, Magic, out term, out index, out member);
}

/// <summary>
/// The follower's side of <see cref="AckDatagram"/>: sends each acknowledgement at once from the caller's thread (one
/// non-blocking <c>sendto</c>) to where <paramref name="leaderEndpoint"/> says the leader's Raft port is. Best effort: a
/// datagram that cannot be sent is dropped (the HTTP answer follows anyway).
/// </summary>
public sealed class AckDatagramSender(byte[] key, string self, Func<IPEndPoint?> leaderEndpoint) : IDisposable
{
    private readonly Lock gate = new();
    private readonly byte[] buffer = new byte[AckDatagram.MaxLength];
    private Socket? socket; // guarded by gate

    /// <summary>Acknowledges the leader of <paramref name="term"/>: this node holds its entry <paramref name="index"/> (of that term) durably.</summary>
    public void Send(long term, long index)
    {
        if (leaderEndpoint() is not { } leader)
            return;
        lock (gate)
        {
            try
            {
                socket ??= new Socket(leader.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
                var length = AckDatagram.Write(buffer, key, term, index, self);
                if (length > 0)
                    socket.SendTo(buffer.AsSpan(0, length), SocketFlags.None, leader);
            }
            catch (SocketException)
            {
                // a full send buffer, an unreachable leader, another address family: the HTTP answer still comes
                socket?.Dispose();
                socket = null;
            }
            catch (ObjectDisposedException)
            {
                // the node stops
            }
        }
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            socket?.Dispose();
            socket = null;
        }
    }
}

/// <summary>Where a node's acknowledgements go: the UDP endpoint of the current leader's Raft URL, as <c>Ledger:TestRaftVia</c> maps it.</summary>
public sealed class LeaderDatagramEndpoint(IRaftCluster raft, RaftVia via)
{
    /// <summary>The leader's endpoint; null when this node leads, no leader is known, or its host is not an IP address (members' URLs are).</summary>
    public IPEndPoint? Current() =>
        raft.Leader is { IsRemote: true, EndPoint: UriEndPoint { Uri: var uri } } ? via.DatagramEndpoint(uri) : null;
}
