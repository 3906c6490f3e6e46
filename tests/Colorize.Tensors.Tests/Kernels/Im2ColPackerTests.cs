using Colorize.Tensors.Kernels;

namespace Colorize.Tensors.Tests.Kernels;

/// <summary>
/// The implicit-im2col B packers write GEMM panels straight from the image. Their panels must be exactly those of
/// the reference path: an explicit im2col matrix (<see cref="Convolution.Im2Col"/>) packed by <see cref="GemmPacking.PackB"/>.
/// </summary>
public sealed class Im2ColPackerTests
{
    // N, Cin, H, W, Cout, kH, kW, sH, sW, pH, pW, dH, dW, groups
    public static TheoryData<int[]> Shapes() => new()
    {
        new[] { 1, 3, 13, 13, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // odd size, same padding, stride 1
        new[] { 2, 5, 9, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1 },      // two small images per chunk, 45 rows
        new[] { 2, 3, 17, 15, 2, 4, 4, 2, 2, 1, 1, 1, 1, 1 },    // PatchGAN-like 4×4 stride 2, odd size
        new[] { 1, 2, 40, 70, 2, 4, 4, 2, 2, 1, 1, 1, 1, 1 },    // wide rows: vectorised stride-2 gather, runs split by panels
        new[] { 1, 2, 33, 67, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // wide odd rows: vector copies with an overlapping tail
        new[] { 3, 4, 6, 5, 2, 3, 3, 1, 1, 2, 2, 2, 2, 2 },      // dilated, padding wider than a tap, groups
        new[] { 2, 2, 8, 9, 2, 5, 4, 3, 2, 2, 3, 1, 1, 1 },      // stride 3 rows (scalar reads), odd padding
        new[] { 1, 1, 4, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1 },      // output rows shorter than a vector
        new[] { 2, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // U-Net bottom: 16 channels at 8×8, 144 rows
    };

    private static readonly int[] PanelWidths = [32, 16, 8, 4];

    [Theory]
    [MemberData(nameof(Shapes))]
    public unsafe void Im2ColPanels_AreThoseOfThePackedIm2ColMatrix(int[] p)
    {
        Conv2dShape s = ShapeOf(p);
        int rows = s.ColumnRows, spatial = s.OutSpatial, imageStride = s.InChannels * s.InSpatial;
        float[] input = GemmTests.RandomArray((int)s.InputLength, 5);
        var rng = new Random(p.Sum());
        for (int g = 0; g < s.Groups; g++)
        {
            int groupOffset = g * s.InChannelsPerGroup * s.InSpatial;
            foreach ((int image, int images, int start, int width) in Chunks(s))
            {
                // The reference: im2col of the chunk's positions, image by image side by side.
                float[] columns = Im2ColOf(s, input, groupOffset, image, images, start, width);
                foreach (int nr in PanelWidths)
                {
                    foreach ((int p0, int kc, int j0, int nc) in Blocks(rows, width, rng))
                    {
                        float[] expected = Panels(kc, nc, nr), actual = Panels(kc, nc, nr);
                        fixed (float* pin = input)
                        fixed (float* pc = columns)
                        fixed (float* pe = expected)
                        fixed (float* pa = actual)
                        {
                            GemmPacking.PackB(false, pc, width, p0, kc, j0, nc, nr, pe);
                            float* first = pin + ((long)image * imageStride) + groupOffset;
                            new Im2ColBPacker(s, first, imageStride, images, start).Pack(p0, kc, j0, nc, nr, pa);
                        }

                        AssertSameBits(expected, actual, PanelFloats(kc, nc, nr), $"forward g{g} chunk ({image}, {images}, {start}, {width}) nr {nr} block ({p0}, {kc}, {j0}, {nc})");
                    }

                    // The weight gradient's B is the transposed matrix: K runs over positions, N over im2col rows.
                    foreach ((int p0, int kc, int j0, int nc) in Blocks(width, rows, rng))
                    {
                        float[] expected = Panels(kc, nc, nr), actual = Panels(kc, nc, nr);
                        fixed (float* pin = input)
                        fixed (float* pc = columns)
                        fixed (float* pe = expected)
                        fixed (float* pa = actual)
                        {
                            GemmPacking.PackB(true, pc, width, p0, kc, j0, nc, nr, pe);
                            float* first = pin + ((long)image * imageStride) + groupOffset;
                            new Im2ColTransposedBPacker(s, first, imageStride, images, start).Pack(p0, kc, j0, nc, nr, pa);
                        }

                        AssertSameBits(expected, actual, PanelFloats(kc, nc, nr), $"transposed g{g} chunk ({image}, {images}, {start}, {width}) nr {nr} block ({p0}, {kc}, {j0}, {nc})");
                    }
                }
            }
        }

        Assert.True(spatial > 0);
    }

    private static Conv2dShape ShapeOf(int[] p) => new(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13]);

    // Chunks as the convolution makes them: part of one image (from an odd start), a whole image, several whole images.
    private static IEnumerable<(int Image, int Images, int Start, int Width)> Chunks(Conv2dShape s)
    {
        int spatial = s.OutSpatial;
        yield return (0, 1, 0, spatial);
        if (spatial > 5)
        {
            yield return (s.Batch - 1, 1, 3, spatial - 5);
        }

        if (s.Batch > 1)
        {
            yield return (0, s.Batch, 0, s.Batch * spatial);
        }
    }

    // The whole matrix, then blocks at odd offsets and lengths that cross panel and output-row boundaries.
    private static IEnumerable<(int P0, int Kc, int J0, int Nc)> Blocks(int k, int n, Random rng)
    {
        yield return (0, k, 0, n);
        for (int i = 0; i < 4; i++)
        {
            int p0 = rng.Next(k), j0 = rng.Next(n);
            yield return (p0, 1 + rng.Next(k - p0), j0, 1 + rng.Next(n - j0));
        }
    }

    private static float[] Im2ColOf(Conv2dShape s, float[] input, int groupOffset, int image, int images, int start, int width)
    {
        int spatial = s.OutSpatial, imageStride = s.InChannels * s.InSpatial;
        float[] columns = new float[s.ColumnRows * width];
        if (images == 1)
        {
            Convolution.Im2Col(s, input.AsSpan((image * imageStride) + groupOffset), start, width, columns, width);
            return columns;
        }

        for (int i = 0; i < images; i++)
        {
            Convolution.Im2Col(s, input.AsSpan(((image + i) * imageStride) + groupOffset), 0, spatial, columns.AsSpan(i * spatial), width);
        }

        return columns;
    }

    private static int PanelFloats(int kc, int nc, int nr) => (nc + nr - 1) / nr * nr * kc;

    // NaN-filled, so a slot a packer forgets to write shows up; room for the packing slack after the block.
    private static float[] Panels(int kc, int nc, int nr)
    {
        float[] panels = new float[PanelFloats(kc, nc, nr) + GemmPacking.Slack];
        Array.Fill(panels, float.NaN);
        return panels;
    }

    private static void AssertSameBits(float[] expected, float[] actual, int length, string where)
    {
        for (int i = 0; i < length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{where}: panel float {i} is {actual[i]}, expected {expected[i]}");
            }
        }
    }
}
