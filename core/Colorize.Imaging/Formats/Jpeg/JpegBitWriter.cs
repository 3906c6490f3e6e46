using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>
/// Writes a JPEG file: marker segments as raw bytes, entropy-coded data bit by bit with 0xFF byte stuffing.
/// Bits collect right-aligned in a 64-bit accumulator and leave in 32-bit words when no 0xFF is among them.
/// </summary>
internal sealed class JpegBitWriter
{
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _length;
    private ulong _accumulator;
    private int _count;

    /// <summary>Writes to <paramref name="stream"/> (buffered; call <see cref="Flush"/> at the end).</summary>
    public JpegBitWriter(Stream stream)
    {
        _stream = stream;
    }

    /// <summary>Appends the low <paramref name="count"/> (0..32) bits of <paramref name="bits"/>, which must have no higher bits set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteBits(uint bits, int count)
    {
        _accumulator = (_accumulator << count) | bits;
        _count += count;
        if (_count >= 32)
        {
            EmitWord();
        }
    }

    private void EmitWord()
    {
        _count -= 32;
        uint word = (uint)(_accumulator >> _count);
        if (_length > _buffer.Length - 8)
        {
            FlushBuffer();
        }

        // A word without 0xFF bytes goes out as is; otherwise each 0xFF byte is followed by a stuffed 0x00.
        uint inverted = ~word;
        if (((inverted - 0x01010101u) & ~inverted & 0x80808080u) == 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), word);
            _length += 4;
            return;
        }

        for (int shift = 24; shift >= 0; shift -= 8)
        {
            byte value = (byte)(word >> shift);
            _buffer[_length++] = value;
            if (value == 0xFF)
            {
                _buffer[_length++] = 0;
            }
        }
    }

    /// <summary>
    /// jchuff.c's encode_one_block: the DC difference, then run/size symbols for the non-zero AC coefficients
    /// in zigzag order (ZRL for runs over 15, EOB after the last). Finds the non-zero coefficients with a
    /// vector compare and walks them with trailing-zero counts; the bit buffer stays in locals. Returns the
    /// block's DC for the next prediction.
    /// </summary>
    /// <param name="block">64 quantised coefficients in natural order.</param>
    /// <param name="lastDc">The previous block's DC of the same component.</param>
    /// <param name="dc">The DC table.</param>
    /// <param name="ac">The AC table.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public int EncodeBlock(ReadOnlySpan<short> block, int lastDc, HuffmanEncodingTable dc, HuffmanEncodingTable ac)
    {
        // A block codes at most 64 symbols of at most 16 + 11 bits, plus stuffing: 512 bytes is ample.
        if (_length > _buffer.Length - 512)
        {
            FlushBuffer();
        }

        Span<short> zigzagOrder = stackalloc short[64];
        ReadOnlySpan<byte> zigzag = JpegConstants.ZigzagToNatural;
        ref short source = ref MemoryMarshal.GetReference(block);
        for (int k = 0; k < 64; k++)
        {
            zigzagOrder[k] = Unsafe.Add(ref source, zigzag[k]);
        }

        ulong nonZero = 0;
        ref short ordered = ref MemoryMarshal.GetReference(zigzagOrder);
        for (int i = 0; i < 4; i++)
        {
            ulong lanes = ~Vector256.Equals(Vector256.LoadUnsafe(ref ordered, (nuint)(16 * i)), Vector256<short>.Zero).ExtractMostSignificantBits() & 0xFFFF;
            nonZero |= lanes << (16 * i);
        }

        ulong accumulator = _accumulator;
        int count = _count;
        int length = _length;
        byte[] buffer = _buffer;

        int value = zigzagOrder[0];
        int difference = value - lastDc;
        int size = BitLength(difference);
        uint extra = (uint)(difference + (difference >> 31)) & ((1u << size) - 1);
        Put(dc.Codes[size], dc.Lengths[size]);
        Put(extra, size);

        ushort[] codes = ac.Codes;
        byte[] lengths = ac.Lengths;
        ulong remaining = nonZero & ~1UL;
        int previous = 0;
        while (remaining != 0)
        {
            int k = BitOperations.TrailingZeroCount(remaining);
            remaining &= remaining - 1;
            int run = k - previous - 1;
            previous = k;
            while (run > 15)
            {
                Put(codes[0xF0], lengths[0xF0]);
                run -= 16;
            }

            int coefficient = zigzagOrder[k];
            int bits = BitLength(coefficient);
            int symbol = (run << 4) | bits;
            uint valueBits = (uint)(coefficient + (coefficient >> 31)) & ((1u << bits) - 1);
            Put(((uint)codes[symbol] << bits) | valueBits, lengths[symbol] + bits);
        }

        if (previous != 63)
        {
            Put(codes[0], lengths[0]);
        }

        _accumulator = accumulator;
        _count = count;
        _length = length;
        return value;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        void Put(uint bits, int bitCount)
        {
            accumulator = (accumulator << bitCount) | bits;
            count += bitCount;
            if (count >= 32)
            {
                count -= 32;
                uint word = (uint)(accumulator >> count);
                uint inverted = ~word;
                if (((inverted - 0x01010101u) & ~inverted & 0x80808080u) == 0)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(length), word);
                    length += 4;
                }
                else
                {
                    for (int shift = 24; shift >= 0; shift -= 8)
                    {
                        byte b = (byte)(word >> shift);
                        buffer[length++] = b;
                        if (b == 0xFF)
                        {
                            buffer[length++] = 0;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Bits needed for |value| (T.81's SSSS category).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BitLength(int value)
    {
        // |value| without a branch: the sign decides unpredictably, block after block.
        int sign = value >> 31;
        return 32 - BitOperations.LeadingZeroCount((uint)((value ^ sign) - sign));
    }

    /// <summary>Pads the entropy-coded data to a byte boundary with 1 bits (as T.81 prescribes) and emits it.</summary>
    public void FlushBits()
    {
        int padding = (8 - (_count & 7)) & 7;
        _accumulator = (_accumulator << padding) | ((1u << padding) - 1);
        _count += padding;
        while (_count >= 8)
        {
            _count -= 8;
            byte value = (byte)(_accumulator >> _count);
            EnsureSpace(2);
            _buffer[_length++] = value;
            if (value == 0xFF)
            {
                _buffer[_length++] = 0;
            }
        }

        _accumulator = 0;
    }

    /// <summary>Writes raw bytes (marker segments); entropy-coded bits must have been flushed.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _buffer.Length - _length)
        {
            FlushBuffer();
            if (bytes.Length > _buffer.Length)
            {
                _stream.Write(bytes);
                return;
            }
        }

        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Writes a marker (FF xx).</summary>
    public void WriteMarker(byte marker) => WriteRaw([0xFF, marker]);

    /// <summary>Writes everything buffered to the stream.</summary>
    public void Flush()
    {
        FlushBuffer();
        _stream.Flush();
    }

    private void EnsureSpace(int bytes)
    {
        if (_length > _buffer.Length - bytes)
        {
            FlushBuffer();
        }
    }

    private void FlushBuffer()
    {
        _stream.Write(_buffer, 0, _length);
        _length = 0;
    }
}
