using System.Buffers;
using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Colorize.Tensors.Serialization;

/// <summary>
/// A validated safetensors file: its tensor entries, its <c>__metadata__</c>, and methods that read a tensor's
/// elements as float32 or int64, converting from the stored dtype.
/// </summary>
/// <remarks>
/// <para>
/// Nothing in a file is trusted: the header length is checked against the input's length and
/// <see cref="SafeTensorsConstants.DefaultMaxHeaderBytes"/> before anything is allocated, and the whole header is
/// validated (see <see cref="SafeTensorsFormatException"/>) before an instance exists. So once opened, every entry's
/// bytes are known to be in bounds and consistent with its shape and dtype.
/// </para>
/// <para>
/// <see cref="Open(string, long)"/> reads only the header and keeps the file open, reading tensors on demand with
/// positional reads (works for files larger than 2 GB; dispose to close the file). <see cref="Load(Stream, long)"/>
/// and <see cref="FromMemory(ReadOnlyMemory{byte}, long)"/> hold the data in memory. Reads may run concurrently
/// from several threads, but not concurrently with <see cref="Dispose"/>.
/// </para>
/// </remarks>
public sealed class SafeTensorsFile : IDisposable
{
    private const int ChunkBytes = 1 << 20;

    private readonly SafeTensorsDataSource _data;
    private readonly Dictionary<string, SafeTensorsEntry> _byName;
    private bool _disposed;

    private SafeTensorsFile(SafeTensorsHeader header, SafeTensorsDataSource data, long headerLength)
    {
        _data = data;
        _byName = new Dictionary<string, SafeTensorsEntry>(header.Entries.Length, StringComparer.Ordinal);
        foreach (SafeTensorsEntry entry in header.Entries)
        {
            _byName.Add(entry.Name, entry);
        }

        Entries = new ReadOnlyCollection<SafeTensorsEntry>(header.Entries);
        Metadata = new ReadOnlyDictionary<string, string>(header.Metadata);
        HeaderLength = headerLength;
        DataLength = header.DataLength;
    }

    /// <summary>The tensors, in the order of their bytes in the data region.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }

    /// <summary>The header's <c>__metadata__</c> string map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The length N of the JSON header in bytes (including padding); the data region starts at byte 8 + N.</summary>
    public long HeaderLength { get; }

    /// <summary>The length of the data region in bytes.</summary>
    public long DataLength { get; }

    /// <summary>
    /// Opens a safetensors file, validates its header and keeps the file open (shared for reading) to read tensors on demand.
    /// </summary>
    /// <param name="path">The file to open.</param>
    /// <param name="maxHeaderBytes">The largest header accepted, 100 MB by default like the reference implementation.</param>
    /// <returns>The open file; dispose it to close the file.</returns>
    /// <exception cref="SafeTensorsFormatException">The file is not a valid safetensors file.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafeTensorsFile Open(string path, long maxHeaderBytes = SafeTensorsConstants.DefaultMaxHeaderBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckMaxHeaderBytes(maxHeaderBytes);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            long fileLength = RandomAccess.GetLength(handle);
            Span<byte> prefix = stackalloc byte[SafeTensorsConstants.HeaderLengthPrefixSize];
            if (fileLength < prefix.Length || RandomAccess.Read(handle, prefix, 0) != prefix.Length)
            {
                throw TooShort(fileLength);
            }

