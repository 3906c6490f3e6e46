using Colorize.Abstractions;

namespace Colorize.Plugins.Tests.Infrastructure;

/// <summary>The real engine and the echo engine, each loaded once from its plugin folder for a whole test collection.</summary>
public sealed class EnginesFixture : IDisposable
{
    public EnginesFixture()
    {
        Loader = new PluginLoader();
        var engine = Loader.Load(PluginPaths.Engine);
        var echo = Loader.Load(PluginPaths.Echo);
        Assert.True(engine.Succeeded, engine.Error);
        Assert.True(echo.Succeeded, echo.Error);
        Cpu = engine.Plugin!.Engines.Single();
        Echo = echo.Plugin!.Engines.Single();
    }

    public PluginLoader Loader { get; }

    /// <summary>The real CPU engine (colorize-cpu), from plugins/Colorize.Engine.</summary>
    public IColorizerEngine Cpu { get; }

    /// <summary>The test echo engine.</summary>
    public IColorizerEngine Echo { get; }

    public void Dispose() => Loader.Dispose();
}

[CollectionDefinition(Name)]
public sealed class EnginesGroup : ICollectionFixture<EnginesFixture>
{
    public const string Name = "engines";
}
