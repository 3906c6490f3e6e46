using Xunit.Abstractions;
using System.Diagnostics;
using System.Globalization;
using Colorize.Imaging.Tests.Infrastructure;

namespace Colorize.Imaging.Tests.Fuzzing;

/// <summary>
/// Mutation fuzzing over the whole corpus (every image file under TestData, whatever its format, including the
/// JPEGs other suites add). Every outcome must be a decoded image or an <see cref="ImageFormatException"/> with a
/// message; nothing may hang, and no decode may allocate far past the configured limit. The oracle of
/// <see cref="DamageOracle"/> also holds: a file cut short that decodes as complete must give the whole file's pixels,
/// and a decode that fails with <see cref="TruncatedImageException"/> must say consistently what it decoded.
/// </summary>
/// <remarks>
/// Default: 3000 cases (or 20 s, whichever comes first). Longer runs: set COLORIZE_FUZZ_ITERATIONS (no time cap
/// then) and optionally COLORIZE_FUZZ_SEED. Failing inputs are written to the temp folder for reproduction.
/// </remarks>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int DefaultIterations = 3000;
    private static readonly TimeSpan DefaultBudget = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan SlowCase = TimeSpan.FromSeconds(5);

    // Small limits so an absurd header that slips past a check shows up as a huge allocation, not a slow test.
    private static readonly DecoderOptions Options = new() { MaxBytes = 64L << 20, MaxPixels = 16L << 20 };

    [Fact]
    public void MutatedCorpus_FailsOnlyWithImageFormatException()
    {
        string? iterationsVariable = Environment.GetEnvironmentVariable("COLORIZE_FUZZ_ITERATIONS");
        bool longMode = int.TryParse(iterationsVariable, NumberStyles.Integer, CultureInfo.InvariantCulture, out int iterations) && iterations > 0;
        if (!longMode)
        {
            iterations = DefaultIterations;
        }

        int seed = int.TryParse(Environment.GetEnvironmentVariable("COLORIZE_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : 20240531;
        List<(string Name, byte[] Data, Image? Whole)> corpus = LoadCorpus();
        Assert.True(corpus.Count >= 50, $"the corpus has only {corpus.Count} files");

        var failures = new List<string>();
        int executed = 0;
        var outcomes = new Dictionary<string, int>();
        string current = "";
        var worker = new Thread(() =>
        {
            var random = new Random(seed);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < iterations && (longMode || clock.Elapsed < DefaultBudget); i++)
            {
                (string name, byte[] original, Image? whole) = corpus[random.Next(corpus.Count)];
                (byte[] data, string mutation) = Mutator.Mutate(original, random);
                current = $"case {i}: {name}, {mutation}";
                string? failure = RunCase(ImageFormatRegistry.Default, data, original, whole, outcomes);
                if (failure is not null && failures.Count < 25)
                {
                    string saved = Save(data, seed, i);
                    failures.Add($"{current}: {failure} (input saved to {saved})");
                }

                executed++;
            }
        }, 16 * 1024 * 1024)
        { IsBackground = true, Name = "fuzz" };

        var total = Stopwatch.StartNew();
        worker.Start();
        TimeSpan wait = longMode ? TimeSpan.FromHours(24) : DefaultBudget + TimeSpan.FromSeconds(40);
        Assert.True(worker.Join(wait), $"the fuzzer hung on {current}");
        output.WriteLine($"{executed} cases over {corpus.Count} files in {total.Elapsed.TotalSeconds:0.0} s (seed {seed}): "
            + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")));
        Assert.True(failures.Count == 0, $"{failures.Count} of {executed} cases failed (seed {seed}):\n" + string.Join("\n", failures));
        Assert.True(executed >= Math.Min(iterations, 500), $"only {executed} cases ran in the time budget");
    }

    [Fact]
    public void Harness_ReportsOtherExceptionTypes()
    {
        var formats = new ImageFormatRegistry();
        formats.AddDecoder(new ThrowingDecoder());

        string? failure = RunCase(formats, [1, 2, 3], [1, 2, 3], null, []);

        Assert.NotNull(failure);
        Assert.Contains("InvalidCastException", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Harness_ReportsACutFileDecodedAsComplete()
    {
        // A decoder that returns a blank image for anything: the whole file's pixels differ from a cut file's "complete" decode.
        var formats = new ImageFormatRegistry();
        formats.AddDecoder(new BlankDecoder());
        byte[] original = [1, 2, 3, 4, 5, 6];
        Image whole = new Image(2, 1, Abstractions.PixelFormat.Gray8);
        whole.GetRowBytes(0).Fill(200);

        string? failure = RunCase(formats, original[..3], original, whole, []);

        Assert.NotNull(failure);
        Assert.Contains("silent corruption", failure, StringComparison.Ordinal);
    }

    internal static string? RunCase(ImageFormatRegistry formats, byte[] data, byte[] original, Image? whole, Dictionary<string, int> outcomes)
    {
        // Use the decoder that recognises the bytes; if the mutation broke the signature, use the original's
        // decoder directly so its own header checks are exercised too.
        IImageDecoder? decoder = formats.FindDecoder(data) ?? formats.FindDecoder(original);
        if (decoder is null)
        {
            return null;
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        try
        {
            _ = decoder.Identify(data, Options);
        }
        catch (ImageFormatException ex) when (!string.IsNullOrWhiteSpace(ex.Message))
        {
        }
        catch (Exception ex)
        {
            return $"Identify threw {ex.GetType().Name}: {ex.Message} at {FirstFrame(ex)}";
        }

        long identified = GC.GetAllocatedBytesForCurrentThread() - before;
        long decoded;
        try
        {
            // The whole file's decode is only a reference when the same decoder reads both.
            Image? reference = formats.FindDecoder(original) == decoder ? whole : null;
            string? wrong = DamageOracle.Check(decoder, data, original, reference, Options, out string outcome, out decoded);
            Count(outcomes, decoder.Format.Name + " " + outcome);
            if (wrong is not null)
            {
                return wrong;
            }
        }
        catch (Exception ex)
        {
            return $"Decode threw {ex.GetType().Name}: {ex.Message} at {FirstFrame(ex)}";
        }

        long allocated = identified + decoded;
        long allowed = (3 * Options.MaxBytes) + (16L * data.Length) + (16L << 20);
        if (allocated > allowed)
        {
            return $"allocated {allocated >> 20} MiB, more than the {allowed >> 20} MiB a {Options.MaxBytes >> 20} MiB limit allows";
        }

        return clock.Elapsed > SlowCase ? $"took {clock.Elapsed.TotalSeconds:0.0} s" : null;
    }

    private static void Count(Dictionary<string, int> outcomes, string key) =>
        outcomes[key] = outcomes.GetValueOrDefault(key) + 1;

    private static string FirstFrame(Exception ex) =>
        ex.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "(no stack)";

    private static string Save(byte[] data, int seed, int index)
    {
        string folder = Path.Combine(Path.GetTempPath(), "colorize-fuzz-failures");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, $"seed{seed}-case{index}.bin");
        File.WriteAllBytes(path, data);
        return path;
    }

    private static List<(string, byte[], Image?)> LoadCorpus()
    {
        var corpus = new List<(string, byte[], Image?)>();
        foreach (string path in Directory.EnumerateFiles(TestFiles.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(path);
            if (info.Length is < 8 or > 256 * 1024)
            {
                continue;
            }

            byte[] data = File.ReadAllBytes(path);
            if (ImageFormatRegistry.Default.FindDecoder(data) is { } decoder)
            {
                Image? whole;
                try
                {
                    whole = decoder.Decode(data, Options);
                }
                catch (ImageFormatException)
                {
                    whole = null; // An invalid or unsupported corpus file: no reference pixels.
                }

                corpus.Add((Path.GetRelativePath(TestFiles.Root, path), data, whole));
            }
        }

        return corpus;
    }

    private sealed class BlankDecoder : IImageDecoder
    {
        public ImageFormat Format { get; } = new("Blank", "application/x-blank", "blank");

        public int HeaderSize => 1;

        public bool IsSupportedFormat(ReadOnlySpan<byte> header) => true;

        public ImageInfo Identify(ReadOnlyMemory<byte> data, DecoderOptions options) => new(2, 1, Abstractions.PixelFormat.Gray8, Format, 8);

        public Image Decode(ReadOnlyMemory<byte> data, DecoderOptions options) => new(2, 1, Abstractions.PixelFormat.Gray8);
    }

    private sealed class ThrowingDecoder : IImageDecoder
    {
        public ImageFormat Format { get; } = new("Fake", "application/x-fake", "fake");

        public int HeaderSize => 1;

        public bool IsSupportedFormat(ReadOnlySpan<byte> header) => true;

        public ImageInfo Identify(ReadOnlyMemory<byte> data, DecoderOptions options) => throw new ImageFormatException("bad");

        public Image Decode(ReadOnlyMemory<byte> data, DecoderOptions options) => throw new InvalidCastException("bug");
    }
}
