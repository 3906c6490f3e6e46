using Colorize.Abstractions;

namespace Colorize.TestPlugins.WrongContract;

/// <summary>An engine for contract 2. Its constructor records that it ran, which must never happen in a contract-1 host.</summary>
public sealed class FutureEngine : IColorizerEngine
{
    public FutureEngine() => Environment.SetEnvironmentVariable("COLORIZE_TEST_FUTURE_ENGINE_CREATED", "1");

    public string Id => "test-future";

    public ValueTask<object> LoadAsync(Stream pack, CancellationToken cancellationToken) => throw new NotSupportedException();
}
