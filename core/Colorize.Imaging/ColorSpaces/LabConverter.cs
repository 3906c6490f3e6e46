using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Colorize.Abstractions;
using Colorize.Imaging.Processing;

namespace Colorize.Imaging.ColorSpaces;

/// <summary>
/// Fast, parallel conversions between interleaved 8/16-bit sRGB pixels and planar CIE Lab floats — the colorization
/// pipeline's first and last steps.
/// </summary>
/// <remarks>
/// <para>
/// Integer inputs are decoded through 256- or 65536-entry tables (built once in double precision); the matrix, the
/// cube roots and the sRGB encoding run in SIMD over chunks of a row. Rows are spread over threads; each row is
/// computed the same way whichever thread gets it, so the output does not depend on the thread count.
/// </para>
/// <para>
/// Grey inputs (<see cref="InterleavedLayout.Gray8"/>, <see cref="InterleavedLayout.Gray16"/>) are looked up in tables
/// of skimage's exact (double precision) result for r = g = b. Note that skimage's matrix maps grey to a and b of
/// about 1e-3 rather than exactly 0; the tables reproduce that.
/// </para>
/// <para>
/// Output: by default (<see cref="GamutMapping.Clip"/>) each sRGB channel is clipped to 0…1 (the gamut clamp of
/// skimage's <c>lab2rgb</c>); with <see cref="GamutMapping.PreserveLightness"/> out-of-gamut pixels first have their
/// chroma reduced at constant L (in-gamut pixels take the same SIMD path either way). Values are then quantised by
/// rounding to nearest (v·255 + 0.5, truncated; ·65535 for 16 bits). 8-bit codes come from exact thresholds on the
/// linear value (as if the sRGB encoding were computed in double precision), 16-bit ones from the SIMD power. Alpha is
/// never written. A grey output receives the sRGB encoding of the colour's relative luminance, which depends on L alone.
/// </para>
/// </remarks>
public static partial class LabConverter
{
    /// <summary>Pixels per SIMD chunk of a row; a multiple of every vector width, small enough for the stack.</summary>
    private const int Chunk = 256;

    /// <summary>
    /// Converts interleaved pixels to planar L, a, b (or L alone when <paramref name="a"/> and <paramref name="b"/> are empty).
    /// </summary>
    /// <param name="pixels">The source pixels; 16-bit layouts hold native-endian <see cref="ushort"/> channels.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="stride">Bytes from one source row to the next.</param>
    /// <param name="layout">The source layout.</param>
    /// <param name="l">Receives L (0…100), <paramref name="planeStride"/> floats per row.</param>
    /// <param name="a">Receives a, or empty to skip a and b.</param>
    /// <param name="b">Receives b, or empty to skip a and b.</param>
    /// <param name="planeStride">Floats from one plane row to the next (at least <paramref name="width"/>).</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">A buffer is too small, or only one of <paramref name="a"/> and <paramref name="b"/> is given.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is impossible.</exception>
    public static unsafe void ToLab(
        ReadOnlySpan<byte> pixels, int width, int height, int stride, InterleavedLayout layout,
        Span<float> l, Span<float> a, Span<float> b, int planeStride, int maxDegreeOfParallelism = -1)
    {
        int bpp = layout.BytesPerPixel();
        BufferChecks.Check(pixels.Length, width, height, stride, bpp, nameof(pixels), nameof(stride));
        BufferChecks.Check(l.Length, width, height, planeStride, 1, nameof(l), nameof(planeStride));
        bool chroma = !a.IsEmpty || !b.IsEmpty;
        if (chroma)
        {
            if (a.IsEmpty || b.IsEmpty)
            {
                throw new ArgumentException("Pass both the a and the b plane, or neither (for L alone).", a.IsEmpty ? nameof(a) : nameof(b));
            }

            BufferChecks.Check(a.Length, width, height, planeStride, 1, nameof(a), nameof(planeStride));
            BufferChecks.Check(b.Length, width, height, planeStride, 1, nameof(b), nameof(planeStride));
        }

        fixed (byte* src = pixels)
        fixed (float* pl = l)
        fixed (float* pa = a)
        fixed (float* pb = b)
        {
            var job = new ToLabJob
            {
                Pixels = src, Stride = stride, Layout = layout, Width = width,
                L = pl, A = chroma ? pa : null, B = chroma ? pb : null, PlaneStride = planeStride,
            };
            ParallelRows.For(height, (long)width * (chroma ? 24 : 10), maxDegreeOfParallelism, job);
        }
    }

