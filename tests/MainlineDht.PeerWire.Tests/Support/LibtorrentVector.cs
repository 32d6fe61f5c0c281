namespace MainlineDht.PeerWire.Tests.Support;

/// <summary>
/// A torrent made by libtorrent 2.0.8 (<c>lt.create_torrent</c> with its default flags: a v1+v2
/// hybrid with BEP 47 pad files) from a folder <c>small</c> holding <c>data.bin</c> (the bytes
/// 0–255, 100 times), <c>docs/readme.txt</c> ("hello world\n") and <c>z.txt</c> ("abc"):
/// its info dictionary as libtorrent wrote it, and its v1 infohash as libtorrent computed it.
/// </summary>
internal static class LibtorrentVector
{
    public const string InfoHash = "a14490fc0147e4777cf5b309cd8e46c97ae052b5";

    public const string MetadataHex =
        "64393a66696c65207472656564383a646174612e62696e64303a64363a6c656e6774686932353630306531313a70696563657320726f6f7433323a07bc3b0970abbb8ea8e90f696e64ea0e4d2f6bce8bf7e14f45a71a1bccfd59df6565343a646f63736431303a726561646d652e74787464303a64363a6c656e6774686931326531313a70696563657320726f6f7433323aa948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447656565353a7a2e74787464303a64363a6c656e67746869336531313a70696563657320726f6f7433323aba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad656565353a66696c65736c64363a6c656e67746869323536303065343a706174686c383a646174612e62696e656564343a61747472313a70363a6c656e677468693731363865343a706174686c343a2e706164343a37313638656564363a6c656e67746869313265343a706174686c343a646f637331303a726561646d652e747874656564343a61747472313a70363a6c656e67746869313633373265343a706174686c343a2e706164353a3136333732656564363a6c656e677468693365343a706174686c353a7a2e747874656564343a61747472313a70363a6c656e67746869313633383165343a706174686c343a2e706164353a313633383165656531323a6d6574612076657273696f6e693265343a6e616d65353a736d616c6c31323a7069656365206c656e67746869313633383465363a70696563657338303a80cb9c430d80c3084649f65e0ca25dabbffb1b62fb259cdbe99d4c0ef9caf4ec9eacf07b397453e198aaed442721e0cecdd9bf7b8cbb3e1ff1b1536a8f68185cd5294a2579316f22dd911acb4a7c18dc65";

    public static byte[] Metadata => Bytes.Hex(MetadataHex);

    public static byte[] DataBin
    {
        get
        {
            byte[] data = new byte[25600];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (byte)i;
            }

            return data;
        }
    }

    /// <summary>What the pieces cover: each file followed by zeros up to the next 16 KiB boundary.</summary>
    public static byte[] Data =>
        [.. DataBin, .. new byte[7168], .. "hello world\n"u8, .. new byte[16372], .. "abc"u8, .. new byte[16381]];
}
