using Colorize.Abstractions;
using Colorize.Imaging.ColorSpaces;
using Colorize.Imaging.Processing;

namespace Colorize.Imaging.Tests.Processing;

/// <summary>The <see cref="PixelBuffer"/> overloads: PIL's straight-alpha RGBA resize, format plumbing, argument checks.</summary>
public sealed class PixelBufferResizeTests
{
    private const int W = 41, H = 29;

    private static ReferenceFixture Ref => ReferenceFixture.Load("resample.bin.gz");

    public static TheoryData<ResampleFilter, int, int> Cases()
    {
        var data = new TheoryData<ResampleFilter, int, int>();
        foreach (var f in Enum.GetValues<ResampleFilter>())
        {
            foreach (var (w, h) in new[] { (17, 11), (67, 35), (41, 50) })
            {
                data.Add(f, w, h);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Resize_Rgba32_EqualsPilRgbaResizeWithPremultipliedAlpha(ResampleFilter filter, int width, int height)
    {
        var source = new PixelBuffer(Ref.Bytes("rgba8"), W, H, W * 4, PixelFormat.Rgba32);
        var destination = PixelBuffer.Allocate(width, height, PixelFormat.Rgba32);

        Resampler.Resize(source, destination, filter);

        Assert.Equal(Ref.Bytes($"RGBA_{filter.ToString().ToLowerInvariant()}_{width}x{height}"), destination.Memory.ToArray());
    }

    [Fact]
    public void Resize_Bgra32_IsRgba32WithRedAndBlueSwapped()
    {
        byte[] rgba = Ref.Bytes("rgba8");
        byte[] bgra = Swap(rgba);
        var a = PixelBuffer.Allocate(30, 20, PixelFormat.Rgba32);
        var b = PixelBuffer.Allocate(30, 20, PixelFormat.Bgra32);

        Resampler.Resize(new PixelBuffer(rgba, W, H, W * 4, PixelFormat.Rgba32), a, ResampleFilter.Lanczos3);
        Resampler.Resize(new PixelBuffer(bgra, W, H, W * 4, PixelFormat.Bgra32), b, ResampleFilter.Lanczos3);

        Assert.Equal(Swap(a.Memory.ToArray()), b.Memory.ToArray());
    }

    [Fact]
    public void Resize_Gray16Buffer_EqualsTheSpanOverload()
    {
        ushort[] src = Ref.UInt16s("src16");
        var bytes = new byte[src.Length * 2];
        Buffer.BlockCopy(src, 0, bytes, 0, bytes.Length);
        var destination = PixelBuffer.Allocate(23, 40, PixelFormat.Gray16);

        Resampler.Resize(new PixelBuffer(bytes, W, H, W * 2, PixelFormat.Gray16), destination, ResampleFilter.Bicubic);

        var expected = new ushort[23 * 40];
        Resampler.Resize(src, W, H, W, expected, 23, 40, 23, 1, ResampleFilter.Bicubic);
        var got = new ushort[23 * 40];
        Buffer.BlockCopy(destination.Memory.ToArray(), 0, got, 0, got.Length * 2);
        Assert.Equal(expected, got);
    }

    [Fact]
    public void Resize_Rgba64_OpaqueEqualsRgb48()
    {
        // With alpha 65535 everywhere premultiplication is the identity, so colour must equal an Rgb48 resize.
        ushort[] plane = Ref.UInt16s("src16");
        var rgba = new ushort[W * H * 4];
        var rgb = new ushort[W * H * 3];
        for (int i = 0; i < W * H; i++)
        {
            rgba[4 * i] = rgb[3 * i] = plane[i];
            rgba[(4 * i) + 1] = rgb[(3 * i) + 1] = (ushort)(65535 - plane[i]);
            rgba[(4 * i) + 2] = rgb[(3 * i) + 2] = (ushort)(plane[i] / 2);
            rgba[(4 * i) + 3] = 65535;
        }

        var r4 = PixelBuffer.Allocate(19, 60, PixelFormat.Rgba64);
        var r3 = PixelBuffer.Allocate(19, 60, PixelFormat.Rgb48);
        Resampler.Resize(new PixelBuffer(ToBytes(rgba), W, H, W * 8, PixelFormat.Rgba64), r4, ResampleFilter.Bilinear);
        Resampler.Resize(new PixelBuffer(ToBytes(rgb), W, H, W * 6, PixelFormat.Rgb48), r3, ResampleFilter.Bilinear);

        byte[] b4 = r4.Memory.ToArray(), b3 = r3.Memory.ToArray();
        for (int i = 0; i < 19 * 60; i++)
        {
            Assert.Equal(b3.AsSpan(i * 6, 6).ToArray(), b4.AsSpan(i * 8, 6).ToArray());
        }
    }

    [Fact]
    public void Resize_MismatchedFormats_Throws()
    {
        var a = PixelBuffer.Allocate(4, 4, PixelFormat.Rgb24);
        var b = PixelBuffer.Allocate(2, 2, PixelFormat.Rgba32);
        Assert.Throws<ArgumentException>(() => Resampler.Resize(a, b, ResampleFilter.Box));
    }

    [Fact]
    public void LabConverter_PixelBufferOverloads_AgreeWithTheSpanOverloads()
    {
        byte[] rgba = Ref.Bytes("rgba8");
        var buffer = new PixelBuffer(rgba, W, H, W * 4, PixelFormat.Rgba32);
        var (l1, a1, b1) = (new float[W * H], new float[W * H], new float[W * H]);
        var (l2, a2, b2) = (new float[W * H], new float[W * H], new float[W * H]);

        LabConverter.ToLab(buffer, l1, a1, b1);
        LabConverter.ToLab(rgba, W, H, W * 4, InterleavedLayout.Rgba32, l2, a2, b2, W);
        Assert.Equal(l2, l1);
        Assert.Equal(b2, b1);

        var back = PixelBuffer.Allocate(W, H, PixelFormat.Rgba32);
        LabConverter.FromLab(l1, a1, b1, back);
        byte[] got = back.Memory.ToArray();
        for (int i = 0; i < W * H * 4; i++)
        {
            // Colour survives the round trip; alpha is never written (the fresh buffer's zeros stay).
            Assert.Equal(i % 4 == 3 ? 0 : rgba[i], got[i]);
        }

        Assert.Equal(ColorDetector.Analyze(rgba, W, H, W * 4, InterleavedLayout.Rgba32), ColorDetector.Analyze(buffer));
    }

    private static byte[] Swap(byte[] pixels)
    {
        var result = (byte[])pixels.Clone();
        for (int i = 0; i < result.Length; i += 4)
        {
            (result[i], result[i + 2]) = (result[i + 2], result[i]);
        }

        return result;
    }

    private static byte[] ToBytes(ushort[] values)
    {
        var bytes = new byte[values.Length * 2];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }
}
