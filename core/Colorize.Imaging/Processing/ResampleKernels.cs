using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Colorize.Imaging.Processing;

/// <summary>
/// The two resampling passes for float planes, 8-bit and 16-bit interleaved images. Buffers arrive checked by
/// <see cref="Resampler"/>; every output element is computed by the same instructions whatever thread runs it.
/// </summary>
internal static unsafe partial class ResampleKernels
{
    private const int Half8 = 1 << (ResampleWeights.FixedPointBits - 1);

    /// <summary>
    /// Computes output rows [<paramref name="rowStart"/>, <paramref name="rowStart"/> + <paramref name="rowCount"/>)
    /// into <paramref name="destination"/> (whose row 0 is output row <paramref name="rowStart"/>). Every output row
    /// gets the same bits whether it is computed alone, in a band, or with the whole image. A <paramref name="scratch"/>
    /// long enough holds the horizontally filtered rows instead of a new array (see <see cref="ScratchLength"/>).
    /// </summary>
    public static void ResizeFloat(ReadOnlySpan<float> source, int sourceStride, Span<float> destination, int destinationStride,
        ResampleWeights wx, ResampleWeights wy, int rowStart, int rowCount, int maxDegreeOfParallelism, float[]? scratch = null)
    {
        int inW = wx.InSize, inH = wy.InSize, outW = wx.OutSize;
        bool needH = inW != outW, needV = inH != wy.OutSize;
        int rowEnd = rowStart + rowCount;
        if (!needH && !needV)
        {
            for (int y = rowStart; y < rowEnd; y++)
            {
                source.Slice(y * sourceStride, inW).CopyTo(destination.Slice((y - rowStart) * destinationStride, inW));
            }

            return;
        }

        // Only the source rows the vertical pass will read get filtered horizontally (as PIL does for the whole image).
        int yFirst = needV ? wy.Start[rowStart] : rowStart;
        int yLast = needV ? wy.Start[rowEnd - 1] + wy.Count[rowEnd - 1] : rowEnd;
        long tempLength = needH && needV ? (long)(yLast - yFirst) * outW : 0;
        float[] temp = tempLength == 0 ? [] : scratch is not null && scratch.Length >= tempLength ? scratch : new float[tempLength];

        fixed (float* src = source)
        fixed (float* dst = destination)
        fixed (float* tmp = temp)
        {
            float* vSource = src;
            int vStride = sourceStride, vOffset = 0;
            if (needH)
            {
                float* hDst = needV ? tmp : dst;
                int hStride = needV ? outW : destinationStride;
                RunHorizontalFloat(src + ((long)yFirst * sourceStride), sourceStride, hDst, hStride, yLast - yFirst, wx, maxDegreeOfParallelism);
                vSource = tmp;
                vStride = outW;
                vOffset = yFirst;
            }

            if (needV)
            {
                RunVerticalFloat(vSource, vStride, vOffset, dst, destinationStride, outW, wy, rowStart, rowCount, maxDegreeOfParallelism);
            }
        }
    }

    /// <summary>The floats <see cref="ResizeFloat"/> needs for its horizontally filtered rows for this band (0: none).</summary>
    public static long ScratchLength(ResampleWeights wx, ResampleWeights wy, int rowStart, int rowCount)
    {
        if (wx.InSize == wx.OutSize || wy.InSize == wy.OutSize)
        {
            return 0;
        }

        int rowEnd = rowStart + rowCount;
        return (long)(wy.Start[rowEnd - 1] + wy.Count[rowEnd - 1] - wy.Start[rowStart]) * wx.OutSize;
    }

