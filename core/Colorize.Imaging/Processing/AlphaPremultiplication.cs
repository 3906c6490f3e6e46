namespace Colorize.Imaging.Processing;

/// <summary>
/// Premultiplying and unpremultiplying four-channel pixels whose alpha is the fourth channel (RGBA, BGRA), with
/// PIL's integer rounding for 8 bits (<c>Convert.c</c>: rgbA2rgba and rgba2rgbA).
/// </summary>
internal static class AlphaPremultiplication
{
    /// <summary>A contiguous premultiplied copy: c·α/255 rounded as PIL's MULDIV255.</summary>
    public static byte[] Premultiply8(ReadOnlySpan<byte> pixels, int width, int height, int stride)
    {
        var result = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> row = pixels.Slice(y * stride, width * 4);
            Span<byte> outRow = result.AsSpan(y * width * 4, width * 4);
            for (int i = 0; i < row.Length; i += 4)
            {
                int alpha = row[i + 3];
                outRow[i] = MulDiv255(row[i], alpha);
                outRow[i + 1] = MulDiv255(row[i + 1], alpha);
                outRow[i + 2] = MulDiv255(row[i + 2], alpha);
                outRow[i + 3] = (byte)alpha;
            }
        }

        return result;
    }

    /// <summary>In place: c·255/α truncated and clipped, colour kept as is where α is 0 or 255 (PIL's rgba2rgbA).</summary>
    public static void Unpremultiply8(Span<byte> pixels, int width, int height, int stride)
    {
        for (int y = 0; y < height; y++)
        {
            Span<byte> row = pixels.Slice(y * stride, width * 4);
            for (int i = 0; i < row.Length; i += 4)
            {
                int alpha = row[i + 3];
                if (alpha is not 0 and not 255)
                {
                    row[i] = (byte)Math.Min(255, 255 * row[i] / alpha);
                    row[i + 1] = (byte)Math.Min(255, 255 * row[i + 1] / alpha);
                    row[i + 2] = (byte)Math.Min(255, 255 * row[i + 2] / alpha);
                }
            }
        }
    }

    /// <summary>A contiguous premultiplied copy: c·α/65535 rounded to nearest.</summary>
    public static ushort[] Premultiply16(ReadOnlySpan<ushort> pixels, int width, int height, int stride)
    {
        var result = new ushort[width * height * 4];
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<ushort> row = pixels.Slice(y * stride, width * 4);
            Span<ushort> outRow = result.AsSpan(y * width * 4, width * 4);
            for (int i = 0; i < row.Length; i += 4)
            {
                uint alpha = row[i + 3];
                outRow[i] = (ushort)(((row[i] * alpha) + 32767) / 65535);
                outRow[i + 1] = (ushort)(((row[i + 1] * alpha) + 32767) / 65535);
                outRow[i + 2] = (ushort)(((row[i + 2] * alpha) + 32767) / 65535);
                outRow[i + 3] = (ushort)alpha;
            }
        }

        return result;
    }

    /// <summary>In place: c·65535/α rounded to nearest and clipped; colour kept as is where α is 0 or 65535.</summary>
    public static void Unpremultiply16(Span<ushort> pixels, int width, int height, int stride)
    {
        for (int y = 0; y < height; y++)
        {
            Span<ushort> row = pixels.Slice(y * stride, width * 4);
            for (int i = 0; i < row.Length; i += 4)
            {
                uint alpha = row[i + 3];
                if (alpha is not 0 and not 65535)
                {
                    row[i] = Unpremultiply(row[i], alpha);
                    row[i + 1] = Unpremultiply(row[i + 1], alpha);
                    row[i + 2] = Unpremultiply(row[i + 2], alpha);
                }
            }
        }
    }

    private static ushort Unpremultiply(uint c, uint alpha) => (ushort)Math.Min(65535u, ((c * 65535u) + (alpha / 2)) / alpha);

    private static byte MulDiv255(int a, int b)
    {
        int tmp = (a * b) + 128;
        return (byte)(((tmp >> 8) + tmp) >> 8);
    }
}
