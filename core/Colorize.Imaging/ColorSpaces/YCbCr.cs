using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Colorize.Imaging.Processing;

namespace Colorize.Imaging.ColorSpaces;

/// <summary>Which BT.601 YCbCr encoding to use.</summary>
public enum YCbCrRange
{
    /// <summary>
    /// Full range, as JPEG/JFIF: Y = 0.299·R + 0.587·G + 0.114·B on 0…255, Cb and Cr centred on 128 spanning 0…255.
    /// </summary>
    Full,

    /// <summary>
    /// Studio (video) range, as <c>skimage.color.rgb2ycbcr</c>: Y on 16…235, Cb and Cr on 16…240 centred on 128.
    /// </summary>
    Studio,
}

/// <summary>
/// BT.601 YCbCr ("YUV") ↔ sRGB. RGB is on a 0…1 scale (as everywhere in this namespace); Y, Cb, Cr are in 8-bit code
/// values (0…255 scale, not rounded).
/// </summary>
/// <remarks>
/// The matrices are applied to the companded sRGB values directly (no linearisation), as in JPEG and video. The studio
/// matrix is skimage's <c>ycbcr_from_rgb</c>; the full-range matrix has the JFIF coefficients (0.299, 0.587, 0.114,
/// Cb/Cr scaled to ±127.5). Inverses are the exact double-precision inverses, so a round trip loses nothing but float
/// rounding.
/// </remarks>
public static class YCbCr
{
    private static readonly double[] s_studio =
    [
        65.481, 128.553, 24.966,
        -37.797, -74.203, 112.0,
        112.0, -93.786, -18.214,
    ];

    private static readonly double[] s_full = BuildFull();
    private static readonly double[] s_studioInverse = Invert(s_studio);
    private static readonly double[] s_fullInverse = Invert(s_full);

    /// <summary>Converts one sRGB colour (0…1) to Y, Cb, Cr in double precision.</summary>
    /// <param name="red">Red, 0…1.</param>
    /// <param name="green">Green, 0…1.</param>
    /// <param name="blue">Blue, 0…1.</param>
    /// <param name="range">The encoding.</param>
    /// <returns>Y, Cb, Cr on the 0…255 scale.</returns>
    public static (double Y, double Cb, double Cr) FromRgb(double red, double green, double blue, YCbCrRange range)
    {
        double[] m = Forward(range);
        double y0 = range == YCbCrRange.Studio ? 16 : 0;
        return (y0 + (m[0] * red) + (m[1] * green) + (m[2] * blue),
                128 + (m[3] * red) + (m[4] * green) + (m[5] * blue),
                128 + (m[6] * red) + (m[7] * green) + (m[8] * blue));
    }

    /// <summary>Converts one Y, Cb, Cr colour to sRGB (0…1 scale, not clipped) in double precision.</summary>
    /// <param name="y">Y on the 0…255 scale.</param>
    /// <param name="cb">Cb on the 0…255 scale.</param>
    /// <param name="cr">Cr on the 0…255 scale.</param>
    /// <param name="range">The encoding.</param>
    /// <returns>Red, green, blue; values outside 0…1 mean the colour is outside the RGB cube.</returns>
    public static (double R, double G, double B) ToRgb(double y, double cb, double cr, YCbCrRange range)
    {
        double[] m = Inverse(range);
        y -= range == YCbCrRange.Studio ? 16 : 0;
        cb -= 128;
        cr -= 128;
        return ((m[0] * y) + (m[1] * cb) + (m[2] * cr), (m[3] * y) + (m[4] * cb) + (m[5] * cr), (m[6] * y) + (m[7] * cb) + (m[8] * cr));
    }

    /// <summary>Converts planes of sRGB (0…1) to planes of Y, Cb, Cr (0…255 scale) with SIMD.</summary>
    /// <param name="red">Red.</param>
    /// <param name="green">Green, as long as <paramref name="red"/>.</param>
    /// <param name="blue">Blue, as long as <paramref name="red"/>.</param>
    /// <param name="y">Receives Y.</param>
    /// <param name="cb">Receives Cb.</param>
    /// <param name="cr">Receives Cr.</param>
    /// <param name="range">The encoding.</param>
    /// <exception cref="ArgumentException">A plane is shorter than <paramref name="red"/>.</exception>
    public static void FromRgb(ReadOnlySpan<float> red, ReadOnlySpan<float> green, ReadOnlySpan<float> blue, Span<float> y, Span<float> cb, Span<float> cr, YCbCrRange range)
    {
        PlaneChecks.SameLength(red.Length, green, blue, y, cb, cr);
        var (m, offset) = ForwardKernel(range, 1);
        Affine(m, offset, ref MemoryMarshal.GetReference(red), ref MemoryMarshal.GetReference(green), ref MemoryMarshal.GetReference(blue),
            ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(cb), ref MemoryMarshal.GetReference(cr), red.Length);
    }