    private static void RunHorizontalFloat(float* src, int srcStride, float* dst, int dstStride, int rows, ResampleWeights wx, int maxDop)
    {
        bool padded = wx.TryPad(Vector.IsHardwareAccelerated ? Vector<float>.Count : 1, out int taps, out int[] paddedStart, out float[] paddedWeights);
        int[] start = padded ? paddedStart : wx.Start;
        float[] weights = padded ? paddedWeights : wx.Weights;
        fixed (int* pStart = start)
        fixed (int* pCount = wx.Count)
        fixed (float* pWeights = weights)
        {
            var job = new HorizontalFloatJob
            {
                Src = src, SrcStride = srcStride, Dst = dst, DstStride = dstStride, OutWidth = wx.OutSize,
                Start = pStart, Count = pCount, Weights = pWeights, Taps = padded ? taps : wx.MaxTaps, Padded = padded,
            };
            ParallelRows.For(rows, (long)wx.OutSize * job.Taps, maxDop, job);
        }
    }

    private static void RunVerticalFloat(float* src, int srcStride, int rowOffset, float* dst, int dstStride, int width, ResampleWeights wy, int rowStart, int rowCount, int maxDop)
    {
        fixed (int* pStart = wy.Start)
        fixed (int* pCount = wy.Count)
        fixed (float* pWeights = wy.Weights)
        {
            var job = new VerticalFloatJob
            {
                Src = src, SrcStride = srcStride, RowOffset = rowOffset, Dst = dst, DstStride = dstStride, Width = width,
                Start = pStart + rowStart, Count = pCount + rowStart, Weights = pWeights + ((long)rowStart * wy.MaxTaps), MaxTaps = wy.MaxTaps,
            };
            ParallelRows.For(rowCount, (long)width * wy.MaxTaps, maxDop, job);
        }
    }

    private struct HorizontalFloatJob : IRowJob
    {
        public float* Src;
        public int SrcStride;
        public float* Dst;
        public int DstStride;
        public int OutWidth;
        public int* Start;
        public int* Count;
        public float* Weights;
        public int Taps;
        public bool Padded;

        public readonly void Run(int rowStart, int rowEnd)
        {
            for (int r = rowStart; r < rowEnd; r++)
            {
                float* s = Src + ((long)r * SrcStride);
                float* d = Dst + ((long)r * DstStride);
                if (Padded)
                {
                    // Every output reads Taps (a multiple of the vector width) consecutive inputs: a plain SIMD dot product.
                    for (int x = 0; x < OutWidth; x++)
                    {
                        float* p = s + Start[x];
                        float* w = Weights + ((long)x * Taps);
                        if (Vector.IsHardwareAccelerated)
                        {
                            Vector<float> acc = Vector.Load(p) * Vector.Load(w);
                            for (int t = Vector<float>.Count; t < Taps; t += Vector<float>.Count)
                            {
                                acc += Vector.Load(p + t) * Vector.Load(w + t);
                            }

                            d[x] = Vector.Sum(acc);
                        }
                        else
                        {
                            float sum = 0;
                            for (int t = 0; t < Taps; t++)
                            {
                                sum += p[t] * w[t];
                            }

                            d[x] = sum;
                        }
                    }
                }
                else
                {
                    for (int x = 0; x < OutWidth; x++)
                    {
                        float* p = s + Start[x];
                        float* w = Weights + ((long)x * Taps);
                        int n = Count[x];
                        float sum = 0;
                        for (int t = 0; t < n; t++)
                        {
                            sum += p[t] * w[t];
                        }

                        d[x] = sum;
                    }
                }
            }
        }
    }

    private struct VerticalFloatJob : IRowJob
    {
        public float* Src;
        public int SrcStride;
        public int RowOffset;
        public float* Dst;
        public int DstStride;
        public int Width;
        public int* Start;
        public int* Count;
        public float* Weights;
        public int MaxTaps;

