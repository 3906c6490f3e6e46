using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Colorize.Plugins.Tests.Infrastructure;

/// <summary>One entry of a hand-built zip: every field a hostile archive might lie about is settable.</summary>
internal sealed record RawZipEntry(string Name, byte[] Data)
{
    public bool Deflate { get; init; } = true;

    /// <summary>General-purpose flags (bit 0: encrypted).</summary>
    public ushort Flags { get; init; }

    /// <summary>External attributes; the high 16 bits are the Unix mode (0xA000 = symbolic link).</summary>
    public uint ExternalAttributes { get; init; } = 0x81A4u << 16;

    /// <summary>The uncompressed size written into the headers, when it should differ from the real one.</summary>
    public long? DeclaredSize { get; init; }

    public static RawZipEntry Text(string name, string text) => new(name, Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// A minimal zip writer (PKWARE APPNOTE: local headers, central directory, end record; no zip64) written for the
/// tests so hostile archives — links, lies about sizes, duplicate or escaping names, encryption flags — can be built
/// without going through System.IO.Compression's writer, which would refuse or normalise them.
/// </summary>
internal static class RawZip
{
    public static byte[] Build(IEnumerable<RawZipEntry> entries)
    {
        using var output = new MemoryStream();
        var central = new MemoryStream();
        int count = 0;
        Span<byte> local = stackalloc byte[30];
        Span<byte> header = stackalloc byte[46];
        foreach (var entry in entries)
        {
            count++;
            byte[] name = Encoding.UTF8.GetBytes(entry.Name);
            byte[] payload = entry.Deflate ? Compress(entry.Data) : entry.Data;
            uint crc = Crc32(entry.Data);
            uint size = (uint)(entry.DeclaredSize ?? entry.Data.Length);
            ushort method = (ushort)(entry.Deflate ? 8 : 0);
            ushort flags = (ushort)(entry.Flags | (Encoding.UTF8.GetByteCount(entry.Name) != entry.Name.Length ? 0x800 : 0));
            uint offset = (uint)output.Position;

            BinaryPrimitives.WriteUInt32LittleEndian(local, 0x04034b50);
            BinaryPrimitives.WriteUInt16LittleEndian(local[4..], 20);
            BinaryPrimitives.WriteUInt16LittleEndian(local[6..], flags);
            BinaryPrimitives.WriteUInt16LittleEndian(local[8..], method);
            BinaryPrimitives.WriteUInt16LittleEndian(local[10..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(local[12..], 0x5A21); // 2025-01-01
            BinaryPrimitives.WriteUInt32LittleEndian(local[14..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(local[18..], (uint)payload.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(local[22..], size);
            BinaryPrimitives.WriteUInt16LittleEndian(local[26..], (ushort)name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(local[28..], 0);
            output.Write(local);
            output.Write(name);
            output.Write(payload);

            BinaryPrimitives.WriteUInt32LittleEndian(header, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], (3 << 8) | 20); // made by Unix, so the mode bits count
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 20);
            BinaryPrimitives.WriteUInt16LittleEndian(header[8..], flags);
            BinaryPrimitives.WriteUInt16LittleEndian(header[10..], method);
            BinaryPrimitives.WriteUInt16LittleEndian(header[12..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(header[14..], 0x5A21);
            BinaryPrimitives.WriteUInt32LittleEndian(header[16..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)payload.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header[24..], size);
            BinaryPrimitives.WriteUInt16LittleEndian(header[28..], (ushort)name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(header[30..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(header[32..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(header[34..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(header[36..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(header[38..], entry.ExternalAttributes);
            BinaryPrimitives.WriteUInt32LittleEndian(header[42..], offset);
            central.Write(header);
            central.Write(name);
        }

        uint centralOffset = (uint)output.Position;
        central.Position = 0;
        central.CopyTo(output);
        Span<byte> end = stackalloc byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], (ushort)count);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], (ushort)count);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], (uint)central.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], centralOffset);
        output.Write(end);
        return output.ToArray();
    }

    private static byte[] Compress(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(data);
        }

        return buffer.ToArray();
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by bit: slow and obviously right.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
