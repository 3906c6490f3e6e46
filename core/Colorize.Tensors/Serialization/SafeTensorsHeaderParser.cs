using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace Colorize.Tensors.Serialization;

/// <summary>The validated content of a safetensors header.</summary>
/// <param name="Entries">The tensors in data order (by <c>data_offsets</c>).</param>
/// <param name="Metadata">The <c>__metadata__</c> map (empty when absent).</param>
/// <param name="DataLength">The exact number of data bytes the tensors cover.</param>
internal sealed record SafeTensorsHeader(SafeTensorsEntry[] Entries, Dictionary<string, string> Metadata, long DataLength);

/// <summary>
/// Parses and validates the JSON header of a safetensors file, trusting nothing in it.
/// </summary>
/// <remarks>
/// Rules (those of the reference implementation, plus unique names): the header is UTF-8 JSON whose root is an
/// object; trailing whitespace (the writer's space padding) is allowed; every key except <c>__metadata__</c> is a
/// tensor with a known <c>dtype</c>, a <c>shape</c> of non-negative integers and <c>data_offsets</c> [begin, end]
/// with end − begin = product(shape) × dtype size, computed without overflow; keys are unique; the tensors cover
/// the data region exactly, with no holes and no overlaps. <c>__metadata__</c>, when present and not null, maps
/// strings to strings. Unknown fields inside a tensor's object are skipped, as the reference implementation does.
/// </remarks>
internal static class SafeTensorsHeaderParser
{
    private const int MaxNameLengthInMessages = 120;

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 16,
    };

    /// <summary>Parses <paramref name="json"/>; <paramref name="dataLength"/> is the number of bytes after the header, or -1 when not known yet.</summary>
    public static SafeTensorsHeader Parse(ReadOnlySpan<byte> json, long dataLength)
    {
        if (!Utf8.IsValid(json))
        {
            throw new SafeTensorsFormatException("The safetensors header is not valid UTF-8.");
        }

        var tensors = new List<(SafeTensorsEntry Entry, int Order)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        try
        {
            var reader = new Utf8JsonReader(json, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new SafeTensorsFormatException("The safetensors header is not a JSON object (it must start with '{').");
            }

            while (Next(ref reader) != JsonTokenType.EndObject)
            {
                string key = ReadString(ref reader, null);
                if (key == SafeTensorsConstants.MetadataKey)
                {
                    if (metadata is not null)
                    {
                        throw new SafeTensorsFormatException("The safetensors header has more than one \"__metadata__\" entry.");
                    }

                    metadata = ReadMetadata(ref reader);
                    continue;
                }

                if (!names.Add(key))
                {
                    throw Error(key, "appears more than once in the header; tensor names must be unique.");
                }

                tensors.Add((ReadTensor(ref reader, key), tensors.Count));
            }

            if (reader.Read())
            {
                throw new SafeTensorsFormatException("The safetensors header has content after its JSON object.");
            }
        }
        catch (JsonException ex)
        {
            throw new SafeTensorsFormatException($"The safetensors header is not valid JSON: {ex.Message}", ex);
        }

        var ordered = ValidateLayout(tensors, dataLength, out long coveredLength);
        return new SafeTensorsHeader(ordered, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal), coveredLength);
    }

    /// <summary>Shortens a (possibly hostile, huge) tensor name for use inside a message.</summary>
    internal static string Quote(string name) =>
        name.Length <= MaxNameLengthInMessages
            ? $"'{name}'"
            : $"'{name.AsSpan(0, MaxNameLengthInMessages)}…' ({name.Length} characters)";

    /// <summary>The error for a data region (of a stream) that ends before the tensors do.</summary>
    internal static SafeTensorsFormatException Truncated(SafeTensorsHeader header, long presentLength)
    {
        foreach (SafeTensorsEntry entry in header.Entries)
        {
            if (entry.DataEnd > presentLength)
            {
                return PastTheEnd(entry, presentLength);
            }
        }

        return new SafeTensorsFormatException($"The safetensors data region ends after {presentLength} bytes: the file is truncated.");
    }

    private static SafeTensorsFormatException PastTheEnd(SafeTensorsEntry entry, long dataLength) =>
        Error(
            entry.Name,
            $"has data_offsets [{entry.DataBegin}, {entry.DataEnd}] beyond the end of the data region, which is " +
            $"{dataLength} bytes long (is the file truncated?).");

    private static SafeTensorsFormatException Error(string? tensor, string problem) =>
        tensor is null
            ? new SafeTensorsFormatException($"The safetensors header is malformed: {problem}")
            : new SafeTensorsFormatException($"Tensor {Quote(tensor)} {problem}") { TensorName = tensor };

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new SafeTensorsFormatException("The safetensors header JSON ends early.");
        }

        return reader.TokenType;
    }

    private static string ReadString(ref Utf8JsonReader reader, string? tensor)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            // An escape such as "\ud800" decodes to invalid UTF-16.
            throw new SafeTensorsFormatException(
                $"{(tensor is null ? "The safetensors header" : $"Tensor {Quote(tensor)}")} has a string that is not valid Unicode.", ex)
            { TensorName = tensor };
        }
    }

    private static Dictionary<string, string>? ReadMetadata(ref Utf8JsonReader reader)
    {
        JsonTokenType token = Next(ref reader);
        if (token == JsonTokenType.Null)
        {
            return null;
        }

        if (token != JsonTokenType.StartObject)
        {
            throw Error(null, "\"__metadata__\" must be an object mapping strings to strings.");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            string key = ReadString(ref reader, null);
            if (Next(ref reader) != JsonTokenType.String)
            {
                throw Error(null, $"the \"__metadata__\" value of {Quote(key)} is not a string.");
            }

            if (!metadata.TryAdd(key, ReadString(ref reader, null)))
            {
                throw Error(null, $"\"__metadata__\" has the key {Quote(key)} more than once.");
            }
        }

        return metadata;
    }

    private static SafeTensorsEntry ReadTensor(ref Utf8JsonReader reader, string name)
    {
        if (Next(ref reader) != JsonTokenType.StartObject)
        {
            throw Error(name, "is not described by a JSON object with \"dtype\", \"shape\" and \"data_offsets\".");
        }

        SafeTensorsDType? dtype = null;
        List<long>? shape = null;
        List<long>? offsets = null;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            string field = ReadString(ref reader, name);
            switch (field)
            {
                case "dtype":
                    if (dtype is not null)
                    {
                        throw Error(name, "has \"dtype\" more than once.");
                    }

                    if (Next(ref reader) != JsonTokenType.String)
                    {
                        throw Error(name, "has a \"dtype\" that is not a string.");
                    }

                    string dtypeName = ReadString(ref reader, name);
                    if (!SafeTensorsDTypeExtensions.TryParseHeaderName(dtypeName, out SafeTensorsDType parsed))
                    {
                        throw Error(name, $"has the unknown or unsupported dtype {Quote(dtypeName)}.");
                    }

                    dtype = parsed;
                    break;
                case "shape":
                    if (shape is not null)
                    {
                        throw Error(name, "has \"shape\" more than once.");
                    }

                    shape = ReadIntegerArray(ref reader, name, "shape");
                    break;
                case "data_offsets":
                    if (offsets is not null)
                    {
                        throw Error(name, "has \"data_offsets\" more than once.");
                    }

                    offsets = ReadIntegerArray(ref reader, name, "data_offsets");
                    if (offsets.Count != 2)
                    {
                        throw Error(name, $"has {offsets.Count} \"data_offsets\" values; it needs exactly two, [begin, end].");
                    }

                    break;
                default:
                    // Unknown fields are tolerated, like the reference implementation does.
                    reader.Skip();
                    break;
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            string missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw Error(name, $"has no \"{missing}\".");
        }

        long elementCount = 1;
        long byteLength;
        try
        {
            foreach (long dimension in shape)
            {
                elementCount = checked(elementCount * dimension);
            }

            byteLength = checked(elementCount * dtype.Value.SizeInBytes());
        }
        catch (OverflowException)
        {
            throw Error(name, $"has a shape [{string.Join(", ", shape)}] whose size in bytes overflows a 64-bit integer.");
        }

        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin)
        {
            throw Error(name, $"has data_offsets [{begin}, {end}] that end before they begin.");
        }

        if (end - begin != byteLength)
        {
            throw Error(
                name,
                $"has data_offsets [{begin}, {end}] spanning {end - begin} bytes, but shape [{string.Join(", ", shape)}] of " +
                $"{dtype.Value.ToHeaderName()} needs {byteLength} bytes.");
        }

        return new SafeTensorsEntry(name, dtype.Value, [.. shape], elementCount, begin, end);
    }

    private static List<long> ReadIntegerArray(ref Utf8JsonReader reader, string name, string field)
    {
        if (Next(ref reader) != JsonTokenType.StartArray)
        {
            throw Error(name, $"has a \"{field}\" that is not an array of integers.");
        }

        var values = new List<long>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value) || value < 0)
            {
                string text = reader.TokenType == JsonTokenType.Number
                    ? System.Text.Encoding.UTF8.GetString(reader.ValueSpan)
                    : reader.TokenType.ToString();
                throw Error(name, $"has a \"{field}\" entry ({Shorten(text)}) that is not a non-negative 64-bit integer.");
            }

            values.Add(value);
        }

        return values;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");

    private static SafeTensorsEntry[] ValidateLayout(List<(SafeTensorsEntry Entry, int Order)> tensors, long dataLength, out long coveredLength)
    {
        if (dataLength >= 0)
        {
            foreach ((SafeTensorsEntry entry, _) in tensors)
            {
                if (entry.DataEnd > dataLength)
                {
                    throw PastTheEnd(entry, dataLength);
                }
            }
        }

        // Zero-length tensors may share an offset; ties keep header order so the result is deterministic.
        tensors.Sort((a, b) =>
        {
            int c = a.Entry.DataBegin.CompareTo(b.Entry.DataBegin);
            if (c == 0)
            {
                c = a.Entry.DataEnd.CompareTo(b.Entry.DataEnd);
            }

            return c != 0 ? c : a.Order.CompareTo(b.Order);
        });

        var ordered = new SafeTensorsEntry[tensors.Count];
        long expected = 0;
        SafeTensorsEntry? previous = null;
        for (int i = 0; i < tensors.Count; i++)
        {
            SafeTensorsEntry entry = tensors[i].Entry;
            if (entry.DataBegin < expected)
            {
                throw Error(
                    entry.Name,
                    $"overlaps tensor {Quote(previous!.Name)}: it begins at byte {entry.DataBegin} of the data region, " +
                    $"before that tensor ends at byte {expected}.");
            }

            if (entry.DataBegin > expected)
            {
                string after = previous is null ? "the start of the data region" : $"tensor {Quote(previous.Name)}";
                throw Error(
                    entry.Name,
                    $"begins at byte {entry.DataBegin} of the data region, leaving a hole of {entry.DataBegin - expected} " +
                    $"unused bytes after {after}.");
            }

            expected = entry.DataEnd;
            previous = entry;
            ordered[i] = entry;
        }

        if (dataLength >= 0 && expected != dataLength)
        {
            throw new SafeTensorsFormatException(
                $"The safetensors data region is {dataLength.ToString(CultureInfo.InvariantCulture)} bytes long but its tensors " +
                $"cover only {expected.ToString(CultureInfo.InvariantCulture)}: the file has {dataLength - expected} unexpected " +
                "trailing bytes.");
        }

        coveredLength = expected;
        return ordered;
    }
}
