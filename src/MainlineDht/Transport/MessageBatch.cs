using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MainlineDht.Transport;

/// <summary>
/// One receiving thread's batch of datagrams on Linux: <c>recvmmsg</c> takes up to
/// <see cref="Capacity"/> waiting datagrams in one system call (it waits for the first only,
/// <c>MSG_WAITFORONE</c>), and the replies sent to their sources while they are handled are copied
/// here and leave together in one <c>sendmmsg</c> once the batch is handled. Under load, this makes
/// two system calls per batch where one datagram at a time made two per datagram; when datagrams
/// come one by one, a batch is one datagram and nothing waits. The buffers are pinned arrays and one
/// native block of message headers (64-bit Linux layouts of <c>mmsghdr</c>, <c>msghdr</c>, <c>iovec</c>).
/// </summary>
internal sealed unsafe partial class MessageBatch : IDisposable
{
    /// <summary>Datagrams received, and replies queued, per batch.</summary>
    public const int Capacity = 16;

    /// <summary>
    /// The largest datagram a slot holds. A KRPC message stays under it (a BEP 44 item, the largest,
    /// is at most 1,000 bytes of value in a datagram of about 1,300); a longer datagram arrives cut
    /// (<c>MSG_TRUNC</c>) and is dropped as a receive error, not decoded.
    /// </summary>
    public const int SlotSize = 2048;

    /// <summary>Room for a socket address of either family (sockaddr_in6 is 28 bytes).</summary>
    private const int NameSize = 32;

    private const int MsgWaitForOne = 0x10000;
    private const int MsgTrunc = 0x20;
    private const int EIntr = 4;
    private const int EAgain = 11;
    private const short PollIn = 0x1;

    private readonly AddressFamily _family;
    private readonly int _socket;
    private readonly byte[] _received = GC.AllocateUninitializedArray<byte>(Capacity * SlotSize, pinned: true);
    private readonly byte[] _receivedNames = GC.AllocateArray<byte>(Capacity * NameSize, pinned: true);
    private readonly byte[] _sending = GC.AllocateUninitializedArray<byte>(Capacity * SlotSize, pinned: true);
    private readonly byte[] _sendingNames = GC.AllocateArray<byte>(Capacity * NameSize, pinned: true);
    private readonly MMsgHdr* _headers;
    private readonly IoVec* _vectors;
    private int _count;
    private int _pending;

