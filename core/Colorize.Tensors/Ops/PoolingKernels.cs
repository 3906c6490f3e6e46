using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Colorize.Tensors.Ops;

/// <summary>Pooling kernels on one plane: span in, span out, like the elementwise kernels.</summary>
internal static class PoolingKernels
{
    /// <summary>
    /// 2×2, stride-2 max pooling of one <paramref name="h"/>×<paramref name="w"/> plane into
    /// <paramref name="ho"/>×<paramref name="wo"/> outputs whose windows all lie inside the plane (2·ho ≤ h, 2·wo ≤ w).
    /// </summary>
    /// <remarks>
    /// Same result and the same index as the general pooling loop: the window is scanned row by row, the first
    /// element is taken, a later one replaces it only if it is greater or NaN, and the scan stops at a NaN (so a NaN
    /// wins, like <c>F.max_pool2d</c>). On random data those comparisons are coin flips, so the scalar loop spends
    /// its time in mispredicted branches; eight windows at a time with vector compares and selects pick the same
    /// elements without branching (measured on 8×32×128×128, one thread: 37.7 ms for the general loop, 19 ms for
    /// the scalar loop alone). The U-Nets pool every encoder level this way.
    /// </remarks>
    /// <param name="plane">The input plane, row-major.</param>
    /// <param name="h">Input height.</param>
    /// <param name="w">Input width.</param>
    /// <param name="output">The pooled plane; overwritten.</param>
    /// <param name="indices">For every output, the index in <paramref name="plane"/> of the element it took.</param>
    /// <param name="ho">Output height.</param>
    /// <param name="wo">Output width.</param>
    public static void MaxPool2x2(ReadOnlySpan<float> plane, int h, int w, Span<float> output, Span<int> indices, int ho, int wo)
    {
        if (2 * ho > h || 2 * wo > w || plane.Length < h * w || output.Length < ho * wo || indices.Length < ho * wo)
        {
            throw new ArgumentException($"A {ho}×{wo} 2×2 pooling does not fit a {h}×{w} plane and the given buffers.");
        }

        for (int oy = 0; oy < ho; oy++)
        {
            int top = 2 * oy * w;
            ReadOnlySpan<float> row0 = plane.Slice(top, 2 * wo), row1 = plane.Slice(top + w, 2 * wo);
            Span<float> outRow = output.Slice(oy * wo, wo);
            Span<int> indexRow = indices.Slice(oy * wo, wo);
            int ox = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                ox = MaxPool2x2Vector(row0, row1, w, top, outRow, indexRow);
            }

            for (; ox < wo; ox++)
            {
                int x = 2 * ox;
                float best = row0[x];
                int offset = x;
                if (!float.IsNaN(best))
                {
                    float v = row0[x + 1];
                    if (v > best || float.IsNaN(v))
                    {
                        (best, offset) = (v, x + 1);
                    }

                    if (!float.IsNaN(best))
                    {
                        v = row1[x];
                        if (v > best || float.IsNaN(v))
                        {
                            (best, offset) = (v, w + x);
                        }

                        if (!float.IsNaN(best))
                        {
                            v = row1[x + 1];
                            if (v > best || float.IsNaN(v))
                            {
                                (best, offset) = (v, w + x + 1);
                            }
                        }
                    }
                }

                outRow[ox] = best;
                indexRow[ox] = top + offset;
            }
        }
    }

    /// <summary>
    /// The gradient of <see cref="MaxPool2x2"/> for one plane: gradInput[indices[o]] = 0 + gradOutput[o], 0 elsewhere
    /// (every element of <paramref name="gradInput"/> is written). The plane is cleared while it is in cache instead
    /// of the whole gradient being allocated zeroed up front, which the GC did on the calling thread alone (16 MB at
    /// 8×32×128×128). The windows do not overlap, so no element gets two writes; 0 + g (not g) keeps the bits of
    /// adding into a zeroed gradient (−0 becomes +0).
    /// </summary>
    /// <param name="gradOutput">The pooled plane's gradient.</param>
    /// <param name="indices">The indices <see cref="MaxPool2x2"/> returned.</param>
    /// <param name="ho">Output height.</param>
    /// <param name="wo">Output width.</param>
    /// <param name="gradInput">The input plane's gradient; overwritten.</param>
    /// <param name="h">Input height.</param>
    /// <param name="w">Input width.</param>
    public static void MaxPool2x2Backward(ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> indices, int ho, int wo, Span<float> gradInput, int h, int w)
    {
        if (2 * ho > h || 2 * wo > w || gradInput.Length < h * w || gradOutput.Length < ho * wo || indices.Length < ho * wo)
        {
            throw new ArgumentException($"A {ho}×{wo} 2×2 pooling gradient does not fit a {h}×{w} plane and the given buffers.");
        }

        gradInput[..(h * w)].Clear();
        for (int o = 0; o < ho * wo; o++)
        {
            gradInput[indices[o]] = 0f + gradOutput[o];
        }
    }

    /// <summary>
    /// Pools the windows of one output row eight at a time; returns how many outputs it wrote (a multiple of 8),
    /// the caller does the rest. Each window is the scalar loop's scan with compares and selects: a later element
    /// replaces the current one where it is greater or NaN and the current one is not NaN yet.
    /// </summary>
    private static int MaxPool2x2Vector(ReadOnlySpan<float> row0, ReadOnlySpan<float> row1, int w, int top, Span<float> outRow, Span<int> indexRow)
    {
        int wo = outRow.Length, ox = 0;
        // Within each 8-float half: evens to the lower four lanes, odds to the upper four.
        Vector256<int> deal = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        Vector256<int> lane = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        ref float r0 = ref MemoryMarshal.GetReference(row0);
        ref float r1 = ref MemoryMarshal.GetReference(row1);
        for (; ox + 8 <= wo; ox += 8)
        {
            int x = 2 * ox;
            var (a, b) = Deal(Vector256.LoadUnsafe(ref r0, (nuint)x), Vector256.LoadUnsafe(ref r0, (nuint)(x + 8)), deal);
            var (c, d) = Deal(Vector256.LoadUnsafe(ref r1, (nuint)x), Vector256.LoadUnsafe(ref r1, (nuint)(x + 8)), deal);
            Vector256<float> best = a;
            Vector256<int> offset = Vector256<int>.Zero;
            Take(ref best, ref offset, b, Vector256.Create(1));
            Take(ref best, ref offset, c, Vector256.Create(w));
            Take(ref best, ref offset, d, Vector256.Create(w + 1));
            best.StoreUnsafe(ref MemoryMarshal.GetReference(outRow), (nuint)ox);
            (offset + lane + Vector256.Create(top + x)).StoreUnsafe(ref MemoryMarshal.GetReference(indexRow), (nuint)ox);
        }

        return ox;
    }

    /// <summary>Sixteen consecutive floats as their eight even- and eight odd-indexed elements.</summary>
    private static (Vector256<float> Even, Vector256<float> Odd) Deal(Vector256<float> first, Vector256<float> second, Vector256<int> deal)
    {
        Vector256<float> p = Vector256.Shuffle(first, deal), q = Vector256.Shuffle(second, deal);
        return (Vector256.Create(p.GetLower(), q.GetLower()), Vector256.Create(p.GetUpper(), q.GetUpper()));
    }

    /// <summary>Where <paramref name="best"/> is not NaN and <paramref name="v"/> is greater or NaN, takes <paramref name="v"/> and its offset.</summary>
    private static void Take(ref Vector256<float> best, ref Vector256<int> offset, Vector256<float> v, Vector256<int> vOffset)
    {
        Vector256<float> bestIsNumber = Vector256.Equals(best, best);
        Vector256<float> take = bestIsNumber & (Vector256.GreaterThan(v, best) | ~Vector256.Equals(v, v));
        best = Vector256.ConditionalSelect(take, v, best);
        offset = Vector256.ConditionalSelect(take.AsInt32(), vOffset, offset);
    }

    /// <summary>
    /// 3×3, stride 2, padding 1 max pooling of one plane, values only (the ResNet stem's pool when nothing is
    /// recorded): the output size is ((h − 1) / 2 + 1) × ((w − 1) / 2 + 1).
    /// </summary>
    /// <remarks>
    /// Separable: each input row's three-column maxima, then three of those rows. The window scan takes the first
    /// element of a window in row-major order that nothing later beats (a later one wins only if greater, or NaN
    /// while the best is not), so it lands in the first row holding the window's result, at that row's own first
    /// best: the row maxima taken the same way and then combined in row order pick the same element, NaN payloads
    /// and ±0 ties included. Even and odd columns are split first, so a stride-2 window's three columns are three
    /// contiguous vectors. The general scan's data-dependent branches mispredict on every other window (64×256²:
    /// about 50 ms on two loaded threads; ONNX Runtime takes 14 ms).
    /// </remarks>
    /// <param name="plane">The input plane, row-major.</param>
    /// <param name="h">Input height (at least 1).</param>
    /// <param name="w">Input width (at least 1).</param>
    /// <param name="output">The pooled plane; overwritten.</param>
    /// <param name="rowMaxima">Scratch of h × ((w − 1) / 2 + 1) floats.</param>
    /// <param name="columns">Scratch of 2 × ((w − 1) / 2 + 1) floats.</param>
    public static void MaxPool3x3Stride2(ReadOnlySpan<float> plane, int h, int w, Span<float> output, Span<float> rowMaxima, Span<float> columns)
    {
        int ho = ((h - 1) / 2) + 1, wo = ((w - 1) / 2) + 1;
        if (h < 1 || w < 1 || plane.Length < h * w || output.Length < ho * wo || rowMaxima.Length < h * wo || columns.Length < 2 * wo)
        {
            throw new ArgumentException($"A 3×3 stride-2 pooling of a {h}×{w} plane does not fit the given buffers.");
        }

        // Column 2j and 2j + 1 of a row; the odd one past the edge is −∞, which never wins (a NaN or the first tap does).
        Span<float> even = columns[..wo], odd = columns.Slice(wo, wo);
        for (int y = 0; y < h; y++)
        {
            var row = plane.Slice(y * w, w);
            for (int j = 0; j < wo; j++)
            {
                even[j] = row[2 * j];
                odd[j] = (2 * j) + 1 < w ? row[(2 * j) + 1] : float.NegativeInfinity;
            }

            // Window ox covers columns 2·ox − 1 (odd[ox − 1], padding for ox = 0), 2·ox and 2·ox + 1.
            var maxima = rowMaxima.Slice(y * wo, wo);
            maxima[0] = Pick(even[0], odd[0]);
            Max3(odd, even[1..], odd[1..], maxima[1..]);
        }

        for (int oy = 0; oy < ho; oy++)
        {
            // Window oy covers rows 2·oy − 1 (padding for oy = 0), 2·oy and 2·oy + 1 (past the edge when h is odd).
            var middle = rowMaxima.Slice(2 * oy * wo, wo);
            var outRow = output.Slice(oy * wo, wo);
            bool hasBelow = (2 * oy) + 1 < h;
            if (oy == 0)
            {
                if (hasBelow)
                {
                    Max2(middle, rowMaxima.Slice(wo, wo), outRow);
                }
                else
                {
                    middle.CopyTo(outRow);
                }
            }
            else if (hasBelow)
            {
                Max3(rowMaxima.Slice(((2 * oy) - 1) * wo, wo), middle, rowMaxima.Slice(((2 * oy) + 1) * wo, wo), outRow);
            }
            else
            {
                Max2(rowMaxima.Slice(((2 * oy) - 1) * wo, wo), middle, outRow);
            }
        }
    }

    /// <summary>The scan's step: v replaces best if greater, or NaN while best is not.</summary>
    private static float Pick(float best, float v) => !float.IsNaN(best) && (v > best || float.IsNaN(v)) ? v : best;

    private static Vector<float> Pick(Vector<float> best, Vector<float> v)
    {
        var bestIsNumber = Vector.Equals(best, best);
        var take = bestIsNumber & (Vector.GreaterThan(v, best) | ~Vector.Equals(v, v));
        return Vector.ConditionalSelect(take, v, best);
    }

    /// <summary>out[i] = the scan over a[i], b[i], c[i] in that order.</summary>
    private static void Max3(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> output)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= output.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Pick(Pick(new Vector<float>(a[i..]), new Vector<float>(b[i..])), new Vector<float>(c[i..])).CopyTo(output[i..]);
            }
        }

        for (; i < output.Length; i++)
        {
            output[i] = Pick(Pick(a[i], b[i]), c[i]);
        }
    }

    /// <summary>out[i] = the scan over a[i], b[i].</summary>
    private static void Max2(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= output.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Pick(new Vector<float>(a[i..]), new Vector<float>(b[i..])).CopyTo(output[i..]);
            }
        }

        for (; i < output.Length; i++)
        {
            output[i] = Pick(a[i], b[i]);
        }
    }
}
