using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Imaging;
using Colorize.Imaging.Formats.Jpeg;
using Colorize.Imaging.Formats.Png;
using Colorize.Plugins;
using Colorize.Plugins.Packs;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Colorize.Host;

/// <summary>What <c>colorize &lt;input&gt;... [options]</c> was asked to do.</summary>
internal sealed record BatchRequest
{
    public required IReadOnlyList<string> Inputs { get; init; }

    public string? Output { get; init; }

    public string? Pack { get; init; }

    public int? RenderSize { get; init; }

    public float? Strength { get; init; }

    public int? Threads { get; init; }

    /// <summary><c>--keep-luminance</c>; null means the default (true).</summary>
    public bool? KeepLuminance { get; init; }

    public bool Overwrite { get; init; }

    /// <summary><c>--allow-truncated</c>: colorize what a truncated or damaged input decodes to, with a warning.</summary>
    public bool AllowTruncated { get; init; }

    /// <summary><c>--png-compression</c>: fast, default, max or a zlib level 0-9; null means default.</summary>
    public string? PngCompression { get; init; }

    public bool Json { get; init; }

    /// <summary><c>--hint x,y,#rrggbb[,radius]</c>, as given (repeatable).</summary>
    public IReadOnlyList<string> Hints { get; init; } = [];

    /// <summary><c>--hints file.json</c>: hints in the JSON format of README.md, "Colour hints".</summary>
    public string? HintsFile { get; init; }
}

/// <summary>One input's outcome; <paramref name="Warning"/> says what was wrong with an input that was still colorized;
/// <paramref name="Hints"/> are the colour hints it was colorized with, in its own pixels.</summary>
internal sealed record BatchItemResult(string Input, string? Output, string? Error, double Seconds, string? Warning = null, IReadOnlyList<ColorHint>? Hints = null)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Colorizes a batch. Order of checks: usage (exit 2), then pack and engine (exit 3), then each input on its own
/// (a failure is reported on one line and the batch goes on; exit 1 at the end). Outputs are written atomically.
/// </summary>
internal static class BatchCommand
{
    private const string DefaultOutputFolder = "colorized";