    /// <param name="family">The socket's address family.</param>
    /// <param name="socket">The socket's descriptor (blocking): received from, and replies sent on.</param>
    public MessageBatch(AddressFamily family, int socket)
    {
        _family = family;
        _socket = socket;
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(2 * Capacity), (nuint)sizeof(MMsgHdr));
        _vectors = (IoVec*)NativeMemory.AllocZeroed((nuint)(2 * Capacity), (nuint)sizeof(IoVec));
    }

    /// <summary>Whether this machine has <c>recvmmsg</c>/<c>sendmmsg</c> with the layouts used here (64-bit Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && IntPtr.Size == 8;

    /// <summary>Datagrams in the batch just received.</summary>
    public int Count => _count;

    /// <summary>
    /// Waits for at least one datagram on the socket and takes what else is waiting, up to <see cref="Capacity"/>. Returns the error number of a
    /// failed call (0 when it succeeded; <see cref="Count"/> is then how many arrived, 0 once the socket is shut down).
    /// </summary>
    public int Receive()
    {
        fixed (byte* data = _received)
        fixed (byte* names = _receivedNames)
        {
            for (int i = 0; i < Capacity; i++)
            {
                _vectors[i] = new IoVec { Base = data + (i * SlotSize), Length = SlotSize };
                _headers[i] = new MMsgHdr { Header = new MsgHdr { Name = names + (i * NameSize), NameLength = NameSize, Iov = &_vectors[i], IovLength = 1 } };
            }

            while (true)
            {
                int received = RecvMmsg(_socket, _headers, Capacity, MsgWaitForOne, null);
                if (received >= 0)
                {
                    _count = received;
                    return 0;
                }

                _count = 0;
                int error = Marshal.GetLastPInvokeError();
                if (error == EIntr)
                {
                    continue;
                }

                if (error != EAgain)
                {
                    return error;
                }

                // A descriptor someone made non-blocking: wait for it to become readable.
                var poll = new PollFd { Descriptor = _socket, Events = PollIn };
                if (Poll(&poll, 1, -1) < 0 && Marshal.GetLastPInvokeError() != EIntr)
                {
                    return Marshal.GetLastPInvokeError();
                }
            }
        }
    }

    /// <summary>Whether datagram <paramref name="index"/> arrived whole (not cut to <see cref="SlotSize"/>).</summary>
    public bool IsWhole(int index) => (_headers[index].Header.Flags & MsgTrunc) == 0;

    /// <summary>Datagram <paramref name="index"/> of the batch.</summary>
    public Memory<byte> Datagram(int index) => _received.AsMemory(index * SlotSize, (int)_headers[index].Length);

    /// <summary>The raw socket address datagram <paramref name="index"/> came from.</summary>
    public ReadOnlySpan<byte> Source(int index) => _receivedNames.AsSpan(index * NameSize, (int)Math.Min(NameSize, _headers[index].Header.NameLength));

    /// <summary>The endpoint of the raw source of datagram <paramref name="index"/> (<paramref name="sources"/>' cached one).</summary>
    public IPEndPoint SourceEndPoint(int index, SourceEndPoints sources) => sources.Get(_family, Source(index));

    /// <summary>
    /// Queues <paramref name="datagram"/> for the source of datagram <paramref name="index"/>; false
    /// when it does not fit a slot (the caller sends it alone). Sends what is queued first when the batch of replies is full.
    /// </summary>
    public bool TryQueueReply(ReadOnlySpan<byte> datagram, int index, Action<int> onFailed)
    {
        if (datagram.Length > SlotSize)
        {
            return false;
        }

        if (_pending == Capacity)
        {
            Send(onFailed);
        }

        datagram.CopyTo(_sending.AsSpan(_pending * SlotSize));
        ReadOnlySpan<byte> name = Source(index);
        name.CopyTo(_sendingNames.AsSpan(_pending * NameSize));
        MMsgHdr* header = &_headers[Capacity + _pending];
        IoVec* vector = &_vectors[Capacity + _pending];
        vector->Length = (nuint)datagram.Length;
        header->Header.NameLength = (uint)name.Length;
        _pending++;
        return true;
    }

    /// <summary>Sends the queued replies in one system call (more when one fails: it is skipped and counted through <paramref name="onFailed"/>).</summary>
    public void Send(Action<int> onFailed)
    {
        if (_pending == 0)
        {
            return;
        }

        fixed (byte* data = _sending)
        fixed (byte* names = _sendingNames)
        {
            MMsgHdr* headers = &_headers[Capacity];
            IoVec* vectors = &_vectors[Capacity];
            for (int i = 0; i < _pending; i++)
            {
                vectors[i].Base = data + (i * SlotSize);
                headers[i].Header.Name = names + (i * NameSize);
                headers[i].Header.Iov = &vectors[i];
                headers[i].Header.IovLength = 1;
            }

            int start = 0;
            while (start < _pending)
            {
                int sent = SendMmsg(_socket, headers + start, (uint)(_pending - start), 0);
                if (sent <= 0)
                {
                    int error = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
                    if (error == EIntr)
                    {
                        continue;
                    }

                    onFailed(error);
                    sent = 1; // the first of them failed (or, never seen, none was taken): the rest are tried
                }

                start += sent;
            }
        }

        _pending = 0;
    }

    public void Dispose()
    {
        NativeMemory.Free(_headers);
        NativeMemory.Free(_vectors);
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int RecvMmsg(int socket, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMmsg(int socket, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* descriptors, nuint count, int timeout);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public byte* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Descriptor;
        public short Events;
        public short Returned;
    }
}
