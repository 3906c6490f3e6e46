using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Engine;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;
using Colorize.Plugins.Packs;

namespace Colorize.Trainer;

/// <summary>The scores of one photo (or their mean over photos) for a model and for the all-grey baseline.</summary>
/// <remarks>
/// <c>Cast</c> is the colour cast: the distance in the ab plane between the photo's mean predicted colour and its
/// mean true colour. A sepia wash (everything tinted brown-orange whatever it shows) scores high here even when its
/// low chroma keeps PSNR and AuC near the all-grey baseline; a model with the right overall balance scores low.
/// </remarks>
internal sealed record EvalScores(double Psnr, double Auc, double AbMae, double Colorfulness, double DeltaColorfulness, double Cast);

/// <summary>One photo's result.</summary>
internal sealed record EvalPhoto(string Path, int Width, int Height, EvalScores Model, EvalScores Grey, double ColorfulnessTruth);

/// <summary>What <c>colorize-train eval</c> measured.</summary>
internal sealed record EvalResult(
    string Pack,
    string PackSource,
    int RenderSize,
    float Strength,
    string Data,
    string? Run,
    string? Split,
    int Images,
    EvalScores Model,
    EvalScores Grey,
    double ColorfulnessTruth,
    IReadOnlyList<string> Skipped,
    IReadOnlyList<EvalPhoto> Photos,
    int Hints = 0,
    string? HintPlacement = null,
    bool? HintPropagation = null);

/// <summary>What <c>colorize-train eval</c> is asked to do.</summary>
/// <param name="Pack">An installed id[@version], a .cpack file or a pack folder.</param>
/// <param name="Data">The photo folder (or null with <paramref name="Run"/>).</param>
/// <param name="RenderSize">Null: the pack's default.</param>
/// <param name="Run">A run directory whose split to score.</param>
/// <param name="Split">test, validation, train or all (with <paramref name="Run"/>).</param>
/// <param name="Strength">The colour strength a user would pass to <c>colorize --strength</c> (1: the pack's own colours).</param>
/// <param name="Hints">Simulated colour hints per photo, taken from the truth (<see cref="HintSimulation.ForPhoto"/>); 0: automatic.</param>
/// <param name="HintPropagation">False to turn off the engine's propagation of hints after the network and score the hint
/// network alone (<see cref="CpuColorizer.HintPropagation"/>); the product runs with it on.</param>
internal sealed record EvalRequest(string Pack, string? Data, int? RenderSize = null, string? Run = null, string? Split = null, float Strength = 1f, int Hints = 0, bool HintPropagation = true);

/// <summary>
/// <c>colorize-train eval</c>: colorizes the L of colour photos through the engine's own pipeline (what a user of
/// <c>colorize</c> gets: <see cref="CpuColorizerEngine"/> loading the pack, <see cref="CpuColorizer"/> running
/// <c>ColorizationPipeline</c> at the render size, ab enlarged to the photo and merged with its full-resolution L)
/// and scores the 8-bit result against the photo with the metrics of shared/reference/evaluation.md, next to the
/// all-grey baseline (the photo's L with ab = 0).
/// </summary>
/// <remarks>
/// evaluation.md names no resolution, so photos are scored at their own full resolution, the one the user's output
/// has. Prediction and baseline are both 8-bit sRGB images, as written to a file; their ab (for AuC and MAE) is read
/// back from those pixels the same way as the truth's, so the three are treated alike.
/// </remarks>
internal static class Evaluation
{
    /// <summary>Render size when a manifest gives none (the manifest schema requires one; kept for safety).</summary>
    public const int FallbackRenderSize = 256;

