using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace GeoLedger.Cluster;

/// <summary>
/// The read-index question and its answer as one UDP datagram each, on the Raft port's number. An HTTP
/// round costs each side a wake-up from <c>epoll</c> to a pool worker, HttpClient's or Kestrel's request
/// handling and the spin of idle workers after it, per round; a datagram costs a thread blocked in
/// <c>recvfrom</c> one wake-up and two system calls. Only the witnessed answer (<see cref="ReadIndex"/>)
/// travels this way: anything else (not the leader, another term, a cluster of more than three) is
/// refused, and the asking follower sends the same round over HTTP, which runs the full barrier.
/// </summary>
/// <remarks>
/// A question carries a random nonce; the answer repeats it, so a late answer to an earlier question is
/// dropped. Both carry an HMAC-SHA256 (16 bytes) keyed by the cluster secret over everything before it:
/// nobody without the secret can ask or, which matters for safety, forge a low index for a follower to
/// read at. The secret itself never travels this way. A cluster without a secret runs on loopback only.
/// <code>
/// question: "GLq1" nonce:8 term:8 memberLength:2 member:utf8 mac:16
/// answer:   "GLa1" nonce:8 kind:1 index:8 mac:16        kind 0 = index, 1 = refused
/// </code>
/// </remarks>
public static class ReadIndexDatagram
{
    /// <summary>Bytes of the MAC at the end of each datagram.</summary>
    public const int MacLength = DatagramMac.Length;

    /// <summary>Bytes of an answer.</summary>
    public const int AnswerLength = 4 + 8 + 1 + 8 + MacLength;

    /// <summary>The longest question: a member endpoint up to 512 bytes of UTF-8.</summary>
    public const int MaxQuestionLength = MemberDatagram.MaxLength;

    private static ReadOnlySpan<byte> QuestionMagic => "GLq1"u8;
    private static ReadOnlySpan<byte> AnswerMagic => "GLa1"u8;

    /// <summary>The MAC key for <paramref name="secret"/> (a label keeps it apart from any other use of the secret).</summary>
    public static byte[] Key(ClusterSecret secret) => SHA256.HashData(Encoding.UTF8.GetBytes("geoledger read-index datagram\n" + (secret.Value ?? "")));

    /// <summary>Writes a question into <paramref name="buffer"/> (at least <see cref="MaxQuestionLength"/> bytes); its length, or 0 when the member does not fit.</summary>
    public static int WriteQuestion(Span<byte> buffer, ReadOnlySpan<byte> key, ulong nonce, long term, string member) =>
        MemberDatagram.Write(buffer, key, QuestionMagic, unchecked((long)nonce), term, member);

    /// <summary>Reads a question; false when it is malformed or its MAC is not the key's.</summary>
    public static bool TryReadQuestion(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> key, out ulong nonce, out long term, out string member)
    {
        var read = MemberDatagram.TryRead(datagram, key, QuestionMagic, out var first, out term, out member);
        nonce = unchecked((ulong)first);
        return read;
    }

    /// <summary>Writes an answer into <paramref name="buffer"/> (at least <see cref="AnswerLength"/> bytes): <paramref name="index"/>, or a refusal when null.</summary>
    public static int WriteAnswer(Span<byte> buffer, ReadOnlySpan<byte> key, ulong nonce, long? index)
    {
        AnswerMagic.CopyTo(buffer);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[4..], nonce);
        buffer[12] = index is null ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64BigEndian(buffer[13..], index ?? 0);
        DatagramMac.Sign(key, buffer[..21], buffer.Slice(21, MacLength));
        return AnswerLength;
    }

    /// <summary>
    /// Reads an answer to the question with <paramref name="nonce"/>: false when it is malformed, answers
    /// another question or fails its MAC; otherwise true, with the index or null for a refusal.
    /// </summary>
    public static bool TryReadAnswer(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> key, ulong nonce, out long? index)
    {
        index = null;
        if (datagram.Length != AnswerLength || !datagram.StartsWith(AnswerMagic)
            || BinaryPrimitives.ReadUInt64BigEndian(datagram[4..]) != nonce
            || datagram[12] > 1
            || !DatagramMac.Verify(key, datagram[..21], datagram[21..]))
            return false;
        if (datagram[12] == 0)
            index = BinaryPrimitives.ReadInt64BigEndian(datagram[13..]);
        return true;
    }
}

