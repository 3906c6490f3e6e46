namespace Colorize.Imaging.Formats.Common;

/// <summary>Adler-32 (RFC 1950), the checksum that ends a zlib stream, and zlib's way of joining two of them.</summary>
internal static class Adler32
{
    private const uint Base = 65521;

    // The most bytes before the sums must be reduced: 255·n(n+1)/2 + (n+1)(Base−1) stays below 2^32.
    private const int MaxRun = 5552;

    /// <summary>The Adler-32 of <paramref name="data"/> continuing from <paramref name="adler"/> (1 for a fresh start).</summary>
    public static uint Compute(ReadOnlySpan<byte> data, uint adler = 1)
    {
        uint a = adler & 0xFFFF, b = adler >> 16;
        while (!data.IsEmpty)
        {
            int n = Math.Min(MaxRun, data.Length);
            foreach (byte value in data[..n])
            {
                a += value;
                b += a;
            }

            a %= Base;
            b %= Base;
            data = data[n..];
        }

        return (b << 16) | a;
    }

    /// <summary>
    /// The Adler-32 of two pieces one after the other, from the first's, the second's and the second's length (zlib's
    /// <c>adler32_combine</c>): blocks checksummed on different threads give the checksum of the whole.
    /// </summary>
    public static uint Combine(uint first, uint second, long secondLength)
    {
        uint remainder = (uint)(secondLength % Base);
        ulong sum1 = first & 0xFFFF;
        ulong sum2 = remainder * sum1 % Base;
        sum1 += (second & 0xFFFF) + Base - 1;
        sum2 += (first >> 16) + (second >> 16) + Base - remainder;
        if (sum1 >= Base)
        {
            sum1 -= Base;
        }

        if (sum1 >= Base)
        {
            sum1 -= Base;
        }

        if (sum2 >= Base << 1)
        {
            sum2 -= Base << 1;
        }

        if (sum2 >= Base)
        {
            sum2 -= Base;
        }

        return (uint)((sum2 << 16) | sum1);
    }
}
