namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>
/// One Huffman table for encoding: the DHT form (16 code counts and the symbols) and, per symbol, its canonical
/// code and length. Built from the standard tables of T.81 Annex K or from symbol frequencies with libjpeg's
/// <c>jpeg_gen_optimal_table</c> (optimal lengths limited to 16 bits, the all-ones code kept free).
/// </summary>
internal sealed class HuffmanEncodingTable
{
    /// <summary>Builds the encoding table for a DHT-form table.</summary>
    public HuffmanEncodingTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols)
    {
        Counts = counts.ToArray();
        Symbols = symbols.ToArray();
        int code = 0;
        int index = 0;
        for (int length = 1; length <= 16; length++)
        {
            for (int i = 0; i < Counts[length - 1]; i++)
            {
                byte symbol = Symbols[index++];
                Codes[symbol] = (ushort)code;
                Lengths[symbol] = (byte)length;
                code++;
            }

            code <<= 1;
        }
    }

    /// <summary>How many codes have each length 1..16.</summary>
    public byte[] Counts { get; }

    /// <summary>The symbols in code order.</summary>
    public byte[] Symbols { get; }

    /// <summary>The code of each symbol (valid where <see cref="Lengths"/> is non-zero).</summary>
    public ushort[] Codes { get; } = new ushort[256];

    /// <summary>The code length of each symbol; 0 for symbols the table does not hold.</summary>
    public byte[] Lengths { get; } = new byte[256];

    /// <summary>The standard luminance DC table.</summary>
    public static HuffmanEncodingTable StandardLuminanceDc() => new(JpegConstants.LuminanceDcBits, JpegConstants.LuminanceDcValues);

    /// <summary>The standard luminance AC table.</summary>
    public static HuffmanEncodingTable StandardLuminanceAc() => new(JpegConstants.LuminanceAcBits, JpegConstants.LuminanceAcValues);

    /// <summary>The standard chrominance DC table.</summary>
    public static HuffmanEncodingTable StandardChrominanceDc() => new(JpegConstants.ChrominanceDcBits, JpegConstants.ChrominanceDcValues);

    /// <summary>The standard chrominance AC table.</summary>
    public static HuffmanEncodingTable StandardChrominanceAc() => new(JpegConstants.ChrominanceAcBits, JpegConstants.ChrominanceAcValues);

    /// <summary>
    /// libjpeg's jpeg_gen_optimal_table (T.81 Annex K.2): Huffman code lengths from the symbol frequencies,
    /// then lengths over 16 shortened as the standard's Adjust_BITS does. A dummy symbol 256 with frequency 1
    /// reserves the all-ones code.
    /// </summary>
    /// <param name="frequencies">How often each of the 256 symbols occurs (not modified).</param>
    public static HuffmanEncodingTable FromFrequencies(ReadOnlySpan<long> frequencies)
    {
        const int MaxCodeLength = 32;
        Span<long> freq = stackalloc long[257];
        frequencies[..256].CopyTo(freq);
        freq[256] = 1;
        if (!freq[..256].ContainsAnyExcept(0L))
        {
            // A table nobody uses still needs one real code to be a valid DHT.
            freq[0] = 1;
        }

        Span<int> codeSize = stackalloc int[257];
        Span<int> others = stackalloc int[257];
        codeSize.Clear();
        others.Fill(-1);

        while (true)
        {
            // The smallest non-zero frequency, ties to the largest symbol (libjpeg's "<=" scan); then the next.
            int c1 = -1;
            long v = long.MaxValue;
            for (int i = 0; i <= 256; i++)
            {
                if (freq[i] != 0 && freq[i] <= v)
                {
                    v = freq[i];
                    c1 = i;
                }
            }

            int c2 = -1;
            v = long.MaxValue;
            for (int i = 0; i <= 256; i++)
            {
                if (freq[i] != 0 && freq[i] <= v && i != c1)
                {
                    v = freq[i];
                    c2 = i;
                }
            }

            if (c2 < 0)
            {
                break;
            }

            freq[c1] += freq[c2];
            freq[c2] = 0;
            codeSize[c1]++;
            while (others[c1] >= 0)
            {
                c1 = others[c1];
                codeSize[c1]++;
            }

            others[c1] = c2;
            codeSize[c2]++;
            while (others[c2] >= 0)
            {
                c2 = others[c2];
                codeSize[c2]++;
            }
        }

        Span<int> bits = stackalloc int[MaxCodeLength + 1];
        bits.Clear();
        for (int i = 0; i <= 256; i++)
        {
            if (codeSize[i] != 0)
            {
                if (codeSize[i] > MaxCodeLength)
                {
                    throw new InvalidOperationException("Huffman code length overflow.");
                }

                bits[codeSize[i]]++;
            }
        }

        // Lengths over 16: move pairs of the longest codes up, splitting a shorter code (Annex K.3 Adjust_BITS).
        for (int i = MaxCodeLength; i > 16; i--)
        {
            while (bits[i] > 0)
            {
                int j = i - 2;
                while (bits[j] == 0)
                {
                    j--;
                }

                bits[i] -= 2;
                bits[i - 1]++;
                bits[j + 1] += 2;
                bits[j]--;
            }
        }

        // Drop the reserved dummy symbol's code (one of the longest).
        int longest = 16;
        while (bits[longest] == 0)
        {
            longest--;
        }

        bits[longest]--;

        Span<byte> counts = stackalloc byte[16];
        for (int i = 1; i <= 16; i++)
        {
            counts[i - 1] = (byte)bits[i];
        }

        // Symbols sorted by code length, then by value, as libjpeg lists them.
        var symbols = new List<byte>(256);
        for (int length = 1; length <= MaxCodeLength; length++)
        {
            for (int symbol = 0; symbol < 256; symbol++)
            {
                if (codeSize[symbol] == length)
                {
                    symbols.Add((byte)symbol);
                }
            }
        }

        return new HuffmanEncodingTable(counts, symbols.ToArray());
    }
}
