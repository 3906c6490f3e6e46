namespace Colorize.Tensors.Serialization;

/// <summary>Fixed numbers and names of the safetensors format.</summary>
public static class SafeTensorsConstants
{
    /// <summary>The size of the little-endian u64 header length that starts every file.</summary>
    public const int HeaderLengthPrefixSize = 8;

    /// <summary>
    /// The largest JSON header accepted by default: 100,000,000 bytes, the limit of the reference implementation.
    /// </summary>
    public const long DefaultMaxHeaderBytes = 100_000_000;

    /// <summary>The reserved header key of the free-form string-to-string metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The alignment the writer gives the start of the data region (the header is padded with spaces).</summary>
    public const int DataAlignment = 8;
}
