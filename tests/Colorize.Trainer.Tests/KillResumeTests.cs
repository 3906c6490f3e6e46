using System.Diagnostics;
using System.Text.Json;

namespace Colorize.Trainer.Tests;

/// <summary>colorize-train as a real process, killed mid-training and resumed.</summary>
public sealed class KillResumeTests
{
    private static string TrainerAssembly => Path.Combine(AppContext.BaseDirectory, "colorize-train.dll");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KilledAfterItsFirstCheckpoint_AndResumed_GivesTheWeightsOfAnUninterruptedRun(bool oversample)
    {
        using var photos = new TinyPhotos(8, withGrayscale: false, withBroken: false);
        // Eight photos, batches of two, a checkpoint after every step; noise and lr decay on, so their random draws and
        // scheduler counters must come back exactly too (patience 0 and a 50 % threshold lower the rate every epoch after the first).
        var config = TinyPhotos.TinyConfig("unet-l1", 3) with
        {
            Split = new SplitConfig(0.75, 0.25),
            CheckpointEverySteps = 1,
            Noise = new NoiseConfig { Probability = 0.8, GaussianSigma = 6, JpegProbability = 0.5, JpegQualityMin = 10, JpegQualityMax = 70 },
            LrDecayOnPlateau = new LrPlateauConfig { Metric = "l1", Factor = 0.5, Patience = 0, Threshold = 0.5 },
        };
        if (oversample)
        {
            // Two of the training photos three times an epoch: a longer epoch whose order the checkpoints must restore.
            var train = PhotoDataset.Prepare(photos.Data, photos.Run("split"), config, TextWriter.Null).Train;
            File.WriteAllLines(Path.Combine(photos.Data, "oversample.txt"), [train[0].RelativePath, train[^1].RelativePath]);
            config = config with { Oversample = new OversampleConfig { List = "oversample.txt", Factor = 3 } };
        }

        string configFile = Path.Combine(photos.Root, "config.json");
        File.WriteAllBytes(configFile, JsonSerializer.SerializeToUtf8Bytes(config, TrainConfig.Json));

        string straight = photos.Run("straight");
        var output = new StringWriter();
        Assert.True(Program.Run(["unet-l1", "--config", configFile, "--data", photos.Data, "--out", straight], output, output) == 0, output.ToString());

        string killed = photos.Run("killed");
        using (var process = Start("unet-l1", "--config", configFile, "--data", photos.Data, "--out", killed))
        {
            string last = Path.Combine(killed, "checkpoints", Checkpoints.Last);
            var clock = Stopwatch.StartNew();
            while (!File.Exists(last) && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                Thread.Sleep(5);
            }

            if (process.HasExited)
            {
                Assert.Fail($"colorize-train ended (exit {process.ExitCode}) before it could be killed: {process.StandardOutput.ReadToEnd()}{process.StandardError.ReadToEnd()}");
            }

            Assert.True(File.Exists(last), "no checkpoint within 60 s");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        var atKill = Checkpoints.ReadState(killed, Checkpoints.Last)!;
        Assert.True(atKill.EpochsCompleted < config.Epochs, "the run was killed after it had finished");

        using (var resumed = Start("unet-l1", "--data", photos.Data, "--out", killed, "--resume"))
        {
            string stdout = resumed.StandardOutput.ReadToEnd();
            string stderr = resumed.StandardError.ReadToEnd();
            Assert.True(resumed.WaitForExit(120_000), "the resumed run did not finish");
            Assert.True(resumed.ExitCode == 0, stdout + stderr);
            Assert.Contains("resuming", stdout, StringComparison.Ordinal);
        }

        var expected = Checkpoints.Load(straight, Checkpoints.Last);
        var actual = Checkpoints.Load(killed, Checkpoints.Last);
        Assert.Equal(config.Epochs, actual.State.EpochsCompleted);
        Assert.Equal(expected.State.Step, actual.State.Step);
        SameWeights.Assert(expected.Tensors, actual.Tensors);

        // The schedule really moved, and identically.
        Assert.Equal(expected.State.LrPlateau, actual.State.LrPlateau);
        Assert.Equal(expected.State.OptimizerGScalars["param_groups.0.lr"], actual.State.OptimizerGScalars["param_groups.0.lr"]);
        Assert.True(expected.State.OptimizerGScalars["param_groups.0.lr"] < config.LearningRate, "lr decay on plateau never fired; the test does not cover it");
    }

    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(TrainerAssembly);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }
}