        public readonly void Run(int rowStart, int rowEnd)
        {
            for (int y = rowStart; y < rowEnd; y++)
            {
                float* first = Src + ((long)(Start[y] - RowOffset) * SrcStride);
                float* w = Weights + ((long)y * MaxTaps);
                int n = Count[y];
                float* d = Dst + ((long)y * DstStride);
                int x = 0;
                if (Vector.IsHardwareAccelerated)
                {
                    // Four vectors at a time hide the add latency; the order of the taps stays the same for every lane.
                    for (; x <= Width - (4 * Vector<float>.Count); x += 4 * Vector<float>.Count)
                    {
                        float* p = first + x;
                        var wt = new Vector<float>(w[0]);
                        Vector<float> a0 = Vector.Load(p) * wt;
                        Vector<float> a1 = Vector.Load(p + Vector<float>.Count) * wt;
                        Vector<float> a2 = Vector.Load(p + (2 * Vector<float>.Count)) * wt;
                        Vector<float> a3 = Vector.Load(p + (3 * Vector<float>.Count)) * wt;
                        for (int t = 1; t < n; t++)
                        {
                            p += SrcStride;
                            wt = new Vector<float>(w[t]);
                            a0 += Vector.Load(p) * wt;
                            a1 += Vector.Load(p + Vector<float>.Count) * wt;
                            a2 += Vector.Load(p + (2 * Vector<float>.Count)) * wt;
                            a3 += Vector.Load(p + (3 * Vector<float>.Count)) * wt;
                        }

                        Vector.Store(a0, d + x);
                        Vector.Store(a1, d + x + Vector<float>.Count);
                        Vector.Store(a2, d + x + (2 * Vector<float>.Count));
                        Vector.Store(a3, d + x + (3 * Vector<float>.Count));
                    }

                    for (; x <= Width - Vector<float>.Count; x += Vector<float>.Count)
                    {
                        float* p = first + x;
                        Vector<float> acc = Vector.Load(p) * new Vector<float>(w[0]);
                        for (int t = 1; t < n; t++)
                        {
                            p += SrcStride;
                            acc += Vector.Load(p) * new Vector<float>(w[t]);
                        }

                        Vector.Store(acc, d + x);
                    }
                }

                for (; x < Width; x++)
                {
                    float* p = first + x;
                    float acc = *p * w[0];
                    for (int t = 1; t < n; t++)
                    {
                        p += SrcStride;
                        acc += *p * w[t];
                    }

                    d[x] = acc;
                }
            }
        }
    }

