using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Colorize.Abstractions;
using Colorize.Plugins.Tests.Infrastructure;

namespace Colorize.Plugins.Tests;

public sealed class PluginLoaderTests
{
    [Fact]
    public void LoadAll_LoadsGoodPlugins_ReportsBadOnes_AndKeepsTheRest()
    {
        using var loader = new PluginLoader();
        var results = loader.LoadAll([PluginPaths.Root]).ToDictionary(r => r.Name);

        Assert.Equal(
            ["Colorize.Engine", "Colorize.TestPlugins.Echo", "Colorize.TestPlugins.Throwing", "Colorize.TestPlugins.WrongContract"],
            results.Keys.Order(StringComparer.Ordinal));
        Assert.True(results["Colorize.Engine"].Succeeded, results["Colorize.Engine"].Error);
        Assert.True(results["Colorize.TestPlugins.Echo"].Succeeded, results["Colorize.TestPlugins.Echo"].Error);

        var throwing = results["Colorize.TestPlugins.Throwing"];
        Assert.Equal(PluginLoadFailure.EngineFailed, throwing.Failure);
        Assert.Contains("broken on purpose", throwing.Error, StringComparison.Ordinal);
        Assert.Contains("Colorize.TestPlugins.Throwing", throwing.Error, StringComparison.Ordinal);

        var wrong = results["Colorize.TestPlugins.WrongContract"];
        Assert.Equal(PluginLoadFailure.IncompatibleContract, wrong.Failure);
        Assert.Contains("Colorize.Abstractions 2.0.0.0", wrong.Error, StringComparison.Ordinal);
        Assert.Contains("1.0.0.0", wrong.Error, StringComparison.Ordinal);

        Assert.Equal(["colorize-cpu", "test-echo"], loader.Engines.Select(e => e.Id).Order(StringComparer.Ordinal));
        Assert.Equal(2, loader.Plugins.Count);
        Assert.Equal(4, loader.Results.Count);
    }

    [Fact]
    public void WrongContractPlugin_IsRefusedBeforeAnyOfItsCodeRuns()
    {
        using var loader = new PluginLoader();
        var result = loader.Load(PluginPaths.WrongContract);

        Assert.False(result.Succeeded);
        Assert.Equal(new Version(2, 0, 0, 0), PluginLoader.ReadContractReference(Path.Combine(PluginPaths.WrongContract, "Colorize.TestPlugins.WrongContract.dll")));
        // Its constructor sets this variable; refusing from metadata means it never ran, and its assembly never loaded.
        Assert.Null(Environment.GetEnvironmentVariable("COLORIZE_TEST_FUTURE_ENGINE_CREATED"));
        Assert.DoesNotContain(AssemblyLoadContext.All.SelectMany(c => c.Assemblies), a => a.GetName().Name == "Colorize.TestPlugins.WrongContract");
    }

