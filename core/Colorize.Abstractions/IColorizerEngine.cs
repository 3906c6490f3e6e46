using Colorize.Abstractions.Packs;

namespace Colorize.Abstractions;

/// <summary>
/// A colorization engine, shipped as a plugin: it knows a set of model architectures and turns a model pack into a
/// ready <see cref="IColorizer"/>. The CPU engine is one; a GPU engine would be another plugin with the same contract.
/// </summary>
public interface IColorizerEngine
{
    /// <summary>A stable identifier, e.g. "colorize-cpu".</summary>
    string Id { get; }

    /// <summary>The engine's version, checked against a pack's supported engine range.</summary>
    Version Version { get; }

    /// <summary>The architectures (name and version) this engine can run.</summary>
    IReadOnlyList<ArchitectureInfo> Architectures { get; }

    /// <summary>Whether this engine can run <paramref name="manifest"/>, and if not, why.</summary>
    PackCompatibility CheckCompatibility(PackManifest manifest);

    /// <summary>Loads a pack's weights and returns a colorizer. Throws <see cref="ModelPackException"/> for a pack it cannot use.</summary>
    IColorizer Load(IModelPackContent pack);
}

/// <summary>An architecture an engine runs.</summary>
/// <param name="Name">Architecture name as in manifests, e.g. "pix2pix-unet".</param>
/// <param name="Version">Architecture version as in manifests.</param>
/// <param name="Description">What it is, for listings.</param>
public sealed record ArchitectureInfo(string Name, int Version, string Description);

/// <summary>Whether an engine can run a pack.</summary>
/// <param name="IsCompatible">True when it can.</param>
/// <param name="Reason">Why not, in one sentence; null when compatible.</param>
public sealed record PackCompatibility(bool IsCompatible, string? Reason)
{
    /// <summary>Compatible.</summary>
    public static PackCompatibility Yes { get; } = new(true, null);

    /// <summary>Incompatible for the given reason.</summary>
    public static PackCompatibility No(string reason) => new(false, reason);
}