    public static void Resize8(ReadOnlySpan<byte> source, int sourceStride, Span<byte> destination, int destinationStride, int channels,
        ResampleWeights wx, ResampleWeights wy, int maxDegreeOfParallelism)
    {
        int inW = wx.InSize, inH = wy.InSize, outW = wx.OutSize, outH = wy.OutSize;
        bool needH = inW != outW, needV = inH != outH;
        if (!needH && !needV)
        {
            for (int y = 0; y < inH; y++)
            {
                source.Slice(y * sourceStride, inW * channels).CopyTo(destination.Slice(y * destinationStride, inW * channels));
            }

            return;
        }

        int yFirst = needV ? wy.Start[0] : 0;
        int yLast = needV ? wy.Start[outH - 1] + wy.Count[outH - 1] : inH;
        int tempStride = outW * channels;
        byte[] temp = needH && needV ? new byte[(long)(yLast - yFirst) * tempStride] : [];
        int[] kx = wx.FixedPoint();
        int[] ky = wy.FixedPoint();

        fixed (byte* src = source)
        fixed (byte* dst = destination)
        fixed (byte* tmp = temp)
        fixed (int* pkx = kx)
        fixed (int* pky = ky)
        fixed (int* sx = wx.Start)
        fixed (int* cx = wx.Count)
        fixed (int* sy = wy.Start)
        fixed (int* cy = wy.Count)
        {
            byte* vSource = src;
            int vStride = sourceStride, vOffset = 0;
            if (needH)
            {
                var h = new Horizontal8Job
                {
                    Src = src + ((long)yFirst * sourceStride), SrcStride = sourceStride,
                    Dst = needV ? tmp : dst, DstStride = needV ? tempStride : destinationStride,
                    OutWidth = outW, Channels = channels, InWidth = inW, Start = sx, Count = cx, Weights = pkx, MaxTaps = wx.MaxTaps,
                };
                ParallelRows.For(yLast - yFirst, (long)outW * channels * wx.MaxTaps, maxDegreeOfParallelism, h);
                vSource = tmp;
                vStride = tempStride;
                vOffset = yFirst;
            }

            if (needV)
            {
                var v = new Vertical8Job
                {
                    Src = vSource, SrcStride = vStride, RowOffset = vOffset, Dst = dst, DstStride = destinationStride,
                    RowBytes = outW * channels, Start = sy, Count = cy, Weights = pky, MaxTaps = wy.MaxTaps,
                };
                ParallelRows.For(outH, (long)outW * channels * wy.MaxTaps, maxDegreeOfParallelism, v);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clip8(int ss)
    {
        int v = ss >> ResampleWeights.FixedPointBits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    private struct Horizontal8Job : IRowJob
    {
        public byte* Src;
        public int SrcStride;
        public byte* Dst;
        public int DstStride;
        public int OutWidth;
        public int Channels;
        public int InWidth;
        public int* Start;
        public int* Count;
        public int* Weights;
        public int MaxTaps;

        public readonly void Run(int rowStart, int rowEnd)
        {
            int c = Channels;
            for (int r = rowStart; r < rowEnd; r++)
            {
                byte* s = Src + ((long)r * SrcStride);
                byte* d = Dst + ((long)r * DstStride);
                for (int x = 0; x < OutWidth; x++, d += c)
                {
                    byte* p = s + (Start[x] * c);
                    int* k = Weights + ((long)x * MaxTaps);
                    int n = Count[x];
                    if (c == 1)
                    {
                        int ss = Half8;
                        for (int t = 0; t < n; t++)
                        {
                            ss += p[t] * k[t];
                        }

                        d[0] = Clip8(ss);
                    }
                    else if (c >= 3 && Vector128.IsHardwareAccelerated && (c == 4 || Start[x] + n < InWidth))
                    {
                        // All channels of a tap at once: 4 bytes widened to 4 ints (with 3 channels the fourth lane
                        // holds the next pixel's first byte and is ignored; hence the guard against the row's last pixel).
                        Vector128<int> acc = Vector128.Create(Half8);
                        for (int t = 0; t < n; t++, p += c)
                        {
                            Vector128<byte> raw = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(p)).AsByte();
                            Vector128<int> px = Vector128.WidenLower(Vector128.WidenLower(raw)).AsInt32();
                            acc += px * Vector128.Create(k[t]);
                        }

                        d[0] = Clip8(acc.GetElement(0));
                        d[1] = Clip8(acc.GetElement(1));
                        d[2] = Clip8(acc.GetElement(2));
                        if (c == 4)
                        {
                            d[3] = Clip8(acc.GetElement(3));
                        }
                    }
                    else
                    {
                        int s0 = Half8, s1 = Half8, s2 = Half8, s3 = Half8;
                        for (int t = 0; t < n; t++, p += c)
                        {
                            int w = k[t];
                            s0 += p[0] * w;
                            s1 += p[1] * w;
                            if (c > 2)
                            {
                                s2 += p[2] * w;
                                if (c > 3)
                                {
                                    s3 += p[3] * w;
                                }
                            }
                        }

                        d[0] = Clip8(s0);
                        d[1] = Clip8(s1);
                        if (c > 2)
                        {
                            d[2] = Clip8(s2);
                            if (c > 3)
                            {
                                d[3] = Clip8(s3);
                            }
                        }
                    }
                }
            }
        }
    }

    private struct Vertical8Job : IRowJob
    {
        public byte* Src;
        public int SrcStride;
        public int RowOffset;
        public byte* Dst;
        public int DstStride;
        public int RowBytes;
        public int* Start;
        public int* Count;
        public int* Weights;
        public int MaxTaps;

        public readonly void Run(int rowStart, int rowEnd)
        {
            for (int y = rowStart; y < rowEnd; y++)
            {
                byte* first = Src + ((long)(Start[y] - RowOffset) * SrcStride);
                int* k = Weights + ((long)y * MaxTaps);
                int n = Count[y];
                byte* d = Dst + ((long)y * DstStride);
                int i = 0;
                if (Vector.IsHardwareAccelerated)
                {
                    var half = new Vector<int>(Half8);
                    var zero = Vector<int>.Zero;
                    var max = new Vector<int>(255 << ResampleWeights.FixedPointBits);
                    for (; i <= RowBytes - Vector<byte>.Count; i += Vector<byte>.Count)
                    {
                        Vector<int> a0 = half, a1 = half, a2 = half, a3 = half;
                        byte* p = first + i;
                        for (int t = 0; t < n; t++, p += SrcStride)
                        {
                            var w = new Vector<int>(k[t]);
                            Vector.Widen(Vector.Load(p), out Vector<ushort> lo, out Vector<ushort> hi);
                            Vector.Widen(lo, out Vector<uint> u0, out Vector<uint> u1);
                            Vector.Widen(hi, out Vector<uint> u2, out Vector<uint> u3);
                            a0 += Vector.AsVectorInt32(u0) * w;
                            a1 += Vector.AsVectorInt32(u1) * w;
                            a2 += Vector.AsVectorInt32(u2) * w;
                            a3 += Vector.AsVectorInt32(u3) * w;
                        }

                        // Clamp before the shift (same result as PIL's shift-then-clamp), then narrow.
                        a0 = Vector.ShiftRightArithmetic(Vector.Min(Vector.Max(a0, zero), max), ResampleWeights.FixedPointBits);
                        a1 = Vector.ShiftRightArithmetic(Vector.Min(Vector.Max(a1, zero), max), ResampleWeights.FixedPointBits);
                        a2 = Vector.ShiftRightArithmetic(Vector.Min(Vector.Max(a2, zero), max), ResampleWeights.FixedPointBits);
                        a3 = Vector.ShiftRightArithmetic(Vector.Min(Vector.Max(a3, zero), max), ResampleWeights.FixedPointBits);
                        Vector<ushort> n0 = Vector.AsVectorUInt16(Vector.Narrow(a0, a1));
                        Vector<ushort> n1 = Vector.AsVectorUInt16(Vector.Narrow(a2, a3));
                        Vector.Store(Vector.Narrow(n0, n1), d + i);
                    }
                }

                for (; i < RowBytes; i++)
                {
                    byte* p = first + i;
                    int ss = Half8;
                    for (int t = 0; t < n; t++, p += SrcStride)
                    {
                        ss += *p * k[t];
                    }

                    d[i] = Clip8(ss);
                }
            }
        }
    }

    public static void Resize16(ReadOnlySpan<ushort> source, int sourceStride, Span<ushort> destination, int destinationStride, int channels,
        ResampleWeights wx, ResampleWeights wy, int maxDegreeOfParallelism)
    {
        int inW = wx.InSize, inH = wy.InSize, outW = wx.OutSize, outH = wy.OutSize;
        bool needH = inW != outW, needV = inH != outH;
        if (!needH && !needV)
        {
            for (int y = 0; y < inH; y++)
            {
                source.Slice(y * sourceStride, inW * channels).CopyTo(destination.Slice(y * destinationStride, inW * channels));
            }

            return;
        }

        // Both passes always run (an unchanged axis with a single weight of 1) so rounding happens once, at the end.
        if (!needH)
        {
            wx = ResampleWeights.Identity(inW);
        }

        if (!needV)
        {
            wy = ResampleWeights.Identity(inH);
        }

        int yFirst = wy.Start[0];
        int yLast = wy.Start[outH - 1] + wy.Count[outH - 1];
        int tempStride = outW * channels;
        var temp = new float[(long)(yLast - yFirst) * tempStride];

        fixed (ushort* src = source)
        fixed (ushort* dst = destination)
        fixed (float* tmp = temp)
        fixed (float* pkx = wx.Weights)
        fixed (float* pky = wy.Weights)
        fixed (int* sx = wx.Start)
        fixed (int* cx = wx.Count)
        fixed (int* sy = wy.Start)
        fixed (int* cy = wy.Count)
        {
            var h = new Horizontal16Job
            {
                Src = src + ((long)yFirst * sourceStride), SrcStride = sourceStride, Dst = tmp, DstStride = tempStride,
                OutWidth = outW, Channels = channels, Start = sx, Count = cx, Weights = pkx, MaxTaps = wx.MaxTaps,
            };
            ParallelRows.For(yLast - yFirst, (long)outW * channels * wx.MaxTaps, maxDegreeOfParallelism, h);
            var v = new Vertical16Job
            {
                Src = tmp, SrcStride = tempStride, RowOffset = yFirst, Dst = dst, DstStride = destinationStride,
                RowElements = tempStride, Start = sy, Count = cy, Weights = pky, MaxTaps = wy.MaxTaps,
            };
            ParallelRows.For(outH, (long)tempStride * wy.MaxTaps, maxDegreeOfParallelism, v);
        }
    }

    private struct Horizontal16Job : IRowJob
    {
        public ushort* Src;
        public int SrcStride;
        public float* Dst;
        public int DstStride;
        public int OutWidth;
        public int Channels;
        public int* Start;
        public int* Count;
        public float* Weights;
        public int MaxTaps;

        public readonly void Run(int rowStart, int rowEnd)
        {
            int c = Channels;
            for (int r = rowStart; r < rowEnd; r++)
            {
                ushort* s = Src + ((long)r * SrcStride);
                float* d = Dst + ((long)r * DstStride);
                for (int x = 0; x < OutWidth; x++, d += c)
                {
                    float* k = Weights + ((long)x * MaxTaps);
                    int n = Count[x];
                    for (int ch = 0; ch < c; ch++)
                    {
                        ushort* p = s + (Start[x] * c) + ch;
                        float acc = 0;
                        for (int t = 0; t < n; t++, p += c)
                        {
                            acc += *p * k[t];
                        }

                        d[ch] = acc;
                    }
                }
            }
        }
    }

    private struct Vertical16Job : IRowJob
    {
        public float* Src;
        public int SrcStride;
        public int RowOffset;
        public ushort* Dst;
        public int DstStride;
        public int RowElements;
        public int* Start;
        public int* Count;
        public float* Weights;
        public int MaxTaps;

        public readonly void Run(int rowStart, int rowEnd)
        {
            for (int y = rowStart; y < rowEnd; y++)
            {
                float* first = Src + ((long)(Start[y] - RowOffset) * SrcStride);
                float* k = Weights + ((long)y * MaxTaps);
                int n = Count[y];
                ushort* d = Dst + ((long)y * DstStride);
                int i = 0;
                if (Vector.IsHardwareAccelerated)
                {
                    var half = new Vector<float>(0.5f);
                    var max = new Vector<float>(65535f);
                    for (; i <= RowElements - (2 * Vector<float>.Count); i += 2 * Vector<float>.Count)
                    {
                        float* p = first + i;
                        Vector<float> a0 = Vector.Load(p) * new Vector<float>(k[0]);
                        Vector<float> a1 = Vector.Load(p + Vector<float>.Count) * new Vector<float>(k[0]);
                        for (int t = 1; t < n; t++)
                        {
                            p += SrcStride;
                            var w = new Vector<float>(k[t]);
                            a0 += Vector.Load(p) * w;
                            a1 += Vector.Load(p + Vector<float>.Count) * w;
                        }

                        Vector<int> i0 = Vector.ConvertToInt32(Clamp(a0 + half, max));
                        Vector<int> i1 = Vector.ConvertToInt32(Clamp(a1 + half, max));
                        Vector.Store(Vector.AsVectorUInt16(Vector.Narrow(i0, i1)), d + i);
                    }
                }

                for (; i < RowElements; i++)
                {
                    float* p = first + i;
                    float acc = *p * k[0];
                    for (int t = 1; t < n; t++)
                    {
                        p += SrcStride;
                        acc += *p * k[t];
                    }

                    float v = acc + 0.5f;
                    d[i] = (ushort)(v > 0 ? (v < 65535f ? v : 65535f) : 0f);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector<float> Clamp(Vector<float> v, Vector<float> max)
        {
            v = Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, Vector<float>.Zero);
            return Vector.ConditionalSelect(Vector.LessThan(v, max), v, max);
        }
    }
}
