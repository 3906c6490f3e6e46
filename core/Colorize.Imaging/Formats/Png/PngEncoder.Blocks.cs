using System.Buffers.Binary;
using System.IO.Compression;
using Colorize.Abstractions;
using Colorize.Imaging.Formats.Common;

namespace Colorize.Imaging.Formats.Png;

/// <content>
/// The image data: scanlines filtered and deflated in blocks of rows on several threads, then written in order as
/// one zlib stream (pigz's method). Each block but the last ends with a sync flush (an empty stored block that ends on
/// a byte), so the blocks simply follow one another; the Adler-32 of the whole is combined from the blocks'. The block
/// boundaries depend only on the image, never on the thread count, so the file is the same bits on any machine.
/// </content>
public sealed partial class PngEncoder
{
    /// <summary>Filtered bytes per block: large enough that starting each block without a dictionary costs nothing measurable.</summary>
    internal const int BlockBytes = 4 << 20;

    /// <summary>How a row becomes PNG bytes: the pixel format it is converted to, then packed into <c>RowBytes</c>.</summary>
    private readonly record struct RowLayout(PixelFormat Work, int Channels, int BytesPerSample, int Bpp, int RowBytes);

    private void WriteImageData(Image image, RowLayout layout, Stream idat)
    {
        int stride = layout.RowBytes + 1;
        int rowsPerBlock = Math.Max(1, BlockBytes / stride);
        int blocks = (image.Height + rowsPerBlock - 1) / rowsPerBlock;
        int threads = Math.Clamp(MaxDegreeOfParallelism > 0 ? MaxDegreeOfParallelism : Environment.ProcessorCount, 1, blocks);

        // zlib header: deflate with a 32 KiB window; FLEVEL says how hard the encoder tried (decoders ignore it).
        byte flags = CompressionLevel switch { <= 1 => 0x01, <= 5 => 0x5E, 6 => 0x9C, _ => 0xDA };
        idat.Write([0x78, flags]);

        // One working set per thread, reused from wave to wave: a wave compresses `threads` blocks at once, then
        // writes them in order, so memory stays a few blocks whatever the image's size.
        var slots = new BlockSlot[threads];
        for (int i = 0; i < threads; i++)
        {
            slots[i] = new BlockSlot(image.Width, layout, Math.Min(rowsPerBlock, image.Height));
        }

        uint adler = 1;
        for (int first = 0; first < blocks; first += threads)
        {
            int wave = Math.Min(threads, blocks - first);
            if (wave == 1)
            {
                CompressBlock(image, layout, first, rowsPerBlock, blocks, slots[0]);
            }
            else
            {
                Parallel.For(0, wave, new ParallelOptions { MaxDegreeOfParallelism = wave },
                    i => CompressBlock(image, layout, first + i, rowsPerBlock, blocks, slots[i]));
            }

            for (int i = 0; i < wave; i++)
            {
                var slot = slots[i];
                idat.Write(slot.Output.GetBuffer().AsSpan(0, slot.CompressedLength));
                adler = Adler32.Combine(adler, slot.Adler, slot.FilteredLength);
            }
        }

        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(trailer, adler);
        idat.Write(trailer);
    }

    private void CompressBlock(Image image, RowLayout layout, int block, int rowsPerBlock, int blocks, BlockSlot slot)
    {
        int firstRow = block * rowsPerBlock;
        int rows = Math.Min(rowsPerBlock, image.Height - firstRow);
        int stride = layout.RowBytes + 1;

        // The filters read the row above; the first block's first row has none (zeros).
        if (firstRow == 0)
        {
            slot.Previous.AsSpan().Clear();
        }
        else
        {
            ReadRow(image, layout, firstRow - 1, slot, slot.Previous);
        }

        for (int r = 0; r < rows; r++)
        {
            ReadRow(image, layout, firstRow + r, slot, slot.Raw);
            ChooseFilter(slot.Raw, slot.Previous, layout.Bpp, slot, slot.Filtered.AsSpan(r * stride, stride));
            (slot.Raw, slot.Previous) = (slot.Previous, slot.Raw);
        }

        var filtered = slot.Filtered.AsSpan(0, rows * stride);
        slot.Adler = Adler32.Compute(filtered);
        slot.FilteredLength = filtered.Length;
        slot.Output.SetLength(0);
        var deflate = new DeflateStream(slot.Output, new ZLibCompressionOptions { CompressionLevel = CompressionLevel }, leaveOpen: true);
        try
        {
            deflate.Write(filtered);
            if (block < blocks - 1)
            {
                // A sync flush ends the block on a byte without ending the stream; what Dispose adds after it
                // (an end-of-stream block) is not part of the file.
                deflate.Flush();
                slot.CompressedLength = (int)slot.Output.Length;
            }
        }
        finally
        {
            deflate.Dispose();
        }

        if (block == blocks - 1)
        {
            slot.CompressedLength = (int)slot.Output.Length;
        }
    }

    private static void ReadRow(Image image, RowLayout layout, int y, BlockSlot slot, byte[] raw)
    {
        PixelConverter.ConvertRow(image.PixelFormat, image.GetRowBytes(y), layout.Work, slot.Converted, slot.Scratch);
        Pack(slot.Converted, raw, layout.Work, layout.Channels, layout.BytesPerSample);
    }

    /// <summary>Writes the filter byte and the filtered row to <paramref name="output"/>: the fixed filter, or the one with the smallest sum of absolute values.</summary>
    private void ChooseFilter(ReadOnlySpan<byte> raw, ReadOnlySpan<byte> previous, int bpp, BlockSlot slot, Span<byte> output)
    {
        if (FilterMode != PngFilterMode.Adaptive)
        {
            var type = (PngFilterType)((int)FilterMode - 1);
            output[0] = (byte)type;
            PngFilters.Filter(type, raw, previous, bpp, output[1..]);
            return;
        }

        // Each candidate goes to its own buffer, so the winner is copied once instead of at every improvement.
        long bestCost = long.MaxValue;
        int best = 0;
        for (int type = 0; type <= 4; type++)
        {
            byte[] candidate = slot.Candidates[type];
            PngFilters.Filter((PngFilterType)type, raw, previous, bpp, candidate);
            long cost = PngFilters.SumOfAbsolute(candidate);
            if (cost < bestCost)
            {
                bestCost = cost;
                best = type;
            }
        }

        output[0] = (byte)best;
        slot.Candidates[best].CopyTo(output[1..]);
    }

    /// <summary>One thread's buffers: row conversion, the two rows the filters read, the candidates, the filtered block and its deflated bytes.</summary>
    private sealed class BlockSlot(int width, RowLayout layout, int rows)
    {
        public byte[] Converted { get; } = new byte[width * layout.Work.BytesPerPixel()];

        public byte[] Scratch { get; } = new byte[width * 8];

        public byte[] Raw { get; set; } = new byte[layout.RowBytes];

        public byte[] Previous { get; set; } = new byte[layout.RowBytes];

        public byte[][] Candidates { get; } = [.. Enumerable.Range(0, 5).Select(_ => new byte[layout.RowBytes])];

        public byte[] Filtered { get; } = GC.AllocateUninitializedArray<byte>(rows * (layout.RowBytes + 1));

        public MemoryStream Output { get; } = new();

        public uint Adler { get; set; }

        public long FilteredLength { get; set; }

        public int CompressedLength { get; set; }
    }
}
