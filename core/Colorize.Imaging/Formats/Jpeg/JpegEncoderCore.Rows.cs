using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Colorize.Imaging.Formats.Jpeg;

/// <content>
/// Preparing MCU rows (colour conversion, padding, downsampling, forward DCT, quantisation), which is most of the
/// encoder's work: rows are independent, so several threads prepare a chunk of rows, each in its own
/// <see cref="RowWorkspace"/>, and the entropy coder then takes the chunk in order. A row's blocks are the same
/// whichever thread made them, so the file is the same bits for any thread count.
/// </content>
internal sealed partial class JpegEncoderCore
{
    /// <summary>MCU rows per thread in a chunk: enough that a thread's share outweighs starting it.</summary>
    private const int RowsPerThread = 4;

    /// <summary>One thread's buffers: each component's samples for one MCU row, and its rows at full resolution before downsampling.</summary>
    private sealed class RowWorkspace
    {
        public RowWorkspace(Component[] components, int fullStride, int maxH, int maxV)
        {
            Bands = new byte[components.Length][];
            FullResolution = new byte[components.Length][];
            for (int i = 0; i < components.Length; i++)
            {
                Component component = components[i];
                Bands[i] = new byte[component.BandStride * 8 * component.V];

                // Components at full size are converted straight into their band.
                FullResolution[i] = component.H == maxH && component.V == maxV ? Bands[i] : new byte[fullStride * 8 * maxV];
            }
        }

        /// <summary>Per component: 8·V rows of 8·H·(MCUs per line) samples.</summary>
        public byte[][] Bands { get; }

        /// <summary>Per component: the colour-converted rows at full resolution (the band itself for full-size components).</summary>
        public byte[][] FullResolution { get; }
    }

    private RowWorkspace[] NewWorkspaces()
    {
        int threads = Math.Clamp(_maxDegreeOfParallelism > 0 ? _maxDegreeOfParallelism : Environment.ProcessorCount, 1, _mcuRows);
        var workspaces = new RowWorkspace[threads];
        for (int i = 0; i < threads; i++)
        {
            workspaces[i] = new RowWorkspace(_components, _fullStride, _maxH, _maxV);
        }

        return workspaces;
    }

    /// <summary>MCU rows to prepare at once: one at a time on one thread, otherwise a few per thread.</summary>
    private static int ChunkRows(RowWorkspace[] workspaces) => workspaces.Length == 1 ? 1 : workspaces.Length * RowsPerThread;

