namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>
/// One Huffman table (DHT) prepared for decoding: a <see cref="LookupBits"/>-bit lookahead table that resolves
/// almost every code in one step, a "fast AC" table that also folds in the coefficient's value bits when the
/// code and its value fit in the lookahead together, and the canonical-code limits for the rare long codes.
/// </summary>
internal sealed class HuffmanDecodingTable
{
    /// <summary>Bits of lookahead: codes up to this length resolve with one table read.</summary>
    public const int LookupBits = 9;

    /// <summary>For each <see cref="LookupBits"/>-bit peek: <c>(codeLength &lt;&lt; 8) | symbol</c>, or 0 when the code is longer.</summary>
    public readonly ushort[] Lookup = new ushort[1 << LookupBits];

    /// <summary>
    /// For AC tables: for each peek whose code and value bits both fit, <c>(value &lt;&lt; 16) | (run &lt;&lt; 8) | totalLength</c>;
    /// 0 otherwise (end of block, ZRL, or too long).
    /// </summary>
    public readonly int[] FastAc = new int[1 << LookupBits];

    /// <summary>Symbols in code order.</summary>
    public readonly byte[] Values = new byte[256];

    /// <summary>
    /// For code length L (1..16): one past the largest code of that length, left-aligned to 16 bits; a 16-bit
    /// peek below this value has a code of length at most L. Index 17 is a sentinel above every peek.
    /// </summary>
    public readonly int[] MaxCodeAligned = new int[18];

    /// <summary>For code length L: the offset to add to a code of that length to index <see cref="Values"/>.</summary>
    public readonly int[] ValueOffset = new int[18];

    /// <summary>Builds the decoding tables from a DHT's 16 code counts and its symbols.</summary>
    /// <param name="counts">How many codes have each length 1..16.</param>
    /// <param name="symbols">The symbols, in order of increasing code length.</param>
    /// <param name="isDc">DC tables may only hold magnitude categories 0..15.</param>
    /// <exception cref="ImageFormatException">The counts describe more codes than fit (an over-subscribed table) or a DC symbol is out of range.</exception>
    public HuffmanDecodingTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols, bool isDc)
    {
        int total = 0;
        for (int i = 0; i < 16; i++)
        {
            total += counts[i];
        }

        if (total > 256 || total > symbols.Length)
        {
            throw new ImageFormatException("The JPEG file has a corrupt Huffman table (more than 256 codes).");
        }

        symbols[..total].CopyTo(Values);
        if (isDc)
        {
            for (int i = 0; i < total; i++)
            {
                if (Values[i] > 15)
                {
                    throw new ImageFormatException("The JPEG file has a corrupt Huffman table (a DC category above 15).");
                }
            }
        }

        // Canonical codes (T.81 Annex C): codes of one length are consecutive; each longer length continues from
        // the previous length's next code, shifted left.
        Span<ushort> codes = stackalloc ushort[256];
        Span<byte> lengths = stackalloc byte[256];
        int code = 0;
        int index = 0;
        for (int length = 1; length <= 16; length++)
        {
            ValueOffset[length] = index - code;
            for (int i = 0; i < counts[length - 1]; i++)
            {
                codes[index] = (ushort)code;
                lengths[index] = (byte)length;
                index++;
                code++;
            }

            // A table whose codes overflow their length cannot be prefix-free. (libjpeg also refuses a table that
            // uses the reserved all-ones code; that one is still decodable, so it is accepted here.)
            if (code > (1 << length))
            {
                throw new ImageFormatException("The JPEG file has a corrupt Huffman table (the code lengths are over-subscribed).");
            }

            MaxCodeAligned[length] = code << (16 - length);
            code <<= 1;
        }

        MaxCodeAligned[17] = int.MaxValue;

        for (int i = 0; i < total; i++)
        {
            int length = lengths[i];
            if (length > LookupBits)
            {
                break;
            }

            int shift = LookupBits - length;
            int first = codes[i] << shift;
            int entry = (length << 8) | Values[i];
            for (int j = 0; j < 1 << shift; j++)
            {
                Lookup[first + j] = (ushort)entry;
            }

            if (isDc)
            {
                continue;
            }

            int run = Values[i] >> 4;
            int size = Values[i] & 15;
            if (size == 0 || length + size > LookupBits)
            {
                continue;
            }

            // The value bits follow the code inside the same peek: enumerate them.
            for (int j = 0; j < 1 << shift; j++)
            {
                int valueBits = j >> (shift - size);
                int value = valueBits < 1 << (size - 1) ? valueBits - (1 << size) + 1 : valueBits;
                FastAc[first + j] = (value << 16) | (run << 8) | (length + size);
            }
        }
    }
}
