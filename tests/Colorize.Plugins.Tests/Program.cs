using Colorize.Plugins.Packs;

namespace Colorize.Plugins.Tests;

/// <summary>
/// The test assembly is also a small program so the crash tests can run an install in a child process and kill it:
/// <c>dotnet Colorize.Plugins.Tests.dll install-and-hang &lt;home&gt; &lt;package&gt; &lt;stage&gt; [overwrite]</c> installs
/// and, on reaching the stage, prints "REACHED &lt;stage&gt;" and waits to be killed.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is not ["install-and-hang", var home, var package, var stageName, .. var rest] || !Enum.TryParse<PackInstallStage>(stageName, out var stage))
        {
            Console.Error.WriteLine("usage: install-and-hang <home> <package> <stage> [overwrite]");
            return 2;
        }

        var store = new PackStore(new PackStoreOptions { Home = home, UseApplicationPacksFolder = false });
        store.Install(package, new PackInstallOptions { Overwrite = rest is ["overwrite"], Progress = new HangAt(stage) });
        Console.WriteLine("FINISHED");
        return 0;
    }

    private sealed class HangAt(PackInstallStage stage) : IProgress<PackInstallStage>
    {
        public void Report(PackInstallStage value)
        {
            if (value == stage)
            {
                Console.WriteLine($"REACHED {value}");
                Console.Out.Flush();
                Thread.Sleep(Timeout.Infinite);
            }
        }
    }
}