    [Fact]
    public void RealEngine_LoadsIntoItsOwnContext_WithPrivateDependencies_AndTheHostsContracts()
    {
        using var loader = new PluginLoader();
        var result = loader.Load(PluginPaths.Engine);
        Assert.True(result.Succeeded, result.Error);
        var handle = result.Plugin!;
        var engine = handle.Engines.Single();

        Assert.Equal("colorize-cpu", engine.Id);
        Assert.Contains(engine.Architectures, a => a.Name == "pix2pix-unet");
        Assert.Equal(new Version(1, 0, 0, 0), handle.ContractVersion);

        var context = handle.LoadContext!;
        Assert.NotSame(AssemblyLoadContext.Default, context);
        Assert.Same(context, AssemblyLoadContext.GetLoadContext(engine.GetType().Assembly));
        // Types unify: the engine implements the host's own IColorizerEngine, from the host's Colorize.Abstractions.
        Assert.Contains(typeof(IColorizerEngine), engine.GetType().GetInterfaces());
        Assert.DoesNotContain(context.Assemblies, a => a.GetName().Name == "Colorize.Abstractions");
        // The engine was not copied into the test's folder and is nowhere in the default context.
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "Colorize.Engine.dll")));
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name is "Colorize.Engine" or "Colorize.Tensors" or "Colorize.Imaging");
    }

    [Fact]
    public void PrivateDependency_ResolvesFromThePluginFolder()
    {
        using var loader = new PluginLoader();
        var handle = loader.Load(PluginPaths.Echo).Plugin!;
        using var colorizer = handle.Engines.Single().Load(new BuilderPack(PackBuilder.Echo()));
        var source = PixelBuffer.Allocate(3, 2, PixelFormat.Gray8);
        source.Memory.Span.Fill(10);
        var destination = PixelBuffer.Allocate(3, 2, PixelFormat.Gray8);

        colorizer.Colorize(source, destination);

        Assert.All(destination.Memory.ToArray(), b => Assert.Equal(245, b));
        var dependency = handle.LoadContext!.Assemblies.Single(a => a.GetName().Name == "Colorize.TestPlugins.EchoDependency");
        Assert.Equal(Path.Combine(PluginPaths.Echo, "Colorize.TestPlugins.EchoDependency.dll"), dependency.Location);
    }

    [Fact]
    public void MissingDependency_IsReportedWithItsName()
    {
        using var temp = new TestDirectory();
        string copy = PluginPaths.CopyPlugin(PluginPaths.Echo, temp.Path);
        File.Delete(Path.Combine(copy, "Colorize.TestPlugins.EchoDependency.dll"));
        using var loader = new PluginLoader();

        var result = loader.Load(copy);

        Assert.Equal(PluginLoadFailure.MissingDependency, result.Failure);
        Assert.Contains("Colorize.TestPlugins.EchoDependency", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void GarbageDll_IsReportedAsBadAssembly()
    {
        using var temp = new TestDirectory();
        string folder = temp.Combine("Garbage");
        Directory.CreateDirectory(folder);
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        "MZ"u8.CopyTo(bytes);
        File.WriteAllBytes(Path.Combine(folder, "Garbage.dll"), bytes);
        File.WriteAllText(Path.Combine(folder, "Garbage.deps.json"), "{}");
        using var loader = new PluginLoader();

        var result = loader.Load(folder);

        Assert.Equal(PluginLoadFailure.BadAssembly, result.Failure);
        Assert.Contains("Garbage.dll is not a valid .NET assembly", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void FolderWithoutDllOrDepsJson_IsReported()
    {
        using var temp = new TestDirectory();
        Directory.CreateDirectory(temp.Combine("Empty"));
        string noDeps = PluginPaths.CopyPlugin(PluginPaths.Echo, temp.Path);
        File.Delete(Path.Combine(noDeps, "Colorize.TestPlugins.Echo.deps.json"));
        using var loader = new PluginLoader();

        var results = loader.LoadAll([temp.Path]);

        Assert.All(results, r => Assert.Equal(PluginLoadFailure.MissingFiles, r.Failure));
        Assert.Contains(results, r => r.Error!.Contains("no Empty.dll", StringComparison.Ordinal));
        Assert.Contains(results, r => r.Error!.Contains("no Colorize.TestPlugins.Echo.deps.json", StringComparison.Ordinal));
    }

    [Fact]
    public void AssemblyWithoutContractReference_IsNotAnEnginePlugin()
    {
        using var temp = new TestDirectory();
        string folder = temp.Combine("Helper");
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(PluginPaths.Echo, "Colorize.TestPlugins.EchoDependency.dll"), Path.Combine(folder, "Helper.dll"));
        File.WriteAllText(Path.Combine(folder, "Helper.deps.json"), "{}");
        using var loader = new PluginLoader();

        var result = loader.Load(folder);

        Assert.Equal(PluginLoadFailure.NotAnEnginePlugin, result.Failure);
    }

    [Fact]
    public void SamePluginTwice_IsReportedAsDuplicate()
    {
        using var temp = new TestDirectory();
        string copy = PluginPaths.CopyPlugin(PluginPaths.Echo, temp.Path);
        using var loader = new PluginLoader();

        Assert.True(loader.Load(PluginPaths.Echo).Succeeded);
        var second = loader.Load(copy);

        Assert.Equal(PluginLoadFailure.Duplicate, second.Failure);
        Assert.Single(loader.Engines);
    }

    [Fact]
    public void SecondPluginWithAnEngineIdAlreadyLoaded_IsReportedAsDuplicate()
    {
        // The same engine under another plugin name: <name>.dll and <name>.deps.json renamed.
        using var temp = new TestDirectory();
        string folder = temp.Combine("EchoAgain");
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(PluginPaths.Echo, "Colorize.TestPlugins.Echo.dll"), Path.Combine(folder, "EchoAgain.dll"));
        File.Copy(Path.Combine(PluginPaths.Echo, "Colorize.TestPlugins.Echo.deps.json"), Path.Combine(folder, "EchoAgain.deps.json"));
        File.Copy(Path.Combine(PluginPaths.Echo, "Colorize.TestPlugins.EchoDependency.dll"), Path.Combine(folder, "Colorize.TestPlugins.EchoDependency.dll"));
        using var loader = new PluginLoader();
        Assert.True(loader.Load(PluginPaths.Echo).Succeeded);

        var second = loader.Load(folder);

        Assert.Equal(PluginLoadFailure.Duplicate, second.Failure);
        Assert.Contains("engine 'test-echo' is already provided by plugin 'Colorize.TestPlugins.Echo'", second.Error, StringComparison.Ordinal);
        Assert.Single(loader.Engines);
    }

    [Fact]
    public void Unload_LetsTheContextBeCollected()
    {
        using var loader = new PluginLoader();
        var weak = LoadUseAndUnload(loader, PluginPaths.Echo);

        for (int i = 0; weak.IsAlive && i < 20; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(weak.IsAlive, "the echo plugin's load context was not collected after Unload");
        Assert.Empty(loader.Plugins);
        Assert.Empty(loader.Engines);
    }

    [Fact]
    public void Unload_RealEngine_LetsTheContextBeCollected()
    {
        using var loader = new PluginLoader();
        var weak = LoadUseAndUnload(loader, PluginPaths.Engine);

        for (int i = 0; weak.IsAlive && i < 20; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(weak.IsAlive, "the engine plugin's load context was not collected after Unload");
    }

    /// <summary>Kept out of line so no local of the caller's frame holds the plugin's objects.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference LoadUseAndUnload(PluginLoader loader, string folder)
    {
        var result = loader.Load(folder);
        Assert.True(result.Succeeded, result.Error);
        var handle = result.Plugin!;
        var engine = handle.Engines.Single();
        Assert.NotEmpty(engine.Architectures);
        Assert.False(engine.CheckCompatibility(PackBuilder.Echo().ToManifest() with { Architecture = new() { Name = "no-such-net", Version = 1 } }).IsCompatible);
        var weak = new WeakReference(handle.LoadContext);
        handle.Unload();
        Assert.False(handle.IsLoaded);
        Assert.Null(handle.LoadContext);
        Assert.Empty(handle.Engines);
        return weak;
    }
}