    /// <summary>Converts planes of Y, Cb, Cr (0…255 scale) to planes of sRGB (0…1, not clipped) with SIMD.</summary>
    /// <param name="y">Y.</param>
    /// <param name="cb">Cb, as long as <paramref name="y"/>.</param>
    /// <param name="cr">Cr, as long as <paramref name="y"/>.</param>
    /// <param name="red">Receives red.</param>
    /// <param name="green">Receives green.</param>
    /// <param name="blue">Receives blue.</param>
    /// <param name="range">The encoding.</param>
    /// <exception cref="ArgumentException">A plane is shorter than <paramref name="y"/>.</exception>
    public static void ToRgb(ReadOnlySpan<float> y, ReadOnlySpan<float> cb, ReadOnlySpan<float> cr, Span<float> red, Span<float> green, Span<float> blue, YCbCrRange range)
    {
        PlaneChecks.SameLength(y.Length, cb, cr, red, green, blue);
        var (m, offset) = InverseKernel(range, 1);
        Affine(m, offset, ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(cb), ref MemoryMarshal.GetReference(cr),
            ref MemoryMarshal.GetReference(red), ref MemoryMarshal.GetReference(green), ref MemoryMarshal.GetReference(blue), y.Length);
    }

    /// <summary>Converts interleaved pixels to planar Y, Cb, Cr (0…255 scale, not rounded), in parallel over rows.</summary>
    /// <param name="pixels">Source pixels; 16-bit layouts hold native-endian <see cref="ushort"/> channels.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="stride">Bytes from one source row to the next.</param>
    /// <param name="layout">Source layout (grey layouts give Cb = Cr = 128 up to rounding).</param>
    /// <param name="y">Receives Y.</param>
    /// <param name="cb">Receives Cb.</param>
    /// <param name="cr">Receives Cr.</param>
    /// <param name="planeStride">Floats from one plane row to the next.</param>
    /// <param name="range">The encoding.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is impossible.</exception>
    public static unsafe void FromPixels(ReadOnlySpan<byte> pixels, int width, int height, int stride, InterleavedLayout layout,
        Span<float> y, Span<float> cb, Span<float> cr, int planeStride, YCbCrRange range, int maxDegreeOfParallelism = -1)
    {
        BufferChecks.Check(pixels.Length, width, height, stride, layout.BytesPerPixel(), nameof(pixels), nameof(stride));
        CheckPlanes(y.Length, cb.Length, cr.Length, width, height, planeStride);
        var (m, offset) = ForwardKernel(range, layout.Is16Bit() ? 1.0 / 65535 : 1.0 / 255);
        fixed (byte* p = pixels)
        fixed (float* p0 = y)
        fixed (float* p1 = cb)
        fixed (float* p2 = cr)
        {
            var job = new Job { Pixels = p, Stride = stride, Layout = layout, Width = width, P0 = p0, P1 = p1, P2 = p2, PlaneStride = planeStride, M = m, Offset = offset, ToPixels = false };
            ParallelRows.For(height, (long)width * 4, maxDegreeOfParallelism, job);
        }
    }

    /// <summary>
    /// Converts planar Y, Cb, Cr (0…255 scale) to interleaved pixels, rounding to nearest and clamping each channel;
    /// alpha is left untouched and grey layouts receive the rounded luma.
    /// </summary>
    /// <param name="y">Y.</param>
    /// <param name="cb">Cb.</param>
    /// <param name="cr">Cr.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="planeStride">Floats from one plane row to the next.</param>
    /// <param name="pixels">Destination pixels; 16-bit layouts receive native-endian <see cref="ushort"/> channels.</param>
    /// <param name="stride">Bytes from one destination row to the next.</param>
    /// <param name="layout">Destination layout.</param>
    /// <param name="range">The encoding.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is impossible.</exception>
    public static unsafe void ToPixels(ReadOnlySpan<float> y, ReadOnlySpan<float> cb, ReadOnlySpan<float> cr, int width, int height, int planeStride,
        Span<byte> pixels, int stride, InterleavedLayout layout, YCbCrRange range, int maxDegreeOfParallelism = -1)
    {
        BufferChecks.Check(pixels.Length, width, height, stride, layout.BytesPerPixel(), nameof(pixels), nameof(stride));
        CheckPlanes(y.Length, cb.Length, cr.Length, width, height, planeStride);
        var (m, offset) = InverseKernel(range, layout.Is16Bit() ? 65535 : 255);
        fixed (byte* p = pixels)
        fixed (float* p0 = y)
        fixed (float* p1 = cb)
        fixed (float* p2 = cr)
        {
            bool studio = range == YCbCrRange.Studio;
            var job = new Job
            {
                Pixels = p, Stride = stride, Layout = layout, Width = width, P0 = p0, P1 = p1, P2 = p2, PlaneStride = planeStride, M = m, Offset = offset, ToPixels = true,
                LumaOffset = studio ? 16f : 0f, LumaScale = (studio ? 255f / 219f : 1f) * (layout.Is16Bit() ? 65535f / 255f : 1f),
            };
            ParallelRows.For(height, (long)width * 4, maxDegreeOfParallelism, job);
        }
    }

