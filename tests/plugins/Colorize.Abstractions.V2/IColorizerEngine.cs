namespace Colorize.Abstractions;

/// <summary>Contract 2's engine interface (deliberately different from contract 1's).</summary>
public interface IColorizerEngine
{
    string Id { get; }

    ValueTask<object> LoadAsync(Stream pack, CancellationToken cancellationToken);
}