    /// <summary>
    /// Converts planar L, a, b to interleaved pixels, bringing out-of-gamut colours into the gamut as
    /// <paramref name="gamutMapping"/> says and leaving alpha untouched.
    /// </summary>
    /// <param name="l">L, <paramref name="planeStride"/> floats per row.</param>
    /// <param name="a">a.</param>
    /// <param name="b">b.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="planeStride">Floats from one plane row to the next (at least <paramref name="width"/>).</param>
    /// <param name="pixels">The destination pixels; 16-bit layouts receive native-endian <see cref="ushort"/> channels.</param>
    /// <param name="stride">Bytes from one destination row to the next.</param>
    /// <param name="layout">The destination layout.</param>
    /// <param name="chromaScale">Multiplies a and b before conversion (the user's colour strength); 1 leaves them unchanged.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <param name="gamutMapping">
    /// What happens to colours sRGB cannot show: per-channel clipping (the default, as skimage) or chroma reduction at
    /// constant L. Grey layouts ignore a and b, so it does not matter for them.
    /// </param>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A size or stride is impossible, <paramref name="chromaScale"/> is not finite, or <paramref name="gamutMapping"/> is not a defined value.
    /// </exception>
    public static unsafe void FromLab(
        ReadOnlySpan<float> l, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int width, int height, int planeStride,
        Span<byte> pixels, int stride, InterleavedLayout layout, float chromaScale = 1f, int maxDegreeOfParallelism = -1,
        GamutMapping gamutMapping = GamutMapping.Clip)
    {
        int bpp = layout.BytesPerPixel();
        BufferChecks.Check(pixels.Length, width, height, stride, bpp, nameof(pixels), nameof(stride));
        BufferChecks.Check(l.Length, width, height, planeStride, 1, nameof(l), nameof(planeStride));
        BufferChecks.Check(a.Length, width, height, planeStride, 1, nameof(a), nameof(planeStride));
        BufferChecks.Check(b.Length, width, height, planeStride, 1, nameof(b), nameof(planeStride));
        if (!float.IsFinite(chromaScale))
        {
            throw new ArgumentOutOfRangeException(nameof(chromaScale), chromaScale, "The chroma scale must be a finite number.");
        }

        if (gamutMapping is not (GamutMapping.Clip or GamutMapping.PreserveLightness))
        {
            throw new ArgumentOutOfRangeException(nameof(gamutMapping), gamutMapping, "Unknown gamut mapping.");
        }

        fixed (byte* dst = pixels)
        fixed (float* pl = l)
        fixed (float* pa = a)
        fixed (float* pb = b)
        {
            var job = new FromLabJob
            {
                Pixels = dst, Stride = stride, Layout = layout, Width = width,
                L = pl, A = pa, B = pb, PlaneStride = planeStride, ChromaScale = chromaScale,
                PreserveLightness = gamutMapping == GamutMapping.PreserveLightness,
            };
            ParallelRows.For(height, (long)width * 30, maxDegreeOfParallelism, job);
        }
    }