    private static void CheckPlanes(int l0, int l1, int l2, int width, int height, int planeStride)
    {
        BufferChecks.Check(l0, width, height, planeStride, 1, "y", nameof(planeStride));
        BufferChecks.Check(l1, width, height, planeStride, 1, "cb", nameof(planeStride));
        BufferChecks.Check(l2, width, height, planeStride, 1, "cr", nameof(planeStride));
    }

    private static double[] Forward(YCbCrRange range) => range switch
    {
        YCbCrRange.Full => s_full,
        YCbCrRange.Studio => s_studio,
        _ => throw new ArgumentOutOfRangeException(nameof(range), range, "Unknown YCbCr range."),
    };

    private static double[] Inverse(YCbCrRange range) => range switch
    {
        YCbCrRange.Full => s_fullInverse,
        YCbCrRange.Studio => s_studioInverse,
        _ => throw new ArgumentOutOfRangeException(nameof(range), range, "Unknown YCbCr range."),
    };

    /// <summary>out = M·(scale·in) + offset, i.e. the forward matrix with the input scale folded in.</summary>
    private static (Matrix3 M, (float, float, float) Offset) ForwardKernel(YCbCrRange range, double inputScale) =>
        (Matrix3.WithColumnScale(Forward(range), inputScale, inputScale, inputScale), (range == YCbCrRange.Studio ? 16f : 0f, 128f, 128f));

    /// <summary>out = outputScale·M⁻¹·(in − offset) = (outputScale·M⁻¹)·in + offset′, folded into one affine map.</summary>
    private static (Matrix3 M, (float, float, float) Offset) InverseKernel(YCbCrRange range, double outputScale)
    {
        double[] m = Inverse(range);
        double y0 = range == YCbCrRange.Studio ? 16 : 0;
        var scaled = new double[9];
        var offset = new double[3];
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 3; c++)
            {
                scaled[(3 * r) + c] = m[(3 * r) + c] * outputScale;
            }

