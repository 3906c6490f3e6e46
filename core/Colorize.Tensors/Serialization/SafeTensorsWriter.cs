using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Colorize.Tensors.Serialization;

/// <summary>
/// Collects tensors and metadata and writes them as a safetensors file laid out exactly as the reference
/// implementation (huggingface/safetensors) lays it out, so that both produce the same bytes for the same tensors.
/// </summary>
/// <remarks>
/// <para>
/// Layout: tensors sorted by descending <see cref="SafeTensorsDType"/> (the reference's "alignment" order: I64,
/// F32, BF16, F16, ...) and then by name (ordinal on UTF-8 bytes), packed back to back; a compact JSON header
/// (<c>__metadata__</c> first, then the tensors in data order, keys <c>dtype</c>, <c>shape</c>, <c>data_offsets</c>)
/// escaped like serde_json (only <c>"</c>, <c>\</c> and control characters; non-ASCII as raw UTF-8), padded with
/// spaces to a multiple of 8 bytes so the data region starts 8-byte aligned. The reference writes metadata in hash
/// order; this writer sorts metadata keys ordinally so its output is deterministic (identical to the reference for
/// zero or one metadata key). Metadata is written only when there is some, as the reference does for
/// <c>metadata=None</c>.
/// </para>
/// <para>
/// Values are converted when added (F16 and BF16 round to nearest even, like PyTorch's <c>.half()</c> and
/// <c>.bfloat16()</c>), so the writer holds the encoded bytes, not references to the caller's buffers.
/// </para>
/// </remarks>
public sealed class SafeTensorsWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>The <c>__metadata__</c> string map to write, e.g. <c>{"format": "pt"}</c>.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The number of tensors added so far.</summary>
    public int Count => _tensors.Count;

    /// <summary>Adds a float tensor, stored as <paramref name="dtype"/>.</summary>
    /// <param name="name">The tensor name, unique in the file, not <c>__metadata__</c>.</param>
    /// <param name="dtype"><see cref="SafeTensorsDType.F32"/>, <see cref="SafeTensorsDType.F16"/> or <see cref="SafeTensorsDType.BF16"/>.</param>
    /// <param name="shape">The size of every dimension (empty for a scalar).</param>
    /// <param name="values">product(<paramref name="shape"/>) values in row-major order.</param>
    /// <exception cref="ArgumentException">The name is taken or invalid, the dtype is not a float type, or the shape does not match the values.</exception>
    /// <remarks>The <see cref="int"/> shape overload is preferred, so an empty collection expression <c>[]</c> (a scalar) is not ambiguous.</remarks>
    [OverloadResolutionPriority(1)]
    public void Add(string name, SafeTensorsDType dtype, ReadOnlySpan<int> shape, ReadOnlySpan<float> values) =>
        Add(name, dtype, Widen(shape), values);

    /// <inheritdoc cref="Add(string, SafeTensorsDType, ReadOnlySpan{int}, ReadOnlySpan{float})"/>
    public void Add(string name, SafeTensorsDType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<float> values)
    {
        if (dtype is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16))
        {
            throw new ArgumentException($"Float values can be written as F32, F16 or BF16, not {dtype}.", nameof(dtype));
        }

        byte[] bytes = Prepare(name, dtype, shape, values.Length);
        SafeTensorsConversions.FromSingle(dtype, values, bytes);
        Commit(name, dtype, shape, bytes);
    }

    /// <summary>Adds an I64 tensor, e.g. a BatchNorm's <c>num_batches_tracked</c> (shape empty: a scalar).</summary>
    /// <param name="name">The tensor name, unique in the file, not <c>__metadata__</c>.</param>
    /// <param name="shape">The size of every dimension (empty for a scalar).</param>
    /// <param name="values">product(<paramref name="shape"/>) values in row-major order.</param>
    /// <exception cref="ArgumentException">The name is taken or invalid, or the shape does not match the values.</exception>
    [OverloadResolutionPriority(1)]
    public void AddInt64(string name, ReadOnlySpan<int> shape, ReadOnlySpan<long> values) => AddInt64(name, Widen(shape), values);

    /// <inheritdoc cref="AddInt64(string, ReadOnlySpan{int}, ReadOnlySpan{long})"/>
    public void AddInt64(string name, ReadOnlySpan<long> shape, ReadOnlySpan<long> values)
    {
        byte[] bytes = Prepare(name, SafeTensorsDType.I64, shape, values.Length);
        SafeTensorsConversions.FromInt64(values, bytes);
        Commit(name, SafeTensorsDType.I64, shape, bytes);
    }

    /// <summary>Adds a tensor of any dtype from its stored bytes, e.g. to copy a tensor from another file unchanged.</summary>
    /// <param name="name">The tensor name, unique in the file, not <c>__metadata__</c>.</param>
    /// <param name="dtype">The element type of <paramref name="littleEndianBytes"/>.</param>
    /// <param name="shape">The size of every dimension (empty for a scalar).</param>
    /// <param name="littleEndianBytes">product(<paramref name="shape"/>) × dtype size bytes.</param>
    /// <exception cref="ArgumentException">The name is taken or invalid, or the shape does not match the byte count.</exception>
    public void AddRaw(string name, SafeTensorsDType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> littleEndianBytes)
    {
        int size = dtype.SizeInBytes();
        if (littleEndianBytes.Length % size != 0)
        {
            throw new ArgumentException($"{littleEndianBytes.Length} bytes is not a whole number of {dtype.ToHeaderName()} elements.", nameof(littleEndianBytes));
        }

        byte[] bytes = Prepare(name, dtype, shape, littleEndianBytes.Length / size);
        littleEndianBytes.CopyTo(bytes);
        Commit(name, dtype, shape, bytes);
    }

    /// <summary>The whole file as a byte array.</summary>
    /// <returns>Length prefix, padded header and data.</returns>
    public byte[] ToArray()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>Writes the whole file to <paramref name="destination"/> at its current position.</summary>
    /// <param name="destination">A writable stream.</param>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        PendingTensor[] ordered = [.. _tensors];
        Array.Sort(ordered, CompareLikeReference);
        byte[] header = BuildHeader(ordered);

        Span<byte> prefix = stackalloc byte[SafeTensorsConstants.HeaderLengthPrefixSize];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        destination.Write(prefix);
        destination.Write(header);
        foreach (PendingTensor tensor in ordered)
        {
            destination.Write(tensor.Bytes);
        }
    }

    /// <summary>
    /// Writes the file to <paramref name="path"/> atomically: into a temporary file in the same directory, flushed to
    /// disk, then renamed over the target. Readers see the old file or the new one, never a partial one.
    /// </summary>
    /// <param name="path">The destination file; replaced if it exists.</param>
    /// <exception cref="IOException">The file cannot be written; the target is left untouched and the temporary file removed.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? ".";
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteTo(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original error matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static long[] Widen(ReadOnlySpan<int> shape)
    {
        var wide = new long[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            wide[i] = shape[i];
        }

        return wide;
    }

    private byte[] Prepare(string name, SafeTensorsDType dtype, ReadOnlySpan<long> shape, int elementCount)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == SafeTensorsConstants.MetadataKey)
        {
            throw new ArgumentException("\"__metadata__\" is reserved for the metadata map and cannot name a tensor.", nameof(name));
        }

        if (_names.Contains(name))
        {
            throw new ArgumentException($"A tensor named {SafeTensorsHeaderParser.Quote(name)} was already added.", nameof(name));
        }

        long count = 1;
        foreach (long dimension in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(dimension, nameof(shape));
            count = checked(count * dimension);
        }

        if (count != elementCount)
        {
            throw new ArgumentException(
                $"Tensor {SafeTensorsHeaderParser.Quote(name)} has shape [{string.Join(", ", shape.ToArray())}] ({count} elements) but {elementCount} values.");
        }

        return new byte[checked(elementCount * dtype.SizeInBytes())];
    }

    private void Commit(string name, SafeTensorsDType dtype, ReadOnlySpan<long> shape, byte[] bytes)
    {
        byte[] utf8Name;
        try
        {
            utf8Name = StrictUtf8.GetBytes(name);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException($"Tensor name {SafeTensorsHeaderParser.Quote(name)} is not valid Unicode (a lone surrogate).", nameof(name), ex);
        }

        _names.Add(name);
        _tensors.Add(new PendingTensor(name, utf8Name, dtype, shape.ToArray(), bytes));
    }

    /// <summary>The reference's order: descending dtype, then name compared as UTF-8 bytes (Rust's <c>str</c> order).</summary>
    private static int CompareLikeReference(PendingTensor left, PendingTensor right)
    {
        int byType = right.DType.CompareTo(left.DType);
        return byType != 0 ? byType : left.Utf8Name.AsSpan().SequenceCompareTo(right.Utf8Name);
    }

    private byte[] BuildHeader(PendingTensor[] ordered)
    {
        var json = new ArrayBufferWriter<byte>();
        json.Write("{"u8);
        bool first = true;
        if (Metadata.Count > 0)
        {
            json.Write("\"__metadata__\":{"u8);
            var keys = new List<(byte[] Utf8, string Key)>(Metadata.Count);
            foreach (string key in Metadata.Keys)
            {
                keys.Add((EncodeMetadata(key), key));
            }

            keys.Sort((a, b) => a.Utf8.AsSpan().SequenceCompareTo(b.Utf8));
            for (int i = 0; i < keys.Count; i++)
            {
                if (i > 0)
                {
                    json.Write(","u8);
                }

                WriteJsonString(json, keys[i].Utf8);
                json.Write(":"u8);
                string? value = Metadata[keys[i].Key];
                if (value is null)
                {
                    throw new InvalidOperationException($"Metadata key {SafeTensorsHeaderParser.Quote(keys[i].Key)} has a null value.");
                }

                WriteJsonString(json, EncodeMetadata(value));
            }

            json.Write("}"u8);
            first = false;
        }

        long offset = 0;
        foreach (PendingTensor tensor in ordered)
        {
            if (!first)
            {
                json.Write(","u8);
            }

            first = false;
            WriteJsonString(json, tensor.Utf8Name);
            json.Write(":{\"dtype\":\""u8);
            json.Write(Encoding.ASCII.GetBytes(tensor.DType.ToHeaderName()));
            json.Write("\",\"shape\":["u8);
            for (int i = 0; i < tensor.Shape.Length; i++)
            {
                if (i > 0)
                {
                    json.Write(","u8);
                }

                WriteNumber(json, tensor.Shape[i]);
            }

            json.Write("],\"data_offsets\":["u8);
            WriteNumber(json, offset);
            json.Write(","u8);
            offset += tensor.Bytes.Length;
            WriteNumber(json, offset);
            json.Write("]}"u8);
        }

        json.Write("}"u8);

        // Space padding makes 8 + N a multiple of 8: the data region starts aligned for every dtype.
        int padded = (json.WrittenCount + SafeTensorsConstants.DataAlignment - 1) / SafeTensorsConstants.DataAlignment * SafeTensorsConstants.DataAlignment;
        json.GetSpan(padded - json.WrittenCount).Slice(0, padded - json.WrittenCount).Fill((byte)' ');
        json.Advance(padded - json.WrittenCount);
        return json.WrittenSpan.ToArray();
    }

    private static byte[] EncodeMetadata(string text)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException ex)
        {
            throw new InvalidOperationException($"Metadata text {SafeTensorsHeaderParser.Quote(text)} is not valid Unicode (a lone surrogate).", ex);
        }
    }

    private static void WriteNumber(ArrayBufferWriter<byte> json, long value) =>
        json.Write(Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Writes a JSON string escaped exactly as serde_json does: <c>\"</c>, <c>\\</c>, <c>\b \f \n \r \t</c>, other controls as <c>\u00xx</c>.</summary>
    private static void WriteJsonString(ArrayBufferWriter<byte> json, ReadOnlySpan<byte> utf8)
    {
        json.Write("\""u8);
        int start = 0;
        for (int i = 0; i < utf8.Length; i++)
        {
            byte b = utf8[i];
            if (b >= 0x20 && b != (byte)'"' && b != (byte)'\\')
            {
                continue;
            }

            json.Write(utf8.Slice(start, i - start));
            start = i + 1;
            switch (b)
            {
                case (byte)'"': json.Write("\\\""u8); break;
                case (byte)'\\': json.Write("\\\\"u8); break;
                case (byte)'\b': json.Write("\\b"u8); break;
                case (byte)'\f': json.Write("\\f"u8); break;
                case (byte)'\n': json.Write("\\n"u8); break;
                case (byte)'\r': json.Write("\\r"u8); break;
                case (byte)'\t': json.Write("\\t"u8); break;
                default:
                    json.Write("\\u00"u8);
                    json.Write([(byte)"0123456789abcdef"[b >> 4], (byte)"0123456789abcdef"[b & 0xF]]);
                    break;
            }
        }

        json.Write(utf8.Slice(start));
        json.Write("\""u8);
    }

    private sealed record PendingTensor(string Name, byte[] Utf8Name, SafeTensorsDType DType, long[] Shape, byte[] Bytes);
}