    /// <summary>
    /// Converts a pixel buffer to planar L, a, b with rows of <c>source.Width</c> floats (or L alone when
    /// <paramref name="a"/> and <paramref name="b"/> are empty).
    /// </summary>
    /// <param name="source">The pixels.</param>
    /// <param name="l">Receives L; at least Width × Height floats.</param>
    /// <param name="a">Receives a, or empty.</param>
    /// <param name="b">Receives b, or empty.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">A plane is too small, or only one of <paramref name="a"/> and <paramref name="b"/> is given.</exception>
    public static void ToLab(PixelBuffer source, Span<float> l, Span<float> a, Span<float> b, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(source);
        ToLab(source.Memory.Span, source.Width, source.Height, source.Stride, source.Format.ToInterleavedLayout(), l, a, b, source.Width, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Writes planar L, a, b (rows of <c>destination.Width</c> floats) into a pixel buffer, bringing out-of-gamut
    /// colours into the gamut as <paramref name="gamutMapping"/> says and leaving alpha untouched.
    /// </summary>
    /// <param name="l">L.</param>
    /// <param name="a">a.</param>
    /// <param name="b">b.</param>
    /// <param name="destination">The pixels to write.</param>
    /// <param name="chromaScale">Multiplies a and b first (the user's colour strength); 1 leaves them unchanged.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <param name="gamutMapping">Per-channel clipping (the default) or chroma reduction at constant L.</param>
    /// <exception cref="ArgumentException">A plane is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chromaScale"/> is not finite, or <paramref name="gamutMapping"/> is not defined.</exception>
    public static void FromLab(
        ReadOnlySpan<float> l, ReadOnlySpan<float> a, ReadOnlySpan<float> b, PixelBuffer destination, float chromaScale = 1f, int maxDegreeOfParallelism = -1,
        GamutMapping gamutMapping = GamutMapping.Clip)
    {
        ArgumentNullException.ThrowIfNull(destination);
        FromLab(l, a, b, destination.Width, destination.Height, destination.Width, destination.Memory.Span, destination.Stride,
            destination.Format.ToInterleavedLayout(), chromaScale, maxDegreeOfParallelism, gamutMapping);
    }

    private unsafe struct ToLabJob : IRowJob
    {
        public byte* Pixels;
        public int Stride;
        public InterleavedLayout Layout;
        public int Width;
        public float* L;
        public float* A;
        public float* B;
        public int PlaneStride;

        public readonly void Run(int rowStart, int rowEnd)
        {
            if (Layout.IsGray())
            {
                RunGray(rowStart, rowEnd);
                return;
            }

            bool wide = Layout.Is16Bit();
            ReadOnlySpan<float> lut = wide ? SrgbTransfer.Lut16 : SrgbTransfer.Lut8;
            ref float table = ref MemoryMarshal.GetReference(lut);
            int bpp = Layout.BytesPerPixel();
            var (ro, go, bo) = Layout.ChannelOffsets();
            if (wide)
            {
                ro *= 2; go *= 2; bo *= 2;
            }

            Span<float> red = stackalloc float[Chunk];
            Span<float> green = stackalloc float[Chunk];
            Span<float> blue = stackalloc float[Chunk];
            ref float r = ref MemoryMarshal.GetReference(red);
            ref float g = ref MemoryMarshal.GetReference(green);
            ref float bl = ref MemoryMarshal.GetReference(blue);

            for (int y = rowStart; y < rowEnd; y++)
            {
                byte* row = Pixels + ((long)y * Stride);
                long planeRow = (long)y * PlaneStride;
                for (int x0 = 0; x0 < Width; x0 += Chunk)
                {
                    int n = Math.Min(Chunk, Width - x0);
                    byte* p = row + ((long)x0 * bpp);
                    if (wide)
                    {
                        for (int i = 0; i < n; i++, p += bpp)
                        {
                            Unsafe.Add(ref r, i) = Unsafe.Add(ref table, Unsafe.ReadUnaligned<ushort>(p + ro));
                            Unsafe.Add(ref g, i) = Unsafe.Add(ref table, Unsafe.ReadUnaligned<ushort>(p + go));
                            Unsafe.Add(ref bl, i) = Unsafe.Add(ref table, Unsafe.ReadUnaligned<ushort>(p + bo));
                        }
                    }
                    else
                    {
                        for (int i = 0; i < n; i++, p += bpp)
                        {
                            Unsafe.Add(ref r, i) = Unsafe.Add(ref table, p[ro]);
                            Unsafe.Add(ref g, i) = Unsafe.Add(ref table, p[go]);
                            Unsafe.Add(ref bl, i) = Unsafe.Add(ref table, p[bo]);
                        }
                    }

                    ref float lOut = ref L[planeRow + x0];
                    if (A != null)
                    {
                        LabKernels.LinearRgbToLab(ref r, ref g, ref bl, ref lOut, ref A[planeRow + x0], ref B[planeRow + x0], n);
                    }
                    else
                    {
                        LabKernels.LinearRgbToL(ref r, ref g, ref bl, ref lOut, n);
                    }
                }
            }
        }

        private readonly void RunGray(int rowStart, int rowEnd)
        {
            bool wide = Layout == InterleavedLayout.Gray16;
            GrayLabTables tables = wide ? GrayLabTables.Bits16 : GrayLabTables.Bits8;
            ref float tl = ref MemoryMarshal.GetArrayDataReference(tables.L);
            ref float ta = ref MemoryMarshal.GetArrayDataReference(tables.A);
            ref float tb = ref MemoryMarshal.GetArrayDataReference(tables.B);
            for (int y = rowStart; y < rowEnd; y++)
            {
                byte* row = Pixels + ((long)y * Stride);
                float* lRow = L + ((long)y * PlaneStride);
                float* aRow = A == null ? null : A + ((long)y * PlaneStride);
                float* bRow = B == null ? null : B + ((long)y * PlaneStride);
                for (int x = 0; x < Width; x++)
                {
                    int v = wide ? Unsafe.ReadUnaligned<ushort>(row + (2 * x)) : row[x];
                    lRow[x] = Unsafe.Add(ref tl, v);
                    if (aRow != null)
                    {
                        aRow[x] = Unsafe.Add(ref ta, v);
                        bRow[x] = Unsafe.Add(ref tb, v);
                    }
                }
            }
        }
    }

    private unsafe struct FromLabJob : IRowJob
    {
        public byte* Pixels;
        public int Stride;
        public InterleavedLayout Layout;
        public int Width;
        public float* L;
        public float* A;
        public float* B;
        public int PlaneStride;
        public float ChromaScale;
        public bool PreserveLightness;

        public readonly void Run(int rowStart, int rowEnd)
        {
            bool wide = Layout.Is16Bit();
            bool gray = Layout.IsGray();
            int bpp = Layout.BytesPerPixel();
            var (ro, go, bo) = Layout.ChannelOffsets();
            if (wide)
            {
                ro *= 2; go *= 2; bo *= 2;
            }

            Span<float> red = stackalloc float[Chunk];
            Span<float> green = stackalloc float[Chunk];
            Span<float> blue = stackalloc float[Chunk];
            ref float r = ref MemoryMarshal.GetReference(red);
            ref float g = ref MemoryMarshal.GetReference(green);
            ref float bl = ref MemoryMarshal.GetReference(blue);

            for (int y = rowStart; y < rowEnd; y++)
            {
                byte* row = Pixels + ((long)y * Stride);
                long planeRow = (long)y * PlaneStride;
                for (int x0 = 0; x0 < Width; x0 += Chunk)
                {
                    int n = Math.Min(Chunk, Width - x0);
                    byte* p = row + ((long)x0 * bpp);
                    if (gray)
                    {
                        LabKernels.LToLuminance(ref L[planeRow + x0], ref r, n);
                        if (!wide)
                        {
                            SrgbEncode8.ClampToUnit(red[..n]);
                            for (int i = 0; i < n; i++, p += bpp)
                            {
                                p[0] = SrgbEncode8.EncodeUnit(Unsafe.Add(ref r, i));
                            }

                            continue;
                        }

                        SrgbTransfer.FromLinearClipped(red[..n], red);
                        for (int i = 0; i < n; i++, p += bpp)
                        {
                            Store16(p, Unsafe.Add(ref r, i));
                        }

                        continue;
                    }

                    LabKernels.LabToLinearRgb(ref L[planeRow + x0], ref A[planeRow + x0], ref B[planeRow + x0], ChromaScale, ref r, ref g, ref bl, n);
                    if (PreserveLightness)
                    {
                        GamutMapper.ReduceChroma(ref L[planeRow + x0], ref A[planeRow + x0], ref B[planeRow + x0], ChromaScale, ref r, ref g, ref bl, n);
                    }

                    if (!wide)
                    {
                        // 8-bit codes straight from linear light through exact thresholds: no power function needed.
                        SrgbEncode8.ClampToUnit(red[..n]);
                        SrgbEncode8.ClampToUnit(green[..n]);
                        SrgbEncode8.ClampToUnit(blue[..n]);
                        for (int i = 0; i < n; i++, p += bpp)
                        {
                            p[ro] = SrgbEncode8.EncodeUnit(Unsafe.Add(ref r, i));
                            p[go] = SrgbEncode8.EncodeUnit(Unsafe.Add(ref g, i));
                            p[bo] = SrgbEncode8.EncodeUnit(Unsafe.Add(ref bl, i));
                        }

                        continue;
                    }

                    SrgbTransfer.FromLinearClipped(red[..n], red);
                    SrgbTransfer.FromLinearClipped(green[..n], green);
                    SrgbTransfer.FromLinearClipped(blue[..n], blue);
                    for (int i = 0; i < n; i++, p += bpp)
                    {
                        Store16(p + ro, Unsafe.Add(ref r, i));
                        Store16(p + go, Unsafe.Add(ref g, i));
                        Store16(p + bo, Unsafe.Add(ref bl, i));
                    }
                }
            }
        }

        /// <summary>Rounds an encoded value in 0…1 to a 16-bit code.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store16(byte* p, float v) => Unsafe.WriteUnaligned(p, (ushort)((v * 65535f) + 0.5f));
    }
}

/// <summary>skimage's Lab of every grey level r = g = b = v/max, in double precision, rounded to float.</summary>
internal sealed class GrayLabTables
{
    private static GrayLabTables? s_bits8;
    private static GrayLabTables? s_bits16;

    private GrayLabTables(int levels)
    {
        L = new float[levels];
        A = new float[levels];
        B = new float[levels];
        double max = levels - 1;
        for (int i = 0; i < levels; i++)
        {
            double v = i / max;
            var (l, a, b) = CieLab.FromSrgb(v, v, v);
            L[i] = (float)l;
            A[i] = (float)a;
            B[i] = (float)b;
        }
    }

    public float[] L { get; }

    public float[] A { get; }

    public float[] B { get; }

    public static GrayLabTables Bits8 => s_bits8 ?? Publish(ref s_bits8, 256);

    public static GrayLabTables Bits16 => s_bits16 ?? Publish(ref s_bits16, 65536);

    private static GrayLabTables Publish(ref GrayLabTables? slot, int levels)
    {
        Interlocked.CompareExchange(ref slot, new GrayLabTables(levels), null);
        return slot;
    }
}
