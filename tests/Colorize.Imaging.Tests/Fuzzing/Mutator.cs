using System.Buffers.Binary;
using Colorize.Imaging.Formats.Common;

namespace Colorize.Imaging.Tests.Fuzzing;

/// <summary>
/// Seeded mutations of a valid file: bit flips, byte overwrites, truncation, slice duplication and deletion,
/// PNG chunk and JPEG marker-segment duplication, and absurd dimensions written into the header fields of each
/// format (with the PNG CRC fixed so the size, not the checksum, is what the decoder meets).
/// </summary>
internal static class Mutator
{
    public static (byte[] Data, string Description) Mutate(byte[] original, Random random)
    {
        int kind = random.Next(9);
        byte[] data = (byte[])original.Clone();
        switch (kind)
        {
            case 0:
                {
                    int flips = 1 + random.Next(8);
                    for (int i = 0; i < flips; i++)
                    {
                        data[random.Next(data.Length)] ^= (byte)(1 << random.Next(8));
                    }

                    return (data, $"{flips} bit flips");
                }

            case 1:
                {
                    int count = 1 + random.Next(4);
                    byte[] interesting = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE];
                    for (int i = 0; i < count; i++)
                    {
                        // Bias towards the header, where most parsing decisions are made.
                        int at = random.Next(2) == 0 ? random.Next(Math.Min(64, data.Length)) : random.Next(data.Length);
                        data[at] = interesting[random.Next(interesting.Length)];
                    }

                    return (data, $"{count} bytes overwritten");
                }

            case 2:
                {
                    int length = random.Next(data.Length);
                    return (data[..length], $"truncated to {length} bytes");
                }

            case 3:
                {
                    int start = random.Next(data.Length);
                    int length = 1 + random.Next(Math.Min(512, data.Length - start));
                    int insertAt = random.Next(data.Length);
                    byte[] result = [.. data.AsSpan(0, insertAt), .. data.AsSpan(start, length), .. data.AsSpan(insertAt)];
                    return (result, $"{length} bytes from {start} duplicated at {insertAt}");
                }

            case 4:
                {
                    int start = random.Next(data.Length);
                    int length = 1 + random.Next(Math.Min(256, data.Length - start));
                    byte[] result = [.. data.AsSpan(0, start), .. data.AsSpan(start + length)];
                    return (result, $"{length} bytes removed at {start}");
                }

            case 5:
                return DuplicateSegment(data, random);
            case 6:
            case 7:
                return AbsurdDimensions(data, random);
            default:
                {
                    // Many random bytes in the second half: damages compressed data more than headers.
                    int count = 1 + random.Next(32);
                    for (int i = 0; i < count; i++)
                    {
                        data[(data.Length / 2) + random.Next(data.Length - (data.Length / 2))] = (byte)random.Next(256);
                    }

                    return (data, $"{count} random bytes in the data");
                }
        }
    }

    private static (byte[], string) DuplicateSegment(byte[] data, Random random)
    {
        List<(int Start, int Length)> segments = [];
        if (IsPng(data))
        {
            for (int offset = 8; offset + 12 <= data.Length;)
            {
                long length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset));
                if (length > data.Length - offset - 12)
                {
                    break;
                }

                segments.Add((offset, 12 + (int)length));
                offset += 12 + (int)length;
            }
        }
        else if (data.Length > 4 && data[0] == 0xFF && data[1] == 0xD8)
        {
            for (int offset = 2; offset + 4 <= data.Length && data[offset] == 0xFF;)
            {
                byte marker = data[offset + 1];
                if (marker == 0xDA || marker == 0xD9)
                {
                    break;
                }

                int length = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(offset + 2));
                if (offset + 2 + length > data.Length)
                {
                    break;
                }

                segments.Add((offset, 2 + length));
                offset += 2 + length;
            }
        }

        if (segments.Count == 0)
        {
            return (data, "no segment to duplicate");
        }

        (int start, int count) = segments[random.Next(segments.Count)];
        (int at, _) = segments[random.Next(segments.Count)];
        byte[] result = [.. data.AsSpan(0, at), .. data.AsSpan(start, count), .. data.AsSpan(at)];
        return (result, $"segment at {start} ({count} bytes) duplicated before {at}");
    }

    private static (byte[], string) AbsurdDimensions(byte[] data, Random random)
    {
        uint[] sizes = [0, 1, 0x7FFF, 0xFFFF, 65536, 1_000_000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 46341];
        uint width = sizes[random.Next(sizes.Length)];
        uint height = sizes[random.Next(sizes.Length)];
        string description = $"dimensions set to {width}x{height}";
        if (IsPng(data) && data.Length >= 33)
        {
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(16), width);
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(20), height);
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(29), Crc32.Compute(data.AsSpan(12, 17)));
        }
        else if (data.Length >= 26 && data[0] == 'B' && data[1] == 'M')
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(18), width);
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(22), random.Next(2) == 0 ? height : (uint)-(int)height);
        }
        else if (data.Length > 8 && (data[0] == 'I' || data[0] == 'M'))
        {
            PatchTiffDimensions(data, width, height);
        }
        else if (data.Length > 4 && data[0] == 0xFF && data[1] == 0xD8)
        {
            for (int i = 2; i + 9 < data.Length; i++)
            {
                if (data[i] == 0xFF && data[i + 1] is >= 0xC0 and <= 0xC2)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(i + 5), (ushort)height);
                    BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(i + 7), (ushort)width);
                    break;
                }
            }
        }

        return (data, description);
    }

    private static void PatchTiffDimensions(byte[] data, uint width, uint height)
    {
        bool big = data[0] == 'M';
        uint U32(int at) => big ? BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at));
        ushort U16(int at) => big ? BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at)) : BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at));
        uint ifd = U32(4);
        if (ifd + 2 > data.Length)
        {
            return;
        }

        int count = U16((int)ifd);
        for (int i = 0; i < count && ifd + 2 + (12 * (i + 1)) <= data.Length; i++)
        {
            int entry = (int)ifd + 2 + (12 * i);
            ushort tag = U16(entry);
            if (tag is 256 or 257)
            {
                uint value = tag == 256 ? width : height;
                ushort type = U16(entry + 2);
                if (type == 3)
                {
                    value = Math.Min(value, 0xFFFF);
                }

                Span<byte> field = data.AsSpan(entry + 8, 4);
                field.Clear();
                if (type == 3)
                {
                    if (big)
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(field, (ushort)value);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(field, (ushort)value);
                    }
                }
                else if (big)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(field, value);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(field, value);
                }
            }
        }
    }

    private static bool IsPng(byte[] data) => data.Length > 8 && data[0] == 0x89 && data[1] == (byte)'P';
}
