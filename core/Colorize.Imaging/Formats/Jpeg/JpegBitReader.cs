using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>
/// Reads the entropy-coded segment of a scan most-significant bit first, removing the 0xFF 0x00 byte stuffing.
/// Bits sit left-aligned in a 64-bit buffer, refilled eight bytes at a time when no 0xFF is near.
/// When the data runs into a marker (or ends) the reader behaves like libjpeg: it stops in front of the marker
/// and supplies zero bits from then on; <see cref="ConsumedPadding"/> tells the decoder that real data ran out
/// so it can leave the rest of the restart interval blank instead of decoding noise.
/// </summary>
internal ref struct JpegBitReader
{
    private readonly ReadOnlySpan<byte> _data;
    private ulong _bits;
    private int _count;
    private int _padding;

    /// <summary>Starts reading at <paramref name="position"/> in <paramref name="data"/>.</summary>
    public JpegBitReader(ReadOnlySpan<byte> data, int position)
    {
        _data = data;
        Position = position;
    }

    /// <summary>The next byte to load; when <see cref="MarkerHit"/> is set it points at the marker's 0xFF (or the end).</summary>
    public int Position { get; private set; }

    /// <summary>Whether the reader has stopped at a marker or at the end of the data.</summary>
    public bool MarkerHit { get; private set; }

    /// <summary>Whether decoding has used zero bits made up after a marker or the end of the data.</summary>
    public readonly bool ConsumedPadding => _count < _padding;

    /// <summary>Whether a bit pattern that is no code of its Huffman table was met since the last <see cref="ClearBadCode"/>: the data is corrupt.</summary>
    public bool BadCode { get; private set; }

    /// <summary>Forgets a bad code once the decoder has noted where it was.</summary>
    public void ClearBadCode() => BadCode = false;

    /// <summary>The buffered bits, left-aligned.</summary>
    public readonly ulong Bits => _bits;

    /// <summary>How many bits are buffered (real ones and, after a marker, made-up zeros).</summary>
    public readonly int Count => _count;

    /// <summary>
    /// Hands back bit state a hot loop kept in locals (<see cref="Bits"/>, <see cref="Count"/> after consuming),
    /// so the buffer can live in registers between refills.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetState(ulong bits, int count)
    {
        _bits = bits;
        _count = count;
    }

    /// <summary>Like <see cref="SetState(ulong, int)"/>, also handing back a read position advanced by an inlined refill.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetState(ulong bits, int count, int position)
    {
        _bits = bits;
        _count = count;
        Position = position;
    }

    /// <summary>The data being read, for hot loops that refill inline.</summary>
    public readonly ReadOnlySpan<byte> Data => _data;

    /// <summary>
    /// The refill fast path, for hot loops that keep the state in locals: when the next eight bytes hold no 0xFF
    /// (no stuffing, no marker), appends as many whole bytes as fit and returns true; otherwise changes nothing
    /// and returns false (then hand the state back and call <see cref="Refill"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRefillFast(ReadOnlySpan<byte> data, ref ulong bits, ref int count, ref int position)
    {
        if (position > data.Length - 8)
        {
            return false;
        }

        ulong word = BinaryPrimitives.ReadUInt64BigEndian(data[position..]);
        ulong inverted = ~word;
        if (((inverted - 0x0101010101010101UL) & ~inverted & 0x8080808080808080UL) != 0)
        {
            return false;
        }

        int bytes = (63 - count) >> 3;
        bits |= (word >> (64 - (bytes * 8))) << (64 - count - (bytes * 8));
        count += bytes * 8;
        position += bytes;
        return true;
    }

    /// <summary>Refills the buffer to at least 57 bits (zeros past a marker); <see cref="Ensure"/> without the check.</summary>
    public void Refill() => Fill();

    /// <summary>Makes sure at least <paramref name="count"/> (≤ 56) bits are buffered, supplying zeros after a marker.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Ensure(int count)
    {
        if (_count < count)
        {
            Fill();
        }
    }

    /// <summary>The next <paramref name="count"/> (1..32) bits without consuming them; <see cref="Ensure"/> first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int Peek(int count) => (int)(_bits >> (64 - count));

    /// <summary>Drops <paramref name="count"/> bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Skip(int count)
    {
        _bits <<= count;
        _count -= count;
    }

    /// <summary>Reads <paramref name="count"/> (1..16) bits as an unsigned number.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadBits(int count)
    {
        Ensure(count);
        int value = (int)(_bits >> (64 - count));
        _bits <<= count;
        _count -= count;
        return value;
    }

    /// <summary>Reads one bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadBit()
    {
        Ensure(1);
        int value = (int)(_bits >> 63);
        _bits <<= 1;
        _count--;
        return value;
    }

    /// <summary>Reads a <paramref name="size"/>-bit (1..16) magnitude and sign-extends it as T.81's EXTEND does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadExtended(int size)
    {
        Ensure(size);
        int value = (int)(_bits >> (64 - size));
        _bits <<= size;
        _count -= size;
        return Extend(value, size);
    }

    /// <summary>T.81's EXTEND: a value whose top bit is clear is negative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Extend(int value, int size) =>
        value + (((value - (1 << (size - 1))) >> 31) & ((-1 << size) + 1));

    /// <summary>Decodes one Huffman symbol.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int DecodeSymbol(HuffmanDecodingTable table)
    {
        Ensure(16);
        int entry = table.Lookup[(int)(_bits >> (64 - HuffmanDecodingTable.LookupBits))];
        if (entry != 0)
        {
            int length = entry >> 8;
            _bits <<= length;
            _count -= length;
            return entry & 0xFF;
        }

        return DecodeLongSymbol(table);
    }

    /// <summary>Decodes a symbol whose code is longer than the lookahead (or is not a valid code at all).</summary>
    public int DecodeLongSymbol(HuffmanDecodingTable table)
    {
        Ensure(16);
        int peek = (int)(_bits >> 48);
        for (int length = HuffmanDecodingTable.LookupBits + 1; length <= 16; length++)
        {
            if (peek < table.MaxCodeAligned[length])
            {
                _bits <<= length;
                _count -= length;
                return table.Values[((peek >> (16 - length)) + table.ValueOffset[length]) & 0xFF];
            }
        }

        // Not a code of this table: corrupt data. libjpeg warns and carries on with symbol 0; so do we, and the
        // decoder marks the image damaged from this MCU on.
        BadCode = true;
        _bits <<= 16;
        _count -= 16;
        return 0;
    }

    /// <summary>Throws away the buffered bits (at a restart marker, where the encoder padded to a byte).</summary>
    public void DiscardBits()
    {
        _bits = 0;
        _count = 0;
        _padding = 0;
    }

    /// <summary>
    /// Finds the next marker at or after <see cref="Position"/>, skipping any garbage bytes as libjpeg does,
    /// and returns its code without consuming it (<see cref="Position"/> then points at its 0xFF); returns
    /// <see cref="JpegConstants.Eoi"/> at the end of the data, as libjpeg's source manager pretends.
    /// </summary>
    public int PeekMarker()
    {
        int position = Position;
        while (true)
        {
            while (position < _data.Length && _data[position] != 0xFF)
            {
                position++;
            }

            // Skip fill bytes: FF FF ... FF xx.
            int code = -1;
            while (position + 1 < _data.Length)
            {
                byte next = _data[position + 1];
                if (next != 0xFF)
                {
                    code = next;
                    break;
                }

                position++;
            }

            if (code < 0)
            {
                Position = _data.Length;
                MarkerHit = true;
                return JpegConstants.Eoi;
            }

            if (code == 0)
            {
                // A stuffed zero outside the entropy data is garbage, not a marker.
                position += 2;
                continue;
            }

            Position = position;
            MarkerHit = true;
            return code;
        }
    }

    /// <summary>Consumes the marker <see cref="PeekMarker"/> returned and resumes reading entropy data after it.</summary>
    public void ConsumeMarker()
    {
        Position = Math.Min(Position + 2, _data.Length);
        MarkerHit = false;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void Fill()
    {
        ReadOnlySpan<byte> data = _data;
        int position = Position;
        if (!MarkerHit && position + 8 <= data.Length)
        {
            ulong word = BinaryPrimitives.ReadUInt64BigEndian(data[position..]);

            // No 0xFF among the next eight bytes (no stuffing, no marker): take as many whole bytes as fit.
            ulong inverted = ~word;
            if (((inverted - 0x0101010101010101UL) & ~inverted & 0x8080808080808080UL) == 0)
            {
                int bytes = (63 - _count) >> 3;
                _bits |= (word >> (64 - (bytes * 8))) << (64 - _count - (bytes * 8));
                _count += bytes * 8;
                Position = position + bytes;
                return;
            }
        }

        while (_count <= 56)
        {
            if (MarkerHit)
            {
                // Past a marker or the end: pretend the data continues with zero bits, and remember how many
                // made-up bits sit at the bottom of the buffer.
                _padding += 64 - _count;
                _count = 64;
                break;
            }

            if (position >= data.Length)
            {
                MarkerHit = true;
                continue;
            }

            int value = data[position];
            if (value == 0xFF)
            {
                // FF 00 is a stuffed 0xFF data byte; FF FF ... is fill before a marker or before FF 00.
                int next = position + 1;
                while (next < data.Length && data[next] == 0xFF)
                {
                    next++;
                }

                if (next < data.Length && data[next] == 0)
                {
                    position = next + 1;
                }
                else
                {
                    MarkerHit = true;
                    continue;
                }
            }
            else
            {
                position++;
            }

            _bits |= (ulong)value << (56 - _count);
            _count += 8;
        }

        Position = position;
    }
}
