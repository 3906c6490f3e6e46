using System.Buffers.Binary;
using System.Runtime.CompilerServices;

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
