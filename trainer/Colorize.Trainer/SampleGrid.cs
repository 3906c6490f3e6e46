using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Trainer;

/// <summary>
/// The per-epoch picture of a run: <c>samples/epoch-NNN.png</c>, one row per fixed validation photo with its
/// centred crop as grayscale input | colorized | truth, so epochs can be compared side by side.
/// </summary>
internal static class SampleGrid
{
    /// <summary>Rows in a grid at most.</summary>
    public const int MaxRows = 8;

    /// <summary>Pixels between tiles.</summary>
    public const int Gap = 4;

    /// <summary>The folder of the grids inside a run directory.</summary>
    public const string Folder = "samples";

    /// <summary>The grid file of an epoch (1-based).</summary>
    public static string PathFor(string runDirectory, int epoch) => Path.Combine(runDirectory, Folder, $"epoch-{epoch:D3}.png");

    /// <summary>
    /// The photos shown: up to <see cref="MaxRows"/> spread evenly over <paramref name="validation"/> (which is in
    /// path order), so every epoch shows the same ones.
    /// </summary>
    public static IReadOnlyList<PhotoEntry> Pick(IReadOnlyList<PhotoEntry> validation)
    {
        int rows = Math.Min(MaxRows, validation.Count);
        return [.. Enumerable.Range(0, rows).Select(i => validation[(int)((long)i * validation.Count / rows)])];
    }

    /// <summary>
    /// Renders the grid for <paramref name="entries"/> with <paramref name="generator"/> in eval mode (no randomness
    /// is drawn, so training is unaffected) and writes it atomically; returns the file written.
    /// </summary>
    public static string Write(string runDirectory, int epoch, Module<Tensor, Tensor> generator, IReadOnlyList<PhotoEntry> entries, int size)
    {
        var grid = Render(generator, entries, size);
        string path = PathFor(runDirectory, epoch);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Image.Save encodes into a temporary file beside the target and renames it over the target.
        grid.Save(path);
        return path;
    }

    /// <summary>The grid as an RGB image: 3 columns of <paramref name="size"/>-pixel tiles, one row per entry.</summary>
    public static Image Render(Module<Tensor, Tensor> generator, IReadOnlyList<PhotoEntry> entries, int size)
    {
        int rows = Math.Max(1, entries.Count);
        var grid = new Image(3 * size + 4 * Gap, rows * size + (rows + 1) * Gap, PixelFormat.Rgb24);
        for (int y = 0; y < grid.Height; y++)
        {
            grid.GetRowBytes(y).Fill(48); // dark grey frame
        }

        if (entries.Count == 0)
        {
            return grid;
        }

        bool wasTraining = generator.Training;
        generator.Eval();
        float[] pred;
        Batch batch;
        try
        {
            using (Tensor.NoGrad())
            {
                batch = PhotoDataset.MakeBatch(entries, size, 1, null);
                pred = generator.Call(batch.InputFor(HintSimulation.TakesHints(generator))).ToArray();
            }
        }
        finally
        {
            if (wasTraining)
            {
                generator.Train();
            }
        }

        int m = size * size;
        var l = batch.L.ToArray();
        var ab = batch.AB.ToArray();
        var zeros = new float[m];
        var tile = new Image(size, size, PixelFormat.Rgb24);
        for (int i = 0; i < entries.Count; i++)
        {
            var lUnits = l.AsSpan(i * m, m).ToArray().Select(v => (v + 1) * 50).ToArray();
            var p = pred.AsSpan(i * 2 * m, 2 * m).ToArray().Select(v => v * 110).ToArray();
            var t = ab.AsSpan(i * 2 * m, 2 * m).ToArray().Select(v => v * 110).ToArray();
            int top = Gap + i * (size + Gap);
            LabConverter.FromLab(lUnits, zeros, zeros, tile.Buffer, 1f, 1);
            Blit(tile, grid, Gap, top);
            LabConverter.FromLab(lUnits, p.AsSpan(0, m), p.AsSpan(m, m), tile.Buffer, 1f, 1);
            Blit(tile, grid, 2 * Gap + size, top);
            LabConverter.FromLab(lUnits, t.AsSpan(0, m), t.AsSpan(m, m), tile.Buffer, 1f, 1);
            Blit(tile, grid, 3 * Gap + 2 * size, top);
        }

        return grid;
    }

    private static void Blit(Image tile, Image grid, int left, int top)
    {
        for (int y = 0; y < tile.Height; y++)
        {
            tile.GetRowBytes(y)[..(3 * tile.Width)].CopyTo(grid.GetRowBytes(top + y)[(3 * left)..]);
        }
    }
}