/// <summary>
/// The follower's side of <see cref="ReadIndexDatagram"/>, called by the thread that runs read-index rounds
/// (one question on the wire at a time, blocking). It waits for an answer for a few times the round trip
/// measured so far; no answer, a refusal or an error means null, and the round goes over HTTP. Three
/// questions in a row without an answer switch datagrams off for <see cref="Backoff"/> (a firewall that
/// drops UDP costs a few waits, then nothing).
/// </summary>
public sealed class ReadIndexDatagramClient(byte[] key, Action? switchedOff = null) : IDisposable
{
    /// <summary>How long datagrams stay off after three unanswered questions in a row.</summary>
    public static readonly TimeSpan Backoff = TimeSpan.FromSeconds(30);

    private const double FirstRoundTripMs = 100;
    private const double MinWaitMs = 2;
    private const double MaxWaitMs = 1_000;

    private readonly byte[] question = new byte[ReadIndexDatagram.MaxQuestionLength];
    private readonly byte[] answer = new byte[ReadIndexDatagram.AnswerLength + 1];
    private Socket? socket;
    private EndPoint? connectedTo;
    private double roundTripMs = FirstRoundTripMs;
    private int unanswered;
    private long offUntil;
    private int waitSetMs;

    /// <summary>
    /// Asks <paramref name="leader"/> for its commit index as witnessed by <paramref name="term"/> and
    /// <paramref name="member"/> (this node); null when the answer does not come, is a refusal, or datagrams are off.
    /// </summary>
    public long? Ask(IPEndPoint leader, long term, string member)
    {
        if (Stopwatch.GetTimestamp() < offUntil)
            return null;
        try
        {
            var udp = SocketFor(leader);
            var nonce = (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue);
            var length = ReadIndexDatagram.WriteQuestion(question, key, nonce, term, member);
            if (length == 0)
                return null;
            var sent = Stopwatch.GetTimestamp();
            udp.Send(question.AsSpan(0, length));
            var waitMs = Math.Clamp(3 * roundTripMs + 1, MinWaitMs, MaxWaitMs);
            while (true)
            {
                var left = waitMs - Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                if (left <= 0)
                    return Unanswered();
                SetWait(udp, left);
                int received;
                try
                {
                    received = udp.Receive(answer);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
                {
                    return Unanswered();
                }

                if (!ReadIndexDatagram.TryReadAnswer(answer.AsSpan(0, received), key, nonce, out var index))
                    continue; // a late answer to an earlier question, or garbage: keep waiting for ours
                roundTripMs = 0.8 * roundTripMs + 0.2 * Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                unanswered = 0;
                return index;
            }
        }
        catch (SocketException)
        {
            // Refused (nothing listens: an older node, or not bound), unreachable: HTTP this round.
            Close();
            return Unanswered();
        }
    }

    private long? Unanswered()
    {
        if (++unanswered >= 3)
        {
            unanswered = 0;
            offUntil = Stopwatch.GetTimestamp() + (long)(Backoff.TotalSeconds * Stopwatch.Frequency);
            switchedOff?.Invoke();
        }

        return null;
    }

    private Socket SocketFor(IPEndPoint leader)
    {
        if (socket is not null && leader.Equals(connectedTo))
            return socket;
        Close();
        var udp = new Socket(leader.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            udp.Connect(leader); // only the leader's datagrams arrive; a port nobody binds fails fast (ICMP)
        }
        catch
        {
            udp.Dispose();
            throw;
        }

        socket = udp;
        connectedTo = leader;
        return udp;
    }

    private void SetWait(Socket udp, double leftMs)
    {
        var ms = Math.Max(1, (int)Math.Ceiling(leftMs));
        if (ms == waitSetMs)
            return;
        udp.ReceiveTimeout = ms;
        waitSetMs = ms;
    }

    private void Close()
    {
        socket?.Dispose();
        socket = null;
        connectedTo = null;
        waitSetMs = 0;
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose() => Close();
}
