using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Imaging;
using Colorize.Trainer;

namespace Colorize.Trainer.Tests;

/// <summary>A temporary folder of small generated photos (colour gradients and shapes) and helpers to configure tiny runs.</summary>
internal sealed class TinyPhotos : IDisposable
{
    public TinyPhotos(int colourCount, int size = 32, bool withGrayscale = true, bool withBroken = true)
    {
        Root = Path.Combine(Path.GetTempPath(), "colorize-train-tests", Guid.NewGuid().ToString("N"));
        Data = Path.Combine(Root, "data");
        Directory.CreateDirectory(Path.Combine(Data, "sub"));
        for (int i = 0; i < colourCount; i++)
        {
            // Alternate folders so the scan has to recurse.
            Save(Colourful(size, size, i), Path.Combine(Data, i % 2 == 0 ? "" : "sub", $"photo{i}.png"));
        }

        if (withGrayscale)
        {
            var gray = new Image(size, size, PixelFormat.Rgb24);
            for (int y = 0; y < size; y++)
            {
                var row = gray.GetRowBytes(y);
                for (int x = 0; x < size; x++)
                {
                    row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = (byte)(x * 255 / size);
                }
            }

            Save(gray, Path.Combine(Data, "gray.png"));
        }

        if (withBroken)
        {
            File.WriteAllBytes(Path.Combine(Data, "broken.jpg"), [0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3]);
        }
    }

    public string Root { get; }

    public string Data { get; }

    public string Run(string name) => Path.Combine(Root, name);

    /// <summary>A smooth two-colour gradient with a coloured square; <paramref name="seed"/> picks the colours.</summary>
    public static Image Colourful(int width, int height, int seed)
    {
        var image = new Image(width, height, PixelFormat.Rgb24);
        int r0 = 40 + seed * 53 % 180, g0 = 200 - seed * 31 % 150, b0 = 60 + seed * 97 % 170;
        for (int y = 0; y < height; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = 0; x < width; x++)
            {
                bool square = x >= width / 4 && x < width / 2 && y >= height / 3 && y < 2 * height / 3;
                row[3 * x] = (byte)(square ? 230 : r0 + x * 40 / width);
                row[3 * x + 1] = (byte)(square ? 40 : g0 - y * 40 / height);
                row[3 * x + 2] = (byte)(square ? 50 : b0);
            }
        }

        return image;
    }

    private static void Save(Image image, string path) => image.Save(path);

    /// <summary>A recipe shrunk for 32-px tests: a 5-level U-Net with 8 filters (and an 8-filter, 2-layer PatchGAN).</summary>
    public static TrainConfig TinyConfig(string recipe, int epochs, int batch = 2, long seed = 7)
    {
        var config = RecipeCatalog.Load(recipe);
        return config with
        {
            Generator = config.Generator with { Hyperparameters = Hyper("""{ "numDowns": 5, "ngf": 8, "norm": "batch", "dropout": true }""") },
            Discriminator = config.Discriminator is null ? null : config.Discriminator with { Hyperparameters = Hyper("""{ "ndf": 8, "layers": 2, "norm": "batch" }""") },
            Size = 32,
            Epochs = epochs,
            Batch = batch,
            Seed = seed,
        };
    }

    public static Dictionary<string, JsonElement> Hyper(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
