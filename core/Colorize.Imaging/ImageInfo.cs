using Colorize.Abstractions;

namespace Colorize.Imaging;

/// <summary>What <see cref="Image.Identify(string, DecoderOptions?)"/> learns from a header without decoding pixels.</summary>
/// <param name="Width">Width in pixels, after any orientation the decoder applies (JPEG EXIF rotation).</param>
/// <param name="Height">Height in pixels, after any orientation the decoder applies.</param>
/// <param name="PixelFormat">The pixel format <see cref="IImageDecoder.Decode"/> will return.</param>
/// <param name="Format">The encoded format.</param>
/// <param name="BitsPerChannel">The precision stored in the file (1 to 16); 16-bit files decode to 16-bit formats.</param>
public sealed record ImageInfo(int Width, int Height, PixelFormat PixelFormat, ImageFormat Format, int BitsPerChannel);