            int n = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), maxHeaderBytes, fileLength - prefix.Length);
            var header = new byte[n];
            new FileDataSource(handle, prefix.Length, path).Read(0, header);
            long dataLength = fileLength - prefix.Length - n;
            SafeTensorsHeader parsed = SafeTensorsHeaderParser.Parse(header, dataLength);
            return new SafeTensorsFile(parsed, new FileDataSource(handle, prefix.Length + (long)n, path), n);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a safetensors file from the current position of <paramref name="stream"/> to its end, into memory.
    /// </summary>
    /// <param name="stream">The stream; when it can seek, its length is used to reject bad headers before reading the data.</param>
    /// <param name="maxHeaderBytes">The largest header accepted, 100 MB by default like the reference implementation.</param>
    /// <returns>The file, with its data in memory.</returns>
    /// <exception cref="SafeTensorsFormatException">The stream does not hold a valid safetensors file.</exception>
    /// <exception cref="NotSupportedException">The tensor data exceeds what one array can hold (about 2 GB); use <see cref="Open(string, long)"/>.</exception>
    public static SafeTensorsFile Load(Stream stream, long maxHeaderBytes = SafeTensorsConstants.DefaultMaxHeaderBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckMaxHeaderBytes(maxHeaderBytes);
        long available = stream.CanSeek ? Math.Max(0, stream.Length - stream.Position) : -1;
        Span<byte> prefix = stackalloc byte[SafeTensorsConstants.HeaderLengthPrefixSize];
        int prefixRead = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        if (prefixRead < prefix.Length)
        {
            throw TooShort(prefixRead);
        }

        long afterPrefix = available >= 0 ? available - prefix.Length : -1;
        int n = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), maxHeaderBytes, afterPrefix);
        bool trusted = available >= 0;
        (byte[] header, int headerRead) = ReadUpTo(stream, n, trusted);
        if (headerRead < n)
        {
            throw new SafeTensorsFormatException(
                $"The safetensors stream ended after {headerRead} of the {n} bytes of its header: the file is truncated.");
        }

        SafeTensorsHeader parsed = SafeTensorsHeaderParser.Parse(header, trusted ? afterPrefix - n : -1);
        long dataLength = parsed.DataLength;
        if (dataLength > Array.MaxLength)
        {
            // Only a stream that really holds that much data gets this far: a lying header fails as truncated.
            long present = trusted ? dataLength : Drain(stream, dataLength);
            throw present < dataLength
                ? SafeTensorsHeaderParser.Truncated(parsed, present)
                : new NotSupportedException(
                    $"The safetensors data is {dataLength} bytes, more than one in-memory buffer holds; open the file by path instead.");
        }

        (byte[] data, int dataRead) = ReadUpTo(stream, (int)dataLength, trusted);
        if (dataRead < dataLength)
        {
            throw SafeTensorsHeaderParser.Truncated(parsed, dataRead);
        }

        if (!trusted && stream.ReadByte() >= 0)
        {
            throw new SafeTensorsFormatException(
                $"The safetensors stream continues after the {dataLength} bytes of tensor data its header describes.");
        }

        return new SafeTensorsFile(parsed, new MemoryDataSource(data), n);
    }

    /// <summary>Parses a whole safetensors file held in memory. The bytes are not copied: keep them unchanged while the result is used.</summary>
    /// <param name="bytes">The whole file: length prefix, header and data.</param>
    /// <param name="maxHeaderBytes">The largest header accepted, 100 MB by default like the reference implementation.</param>
    /// <returns>The file.</returns>
    /// <exception cref="SafeTensorsFormatException">The bytes are not a valid safetensors file.</exception>
    public static SafeTensorsFile FromMemory(ReadOnlyMemory<byte> bytes, long maxHeaderBytes = SafeTensorsConstants.DefaultMaxHeaderBytes)
    {
        CheckMaxHeaderBytes(maxHeaderBytes);
        ReadOnlySpan<byte> span = bytes.Span;
        const int prefixSize = SafeTensorsConstants.HeaderLengthPrefixSize;
        if (span.Length < prefixSize)
        {
            throw TooShort(span.Length);
        }

        int n = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(span), maxHeaderBytes, span.Length - prefixSize);
        SafeTensorsHeader parsed = SafeTensorsHeaderParser.Parse(span.Slice(prefixSize, n), span.Length - prefixSize - n);
        return new SafeTensorsFile(parsed, new MemoryDataSource(bytes.Slice(prefixSize + n)), n);
    }

    /// <summary>Whether the file has a tensor with this exact name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns><see langword="true"/> if it does.</returns>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Looks up a tensor by name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="entry">The entry, when found.</param>
    /// <returns><see langword="true"/> if the file has the tensor.</returns>
    public bool TryGetEntry(string name, [NotNullWhen(true)] out SafeTensorsEntry? entry) => _byName.TryGetValue(name, out entry);

    /// <summary>Looks up a tensor by name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The entry.</returns>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    public SafeTensorsEntry GetEntry(string name) =>
        _byName.TryGetValue(name, out SafeTensorsEntry? entry)
            ? entry
            : throw new KeyNotFoundException($"The safetensors file has no tensor named {SafeTensorsHeaderParser.Quote(name)}.");

    /// <summary>Reads a tensor as float32, converting from any stored dtype (F16, BF16, F64, integers, BOOL as 0/1, FP8).</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The elements in row-major order.</returns>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    /// <exception cref="NotSupportedException">The tensor has more elements than an array can hold.</exception>
    public float[] ReadFloat32(string name)
    {
        SafeTensorsEntry entry = GetEntry(name);
        var values = new float[ArrayLength(entry)];
        ReadChunked<float>(entry, values, SafeTensorsConversions.ToSingle, identity: entry.DType == SafeTensorsDType.F32);
        return values;
    }

    /// <summary>Reads a tensor as float32 into <paramref name="destination"/>, converting from any stored dtype.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="destination">Exactly <see cref="SafeTensorsEntry.ElementCount"/> elements.</param>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has the wrong length.</exception>
    public void ReadFloat32(string name, Span<float> destination)
    {
        SafeTensorsEntry entry = GetEntry(name);
        CheckDestination(entry, destination.Length, nameof(destination));
        ReadChunked(entry, destination, SafeTensorsConversions.ToSingle, identity: entry.DType == SafeTensorsDType.F32);
    }

    /// <summary>Reads an integer or boolean tensor (I64 such as <c>num_batches_tracked</c>, I32, U8, BOOL, ...) as int64.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The elements in row-major order.</returns>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    /// <exception cref="InvalidOperationException">The tensor holds floating-point values.</exception>
    /// <exception cref="OverflowException">A U64 value exceeds <see cref="long.MaxValue"/>.</exception>
    public long[] ReadInt64(string name)
    {
        SafeTensorsEntry entry = GetEntry(name);
        CheckInteger(entry);
        var values = new long[ArrayLength(entry)];
        ReadChunked<long>(entry, values, ConvertToInt64, identity: entry.DType == SafeTensorsDType.I64);
        return values;
    }

    /// <summary>Reads an integer or boolean tensor as int64 into <paramref name="destination"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="destination">Exactly <see cref="SafeTensorsEntry.ElementCount"/> elements.</param>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has the wrong length.</exception>
    /// <exception cref="InvalidOperationException">The tensor holds floating-point values.</exception>
    /// <exception cref="OverflowException">A U64 value exceeds <see cref="long.MaxValue"/>.</exception>
    public void ReadInt64(string name, Span<long> destination)
    {
        SafeTensorsEntry entry = GetEntry(name);
        CheckInteger(entry);
        CheckDestination(entry, destination.Length, nameof(destination));
        ReadChunked(entry, destination, ConvertToInt64, identity: entry.DType == SafeTensorsDType.I64);
    }

    /// <summary>Reads a tensor's stored bytes unchanged (little-endian elements of its dtype).</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>A new array of <see cref="SafeTensorsEntry.ByteLength"/> bytes.</returns>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    /// <exception cref="NotSupportedException">The tensor is larger than an array can hold.</exception>
    public byte[] ReadBytes(string name)
    {
        SafeTensorsEntry entry = GetEntry(name);
        if (entry.ByteLength > Array.MaxLength)
        {
            throw new NotSupportedException($"Tensor {SafeTensorsHeaderParser.Quote(name)} has {entry.ByteLength} bytes, more than one array holds.");
        }

        var bytes = new byte[entry.ByteLength];
        ReadBytes(name, bytes);
        return bytes;
    }

    /// <summary>Reads a tensor's stored bytes unchanged into <paramref name="destination"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="destination">Exactly <see cref="SafeTensorsEntry.ByteLength"/> bytes.</param>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has the wrong length.</exception>
    public void ReadBytes(string name, Span<byte> destination)
    {
        SafeTensorsEntry entry = GetEntry(name);
        if (destination.Length != entry.ByteLength)
        {
            throw new ArgumentException(
                $"Tensor {SafeTensorsHeaderParser.Quote(name)} has {entry.ByteLength} bytes but the destination holds {destination.Length}.",
                nameof(destination));
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        _data.Read(entry.DataBegin, destination);
    }

    /// <summary>Closes the file (for <see cref="Open(string, long)"/>); later reads throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _disposed = true;
        _data.Dispose();
    }

    private delegate void ChunkConverter<T>(SafeTensorsDType dtype, ReadOnlySpan<byte> source, Span<T> destination);

    private void ReadChunked<T>(SafeTensorsEntry entry, Span<T> destination, ChunkConverter<T> convert, bool identity)
        where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_data.TryGetSpan(entry.DataBegin, entry.ByteLength, out ReadOnlySpan<byte> all))
        {
            convert(entry.DType, all, destination);
            return;
        }

        if (identity && BitConverter.IsLittleEndian)
        {
            // Same representation: read straight into the destination, no staging buffer.
            _data.Read(entry.DataBegin, MemoryMarshal.AsBytes(destination));
            return;
        }

        int elementSize = entry.DType.SizeInBytes();
        int chunkElements = ChunkBytes / elementSize;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkBytes, entry.ByteLength));
        try
        {
            for (int done = 0; done < destination.Length; done += chunkElements)
            {
                int count = Math.Min(chunkElements, destination.Length - done);
                Span<byte> chunk = buffer.AsSpan(0, count * elementSize);
                _data.Read(entry.DataBegin + ((long)done * elementSize), chunk);
                convert(entry.DType, chunk, destination.Slice(done, count));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void ConvertToInt64(SafeTensorsDType dtype, ReadOnlySpan<byte> source, Span<long> destination)
    {
        int bad = SafeTensorsConversions.ToInt64(dtype, source, destination);
        if (bad >= 0)
        {
            throw new OverflowException(
                $"A U64 value ({BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(8 * bad))}) does not fit in a signed 64-bit integer.");
        }
    }

    private static void CheckInteger(SafeTensorsEntry entry)
    {
        if (!entry.DType.IsInteger())
        {
            throw new InvalidOperationException(
                $"Tensor {SafeTensorsHeaderParser.Quote(entry.Name)} holds {entry.DType.ToHeaderName()} values; read it with ReadFloat32.");
        }
    }

    private static void CheckDestination(SafeTensorsEntry entry, int length, string paramName)
    {
        if (length != entry.ElementCount)
        {
            throw new ArgumentException(
                $"Tensor {SafeTensorsHeaderParser.Quote(entry.Name)} has {entry.ElementCount} elements but the destination holds {length}.",
                paramName);
        }
    }

    private static int ArrayLength(SafeTensorsEntry entry) =>
        entry.ElementCount <= Array.MaxLength
            ? (int)entry.ElementCount
            : throw new NotSupportedException(
                $"Tensor {SafeTensorsHeaderParser.Quote(entry.Name)} has {entry.ElementCount} elements, more than one array holds.");

    private static void CheckMaxHeaderBytes(long maxHeaderBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeaderBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxHeaderBytes, (long)Array.MaxLength);
    }

    private static SafeTensorsFormatException TooShort(long length) =>
        new($"The input is {length} bytes long; a safetensors file starts with an 8-byte header length, so it is not a safetensors file or it is truncated.");

    /// <summary>Checks the header length N before anything is allocated for it.</summary>
    private static int CheckHeaderLength(ulong n, long maxHeaderBytes, long available)
    {
        if (n > (ulong)maxHeaderBytes)
        {
            throw new SafeTensorsFormatException(
                $"The safetensors header claims to be {n} bytes long, over the limit of {maxHeaderBytes} bytes; the file is corrupt or not a safetensors file.");
        }

        if (available >= 0 && n > (ulong)available)
        {
            throw new SafeTensorsFormatException(
                $"The safetensors header claims to be {n} bytes long but only {available} bytes follow the length prefix: the file is truncated.");
        }

        return (int)n;
    }

    /// <summary>
    /// Reads up to <paramref name="count"/> bytes, stopping early only at the end of the stream. When the count was
    /// not checked against the stream's length (<paramref name="trusted"/> is false), the buffer grows only as bytes
    /// actually arrive, so a header that lies about a size cannot make us allocate much more than the stream holds.
    /// </summary>
    private static (byte[] Buffer, int Filled) ReadUpTo(Stream stream, int count, bool trusted)
    {
        var buffer = new byte[trusted ? count : Math.Min(count, ChunkBytes)];
        int filled = 0;
        while (filled < count)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(count, 2L * buffer.Length));
            }

            int read = stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return (buffer, filled);
    }

    /// <summary>Reads and discards up to <paramref name="count"/> bytes; returns how many the stream had.</summary>
    private static long Drain(Stream stream, long count)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long total = 0;
            int read;
            while (total < count && (read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, count - total))) > 0)
            {
                total += read;
            }

            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
