using Colorize.Abstractions;
using Colorize.Plugins.Packs;
using Colorize.Plugins.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Colorize.Plugins.Tests;

public sealed class DependencyInjectionTests : IDisposable
{
    private readonly TestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AddColorize_RegistersLoaderStoreEnginesAndFactory()
    {
        var services = new ServiceCollection();
        services.AddColorize(options =>
        {
            options.PluginFolders.Add(PluginPaths.Root);
            options.UseApplicationPluginsFolder = false;
            options.UseApplicationPacksFolder = false;
            options.ColorizeHome = _temp.Combine("home");
        });
        PluginLoader loader;
        using (var provider = services.BuildServiceProvider())
        {
            loader = provider.GetRequiredService<PluginLoader>();
            var engines = provider.GetRequiredService<IEnumerable<IColorizerEngine>>().ToList();
            var store = provider.GetRequiredService<PackStore>();

            Assert.Equal(["colorize-cpu", "test-echo"], engines.Select(e => e.Id).Order(StringComparer.Ordinal));
            Assert.Equal(2, loader.Results.Count(r => !r.Succeeded));
            Assert.Equal(_temp.Combine("home"), store.Home);
            Assert.Same(store, provider.GetRequiredService<PackStore>());

            store.Install(PackBuilder.Echo().Write(_temp.Path), engines);
            using var colorizer = provider.GetRequiredService<ColorizerFactory>().Create("echo-pack");
            var pixels = PixelBuffer.Allocate(2, 2, PixelFormat.Gray8);
            pixels.Memory.Span.Fill(100);
            colorizer.Colorize(pixels, pixels);
            Assert.All(pixels.Memory.ToArray(), b => Assert.Equal(155, b));
            Assert.Equal(2, loader.Plugins.Count);
        }

        // Disposing the provider disposes the loader, which unloads the plugins.
        Assert.Empty(loader.Plugins);
    }

    [Fact]
    public void AddColorize_PutsTheHostsOwnEnginesFirst()
    {
        using var fixtureLoader = new PluginLoader();
        var echo = fixtureLoader.Load(PluginPaths.Echo).Plugin!.Engines.Single();
        var services = new ServiceCollection().AddColorize(options =>
        {
            options.UseApplicationPluginsFolder = false;
            options.UseApplicationPacksFolder = false;
            options.ColorizeHome = _temp.Combine("home");
            options.Engines.Add(echo);
        });
        using var provider = services.BuildServiceProvider();

        Assert.Same(echo, Assert.Single(provider.GetRequiredService<IEnumerable<IColorizerEngine>>()));
    }
}