            offset[r] = -((scaled[3 * r] * y0) + (scaled[(3 * r) + 1] * 128) + (scaled[(3 * r) + 2] * 128));
        }

        return (new Matrix3(scaled, 1, 1, 1), ((float)offset[0], (float)offset[1], (float)offset[2]));
    }

    private static double[] BuildFull()
    {
        // JFIF: Cb = (B − Y)/1.772 and Cr = (R − Y)/1.402 on the 0…255 scale.
        const double kr = 0.299, kg = 0.587, kb = 0.114;
        double[] m =
        [
            kr, kg, kb,
            -kr / 1.772, -kg / 1.772, (1 - kb) / 1.772,
            (1 - kr) / 1.402, -kg / 1.402, -kb / 1.402,
        ];
        for (int i = 0; i < 9; i++)
        {
            m[i] *= 255;
        }

        return m;
    }

    private static double[] Invert(double[] m)
    {
        double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5], g = m[6], h = m[7], k = m[8];
        double c00 = (e * k) - (f * h), c01 = (c * h) - (b * k), c02 = (b * f) - (c * e);
        double c10 = (f * g) - (d * k), c11 = (a * k) - (c * g), c12 = (c * d) - (a * f);
        double c20 = (d * h) - (e * g), c21 = (b * g) - (a * h), c22 = (a * e) - (b * d);
        double det = (a * c00) + (b * c10) + (c * c20);
        return [c00 / det, c01 / det, c02 / det, c10 / det, c11 / det, c12 / det, c20 / det, c21 / det, c22 / det];
    }

    private static void Affine(in Matrix3 m, (float, float, float) offset, ref float i0, ref float i1, ref float i2, ref float o0, ref float o1, ref float o2, int count)
    {
        var (f0, f1, f2) = offset;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                var a = Vector.LoadUnsafe(ref i0, (nuint)i);
                var b = Vector.LoadUnsafe(ref i1, (nuint)i);
                var c = Vector.LoadUnsafe(ref i2, (nuint)i);
                var r0 = m.Row0(a, b, c) + new Vector<float>(f0);
                var r1 = m.Row1(a, b, c) + new Vector<float>(f1);
                var r2 = m.Row2(a, b, c) + new Vector<float>(f2);
                Vector.StoreUnsafe(r0, ref o0, (nuint)i);
                Vector.StoreUnsafe(r1, ref o1, (nuint)i);
                Vector.StoreUnsafe(r2, ref o2, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            float a = Unsafe.Add(ref i0, i), b = Unsafe.Add(ref i1, i), c = Unsafe.Add(ref i2, i);
            Unsafe.Add(ref o0, i) = m.Row0(a, b, c) + f0;
            Unsafe.Add(ref o1, i) = m.Row1(a, b, c) + f1;
            Unsafe.Add(ref o2, i) = m.Row2(a, b, c) + f2;
        }
    }

    private unsafe struct Job : IRowJob
    {
        private const int Chunk = 256;

        public byte* Pixels;
        public int Stride;
        public InterleavedLayout Layout;
        public int Width;
        public float* P0;
        public float* P1;
        public float* P2;
        public int PlaneStride;
        public Matrix3 M;
        public (float, float, float) Offset;
        public bool ToPixels;
        public float LumaOffset;
        public float LumaScale;

        public readonly void Run(int rowStart, int rowEnd)
        {
            bool wide = Layout.Is16Bit();
            int bpp = Layout.BytesPerPixel();
            var (ro, go, bo) = Layout.ChannelOffsets();
            int unit = wide ? 2 : 1;
            ro *= unit; go *= unit; bo *= unit;
            float max = wide ? 65535f : 255f;
            Span<float> c0 = stackalloc float[Chunk];
            Span<float> c1 = stackalloc float[Chunk];
            Span<float> c2 = stackalloc float[Chunk];
            ref float r = ref MemoryMarshal.GetReference(c0);
            ref float g = ref MemoryMarshal.GetReference(c1);
            ref float b = ref MemoryMarshal.GetReference(c2);
            for (int row = rowStart; row < rowEnd; row++)
            {
                byte* line = Pixels + ((long)row * Stride);
                long planeRow = (long)row * PlaneStride;
                for (int x0 = 0; x0 < Width; x0 += Chunk)
                {
                    int n = Math.Min(Chunk, Width - x0);
                    byte* p = line + ((long)x0 * bpp);
                    if (!ToPixels)
                    {
                        for (int i = 0; i < n; i++, p += bpp)
                        {
                            Unsafe.Add(ref r, i) = wide ? Unsafe.ReadUnaligned<ushort>(p + ro) : p[ro];
                            Unsafe.Add(ref g, i) = wide ? Unsafe.ReadUnaligned<ushort>(p + go) : p[go];
                            Unsafe.Add(ref b, i) = wide ? Unsafe.ReadUnaligned<ushort>(p + bo) : p[bo];
                        }

                        Affine(M, Offset, ref r, ref g, ref b, ref P0[planeRow + x0], ref P1[planeRow + x0], ref P2[planeRow + x0], n);
                        continue;
                    }

                    Affine(M, Offset, ref P0[planeRow + x0], ref P1[planeRow + x0], ref P2[planeRow + x0], ref r, ref g, ref b, n);
                    if (Layout.IsGray())
                    {
                        // Grey output is the luma itself, mapped from its code range to the pixel range.
                        float* yRow = P0 + planeRow + x0;
                        for (int i = 0; i < n; i++, p += bpp)
                        {
                            Store(p, 0, (yRow[i] - LumaOffset) * LumaScale, max, wide);
                        }

                        continue;
                    }

                    for (int i = 0; i < n; i++, p += bpp)
                    {
                        Store(p, ro, Unsafe.Add(ref r, i), max, wide);
                        Store(p, go, Unsafe.Add(ref g, i), max, wide);
                        Store(p, bo, Unsafe.Add(ref b, i), max, wide);
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(byte* p, int offset, float v, float max, bool wide)
        {
            // Round half up and clamp; NaN lands on 0.
            float q = v + 0.5f;
            q = q > 0f ? (q < max ? q : max) : 0f;
            if (wide)
            {
                Unsafe.WriteUnaligned(p + offset, (ushort)q);
            }
            else
            {
                p[offset] = (byte)q;
            }
        }
    }
}
