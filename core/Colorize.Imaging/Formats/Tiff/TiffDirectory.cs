using System.Buffers.Binary;

namespace Colorize.Imaging.Formats.Tiff;

/// <summary>One parsed image file directory (IFD): tag → values, read lazily and bounds-checked.</summary>
internal sealed class TiffDirectory
{
    private readonly Dictionary<ushort, (ushort Type, uint Count, int ValueOffset)> _entries = [];
    private readonly ReadOnlyMemory<byte> _data;

    private TiffDirectory(ReadOnlyMemory<byte> data, bool bigEndian)
    {
        _data = data;
        BigEndian = bigEndian;
    }

    public bool BigEndian { get; }

    /// <summary>Reads the header and the first IFD.</summary>
    public static TiffDirectory ReadFirst(ReadOnlyMemory<byte> memory)
    {
        ReadOnlySpan<byte> data = memory.Span;
        if (data.Length < 8)
        {
            throw new ImageFormatException("The TIFF file is shorter than its 8-byte header.");
        }

        bool big = data[0] == 'M';
        if (!((data[0] == 'I' && data[1] == 'I') || (data[0] == 'M' && data[1] == 'M')))
        {
            throw new ImageFormatException("The data does not start with a TIFF byte-order mark (II or MM).");
        }

        var directory = new TiffDirectory(memory, big);
        ushort magic = directory.U16(data, 2);
        if (magic == 43)
        {
            throw new ImageFormatException("The file is a BigTIFF, which this decoder does not read.");
        }

        if (magic != 42)
        {
            throw new ImageFormatException($"The TIFF header has version {magic}; it must be 42.");
        }

        uint offset = directory.U32(data, 4);
        if (offset < 8 || offset > data.Length - 2)
        {
            throw new ImageFormatException($"The TIFF header points to its first directory at byte {offset}, outside the {data.Length}-byte file.");
        }

        int count = directory.U16(data, (int)offset);
        if (offset + 2 + (12L * count) > data.Length)
        {
            throw new ImageFormatException($"The TIFF directory at byte {offset} claims {count} entries, more than the file holds.");
        }

        for (int i = 0; i < count; i++)
        {
            int entry = (int)offset + 2 + (12 * i);
            ushort tag = directory.U16(data, entry);
            ushort type = directory.U16(data, entry + 2);
            uint n = directory.U32(data, entry + 4);
            int size = TypeSize(type);
            if (size == 0)
            {
                continue; // Unknown field types are skipped, as the specification asks.
            }

            long bytes = (long)size * n;
            long valueOffset = bytes <= 4 ? entry + 8 : directory.U32(data, entry + 8);
            if (valueOffset + bytes > data.Length)
            {
                // A tag whose values lie outside the file is unusable; remember nothing about it.
                continue;
            }

            _ = directory._entries.TryAdd(tag, (type, n, (int)valueOffset));
        }

        return directory;
    }

    public bool Has(ushort tag) => _entries.ContainsKey(tag);

    /// <summary>The first value of a numeric tag, or <paramref name="fallback"/> when absent.</summary>
    public long Get(ushort tag, long fallback)
    {
        if (!_entries.TryGetValue(tag, out var e) || e.Count == 0)
        {
            return fallback;
        }

        return Value(e.Type, e.ValueOffset);
    }

    /// <summary>All values of a numeric tag (at most <paramref name="maxCount"/>, which bounds the allocation).</summary>
    public long[] GetArray(ushort tag, long maxCount, string what)
    {
        if (!_entries.TryGetValue(tag, out var e))
        {
            return [];
        }

        if (e.Count > maxCount)
        {
            throw new ImageFormatException($"The TIFF file lists {e.Count} {what}; at most {maxCount} make sense for this image.");
        }

        var values = new long[e.Count];
        int size = TypeSize(e.Type);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Value(e.Type, e.ValueOffset + (i * size));
        }

        return values;
    }

    private long Value(ushort type, int offset)
    {
        ReadOnlySpan<byte> data = _data.Span;
        return type switch
        {
            1 or 7 => data[offset],
            6 => (sbyte)data[offset],
            3 => U16(data, offset),
            8 => (short)U16(data, offset),
            4 or 13 => U32(data, offset),
            9 => (int)U32(data, offset),
            5 or 10 => U32(data, offset) / Math.Max(1u, U32(data, offset + 4)),
            _ => 0,
        };
    }

    private static int TypeSize(ushort type) => type switch
    {
        1 or 2 or 6 or 7 => 1,
        3 or 8 => 2,
        4 or 9 or 11 or 13 => 4,
        5 or 10 or 12 => 8,
        _ => 0,
    };

    public ushort U16(ReadOnlySpan<byte> data, int offset) =>
        BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(data[offset..]) : BinaryPrimitives.ReadUInt16LittleEndian(data[offset..]);

    public uint U32(ReadOnlySpan<byte> data, int offset) =>
        BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data[offset..]) : BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
}