    public static int Run(CliContext context, BatchRequest request)
    {
        if (request.Inputs.Count == 0)
        {
            context.ReportError("usage", "no input given; name image files, folders or globs (colorize --help)");
            return ExitCodes.Usage;
        }

        // The parser hands unknown options to the inputs argument; a "-x" that is not a file is a typo, not an input.
        var unknown = request.Inputs.Where(i => i.Length > 1 && i[0] == '-' && !File.Exists(context.FullPath(i)) && !Directory.Exists(context.FullPath(i))).ToList();
        if (unknown.Count > 0)
        {
            foreach (string option in unknown)
            {
                context.ReportError(option, "unknown option (colorize --help lists them)");
            }

            return ExitCodes.Usage;
        }

        var options = new ColorizeOptions
        {
            RenderSize = request.RenderSize, Strength = request.Strength ?? 1f, Threads = request.Threads,
            KeepOriginalLuminance = request.KeepLuminance ?? true,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            string option = e.ParamName switch { "RenderSize" => "--render-size", "Strength" => "--strength", "Threads" => "--threads", _ => "usage" };
            context.ReportError(option, e.Message[..(e.Message.IndexOf(" (Parameter", StringComparison.Ordinal) is int i and >= 0 ? i : e.Message.Length)]);
            return ExitCodes.Usage;
        }

        if (request.Pack is not null && !PackSpec.TryParse(request.Pack, out _, out string specError))
        {
            context.ReportError("--pack", specError);
            return ExitCodes.Usage;
        }

        if (!TryPngLevel(request.PngCompression, out int pngLevel))
        {
            context.ReportError("--png-compression", $"'{request.PngCompression}' is not fast, default, max or a zlib level 0-9");
            return ExitCodes.Usage;
        }

        if (!TryReadHints(context, request, out var hints))
        {
            return ExitCodes.Usage;
        }

        // --threads also bounds the encoders' threads (PNG: blocks of rows deflated at once; JPEG: rows of blocks prepared).
        var png = new PngEncoder { CompressionLevel = pngLevel, MaxDegreeOfParallelism = request.Threads ?? 0 };
        var jpeg = new JpegEncoder { MaxDegreeOfParallelism = request.Threads ?? 0 };

        // -o names a file when it has an image extension and is not an existing folder; otherwise it is a folder.
        string outputFull = context.FullPath(request.Output ?? DefaultOutputFolder);
        bool singleFile = request.Output is not null
            && !Directory.Exists(outputFull)
            && !Path.EndsInDirectorySeparator(request.Output)
            && Path.HasExtension(outputFull);
        if (singleFile && EncoderFor(outputFull) is null)
        {
            context.ReportError(request.Output!, $"cannot write this format; use an extension such as {string.Join(", ", ImageFormatRegistry.Default.Encoders.Select(e => "." + e.Format.FileExtensions[0]))}");
            return ExitCodes.Usage;
        }

        var (files, problems) = InputExpander.Expand(request.Inputs, context, singleFile ? null : outputFull);
        if (singleFile && files.Count + problems.Count > 1)
        {
            context.ReportError(request.Output!, $"-o names one file but {files.Count + problems.Count} inputs were given; give a folder instead");
            return ExitCodes.Usage;
        }

        if (hints.Given && !HintsFitInputs(context, hints, files))
        {
            return ExitCodes.Usage;
        }

        var plan = Plan(files, singleFile, outputFull, request.Overwrite, png, jpeg);

        // Loading the pack and decoding a photo are each mostly one thread: once the pack is resolved (a missing pack
        // is reported at once), the first photo decodes on another core while the pack loads (not when --threads 1
        // asks for one). Its errors are reported in order, when its turn comes; if the load fails, it is dropped.
        Prefetch? prefetch = null;
        void StartPrefetch()
        {
            if (request.Threads is not 1 && plan.Find(p => p.Problem is null) is { } first)
            {
                prefetch = new Prefetch(first, Task.Run(() => DecodeTimed(first.Input.FullPath, request.AllowTruncated)));
            }
        }

        using var services = ColorizeCli.CreateServices(context);
        if (!HostColorizer.TryLoad(services, request.Pack, out var loaded, out var failure, StartPrefetch))
        {
            prefetch?.Drop();
            context.ReportError(failure.Subject, failure.Reason);
            return ExitCodes.NoPackOrPlugin;
        }

        if (hints.Given && !loaded.Colorizer.SupportsHints)
        {
            // Checked before any work: colorizing without the hints would not be what was asked for.
            prefetch?.Drop();
            context.ReportError(hints.Subject, HostColorizer.NoHintsMessage(loaded.Pack.Reference));
            loaded.Dispose();
            return ExitCodes.Usage;
        }

        var colorizer = loaded.Colorizer;
        var pack = loaded.Pack;
        string engineId = loaded.EngineId;
        using (loaded)
        try
        {
            var results = new List<BatchItemResult>();
            foreach (var problem in problems)
            {
                results.Add(new BatchItemResult(problem.Argument, null, problem.Reason, 0));
                context.ReportError(problem.Argument, problem.Reason);
            }

            var clock = Stopwatch.StartNew();
            if (context.IsTerminal && !request.Json && plan.Count > 0)
            {
                AnsiConsole.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(progress =>
                    {
                        var task = progress.AddTask($"colorizing {plan.Count} image(s) with {pack.Reference}", maxValue: plan.Count);
                        for (int i = 0; i < plan.Count; i++)
                        {
                            int done = i;
                            var item = Process(context, colorizer, options, hints, plan[i], request.AllowTruncated, new SyncProgress(p => task.Value = done + Math.Clamp(p.Fraction, 0, 1)), prefetch);
                            task.Value = i + 1;
                            results.Add(item);
                        }
                    });
            }
            else
            {
                for (int i = 0; i < plan.Count; i++)
                {
                    var item = Process(context, colorizer, options, hints, plan[i], request.AllowTruncated, null, prefetch);
                    results.Add(item);
                    if (item.Succeeded && !request.Json)
                    {
                        context.Out.WriteLine(ColorizeCli.Invariant($"[{i + 1}/{plan.Count}] {item.Input} -> {item.Output} ({item.Seconds:0.00} s)"));
                    }
                }
            }

            int failed = results.Count(r => !r.Succeeded);
            if (request.Json)
            {
                Commands.WriteJson(context, ToJson(results, pack, engineId, clock.Elapsed.TotalSeconds));
            }
            else if (results.Count > 1 || failed > 0)
            {
                context.Out.WriteLine(ColorizeCli.Invariant($"colorized {results.Count - failed} of {results.Count} with {pack.Reference} on engine {engineId} in {clock.Elapsed.TotalSeconds:0.0} s"));
            }

            return failed == 0 ? ExitCodes.Success : ExitCodes.SomeFailed;
        }
        finally
        {
            // Cancelled before the photo's turn: it is not left decoding after the command returns.
            prefetch?.Drop();
        }
    }

    /// <summary>An input with where it goes, or why it cannot be done (decided before any work).</summary>
    private sealed record PlannedItem(InputFile Input, string Output, IImageEncoder? Encoder, bool Overwrite, string? Problem);