    public static EvalResult Run(EvalRequest request, TextWriter log)
    {
        var (photos, data) = ListPhotos(request);
        var engine = new CpuColorizerEngine();
        using var opened = OpenPack(request.Pack, engine);
        var manifest = opened.Pack.Manifest;
        var compatibility = engine.CheckCompatibility(manifest);
        if (!compatibility.IsCompatible)
        {
            throw new TrainerException($"The CPU engine cannot run pack {manifest.Id}@{manifest.Version}: {compatibility.Reason}.");
        }

        int requested = request.RenderSize ?? (manifest.Input.DefaultRenderSize > 0 ? manifest.Input.DefaultRenderSize : FallbackRenderSize);
        // The colorizer clamps the same way; the report names the size actually used.
        int renderSize = Math.Clamp(requested, manifest.Input.MinRenderSize, manifest.Input.MaxRenderSize);
        using var colorizer = engine.Load(opened.Pack);
        if (request.Hints > 0 && !colorizer.SupportsHints)
        {
            throw new TrainerException($"--hints: pack {manifest.Id}@{manifest.Version} does not take colour hints.");
        }

        if (!request.HintPropagation && colorizer is CpuColorizer cpu)
        {
            cpu.HintPropagation = null;
        }

        var options = new ColorizeOptions { RenderSize = renderSize, Strength = request.Strength };
        var scored = new List<EvalPhoto>();
        var skipped = new List<string>();
        foreach (string relative in photos)
        {
            string path = Path.Combine(data, relative);
            Image image;
            try
            {
                image = Image.Load(path);
            }
            catch (Exception e) when (e is ImageFormatException or IOException or InvalidDataException or NotSupportedException or ArgumentException or UnauthorizedAccessException)
            {
                log.WriteLine($"warning: skipping {relative}: {e.Message}");
                skipped.Add(relative);
                continue;
            }

            if (!PhotoDataset.HasColour(image))
            {
                // A grayscale photo has no true colours to compare with (training leaves these out too).
                skipped.Add(relative);
                continue;
            }

            if (image.PixelFormat != PixelFormat.Rgb24)
            {
                image = image.ConvertTo(PixelFormat.Rgb24);
            }

            var output = new Image(image.Width, image.Height, PixelFormat.Rgb24);
            colorizer.Colorize(image.Buffer, output.Buffer, request.Hints > 0 ? options with { Hints = TruthHints(relative, image, request.Hints, renderSize) } : options);
            var (model, grey, cfTruth) = Score(image, output);
            scored.Add(new EvalPhoto(relative, image.Width, image.Height, model, grey, cfTruth));
        }

        if (scored.Count == 0)
        {
            throw new TrainerException($"No readable colour photos to evaluate ({photos.Count} listed, {skipped.Count} unreadable or grayscale).");
        }

        return new EvalResult($"{manifest.Id}@{manifest.Version}", opened.Description, renderSize, request.Strength, Path.GetFullPath(data), request.Run is null ? null : Path.GetFullPath(request.Run), request.Run is null ? null : request.Split ?? "test",
            scored.Count, Mean(scored.Select(p => p.Model)), Mean(scored.Select(p => p.Grey)), scored.Average(p => p.ColorfulnessTruth), skipped, scored,
            request.Hints, request.Hints > 0 ? HintSimulation.EvalPlacement : null, request.Hints > 0 ? request.HintPropagation : null);
    }

    /// <summary>The photo's simulated hints: its truth in Lab, patches sized for the render size (short side).</summary>
    private static List<ColorHint> TruthHints(string relative, Image image, int count, int renderSize)
    {
        int n = image.Width * image.Height;
        float[] l = new float[n], a = new float[n], b = new float[n];
        LabConverter.ToLab(image.Buffer, l, a, b, 1);
        return HintSimulation.ForPhoto(relative, count, l, a, b, image.Width, image.Height, renderSize / (double)Math.Min(image.Width, image.Height));
    }

    /// <summary>
    /// Scores one colorized photo against the truth: PSNR, AuC, ab MAE, colourfulness and ΔCF of the prediction and of
    /// the all-grey image (the truth's L with ab = 0); returns the truth's colourfulness too.
    /// </summary>
    public static (EvalScores Model, EvalScores Grey, double ColorfulnessTruth) Score(Image truth, Image prediction)
    {
        int n = truth.Width * truth.Height;
        var l = new float[n];
        var trueA = new float[n];
        var trueB = new float[n];
        var scratch = new float[n];
        var a = new float[n];
        var b = new float[n];
        LabConverter.ToLab(truth.Buffer, l, trueA, trueB, 1);
        var grey = new Image(truth.Width, truth.Height, PixelFormat.Rgb24);
        LabConverter.FromLab(l, new float[n], new float[n], grey.Buffer, 1f, 1);
        double cfTruth = MetricsAccumulator.Colorfulness(truth);
        return (Scores(prediction), Scores(grey), cfTruth);

        EvalScores Scores(Image candidate)
        {
            LabConverter.ToLab(candidate.Buffer, scratch, a, b, 1);
            double mae = 0, da = 0, db = 0;
            for (int i = 0; i < n; i++)
            {
                mae += Math.Abs(a[i] - trueA[i]) + Math.Abs(b[i] - trueB[i]);
                da += a[i] - trueA[i];
                db += b[i] - trueB[i];
            }

            double cf = MetricsAccumulator.Colorfulness(candidate);
            return new EvalScores(MetricsAccumulator.Psnr(candidate, truth), MetricsAccumulator.Auc(trueA, trueB, a, b), mae / (2.0 * n), cf, Math.Abs(cf - cfTruth),
                Math.Sqrt(da * da + db * db) / n);
        }
    }

