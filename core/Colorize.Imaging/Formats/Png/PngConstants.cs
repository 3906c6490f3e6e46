namespace Colorize.Imaging.Formats.Png;

/// <summary>Numbers from the PNG specification (ISO/IEC 15948).</summary>
internal static class PngConstants
{
    public static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public const uint ChunkIhdr = 0x49484452; // "IHDR"
    public const uint ChunkPlte = 0x504C5445; // "PLTE"
    public const uint ChunkIdat = 0x49444154; // "IDAT"
    public const uint ChunkIend = 0x49454E44; // "IEND"
    public const uint ChunkTrns = 0x74524E53; // "tRNS"

    /// <summary>The largest chunk length the specification allows (2^31 - 1).</summary>
    public const uint MaxChunkLength = int.MaxValue;

    /// <summary>Adam7 passes: starting column, starting row, column step, row step.</summary>
    public static ReadOnlySpan<byte> Adam7 =>
    [
        0, 0, 8, 8,
        4, 0, 8, 8,
        0, 4, 4, 8,
        2, 0, 4, 4,
        0, 2, 2, 4,
        1, 0, 2, 2,
        0, 1, 1, 2,
    ];
}

/// <summary>The colour types a PNG header can name.</summary>
internal enum PngColorTypeCode : byte
{
    Gray = 0,
    Rgb = 2,
    Palette = 3,
    GrayAlpha = 4,
    RgbAlpha = 6,
}

/// <summary>The five PNG scanline filters.</summary>
internal enum PngFilterType : byte
{
    None = 0,
    Sub = 1,
    Up = 2,
    Average = 3,
    Paeth = 4,
}
