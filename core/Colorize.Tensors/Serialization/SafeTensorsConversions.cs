using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Colorize.Tensors.Serialization;

/// <summary>
/// Element conversions between the little-endian bytes of a safetensors data region and float32 / int64 values.
/// </summary>
/// <remarks>
/// Rounding follows PyTorch's CPU conversions: float32 to F16 and to BF16 round to nearest, ties to even, as
/// <c>tensor.half()</c> and <c>tensor.bfloat16()</c> do; wider types narrow to float32 with the IEEE default
/// rounding, like <c>tensor.float()</c>. NaNs are written as PyTorch's CPU kernels write them: F16 as the quiet NaN
/// 0x7E00 with the input's sign, BF16 as 0xFFFF (its AVX2/AVX-512 conversion blends in an all-ones NaN; its scalar
/// fallback would give 0x7FC0 — both are NaN, nothing reads the payload). The fast paths assume a little-endian host
/// (x64 and ARM64 are); every scalar path reads bytes explicitly as little-endian, so big-endian hosts work too.
/// </remarks>
internal static class SafeTensorsConversions
{
    private const ushort HalfQuietNaN = 0x7E00;
    private const ushort BFloat16NaN = 0xFFFF;

    private static readonly float[] F8E4M3Table = BuildF8E4M3Table();

    /// <summary>float32 → F16 bits, round to nearest even; overflow becomes infinity, NaN becomes a quiet NaN with the same sign.</summary>
    public static ushort SingleToHalfBits(float value)
    {
        if (float.IsNaN(value))
        {
            return (ushort)(HalfQuietNaN | (float.IsNegative(value) ? 0x8000 : 0));
        }

        // The BCL conversion is correctly rounded (ties to even) for finite values, subnormals and overflow;
        // the tests check it against PyTorch on thousands of values, including every rounding boundary.
        return BitConverter.HalfToUInt16Bits((Half)value);
    }

    /// <summary>float32 → BF16 bits, round to nearest even (PyTorch's <c>round_to_nearest_even</c>); NaN becomes 0xFFFF as on PyTorch's CPU.</summary>
    public static ushort SingleToBFloat16Bits(float value)
    {
        if (float.IsNaN(value))
        {
            return BFloat16NaN;
        }

        uint bits = BitConverter.SingleToUInt32Bits(value);

        // Adding 0x7FFF plus the lowest kept bit rounds the dropped half-word to nearest, ties to even; a carry
        // out of the mantissa correctly bumps the exponent (up to infinity for values past the largest bfloat16).
        uint roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>BF16 bits → float32 (exact).</summary>
    public static float BFloat16BitsToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>
    /// Converts <paramref name="source"/> (little-endian elements of <paramref name="dtype"/>) to float32.
    /// <paramref name="source"/> holds exactly <c>destination.Length</c> elements.
    /// </summary>
    public static void ToSingle(SafeTensorsDType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case SafeTensorsDType.F32:
                if (BitConverter.IsLittleEndian)
                {
                    source.CopyTo(MemoryMarshal.AsBytes(destination));
                    return;
                }

                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source.Slice(4 * i));
                }