    private static EvalScores Mean(IEnumerable<EvalScores> scores)
    {
        var list = scores.ToList();
        return new EvalScores(list.Average(s => s.Psnr), list.Average(s => s.Auc), list.Average(s => s.AbMae), list.Average(s => s.Colorfulness), list.Average(s => s.DeltaColorfulness), list.Average(s => s.Cast));
    }

    /// <summary>
    /// The photos to score (relative paths, ordinal order) and their folder: with a run, that run's split.json
    /// (test by default, or validation, train, all); otherwise every image file under the folder.
    /// </summary>
    public static (IReadOnlyList<string> Photos, string Data) ListPhotos(EvalRequest request)
    {
        if (request.Run is null)
        {
            if (request.Split is not null)
            {
                throw new TrainerException("--split needs --run <run-dir> (the split is the one that run recorded in split.json).");
            }

            string folder = request.Data ?? throw new TrainerException("Missing --data.");
            if (!Directory.Exists(folder))
            {
                throw new TrainerException($"The data folder '{folder}' does not exist.");
            }

            return ([.. PhotoDataset.ListImageFiles(folder)], folder);
        }

        string splitPath = Path.Combine(request.Run, "split.json");
        if (!File.Exists(splitPath))
        {
            throw new TrainerException($"{request.Run} has no split.json (is it a run directory?).");
        }

        string? data = request.Data;
        if (data is null && File.Exists(Path.Combine(request.Run, "config.json")))
        {
            using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(request.Run, "config.json")));
            data = config.RootElement.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        }

        if (data is null || !Directory.Exists(data))
        {
            throw new TrainerException($"The run's data folder '{data}' does not exist; pass --data <dir>.");
        }

        using var split = JsonDocument.Parse(File.ReadAllBytes(splitPath));
        string[] parts = (request.Split ?? "test") switch
        {
            "test" => ["test"],
            "validation" => ["validation"],
            "train" => ["train"],
            "all" => ["train", "validation", "test"],
            var other => throw new TrainerException($"--split must be test, validation, train or all, got '{other}'."),
        };
        var photos = parts
            .SelectMany(p => split.RootElement.TryGetProperty(p, out var list) ? list.EnumerateArray().Select(e => e.GetString()!) : [])
            .Order(StringComparer.Ordinal)
            .ToList();
        if (photos.Count == 0)
        {
            throw new TrainerException($"The {request.Split ?? "test"} split of {request.Run} is empty.");
        }

        return (photos, data);
    }

    /// <summary>A pack opened for evaluation, and what to clean up afterwards.</summary>
    internal sealed class OpenedPack(IModelPackContent pack, string description, string? temporaryHome) : IDisposable
    {
        public IModelPackContent Pack { get; } = pack;

        public string Description { get; } = description;

        public void Dispose()
        {
            if (temporaryHome is not null)
            {
                try
                {
                    Directory.Delete(temporaryHome, recursive: true);
                }
                catch (IOException)
                {
                    // A leftover temp folder is harmless.
                }
            }
        }
    }

    /// <summary>
    /// Opens <paramref name="spec"/>: a <c>.cpack</c> file (installed, with every check the product makes, into a
    /// temporary store), a pack folder (<c>manifest.json</c> + weights, as packaging/packs/&lt;id&gt;/, with the
    /// weights' sha256 checked), or an installed <c>id[@version]</c> from the user's store.
    /// </summary>
    public static OpenedPack OpenPack(string spec, CpuColorizerEngine engine)
    {
        if (File.Exists(spec))
        {
            string home = Path.Combine(Path.GetTempPath(), "colorize-train-eval", Guid.NewGuid().ToString("N"));
            try
            {
                var store = new PackStore(new PackStoreOptions { Home = home, UseApplicationPacksFolder = false });
                var installed = store.Install(spec, [engine]);
                return new OpenedPack(installed, Path.GetFullPath(spec), home);
            }
            catch
            {
                new OpenedPack(null!, "", home).Dispose();
                throw;
            }
        }

        if (Directory.Exists(spec))
        {
            return new OpenedPack(FolderPack.Open(spec), Path.GetFullPath(spec), null);
        }

        var resolved = new PackStore().Resolve(spec);
        return new OpenedPack(resolved, resolved.Directory, null);
    }

    /// <summary>The table <c>eval</c> prints.</summary>
    public static string FormatTable(EvalResult r)
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"pack {r.Pack} ({r.PackSource}) at render size {r.RenderSize}{(r.Strength == 1f ? "" : $", strength {r.Strength:G3}")}{(r.Hints > 0 ? $", {r.Hints} simulated hints ({r.HintPlacement}){(r.HintPropagation == false ? ", hint propagation off" : "")}" : "")}\n");
        s.Append(CultureInfo.InvariantCulture, $"{r.Images} photos from {r.Data}{(r.Run is null ? "" : $" ({r.Split} split of {r.Run})")}{(r.Skipped.Count > 0 ? $", {r.Skipped.Count} skipped (unreadable or grayscale)" : "")}\n\n");
        s.Append(CultureInfo.InvariantCulture, $"{"metric",-22}{"model",10}{"all-grey",10}\n");
        Line("PSNR (dB)", r.Model.Psnr, r.Grey.Psnr, "F2");
        Line("AuC (%)", r.Model.Auc, r.Grey.Auc, "F2");
        Line("ab MAE", r.Model.AbMae, r.Grey.AbMae, "F2");
        Line("colourfulness", r.Model.Colorfulness, r.Grey.Colorfulness, "F2");
        Line("ΔCF", r.Model.DeltaColorfulness, r.Grey.DeltaColorfulness, "F2");
        Line("colour cast (ab)", r.Model.Cast, r.Grey.Cast, "F2");
        s.Append(CultureInfo.InvariantCulture, $"{"colourfulness (truth)",-22}{r.ColorfulnessTruth,10:F2}\n");
        return s.ToString();

        void Line(string name, double model, double grey, string format) =>
            s.Append(CultureInfo.InvariantCulture, $"{name,-22}{model.ToString(format, CultureInfo.InvariantCulture),10}{grey.ToString(format, CultureInfo.InvariantCulture),10}\n");
    }
}

