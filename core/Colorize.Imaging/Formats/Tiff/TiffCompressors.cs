using System.IO.Compression;
using Colorize.Imaging.Formats.Common;

namespace Colorize.Imaging.Formats.Tiff;

/// <summary>The TIFF decompressors: LZW (TIFF 6.0 flavour, MSB-first, early change), PackBits and Deflate.</summary>
internal static class TiffCompressors
{
    /// <summary>Decompresses LZW <paramref name="source"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int DecodeLzw(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.Length >= 2 && source[0] == 0 && (source[1] & 1) != 0)
        {
            throw new ImageFormatException("The TIFF strip uses the pre-1990 LSB-first LZW variant, which this decoder does not read.");
        }

        const int Clear = 256, End = 257;
        short[] prefix = new short[4096];
        byte[] suffix = new byte[4096];
        short[] length = new short[4096];
        byte[] first = new byte[4096];
        for (int i = 0; i < 256; i++)
        {
            suffix[i] = (byte)i;
            first[i] = (byte)i;
            length[i] = 1;
        }

        int bits = 9, next = 258, previous = -1, written = 0;
        int bitBuffer = 0, bitCount = 0, position = 0;
        while (written < destination.Length)
        {
            while (bitCount < bits)
            {
                if (position >= source.Length)
                {
                    return written;
                }

                bitBuffer = (bitBuffer << 8) | source[position++];
                bitCount += 8;
            }

            int code = (bitBuffer >> (bitCount - bits)) & ((1 << bits) - 1);
            bitCount -= bits;
            if (code == Clear)
            {
                bits = 9;
                next = 258;
                previous = -1;
                continue;
            }

            if (code == End)
            {
                break;
            }

            int emit;
            if (previous < 0)
            {
                if (code > 255)
                {
                    throw new ImageFormatException($"The TIFF LZW data starts with code {code}; it must start with a literal.");
                }

                emit = code;
            }
            else if (code < next)
            {
                emit = code;
                Add(previous, first[code]);
            }
            else if (code == next)
            {
                Add(previous, first[previous]);
                emit = code;
            }
            else
            {
                throw new ImageFormatException($"The TIFF LZW data is corrupt: code {code} appears before it is defined.");
            }

            // Write the string for 'emit' back to front; the tail beyond the buffer is dropped.
            int n = length[emit];
            int end = written + n;
            for (int c = emit, p = end - 1; p >= written; c = prefix[c], p--)
            {
                if (p < destination.Length)
                {
                    destination[p] = suffix[c];
                }
            }

            written = Math.Min(end, destination.Length);
            previous = emit;
        }

        return written;

        void Add(int prefixCode, byte last)
        {
            if (next < 4096)
            {
                prefix[next] = (short)prefixCode;
                suffix[next] = last;
                first[next] = first[prefixCode];
                length[next] = (short)Math.Min(length[prefixCode] + 1, short.MaxValue);
                next++;
                // "Early change": the code width grows one code before the table fills, as libtiff writes it.
                if (next >= (1 << bits) - 1 && bits < 12)
                {
                    bits++;
                }
            }
        }
    }

    /// <summary>Expands PackBits <paramref name="source"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int DecodePackBits(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int i = 0, written = 0;
        while (i < source.Length && written < destination.Length)
        {
            int n = (sbyte)source[i++];
            if (n >= 0)
            {
                int count = Math.Min(n + 1, Math.Min(source.Length - i, destination.Length - written));
                source.Slice(i, count).CopyTo(destination[written..]);
                i += n + 1;
                written += count;
            }
            else if (n != -128 && i < source.Length)
            {
                int count = Math.Min(1 - n, destination.Length - written);
                destination.Slice(written, count).Fill(source[i++]);
                written += count;
            }
        }

        return written;
    }

    /// <summary>Inflates the zlib bytes at <paramref name="offset"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int DecodeDeflate(ReadOnlyMemory<byte> data, int offset, int count, Span<byte> destination)
    {
        try
        {
            using var input = new SegmentedReadStream(data, [(offset, count)]);
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            return zlib.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException ex)
        {
            throw new ImageFormatException($"The TIFF Deflate data is corrupt: {ex.Message}", ex);
        }
    }
}
