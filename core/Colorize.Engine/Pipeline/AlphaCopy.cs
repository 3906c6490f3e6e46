using System.Runtime.InteropServices;
using Colorize.Abstractions;

namespace Colorize.Engine.Pipeline;

/// <summary>Carries alpha from source to destination (8↔16 bit as needed); an opaque destination alpha when the source has none.</summary>
internal static class AlphaCopy
{
    public static void Copy(PixelBuffer source, PixelBuffer destination)
    {
        int dstAlpha = AlphaIndex(destination.Format);
        if (dstAlpha < 0 || (source.Memory.Equals(destination.Memory) && source.Format == destination.Format))
        {
            return;
        }

        int srcAlpha = AlphaIndex(source.Format);
        bool src16 = Is16(source.Format), dst16 = Is16(destination.Format);
        int srcChannels = Channels(source.Format), dstChannels = Channels(destination.Format);
        for (int y = 0; y < destination.Height; y++)
        {
            var srcRow = source.GetRow(y);
            var dstRow = destination.GetRow(y);
            for (int x = 0; x < destination.Width; x++)
            {
                int v16 = srcAlpha < 0 ? 65535
                    : src16 ? MemoryMarshal.Cast<byte, ushort>(srcRow)[(x * srcChannels) + srcAlpha]
                    : srcRow[(x * srcChannels) + srcAlpha] * 257;
                if (dst16)
                {
                    MemoryMarshal.Cast<byte, ushort>(dstRow)[(x * dstChannels) + dstAlpha] = (ushort)v16;
                }
                else
                {
                    dstRow[(x * dstChannels) + dstAlpha] = (byte)(((v16 * 255) + 32767) / 65535);
                }
            }
        }
    }

    private static int AlphaIndex(PixelFormat f) => f is PixelFormat.Rgba32 or PixelFormat.Bgra32 or PixelFormat.Rgba64 ? 3 : -1;

    private static bool Is16(PixelFormat f) => f is PixelFormat.Gray16 or PixelFormat.Rgb48 or PixelFormat.Rgba64;

    private static int Channels(PixelFormat f) => f switch
    {
        PixelFormat.Gray8 or PixelFormat.Gray16 => 1,
        PixelFormat.Rgb24 or PixelFormat.Rgb48 => 3,
        _ => 4,
    };
}