/// <summary>
/// An unpacked pack in a plain folder (<c>manifest.json</c> and the files it lists), as the repository keeps the
/// default pack under packaging/packs/&lt;id&gt;/: the manifest is validated and every listed file's sha256 checked.
/// </summary>
internal sealed class FolderPack : IModelPackContent
{
    private readonly string _directory;
    private readonly HashSet<string> _files;

    private FolderPack(PackManifest manifest, string directory)
    {
        Manifest = manifest;
        _directory = directory;
        _files = new HashSet<string>([manifest.Weights.File, .. manifest.Files?.Keys ?? []], StringComparer.Ordinal);
    }

    public PackManifest Manifest { get; }

    public static FolderPack Open(string directory)
    {
        string manifestPath = Path.Combine(directory, PackManifestJson.FileName);
        if (!File.Exists(manifestPath))
        {
            throw new TrainerException($"{directory} is not a pack folder (no {PackManifestJson.FileName}).");
        }

        var pack = new FolderPack(PackManifestJson.ReadFile(manifestPath), directory);
        pack.Check(pack.Manifest.Weights.File, pack.Manifest.Weights.Sha256);
        foreach (var (name, sha256) in pack.Manifest.Files ?? new Dictionary<string, string>())
        {
            pack.Check(name, sha256);
        }

        return pack;
    }

    public Stream OpenFile(string name)
    {
        if (!_files.Contains(name))
        {
            throw new ModelPackException($"The pack in {_directory} has no file '{name}'.");
        }

        return new FileStream(PathOf(name), FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    private string PathOf(string name) => Path.Combine(_directory, name.Replace('/', Path.DirectorySeparatorChar));

    private void Check(string name, string sha256)
    {
        string path = PathOf(name);
        if (!File.Exists(path))
        {
            throw new ModelPackException($"The pack in {_directory} lacks '{name}'.");
        }

        using var stream = File.OpenRead(path);
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(stream)), sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelPackException($"'{name}' in {_directory} does not match the sha256 in {PackManifestJson.FileName}.");
        }
    }
}
