using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;

namespace Colorize.Trainer;

/// <summary>
/// <c>colorize-train cutout-sheet --config &lt;file.json&gt; --data &lt;dir&gt; -o &lt;sheet.png&gt; [--count 16] [--size &lt;px&gt;]
/// [--epoch 0]</c> (not in the usage text): a contact sheet of training crops with cut-outs pasted as a run with that
/// config pastes them (the same loader, streams and compositing; every crop gets pastes, whatever
/// <c>cutouts.probability</c> says; no noise, so the colours are what the network is asked to learn), to check by
/// eye that pastes look like photographed objects: sizes, edges without dark or light fringes, colours.
/// </summary>
internal static class CutoutSheet
{
    private const int Gap = 4;

    public static int Run(Arguments a, TextWriter stdout)
    {
        string configFile = a.Required("config");
        string data = Path.GetFullPath(a.Required("data"));
        string output = a.Required("o");
        int count = a.Int("count") ?? 16;
        if (count is < 1 or > 256)
        {
            throw new TrainerException($"--count must be from 1 to 256, got {count}.");
        }

        var config = JsonSerializer.Deserialize<TrainConfig>(File.ReadAllBytes(configFile), TrainConfig.Json)
            ?? throw new TrainerException($"{configFile} is empty.");
        var cutouts = config.Cutouts ?? throw new TrainerException($"{configFile} has no cutouts section.");
        config = (config with
        {
            Data = data,
            Size = a.Int("size") ?? config.Size,
            Pretrain = null,
            Noise = null,
            Hints = null,
            Cutouts = cutouts with { Probability = 1 },
        }).Validate();
        int epoch = a.Int("epoch") ?? 0;
        var paster = CutoutPaster.Load(config.Cutouts!, data, config.Size);
        // The photo cache goes to a folder of its own that is removed afterwards: the sheet leaves no run behind.
        string scratch = Path.Combine(Path.GetTempPath(), "colorize-cutout-sheet-" + Guid.NewGuid().ToString("N"));
        try
        {
            var train = PhotoDataset.Prepare(data, scratch, config, TextWriter.Null).Train;
            // Photos spread over the training list, so the sheet shows many backgrounds.
            int[] order = [.. Enumerable.Range(0, count).Select(i => (int)((long)i * train.Count / count) % train.Count)];
            Batch batch;
            using (var loader = new BatchLoader(train, order, 0, count, config.Size, config, epoch, cutouts: paster))
            {
                batch = loader.Batches().First();
            }

            Render(batch).Save(output);
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
                // A leftover cache in the temporary folder is harmless.
            }
        }

        stdout.WriteLine($"wrote {output}: {count} training crops of {config.Size} px from {data}, each with 1-{cutouts.MaxCount} of {paster.Cutouts.Count} cut-outs (scale {cutouts.ScaleMin}-{cutouts.ScaleMax}), epoch {epoch}");
        return 0;
    }

    /// <summary>The batch's samples as colour tiles (L and ab merged, 8-bit sRGB) in a near-square grid.</summary>
    public static Image Render(Batch batch)
    {
        int n = batch.L.Shape[0], size = batch.L.Shape[2], m = size * size;
        int cols = (int)Math.Ceiling(Math.Sqrt(n)), rows = (n + cols - 1) / cols;
        var sheet = new Image(cols * size + (cols + 1) * Gap, rows * size + (rows + 1) * Gap, PixelFormat.Rgb24);
        for (int y = 0; y < sheet.Height; y++)
        {
            sheet.GetRowBytes(y).Fill(48);
        }

        var l = batch.L.ToArray();
        var ab = batch.AB.ToArray();
        var tile = new Image(size, size, PixelFormat.Rgb24);
        for (int i = 0; i < n; i++)
        {
            var lUnits = l.AsSpan(i * m, m).ToArray().Select(v => (v + 1) * 50).ToArray();
            var abUnits = ab.AsSpan(i * 2 * m, 2 * m).ToArray().Select(v => v * 110).ToArray();
            LabConverter.FromLab(lUnits, abUnits.AsSpan(0, m), abUnits.AsSpan(m, m), tile.Buffer, 1f, 1);
            int left = Gap + i % cols * (size + Gap), top = Gap + i / cols * (size + Gap);
            for (int y = 0; y < size; y++)
            {
                tile.GetRowBytes(y)[..(3 * size)].CopyTo(sheet.GetRowBytes(top + y)[(3 * left)..]);
            }
        }

        return sheet;
    }
}