                return;
            case SafeTensorsDType.F16:
                if (BitConverter.IsLittleEndian)
                {
                    TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);
                    return;
                }

                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source.Slice(2 * i));
                }

                return;
            case SafeTensorsDType.BF16:
                BFloat16ToSingle(source, destination);
                return;
            case SafeTensorsDType.F64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source.Slice(8 * i));
                }

                return;
            case SafeTensorsDType.F8E5M2:
                // E5M2 is exactly the upper byte of an IEEE binary16.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BitConverter.UInt16BitsToHalf((ushort)(source[i] << 8));
                }

                return;
            case SafeTensorsDType.F8E4M3:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = F8E4M3Table[source[i]];
                }

                return;
            case SafeTensorsDType.Bool:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = source[i] != 0 ? 1f : 0f;
                }

                return;
            case SafeTensorsDType.U8:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = source[i];
                }

                return;
            case SafeTensorsDType.I8:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (sbyte)source[i];
                }

                return;
            case SafeTensorsDType.I16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt16LittleEndian(source.Slice(2 * i));
                }

                return;
            case SafeTensorsDType.U16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i));
                }

                return;
            case SafeTensorsDType.I32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt32LittleEndian(source.Slice(4 * i));
                }

                return;
            case SafeTensorsDType.U32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(4 * i));
                }

                return;
            case SafeTensorsDType.I64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt64LittleEndian(source.Slice(8 * i));
                }

                return;
            case SafeTensorsDType.U64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(8 * i));
                }

                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype.");
        }
    }

    /// <summary>
    /// Converts integer or boolean elements to int64. Returns the index of the first U64 value that does not fit in
    /// an <see cref="long"/>, or -1 when all fit.
    /// </summary>
    public static int ToInt64(SafeTensorsDType dtype, ReadOnlySpan<byte> source, Span<long> destination)
    {
        switch (dtype)
        {
            case SafeTensorsDType.I64:
                if (BitConverter.IsLittleEndian)
                {
                    source.CopyTo(MemoryMarshal.AsBytes(destination));
                    return -1;
                }

                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt64LittleEndian(source.Slice(8 * i));
                }

                return -1;
            case SafeTensorsDType.U64:
                for (int i = 0; i < destination.Length; i++)
                {
                    ulong value = BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(8 * i));
                    if (value > long.MaxValue)
                    {
                        return i;
                    }

                    destination[i] = (long)value;
                }

                return -1;
            case SafeTensorsDType.Bool:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = source[i] != 0 ? 1 : 0;
                }

                return -1;
            case SafeTensorsDType.U8:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = source[i];
                }

                return -1;
            case SafeTensorsDType.I8:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (sbyte)source[i];
                }

                return -1;
            case SafeTensorsDType.I16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt16LittleEndian(source.Slice(2 * i));
                }

                return -1;
            case SafeTensorsDType.U16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i));
                }

                return -1;
            case SafeTensorsDType.I32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt32LittleEndian(source.Slice(4 * i));
                }

                return -1;
            case SafeTensorsDType.U32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(4 * i));
                }

                return -1;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not an integer safetensors dtype.");
        }
    }

    /// <summary>Encodes float32 values as little-endian F32, F16 or BF16 elements.</summary>
    public static void FromSingle(SafeTensorsDType dtype, ReadOnlySpan<float> source, Span<byte> destination)
    {
        switch (dtype)
        {
            case SafeTensorsDType.F32:
                if (BitConverter.IsLittleEndian)
                {
                    MemoryMarshal.AsBytes(source).CopyTo(destination);
                    return;
                }

                for (int i = 0; i < source.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(destination.Slice(4 * i), source[i]);
                }

                return;
            case SafeTensorsDType.F16:
                if (BitConverter.IsLittleEndian)
                {
                    // The vectorized BCL conversion rounds like (Half)x; only NaNs need making canonical.
                    TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<byte, Half>(destination));
                    Span<ushort> halves = MemoryMarshal.Cast<byte, ushort>(destination);
                    for (int i = 0; i < halves.Length; i++)
                    {
                        if ((halves[i] & 0x7FFF) > 0x7C00)
                        {
                            halves[i] = SingleToHalfBits(source[i]);
                        }
                    }

                    return;
                }

                for (int i = 0; i < source.Length; i++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(2 * i), SingleToHalfBits(source[i]));
                }

                return;
            case SafeTensorsDType.BF16:
                SingleToBFloat16(source, destination);
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Float values can be written as F32, F16 or BF16.");
        }
    }

    /// <summary>Encodes int64 values as little-endian I64 elements.</summary>
    public static void FromInt64(ReadOnlySpan<long> source, Span<byte> destination)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(source).CopyTo(destination);
            return;
        }

        for (int i = 0; i < source.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(destination.Slice(8 * i), source[i]);
        }
    }

    private static void BFloat16ToSingle(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int i = 0;
        if (BitConverter.IsLittleEndian && Vector128.IsHardwareAccelerated)
        {
            // Widening each u16 to u32 and shifting it into the upper half is the whole conversion.
            ref ushort src = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, ushort>(source));
            ref float dst = ref MemoryMarshal.GetReference(destination);
            for (; i <= destination.Length - Vector128<ushort>.Count; i += Vector128<ushort>.Count)
            {
                (Vector128<uint> lower, Vector128<uint> upper) = Vector128.Widen(Vector128.LoadUnsafe(ref src, (nuint)i));
                Vector128.ShiftLeft(lower, 16).AsSingle().StoreUnsafe(ref dst, (nuint)i);
                Vector128.ShiftLeft(upper, 16).AsSingle().StoreUnsafe(ref dst, (nuint)(i + Vector128<uint>.Count));
            }
        }

        for (; i < destination.Length; i++)
        {
            destination[i] = BFloat16BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i)));
        }
    }

    private static void SingleToBFloat16(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int i = 0;
        if (BitConverter.IsLittleEndian && Vector128.IsHardwareAccelerated)
        {
            // The same round-to-nearest-even as SingleToBFloat16Bits, 8 values at a time.
            ref float src = ref MemoryMarshal.GetReference(source);
            ref ushort dst = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, ushort>(destination));
            for (; i <= source.Length - Vector128<ushort>.Count; i += Vector128<ushort>.Count)
            {
                Vector128<float> lower = Vector128.LoadUnsafe(ref src, (nuint)i);
                Vector128<float> upper = Vector128.LoadUnsafe(ref src, (nuint)(i + Vector128<float>.Count));
                Vector128<ushort> rounded = Vector128.Narrow(RoundToBFloat16(lower), RoundToBFloat16(upper));
                rounded.StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < source.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(2 * i), SingleToBFloat16Bits(source[i]));
        }
    }

    /// <summary>Rounded bfloat16 bits in the low half of each lane (0xFFFF for NaN), ready to narrow.</summary>
    private static Vector128<uint> RoundToBFloat16(Vector128<float> values)
    {
        Vector128<uint> bits = values.AsUInt32();
        Vector128<uint> bias = Vector128.Create(0x7FFFu) + (Vector128.ShiftRightLogical(bits, 16) & Vector128<uint>.One);
        Vector128<uint> rounded = Vector128.ShiftRightLogical(bits + bias, 16);
        Vector128<uint> isNumber = Vector128.Equals(values, values).AsUInt32();
        return Vector128.ConditionalSelect(isNumber, rounded, Vector128.Create((uint)BFloat16NaN));
    }

    private static float[] BuildF8E4M3Table()
    {
        // E4M3FN (OCP FP8): bias 7, no infinities, S.1111.111 is NaN; subnormals are mantissa × 2^-9.
        var table = new float[256];
        for (int b = 0; b < 256; b++)
        {
            int exponent = (b >> 3) & 0xF;
            int mantissa = b & 0x7;
            float magnitude = exponent == 0
                ? mantissa * MathF.ScaleB(1f, -9)
                : (8 + mantissa) * MathF.ScaleB(1f, exponent - 10);
            if (exponent == 15 && mantissa == 7)
            {
                magnitude = BitConverter.UInt32BitsToSingle(0x7FC00000); // a positive quiet NaN; the sign follows
            }

            table[b] = (b & 0x80) != 0 ? -magnitude : magnitude;
        }

        return table;
    }
}
