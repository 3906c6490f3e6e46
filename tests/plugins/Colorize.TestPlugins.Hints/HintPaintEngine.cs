using Colorize.Abstractions;
using Colorize.Abstractions.Packs;

namespace Colorize.TestPlugins.Hints;

/// <summary>
/// A test engine for the hosts' colour hints (issue 16): architecture "hint-paint" v1. Its colorizer turns the photo
/// grey and paints each hint's disc in the hint's colour, so a test can see from the output that the hints arrived
/// with the right position, radius and colour. It takes hints when the pack's manifest says <c>input.hints: true</c>,
/// as a real engine does, and refuses them otherwise with <see cref="HintsNotSupportedException"/>.
/// </summary>
public sealed class HintPaintEngine : IColorizerEngine
{
    public string Id => "test-hints";

    public Version Version { get; } = new(1, 0, 0);

    public IReadOnlyList<ArchitectureInfo> Architectures { get; } = [new ArchitectureInfo("hint-paint", 1, "Grey photo with each hint's disc painted; for tests.")];

    public PackCompatibility CheckCompatibility(PackManifest manifest)
    {
        if (manifest.Architecture.Name != "hint-paint" || manifest.Architecture.Version != 1)
        {
            return PackCompatibility.No($"architecture '{manifest.Architecture.Name}' is not hint-paint v1");
        }

        return SemVerRange.TryParse(manifest.Engine.Range, out var range) && range.Contains(new SemVer(1, 0, 0))
            ? PackCompatibility.Yes
            : PackCompatibility.No($"the pack needs engine {manifest.Engine.Range}, this is 1.0.0");
    }

    public IColorizer Load(IModelPackContent pack)
    {
        var compatibility = CheckCompatibility(pack.Manifest);
        return compatibility.IsCompatible ? new HintPaintColorizer(pack.Manifest) : throw new ModelPackException(compatibility.Reason!);
    }

    private sealed class HintPaintColorizer(PackManifest manifest) : IColorizer
    {
        public PackManifest Manifest { get; } = manifest;

        public bool SupportsHints => Manifest.Input.Hints;

        public void Colorize(PixelBuffer source, PixelBuffer destination, ColorizeOptions? options = null, IProgress<ColorizeProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            options ??= new ColorizeOptions();
            options.Validate();
            var hints = options.Hints ?? [];
            if (hints.Count > 0 && !SupportsHints)
            {
                throw new HintsNotSupportedException($"{Manifest.Id}@{Manifest.Version}");
            }

            foreach (var hint in hints)
            {
                if (hint.X >= source.Width || hint.Y >= source.Height)
                {
                    throw new ArgumentOutOfRangeException(nameof(options), $"The hint at ({hint.X}, {hint.Y}) is outside the {source.Width}x{source.Height} image.");
                }
            }

            int inChannels = Channels(source.Format), outChannels = Channels(destination.Format);
            for (int y = 0; y < source.Height; y++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var from = source.GetRow(y);
                var to = destination.GetRow(y);
                for (int x = 0; x < source.Width; x++)
                {
                    // Read the whole pixel before writing: source and destination may be one buffer.
                    var p = from.Slice(x * inChannels, inChannels);
                    byte gray = inChannels == 1 ? p[0] : (byte)((p[0] + p[1] + p[2]) / 3);
                    byte alpha = inChannels == 4 ? p[3] : (byte)255;
                    var (r, g, b) = (gray, gray, gray);
                    foreach (var hint in hints)
                    {
                        double dx = x + 0.5 - hint.X, dy = y + 0.5 - hint.Y;
                        bool under = (int)hint.X == x && (int)hint.Y == y;
                        if (under || (dx * dx) + (dy * dy) <= hint.Radius * hint.Radius)
                        {
                            (r, g, b) = (hint.Red, hint.Green, hint.Blue);
                        }
                    }

                    var q = to.Slice(x * outChannels, outChannels);
                    switch (destination.Format)
                    {
                        case PixelFormat.Bgra32:
                            (q[0], q[1], q[2], q[3]) = (b, g, r, alpha);
                            break;
                        case PixelFormat.Rgba32:
                            (q[0], q[1], q[2], q[3]) = (r, g, b, alpha);
                            break;
                        default:
                            (q[0], q[1], q[2]) = (r, g, b);
                            break;
                    }
                }
            }

            progress?.Report(new ColorizeProgress(1, "done"));
        }

        public void Dispose()
        {
        }

        private static int Channels(PixelFormat format) => format switch
        {
            PixelFormat.Gray8 => 1,
            PixelFormat.Rgb24 => 3,
            PixelFormat.Rgba32 or PixelFormat.Bgra32 => 4,
            _ => throw new NotSupportedException($"The hint-paint engine handles 8-bit formats only, not {format}."),
        };
    }
}