    /// <summary>Prepares MCU rows from <paramref name="firstRow"/> on (<paramref name="count"/> of them) into consecutive slices of <paramref name="destination"/>.</summary>
    private unsafe void PrepareRows(ReadOnlySpan<byte> pixels, int stride, int bytesPerPixel, int firstRow, int count, Span<short> destination, int rowBlocks, RowWorkspace[] workspaces)
    {
        int workers = Math.Min(workspaces.Length, count);
        if (workers <= 1)
        {
            for (int r = 0; r < count; r++)
            {
                PrepareMcuRow(pixels, stride, bytesPerPixel, firstRow + r, destination.Slice(r * rowBlocks, rowBlocks), workspaces[0]);
            }

            return;
        }

        fixed (byte* source = pixels)
        fixed (short* blocks = destination)
        {
            // Addresses, not spans, cross into the workers; both stay pinned until Parallel.For returns.
            nint sourceAddress = (nint)source, blocksAddress = (nint)blocks;
            int sourceLength = pixels.Length;
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
            {
                var rows = new ReadOnlySpan<byte>((byte*)sourceAddress, sourceLength);
                for (int r = w; r < count; r += workers)
                {
                    var output = new Span<short>((short*)blocksAddress + ((long)r * rowBlocks), rowBlocks);
                    PrepareMcuRow(rows, stride, bytesPerPixel, firstRow + r, output, workspaces[w]);
                }
            });
        }
    }

    /// <summary>Colour-converts, pads, downsamples, transforms and quantises one MCU row into <paramref name="blocks"/> (MCU order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PrepareMcuRow(ReadOnlySpan<byte> pixels, int stride, int bytesPerPixel, int mcuRow, Span<short> blocks, RowWorkspace workspace)
    {
        int rows = 8 * _maxV;
        int firstRow = mcuRow * rows;

        // Full-resolution rows, as jcprepct.c pads them: past the last image row repeat it (only up to a multiple
        // of Vmax; further rows of a subsampled component repeat its last *downsampled* row, done below).
        int paddedHeight = (_height + _maxV - 1) / _maxV * _maxV;
        for (int r = 0; r < rows; r++)
        {
            int y = firstRow + r;
            if (y >= paddedHeight)
            {
                break;
            }

            ReadOnlySpan<byte> source = pixels.Slice(Math.Min(y, _height - 1) * stride, _width * bytesPerPixel);
            ConvertRow(source, bytesPerPixel, r, workspace);
        }

        for (int c = 0; c < _components.Length; c++)
        {
            Component component = _components[c];
            int componentRows = 8 * component.V;
            int firstComponentRow = mcuRow * componentRows;
            int available = Math.Min(componentRows, component.Height - firstComponentRow);
            if (component.H != _maxH || component.V != _maxV)
            {
                Downsample(workspace.FullResolution[c], workspace.Bands[c], component, Math.Min(available, (paddedHeight - firstRow) * component.V / _maxV));
            }

            // Rows past the component's height repeat its last row (expand_bottom_edge).
            byte[] band = workspace.Bands[c];
            for (int r = available; r < componentRows; r++)
            {
                Array.Copy(band, (available - 1) * component.BandStride, band, r * component.BandStride, component.BandStride);
            }
        }

        int blockIndex = 0;
        bool lastRow = mcuRow == _mcuRows - 1;
        for (int mcuX = 0; mcuX < _mcusPerLine; mcuX++)
        {
            for (int c = 0; c < _components.Length; c++)
            {
                Component component = _components[c];
                int[] divisors = _divisors[component.Table];
                float[] reciprocals = _reciprocals[component.Table];
                ref byte band = ref MemoryMarshal.GetArrayDataReference(workspace.Bands[c]);
                int realColumns = mcuX < _mcusPerLine - 1 ? component.H : component.BlocksWide - ((_mcusPerLine - 1) * component.H);
                int realRows = lastRow ? component.BlocksHigh - ((_mcuRows - 1) * component.V) : component.V;
                for (int by = 0; by < component.V; by++)
                {
                    for (int bx = 0; bx < component.H; bx++)
                    {
                        Span<short> block = blocks.Slice(blockIndex * 64, 64);
                        if (by < realRows && bx < realColumns)
                        {
                            ref byte samples = ref Unsafe.Add(ref band, (by * 8 * component.BandStride) + (((mcuX * component.H) + bx) * 8));
                            JpegFdct.TransformAndQuantize(ref samples, component.BandStride, divisors, reciprocals, block);
                        }
                        else
                        {
                            // jccoefct.c's dummy blocks past the image: all zero but for the DC of the block before
                            // (to the left in a partial MCU column, or the last block of the row above).
                            block.Clear();
                            block[0] = blocks[(blockIndex - (by < realRows ? 1 : bx + 1)) * 64];
                        }

                        blockIndex++;
                    }
                }
            }
        }
    }

    /// <summary>One row of pixels to Y (and Cb, Cr) at full resolution, padded to the MCU width by repeating the last pixel.</summary>
    private void ConvertRow(ReadOnlySpan<byte> source, int bytesPerPixel, int bandRow, RowWorkspace workspace)
    {
        int offset = bandRow * _fullStride;
        Span<byte> luma = workspace.FullResolution[0].AsSpan(offset, _fullStride);
        if (_grayscale)
        {
            if (bytesPerPixel == 1)
            {
                source.CopyTo(luma);
            }
            else
            {
                for (int x = 0; x < _width; x++)
                {
                    luma[x] = JpegRgbToYCbCr.Luma(source[3 * x], source[(3 * x) + 1], source[(3 * x) + 2]);
                }
            }

            luma[_width..].Fill(luma[_width - 1]);
            return;
        }

        Span<byte> cb = workspace.FullResolution[1].AsSpan(offset, _fullStride);
        Span<byte> cr = workspace.FullResolution[2].AsSpan(offset, _fullStride);
        if (bytesPerPixel == 1)
        {
            // Grey pixels have Cb = Cr = 128 exactly in libjpeg's arithmetic.
            source.CopyTo(luma);
            cb[.._width].Fill(128);
            cr[.._width].Fill(128);
        }
        else
        {
            JpegRgbToYCbCr.Convert(source, luma, cb, cr, _width);
        }

        luma[_width..].Fill(luma[_width - 1]);
        cb[_width..].Fill(cb[_width - 1]);
        cr[_width..].Fill(cr[_width - 1]);
    }

    /// <summary>jcsample.c h2v2_downsample: 2×2 averages with a bias alternating 1, 2 along the row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Downsample(byte[] full, byte[] band, Component component, int rows)
    {
        int outputColumns = component.BandStride;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<byte> top = full.AsSpan(2 * r * _fullStride, _fullStride);
            ReadOnlySpan<byte> bottom = full.AsSpan(((2 * r) + 1) * _fullStride, _fullStride);
            Span<byte> output = band.AsSpan(r * component.BandStride, outputColumns);
            int start = 0;
            if (Avx2.IsSupported)
            {
                // Pairwise sums with pmaddubsw, the bias pattern 1, 2, 1, 2 as a vector (an even start keeps it).
                ref byte topRef = ref MemoryMarshal.GetReference(top);
                ref byte bottomRef = ref MemoryMarshal.GetReference(bottom);
                ref byte outputRef = ref MemoryMarshal.GetReference(output);
                Vector256<sbyte> ones = Vector256.Create((sbyte)1);
                Vector256<short> bias = Vector256.Create(0x0002_0001).AsInt16();
                for (; start + 32 <= outputColumns; start += 32)
                {
                    Vector256<short> a = Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref topRef, (nuint)(2 * start)), ones)
                        + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref bottomRef, (nuint)(2 * start)), ones) + bias;
                    Vector256<short> b = Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref topRef, (nuint)((2 * start) + 32)), ones)
                        + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref bottomRef, (nuint)((2 * start) + 32)), ones) + bias;
                    Vector256<byte> packed = Avx2.PackUnsignedSaturate(Avx2.ShiftRightLogical(a, 2), Avx2.ShiftRightLogical(b, 2));
                    Avx2.Permute4x64(packed.AsInt64(), 0b11_01_10_00).AsByte().StoreUnsafe(ref outputRef, (nuint)start);
                }
            }

            int bias2 = 1;
            for (int x = start; x < outputColumns; x++)
            {
                output[x] = (byte)((top[2 * x] + top[(2 * x) + 1] + bottom[2 * x] + bottom[(2 * x) + 1] + bias2) >> 2);
                bias2 ^= 3;
            }
        }
    }
}
