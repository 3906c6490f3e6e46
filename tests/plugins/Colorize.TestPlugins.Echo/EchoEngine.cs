using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.TestPlugins.EchoDependency;

namespace Colorize.TestPlugins.Echo;

/// <summary>
/// A trivial engine for loader and store tests: runs architecture "echo-net" v1, whose "weights" file must start
/// with the bytes "ECHO"; its colorizer writes 255 - source for Gray8 into Gray8 (through a private dependency).
/// </summary>
public sealed class EchoEngine : IColorizerEngine
{
    public string Id => "test-echo";

    // Read from the private dependency while constructing, so a plugin folder missing it fails at load time.
    public Version Version { get; } = EchoMath.EngineVersion;

    public IReadOnlyList<ArchitectureInfo> Architectures { get; } = [new ArchitectureInfo("echo-net", 1, "Inverts grey levels; for tests.")];

    public PackCompatibility CheckCompatibility(PackManifest manifest)
    {
        if (manifest.Architecture.Name != "echo-net" || manifest.Architecture.Version != 1)
        {
            return PackCompatibility.No($"architecture '{manifest.Architecture.Name}' is not echo-net v1");
        }

        return SemVerRange.TryParse(manifest.Engine.Range, out var range) && range.Contains(new SemVer(1, 0, 0))
            ? PackCompatibility.Yes
            : PackCompatibility.No($"the pack needs engine {manifest.Engine.Range}, this is 1.0.0");
    }

    public IColorizer Load(IModelPackContent pack)
    {
        var compatibility = CheckCompatibility(pack.Manifest);
        if (!compatibility.IsCompatible)
        {
            throw new ModelPackException(compatibility.Reason!);
        }

        using var stream = pack.OpenFile(pack.Manifest.Weights.File);
        var magic = new byte[4];
        if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || magic is not [(byte)'E', (byte)'C', (byte)'H', (byte)'O'])
        {
            throw new ModelPackException("echo weights must start with ECHO");
        }

        return new EchoColorizer(pack.Manifest);
    }

    private sealed class EchoColorizer(PackManifest manifest) : IColorizer
    {
        public PackManifest Manifest { get; } = manifest;

        public void Colorize(PixelBuffer source, PixelBuffer destination, ColorizeOptions? options = null, IProgress<ColorizeProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            if (source.Format != PixelFormat.Gray8 || destination.Format != PixelFormat.Gray8)
            {
                throw new NotSupportedException("The echo engine handles Gray8 only.");
            }

            for (int y = 0; y < source.Height; y++)
            {
                var from = source.GetRow(y);
                var to = destination.GetRow(y);
                for (int x = 0; x < source.Width; x++)
                {
                    to[x] = EchoMath.Invert(from[x]);
                }
            }
        }

        public void Dispose()
        {
        }
    }
}
