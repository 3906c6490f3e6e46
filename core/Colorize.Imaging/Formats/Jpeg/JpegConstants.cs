namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>Marker codes, table layouts and the standard tables of ITU-T T.81 (the JPEG standard).</summary>
internal static class JpegConstants
{
    /// <summary>Every marker starts with this byte.</summary>
    public const byte MarkerPrefix = 0xFF;

    /// <summary>Start of frame, baseline DCT (Huffman).</summary>
    public const byte Sof0 = 0xC0;

    /// <summary>Start of frame, extended sequential DCT (Huffman).</summary>
    public const byte Sof1 = 0xC1;

    /// <summary>Start of frame, progressive DCT (Huffman).</summary>
    public const byte Sof2 = 0xC2;

    /// <summary>Start of frame, lossless (Huffman).</summary>
    public const byte Sof3 = 0xC3;

    /// <summary>Define Huffman tables.</summary>
    public const byte Dht = 0xC4;

    /// <summary>Define arithmetic coding conditioning.</summary>
    public const byte Dac = 0xCC;

    /// <summary>First restart marker; RST0..RST7 are 0xD0..0xD7.</summary>
    public const byte Rst0 = 0xD0;

    /// <summary>Last restart marker.</summary>
    public const byte Rst7 = 0xD7;

    /// <summary>Start of image.</summary>
    public const byte Soi = 0xD8;

    /// <summary>End of image.</summary>
    public const byte Eoi = 0xD9;

    /// <summary>Start of scan.</summary>
    public const byte Sos = 0xDA;

    /// <summary>Define quantisation tables.</summary>
    public const byte Dqt = 0xDB;

    /// <summary>Define number of lines.</summary>
    public const byte Dnl = 0xDC;

    /// <summary>Define restart interval.</summary>
    public const byte Dri = 0xDD;

    /// <summary>APP0, where JFIF lives.</summary>
    public const byte App0 = 0xE0;

    /// <summary>APP1, where EXIF lives.</summary>
    public const byte App1 = 0xE1;

    /// <summary>APP14, where Adobe's colour transform flag lives.</summary>
    public const byte App14 = 0xEE;

    /// <summary>Comment.</summary>
    public const byte Com = 0xFE;

    /// <summary>Coefficients in one 8×8 block.</summary>
    public const int BlockSize = 64;

    /// <summary>
    /// Zigzag position → natural (row-major) position, followed by 16 extra entries of 63 so that a corrupt run
    /// length that overshoots the block lands harmlessly on the last coefficient instead of outside the block
    /// (libjpeg does the same).
    /// </summary>
    public static ReadOnlySpan<byte> ZigzagToNatural =>
    [
        0, 1, 8, 16, 9, 2, 3, 10,
        17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34,
        27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36,
        29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46,
        53, 60, 61, 54, 47, 55, 62, 63,
        63, 63, 63, 63, 63, 63, 63, 63,
        63, 63, 63, 63, 63, 63, 63, 63,
    ];

    /// <summary>The luminance quantisation table of T.81 Annex K.1, in natural order (quality 50).</summary>
    public static ReadOnlySpan<byte> StandardLuminanceQuantization =>
    [
        16, 11, 10, 16, 24, 40, 51, 61,
        12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77,
        24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101,
        72, 92, 95, 98, 112, 100, 103, 99,
    ];

    /// <summary>The chrominance quantisation table of T.81 Annex K.1, in natural order (quality 50).</summary>
    public static ReadOnlySpan<byte> StandardChrominanceQuantization =>
    [
        17, 18, 24, 47, 99, 99, 99, 99,
        18, 21, 26, 66, 99, 99, 99, 99,
        24, 26, 56, 99, 99, 99, 99, 99,
        47, 66, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
    ];

    /// <summary>Code counts per length (1..16) of the standard luminance DC table (T.81 K.3).</summary>
    public static ReadOnlySpan<byte> LuminanceDcBits => [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>Symbols of the standard luminance DC table.</summary>
    public static ReadOnlySpan<byte> LuminanceDcValues => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

    /// <summary>Code counts per length of the standard chrominance DC table.</summary>
    public static ReadOnlySpan<byte> ChrominanceDcBits => [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];

    /// <summary>Symbols of the standard chrominance DC table.</summary>
    public static ReadOnlySpan<byte> ChrominanceDcValues => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

    /// <summary>Code counts per length of the standard luminance AC table.</summary>
    public static ReadOnlySpan<byte> LuminanceAcBits => [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];

    /// <summary>Symbols of the standard luminance AC table.</summary>
    public static ReadOnlySpan<byte> LuminanceAcValues =>
    [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
        0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
        0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
        0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
        0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
        0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
        0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
        0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
        0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
        0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
        0xf9, 0xfa,
    ];

    /// <summary>Code counts per length of the standard chrominance AC table.</summary>
    public static ReadOnlySpan<byte> ChrominanceAcBits => [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];

    /// <summary>Symbols of the standard chrominance AC table.</summary>
    public static ReadOnlySpan<byte> ChrominanceAcValues =>
    [
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
        0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
        0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
        0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
        0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
        0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
        0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
        0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
        0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
        0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
        0xf9, 0xfa,
    ];
}
