namespace Colorize.Plugins.Packs;

/// <summary>
/// Bounds on what a <c>.cpack</c> may contain, so a hostile archive cannot exhaust disk or memory (zip bombs,
/// millions of entries, huge manifests). The defaults fit a real pack (tens of megabytes) with a wide margin.
/// </summary>
public sealed record PackLimits
{
    /// <summary>The defaults.</summary>
    public static PackLimits Default { get; } = new();

    /// <summary>Most entries (files and folders) in the archive.</summary>
    public int MaxEntries { get; init; } = 64;

    /// <summary>Largest uncompressed size of one entry (1 GiB, the engine's weights limit).</summary>
    public long MaxEntryBytes { get; init; } = 1L << 30;

    /// <summary>Largest uncompressed size of all entries together (1.5 GiB).</summary>
    public long MaxTotalBytes { get; init; } = 3L << 29;

    /// <summary>Largest manifest.json (1 MiB).</summary>
    public int MaxManifestBytes { get; init; } = PackManifestValidator.MaxManifestBytes;

    /// <summary>
    /// Highest uncompressed:compressed ratio of an entry of at least <see cref="CompressionRatioThresholdBytes"/>.
    /// Trained float weights compress barely at all (about 1.1:1); a ratio of 100:1 on megabytes is a bomb.
    /// </summary>
    public double MaxCompressionRatio { get; init; } = 100;

    /// <summary>Entries smaller than this are not ratio-checked (small text files compress well legitimately).</summary>
    public long CompressionRatioThresholdBytes { get; init; } = 1 << 20;

    /// <summary>Largest central directory read (bounds the memory spent listing entries before any check).</summary>
    public long MaxCentralDirectoryBytes { get; init; } = 1 << 20;
}
