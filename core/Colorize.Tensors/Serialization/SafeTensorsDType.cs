namespace Colorize.Tensors.Serialization;

/// <summary>
/// The element types of the safetensors format, with the names the header uses (<c>"F32"</c>, <c>"BF16"</c>, ...).
/// </summary>
/// <remarks>
/// The numeric values follow the declaration order of the reference implementation's <c>Dtype</c> enum
/// (huggingface/safetensors), which is "increasing alignment order": the reference writer lays tensors out by
/// descending dtype in that order and then by name, and <see cref="SafeTensorsWriter"/> does the same so that
/// both produce the same bytes. Newer sub-byte and exotic types (F4, F6, F8_E8M0, complex) are not listed: a file
/// using them is reported as having an unsupported dtype.
/// </remarks>
public enum SafeTensorsDType
{
    /// <summary><c>BOOL</c>: one byte, zero is false, anything else true.</summary>
    Bool = 0,

    /// <summary><c>U8</c>: unsigned 8-bit integer.</summary>
    U8 = 1,

    /// <summary><c>I8</c>: signed 8-bit integer.</summary>
    I8 = 2,

    /// <summary><c>F8_E5M2</c>: 8-bit float, 5 exponent bits and 2 mantissa bits (the upper byte of an F16).</summary>
    F8E5M2 = 3,

    /// <summary><c>F8_E4M3</c>: 8-bit float, 4 exponent bits and 3 mantissa bits, no infinities ("E4M3FN").</summary>
    F8E4M3 = 4,

    /// <summary><c>I16</c>: signed 16-bit integer.</summary>
    I16 = 5,

    /// <summary><c>U16</c>: unsigned 16-bit integer.</summary>
    U16 = 6,

    /// <summary><c>F16</c>: IEEE 754 binary16 (<see cref="Half"/>).</summary>
    F16 = 7,

    /// <summary><c>BF16</c>: bfloat16, the upper 16 bits of an IEEE 754 binary32.</summary>
    BF16 = 8,

    /// <summary><c>I32</c>: signed 32-bit integer.</summary>
    I32 = 9,

    /// <summary><c>U32</c>: unsigned 32-bit integer.</summary>
    U32 = 10,

    /// <summary><c>F32</c>: IEEE 754 binary32.</summary>
    F32 = 11,

    /// <summary><c>F64</c>: IEEE 754 binary64.</summary>
    F64 = 12,

    /// <summary><c>I64</c>: signed 64-bit integer (PyTorch stores <c>num_batches_tracked</c> this way).</summary>
    I64 = 13,

    /// <summary><c>U64</c>: unsigned 64-bit integer.</summary>
    U64 = 14,
}

/// <summary>Facts about <see cref="SafeTensorsDType"/> values: element size and header name.</summary>
public static class SafeTensorsDTypeExtensions
{
    private static readonly string[] HeaderNames =
    [
        "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64",
    ];

    /// <summary>The size of one element in bytes.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>1, 2, 4 or 8.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined value.</exception>
    public static int SizeInBytes(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.Bool or SafeTensorsDType.U8 or SafeTensorsDType.I8
            or SafeTensorsDType.F8E5M2 or SafeTensorsDType.F8E4M3 => 1,
        SafeTensorsDType.I16 or SafeTensorsDType.U16 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => 2,
        SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.F32 => 4,
        SafeTensorsDType.F64 or SafeTensorsDType.I64 or SafeTensorsDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype."),
    };

    /// <summary>The name the safetensors header uses for this type, e.g. <c>"BF16"</c> or <c>"F8_E4M3"</c>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The header name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined value.</exception>
    public static string ToHeaderName(this SafeTensorsDType dtype) =>
        (uint)dtype < (uint)HeaderNames.Length
            ? HeaderNames[(int)dtype]
            : throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype.");

    /// <summary>Whether the values are integers (or booleans), i.e. readable with <see cref="SafeTensorsFile.ReadInt64(string)"/>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns><see langword="true"/> for BOOL, U8, I8, I16, U16, I32, U32, I64 and U64.</returns>
    public static bool IsInteger(this SafeTensorsDType dtype) => dtype is SafeTensorsDType.Bool
        or SafeTensorsDType.U8 or SafeTensorsDType.I8 or SafeTensorsDType.I16 or SafeTensorsDType.U16
        or SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.I64 or SafeTensorsDType.U64;

    /// <summary>Parses a header dtype name (exact, case-sensitive, as the reference implementation does).</summary>
    internal static bool TryParseHeaderName(ReadOnlySpan<char> name, out SafeTensorsDType dtype)
    {
        for (int i = 0; i < HeaderNames.Length; i++)
        {
            if (name.SequenceEqual(HeaderNames[i]))
            {
                dtype = (SafeTensorsDType)i;
                return true;
            }
        }

        dtype = default;
        return false;
    }
}
