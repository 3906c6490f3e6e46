using Colorize.Abstractions;
using Colorize.Abstractions.Packs;

namespace Colorize.TestPlugins.Throwing;

/// <summary>An engine whose constructor throws: the loader must report it and keep the other plugins.</summary>
public sealed class ThrowingEngine : IColorizerEngine
{
    public ThrowingEngine() => throw new InvalidOperationException("broken on purpose");

    public string Id => "test-throwing";

    public Version Version => new(1, 0);

    public IReadOnlyList<ArchitectureInfo> Architectures => [];

    public PackCompatibility CheckCompatibility(PackManifest manifest) => PackCompatibility.No("never");

    public IColorizer Load(IModelPackContent pack) => throw new NotSupportedException();
}
