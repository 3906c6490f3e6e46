using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;

namespace Colorize.Trainer.Tests;

/// <summary>One tiny two-epoch unet-l1 run and its pack, shared by the eval, sample-grid and report tests.</summary>
public sealed class TrainedRunFixture : IDisposable
{
    internal TinyPhotos Photos { get; } = new(6);

    public TrainedRunFixture()
    {
        RunDirectory = Photos.Run("run");
        // Data is set as the command line sets it, so config.json names the photo folder.
        var run = TrainingRun.Start(TinyPhotos.TinyConfig("unet-l1", 2) with { Data = Photos.Data }, RunDirectory, resume: false, TextWriter.Null);
        Split = PhotoDataset.Prepare(Photos.Data, RunDirectory, run.Config, TextWriter.Null);
        run.Train(Split);
        Cpack = Path.Combine(Photos.Root, "tiny.cpack");
        PackWriter.Write(RunDirectory, "tiny-eval", "1.0.0", Cpack);
    }

    public string RunDirectory { get; }

    public string Cpack { get; }

    internal DataSplit Split { get; }

    public void Dispose() => Photos.Dispose();
}

public sealed partial class EvalReportTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    [Fact]
    public void Eval_OfACpack_GivesFiniteMetrics_TheDirectGreyBaseline_AndTheSameOutputTwice()
    {
        string first = Eval(["--pack", run.Cpack, "--data", run.Photos.Data, "--json"]);
        string second = Eval(["--pack", run.Cpack, "--data", run.Photos.Data, "--json"]);
        Assert.Equal(first, second);

        using var doc = JsonDocument.Parse(first);
        var root = doc.RootElement;
        Assert.Equal("tiny-eval@1.0.0", root.GetProperty("pack").GetString());
        Assert.Equal(6, root.GetProperty("images").GetInt32());
        Assert.Equal(["broken.jpg", "gray.png"], root.GetProperty("skipped").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal));
        // The pack's default render size (the trainer writes max(size, 64)).
        Assert.Equal(64, root.GetProperty("renderSize").GetInt32());
        foreach (var who in new[] { "model", "grey" })
        {
            foreach (var metric in root.GetProperty(who).EnumerateObject())
            {
                Assert.True(double.IsFinite(metric.Value.GetDouble()), $"{who}.{metric.Name} = {metric.Value}");
            }
        }

        Assert.InRange(root.GetProperty("model").GetProperty("auc").GetDouble(), 0, 100);
        Assert.True(root.GetProperty("colorfulnessTruth").GetDouble() > 10);

        // The baseline computed directly: the photo's L with a = b = 0, as 8-bit sRGB, PSNR against the photo.
        var photos = root.GetProperty("photos").EnumerateArray().Select(p => p.GetProperty("path").GetString()!).ToList();
        double expected = photos.Average(p => GreyPsnr(Image.Load(Path.Combine(run.Photos.Data, p)).ConvertTo(PixelFormat.Rgb24)));
        Assert.Equal(expected, root.GetProperty("grey").GetProperty("psnr").GetDouble(), 9);
    }

    [Fact]
    public void Eval_WithStrengthZero_ScoresTheGreyBaseline_AndStrengthChangesTheColours()
    {
        using var none = JsonDocument.Parse(Eval(["--pack", run.Cpack, "--data", run.Photos.Data, "--json", "--strength", "0"]));
        using var full = JsonDocument.Parse(Eval(["--pack", run.Cpack, "--data", run.Photos.Data, "--json"]));
        using var strong = JsonDocument.Parse(Eval(["--pack", run.Cpack, "--data", run.Photos.Data, "--json", "--strength", "1.5"]));
        var grey = none.RootElement.GetProperty("grey");
        Assert.Equal(grey.GetProperty("psnr").GetDouble(), none.RootElement.GetProperty("model").GetProperty("psnr").GetDouble(), 9);
        Assert.Equal(0.0, none.RootElement.GetProperty("strength").GetDouble());
        Assert.Equal(1.5, strong.RootElement.GetProperty("strength").GetDouble());
        Assert.True(strong.RootElement.GetProperty("model").GetProperty("colorfulness").GetDouble()
            > full.RootElement.GetProperty("model").GetProperty("colorfulness").GetDouble());
        Assert.Contains("--strength must be from 0 to 2", EvalError(["--pack", run.Cpack, "--data", run.Photos.Data, "--strength", "3"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_OfAPackFolder_EqualsTheCpack_AndARunSplitListsItsPhotos()
    {
        string folder = Path.Combine(run.Photos.Root, "pack-folder", "tiny-eval");
        ZipFile.ExtractToDirectory(run.Cpack, folder);
        using var fromCpack = JsonDocument.Parse(Eval(["--pack", run.Cpack, "--data", run.Photos.Data, "--json", "--render-size", "96"]));
        using var fromFolder = JsonDocument.Parse(Eval(["--pack", folder, "--data", run.Photos.Data, "--json", "--render-size", "96"]));
        Assert.Equal(96, fromFolder.RootElement.GetProperty("renderSize").GetInt32());
        Assert.Equal(fromCpack.RootElement.GetProperty("model").GetRawText(), fromFolder.RootElement.GetProperty("model").GetRawText());

        // A damaged weights file in the folder is refused.
        string weights = Path.Combine(folder, "weights.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x11;
        File.WriteAllBytes(weights, bytes);
        var error = new StringWriter();
        Assert.Equal(1, Program.Run(["eval", "--pack", folder, "--data", run.Photos.Data], error, error));
        Assert.Contains("sha256", error.ToString(), StringComparison.Ordinal);

        // With --run the recorded split decides; --data may be left out (config.json names the folder).
        using var all = JsonDocument.Parse(Eval(["--pack", run.Cpack, "--run", run.RunDirectory, "--split", "all", "--json"]));
        Assert.Equal(run.Split.Train.Count + run.Split.Validation.Count + run.Split.Test.Count, all.RootElement.GetProperty("images").GetInt32());
        Assert.Equal(
            run.Split.Train.Concat(run.Split.Validation).Concat(run.Split.Test).Select(e => e.RelativePath).Order(StringComparer.Ordinal),
            all.RootElement.GetProperty("photos").EnumerateArray().Select(p => p.GetProperty("path").GetString()!));
        if (run.Split.Test.Count > 0)
        {
            string table = Eval(["--pack", run.Cpack, "--run", run.RunDirectory, "--data", run.Photos.Data]);
            Assert.Contains($"{run.Split.Test.Count} photos", table, StringComparison.Ordinal);
            Assert.Contains("PSNR (dB)", table, StringComparison.Ordinal);
        }

        Assert.Equal(1, Program.Run(["eval", "--pack", run.Cpack, "--data", run.Photos.Data, "--split", "test"], error, error));
    }

    [Fact]
    public void Pack_RefusesARunDirectoryAndOnnxTogether_InOneLine()
    {
        var error = new StringWriter();
        string target = Path.Combine(Path.GetTempPath(), $"colorize-pack-both-{Guid.NewGuid():N}.cpack");
        Assert.Equal(1, Program.Run(["pack", run.RunDirectory, "--onnx", "model.onnx", "--id", "x", "--version", "1.0.0", "-o", target], error, error));
        Assert.Single(error.ToString().TrimEnd().Split('\n'));
        Assert.Contains("not both", error.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void SampleGrids_AreWrittenEachEpoch_ForTheSamePhotos()
    {
        var first = Image.Load(SampleGrid.PathFor(run.RunDirectory, 1));
        var second = Image.Load(SampleGrid.PathFor(run.RunDirectory, 2));
        var validation = run.Split.ValidationFallsBackToTrain ? run.Split.Train : run.Split.Validation;
        int rows = Math.Min(SampleGrid.MaxRows, validation.Count), size = 32, gap = SampleGrid.Gap;
        Assert.Equal(3 * size + 4 * gap, first.Width);
        Assert.Equal(rows * size + (rows + 1) * gap, first.Height);
        Assert.Equal((first.Width, first.Height), (second.Width, second.Height));
        first = first.ConvertTo(PixelFormat.Rgb24);
        second = second.ConvertTo(PixelFormat.Rgb24);
        for (int r = 0; r < rows; r++)
        {
            int top = gap + r * (size + gap);
            // The grayscale column is grey, the truth column is coloured, and both are the same in every epoch.
            Assert.All(Tile(first, gap, top, size), p => Assert.True(Math.Abs(p.R - p.G) <= 2 && Math.Abs(p.G - p.B) <= 2, $"input pixel {p} is not grey"));
            Assert.Contains(Tile(first, 3 * gap + 2 * size, top, size), p => Math.Abs(p.R - p.G) > 30 || Math.Abs(p.G - p.B) > 30);
            Assert.Equal(Tile(first, gap, top, size), Tile(second, gap, top, size));
            Assert.Equal(Tile(first, 3 * gap + 2 * size, top, size), Tile(second, 3 * gap + 2 * size, top, size));
        }
    }

    [Fact]
    public void Report_IsSelfContained_WithChartsAndGrids_AndTheCommandRewritesIt()
    {
        string path = Path.Combine(run.RunDirectory, "report.html");
        Assert.True(File.Exists(path));
        File.Delete(path);
        var output = new StringWriter();
        Assert.Equal(0, Program.Run(["report", run.RunDirectory], output, output));
        string html = File.ReadAllText(path);

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.True(Regex.Count(html, "<svg ") >= 5, "expected the loss and metric charts");
        Assert.Contains("<polyline", html, StringComparison.Ordinal);
        Assert.Contains("Validation PSNR", html, StringComparison.Ordinal);
        Assert.Contains("&quot;recipe&quot;: &quot;unet-l1&quot;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=\"//", html, StringComparison.Ordinal);
        var images = ImageData().Matches(html).Select(m => Image.Load(Convert.FromBase64String(m.Groups[1].Value))).ToList();
        Assert.Equal(2, images.Count); // the latest and the first epoch's grids
        Assert.All(images, i => Assert.Equal(3 * 32 + 4 * SampleGrid.Gap, i.Width));
        // Every src is a data: URL.
        Assert.All(Regex.Matches(html, "src=\"([^\"]*)\"").Select(m => m.Groups[1].Value), src => Assert.StartsWith("data:image/png;base64,", src, StringComparison.Ordinal));
    }

    [Fact]
    public void Report_OfARunWithoutGridsOrAucColumns_StillRenders()
    {
        // A run directory written by an older trainer: metrics lines without auc/learningRate, no samples/.
        string dir = Path.Combine(run.Photos.Root, "old-run");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(run.RunDirectory, "config.json"), Path.Combine(dir, "config.json"));
        var lines = File.ReadAllLines(Path.Combine(run.RunDirectory, "metrics.jsonl"))
            .Select(l => Regex.Replace(l, ",\"(auc|aucGrey|learningRate)\":[^,}]+", ""))
            .Append("{\"epoch\":3,\"lossG\":0.5") // a line torn by a kill
            .ToList();
        Assert.DoesNotContain(lines, l => l.Contains("auc", StringComparison.Ordinal));
        File.WriteAllLines(Path.Combine(dir, "metrics.jsonl"), lines);

        string html = File.ReadAllText(Report.Write(dir));
        Assert.Contains("No sample grids yet", html, StringComparison.Ordinal);
        Assert.Contains("Validation PSNR", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Validation AuC", html, StringComparison.Ordinal);
        Assert.Equal(2, Report.ReadMetrics(dir).Count);
    }

    [Fact]
    public void Auc_MatchesHandComputedCurves()
    {
        // Every pixel exact: the curve is 1 everywhere → 100.
        float[] zero = [0, 0, 0, 0];
        Assert.Equal(100, MetricsAccumulator.Auc(zero, zero, zero, zero), 9);
        // Every error exactly 3: the share is 0 up to t = 2 and 1 from t = 3, so the area is 0.5 + 147 of 150.
        float[] three = [3, 3, 3, 3];
        Assert.Equal(100 * (0.5 + 147) / 150, MetricsAccumulator.Auc(zero, zero, three, zero), 9);
        // Half exact, half beyond 150: 0.5 everywhere → 50.
        Assert.Equal(50, MetricsAccumulator.Auc([0, 0], [0, 0], [0, 200], [0, 0]), 9);
    }

    private static string Eval(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(["eval", .. args], output, error);
        Assert.True(code == 0, error.ToString());
        return output.ToString();
    }

    private static string EvalError(string[] args)
    {
        var error = new StringWriter();
        int code = Program.Run(["eval", .. args], new StringWriter(), error);
        Assert.NotEqual(0, code);
        return error.ToString();
    }

    private static double GreyPsnr(Image photo)
    {
        int n = photo.Width * photo.Height;
        var l = new float[n];
        LabConverter.ToLab(photo.Buffer, l, new float[n], new float[n], 1);
        var grey = new Image(photo.Width, photo.Height, PixelFormat.Rgb24);
        LabConverter.FromLab(l, new float[n], new float[n], grey.Buffer, 1f, 1);
        double se = 0;
        for (int y = 0; y < photo.Height; y++)
        {
            var a = photo.GetRowBytes(y);
            var b = grey.GetRowBytes(y);
            for (int i = 0; i < 3 * photo.Width; i++)
            {
                se += (a[i] - b[i]) * (a[i] - b[i]);
            }
        }

        return 10 * Math.Log10(255.0 * 255.0 / (se / (3.0 * n)));
    }

    private static List<(byte R, byte G, byte B)> Tile(Image image, int left, int top, int size)
    {
        var pixels = new List<(byte, byte, byte)>();
        for (int y = top; y < top + size; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = left; x < left + size; x++)
            {
                pixels.Add((row[3 * x], row[3 * x + 1], row[3 * x + 2]));
            }
        }

        return pixels;
    }

    [GeneratedRegex("data:image/png;base64,([A-Za-z0-9+/=]+)")]
    private static partial Regex ImageData();
}