    private static List<PlannedItem> Plan(List<InputFile> files, bool singleFile, string outputFull, bool overwrite, PngEncoder png, JpegEncoder jpeg)
    {
        var plan = new List<PlannedItem>();
        var targets = new HashSet<string>(OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        var inputs = new HashSet<string>(files.Select(f => f.FullPath), targets.Comparer);
        foreach (var file in files)
        {
            string target = singleFile ? outputFull : Path.GetFullPath(Path.Combine(outputFull, file.RelativeName));
            var encoder = EncoderFor(target);
            if (encoder?.Format == ImageFormat.Png)
            {
                encoder = png;
            }
            else if (encoder?.Format == ImageFormat.Jpeg)
            {
                encoder = jpeg;
            }
            string? problem =
                inputs.Contains(target) ? $"the output {target} is an input; inputs are never overwritten"
                : !targets.Add(target) ? $"another input is already written to {target}"
                : encoder is null ? $"cannot write the format of {target}"
                : !overwrite && File.Exists(target) ? $"{target} already exists; use --overwrite to replace it"
                : null;
            plan.Add(new PlannedItem(file, target, encoder, overwrite, problem));
        }

        return plan;
    }

    private static BatchItemResult Process(CliContext context, IColorizer colorizer, ColorizeOptions options, GivenHints hints, PlannedItem item, bool allowTruncated, IProgress<ColorizeProgress>? progress, Prefetch? prefetch)
    {
        string input = item.Input.FullPath;
        if (item.Problem is not null)
        {
            context.ReportError(input, item.Problem);
            return new BatchItemResult(input, null, item.Problem, 0);
        }

        var clock = Stopwatch.StartNew();
        // A photo decoded ahead counts its decoding time, so the reported seconds stay the photo's whole work.
        double decodeSeconds = 0;
        try
        {
            context.Cancellation.ThrowIfCancellationRequested();
            Image source;
            string? warning;
            if (prefetch?.Item == item)
            {
                (source, warning, decodeSeconds) = prefetch.Take();
            }
            else
            {
                (source, warning) = Load(input, allowTruncated);
            }

            // In this image's pixels; checked against every input's header before the batch began, so only the decoded
            // part of a damaged image (--allow-truncated) can be smaller than what was checked.
            IReadOnlyList<ColorHint>? used = hints.Given ? hints.File.For(source.Width, source.Height, hints.Options) : null;
            var result = HostColorizer.Colorize(colorizer, source, used is null ? options : options with { Hints = used }, progress, context.Cancellation);
            Directory.CreateDirectory(Path.GetDirectoryName(item.Output)!);
            result.Save(item.Output, item.Encoder!, overwrite: item.Overwrite);
            if (warning is not null)
            {
                context.ReportWarning(input, $"{warning}; colorized the decoded part ({source.Width}x{source.Height})");
            }

            return new BatchItemResult(input, item.Output, null, decodeSeconds + clock.Elapsed.TotalSeconds, warning, used);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            string reason = e is ImageFormatException or IOException or UnauthorizedAccessException or ModelPackException or HintException
                ? e.Message
                : $"{e.GetType().Name}: {e.Message}";
            context.ReportError(input, reason);
            return new BatchItemResult(input, null, reason, decodeSeconds + clock.Elapsed.TotalSeconds);
        }
    }

    /// <summary>A photo decoding ahead of its turn (<see cref="DecodeTimed"/>); its exception, if any, surfaces in <see cref="Take"/>.</summary>
    private sealed class Prefetch(PlannedItem item, Task<(Image Source, string? Warning, double Seconds)> decoding)
    {
        public PlannedItem Item { get; } = item;

        public (Image Source, string? Warning, double Seconds) Take() => decoding.GetAwaiter().GetResult();

        /// <summary>Waits for the decoding and forgets it (nothing is left running after the command returns).</summary>
        public void Drop()
        {
            try
            {
                decoding.Wait();
            }
            catch (AggregateException)
            {
                // Never reported: the batch stops before this photo's turn.
            }
        }
    }

    private static (Image Source, string? Warning, double Seconds) DecodeTimed(string input, bool allowTruncated)
    {
        long start = Stopwatch.GetTimestamp();
        var (source, warning) = Load(input, allowTruncated);
        return (source, warning, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>The hints of <c>--hints</c> (scaled to each image when made on another size) and <c>--hint</c> (each image's own pixels).</summary>
    private sealed record GivenHints(HintSet File, IReadOnlyList<ColorHint> Options, string Subject)
    {
        public bool Given => File.Count + Options.Count > 0;
    }

    /// <summary>Reads <c>--hints</c> and <c>--hint</c>; a bad one is a usage error on one line naming it.</summary>
    private static bool TryReadHints(CliContext context, BatchRequest request, out GivenHints hints)
    {
        hints = new GivenHints(HintSet.Empty, [], "--hint");
        var file = HintSet.Empty;
        if (request.HintsFile is { } path)
        {
            try
            {
                file = HintSet.ReadFile(context.FullPath(path));
            }
            catch (HintException e)
            {
                context.ReportError("--hints", $"{path}: {e.Message}");
                return false;
            }
        }

        var options = new List<ColorHint>();
        try
        {
            foreach (string text in request.Hints)
            {
                options.Add(HintSet.ParseOption(text));
            }

            file.With(options);
        }
        catch (HintException e)
        {
            context.ReportError("--hint", e.Message);
            return false;
        }

        hints = new GivenHints(file, options, request.HintsFile is not null ? "--hints" : "--hint");
        return true;
    }

    /// <summary>
    /// Checks the hints against every input's size, from its header, before anything is colorized: a hint outside one
    /// of the images is a usage error and nothing is written. An input whose header cannot be read fails on its own later.
    /// </summary>
    private static bool HintsFitInputs(CliContext context, GivenHints hints, List<InputFile> files)
    {
        bool ok = true;
        foreach (var file in files)
        {
            ImageInfo info;
            try
            {
                info = Image.Identify(file.FullPath);
            }
            catch (Exception e) when (e is ImageFormatException or IOException or UnauthorizedAccessException)
            {
                continue;
            }

            try
            {
                hints.File.For(info.Width, info.Height, hints.Options);
            }
            catch (HintException e)
            {
                context.ReportError(file.FullPath, $"{hints.Subject}: {e.Message}");
                ok = false;
            }
        }

        return ok;
    }

    /// <summary>
    /// Decodes an input. A truncated or damaged one is refused unless <paramref name="allowTruncated"/>, and then only
    /// the rows that decoded in full are colorized (the rest would come out as a flat tinted band); the warning says so.
    /// </summary>
    private static (Image Source, string? Warning) Load(string input, bool allowTruncated)
    {
        try
        {
            return (Image.Load(input), null);
        }
        catch (TruncatedImageException e) when (allowTruncated)
        {
            return (e.CropToDecodedRegion() ?? throw new ImageFormatException($"{e.Message}; nothing decoded in full, so there is nothing to colorize", e), e.Message);
        }
        catch (TruncatedImageException e)
        {
            throw new ImageFormatException($"{e.Message} (--allow-truncated colorizes the decoded part)", e);
        }
    }

    private static JsonObject ToJson(List<BatchItemResult> results, InstalledPack pack, string engineId, double seconds) => new()
    {
        ["pack"] = pack.Reference,
        ["engine"] = engineId,
        ["succeeded"] = results.Count(r => r.Succeeded),
        ["failed"] = results.Count(r => !r.Succeeded),
        ["seconds"] = Math.Round(seconds, 3),
        ["results"] = new JsonArray([.. results.Select(r => (JsonNode)new JsonObject
        {
            ["input"] = r.Input,
            ["output"] = r.Output,
            ["status"] = r.Succeeded ? "ok" : "failed",
            ["error"] = r.Error,
            ["warning"] = r.Warning,
            ["hints"] = HintSet.ToJson(r.Hints ?? []),
            ["seconds"] = Math.Round(r.Seconds, 3),
        })]),
    };

    /// <summary>
    /// <c>--png-compression</c>: fast is zlib level 1, max level 9, default the encoder's own default (level 3: within a
    /// few percent of level 6's size in half its time or less, issue 15 §4; docs/benchmarks.md); a number is the level.
    /// </summary>
    internal static bool TryPngLevel(string? text, out int level)
    {
        level = new PngEncoder().CompressionLevel;
        string? name = text?.Trim();
        if (name is null || name.Equals("default", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (name.Equals("fast", StringComparison.OrdinalIgnoreCase))
        {
            level = 1;
            return true;
        }

        if (name.Equals("max", StringComparison.OrdinalIgnoreCase))
        {
            level = 9;
            return true;
        }

        return int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out level) && level is >= 0 and <= 9;
    }

    private static IImageEncoder? EncoderFor(string path) =>
        ImageFormatRegistry.Default.FindFormatByExtension(path) is { } format ? ImageFormatRegistry.Default.FindEncoder(format) : null;
}

/// <summary>
/// Reports on the engine's thread as it happens; <see cref="Progress{T}"/> would post to the thread pool, and a
/// late report could move the bar back after the image is done.
/// </summary>
internal sealed class SyncProgress(Action<ColorizeProgress> report) : IProgress<ColorizeProgress>
{
    public void Report(ColorizeProgress value) => report(value);
}
