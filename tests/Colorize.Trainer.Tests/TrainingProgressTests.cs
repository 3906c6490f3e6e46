using System.Text.RegularExpressions;
using Spectre.Console;

namespace Colorize.Trainer.Tests;

/// <summary>What the training loop reports to <see cref="ITrainingProgress"/>, and how the Spectre bars render it.</summary>
public sealed class TrainingProgressTests
{
    [Fact]
    public void EveryEpochReportsItsPhotosInOrder_AndTheLastBatchCompletesTheEpoch()
    {
        using var photos = new TinyPhotos(5, withGrayscale: false, withBroken: false);
        string runDir = photos.Run("run");
        var run = TrainingRun.Start(TinyPhotos.TinyConfig("unet-l1", 2), runDir, resume: false, TextWriter.Null);
        var split = PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null);
        var recorder = new RecordingProgress();

        var records = run.Train(split, progress: recorder);

        Assert.Equal(1, recorder.Runs);
        Assert.False(recorder.OutsideRun);
        int trainPhotos = split.Train.Count;
        Assert.Equal([1, 2], recorder.Started.Select(e => e.Epoch));
        string phase = run.Schedule.Phases[0].Name;
        Assert.All(recorder.Started, e => Assert.Equal((2, trainPhotos, 0, phase), (e.TotalEpochs, e.Photos, e.PhotosDone, e.Phase)));
        Assert.Equal([1, 2], recorder.Finished);
        Assert.Equal(records.Select(r => r.Epoch), recorder.Finished);
        foreach (int epoch in new[] { 1, 2 })
        {
            var batches = recorder.Batches.Where(b => b.Epoch == epoch).ToList();
            // Batches of two: ceil(photos / 2) of them, counting up by the batch size to exactly the epoch's photos.
            Assert.Equal((trainPhotos + 1) / 2, batches.Count);
            Assert.Equal(Enumerable.Range(1, batches.Count).Select(i => Math.Min(trainPhotos, 2 * i)), batches.Select(b => b.PhotosDone));
            Assert.All(batches, b => Assert.True(b.Photos == trainPhotos && double.IsFinite(b.L1) && b.ImagesPerSecond > 0));
        }

        // Events arrive in loop order: start, its batches, finish.
        Assert.Equal(["start 1", "batch 1", "finish 1", "start 2", "batch 2", "finish 2"], recorder.Sequence.Distinct());
    }

    [Fact]
    public void ResumedRuns_StartAtTheNextEpoch_OrInsideTheInterruptedOne()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        // Six training photos in batches of two: three steps per epoch, a checkpoint after every step.
        var config = TinyPhotos.TinyConfig("unet-l1", 3) with { Split = new SplitConfig(1.0, 0.0), CheckpointEverySteps = 1 };
        string runDir = photos.Run("run");
        var first = TrainingRun.Start(config, runDir, resume: false, TextWriter.Null);
        var split = PhotoDataset.Prepare(photos.Data, runDir, first.Config, TextWriter.Null);
        // Killed after step 4: epoch 1 complete, one batch of epoch 2 done.
        var killed = new RecordingProgress();
        first.Train(split, stopAfterStep: 4, progress: killed);
        Assert.Equal([1, 2], killed.Started.Select(e => e.Epoch));
        Assert.Equal([1], killed.Finished);
        Assert.Equal((2, 2), (killed.Batches[^1].Epoch, killed.Batches[^1].PhotosDone));

        var resumed = TrainingRun.Start(config, runDir, resume: true, TextWriter.Null);
        var recorder = new RecordingProgress();
        resumed.Train(PhotoDataset.Prepare(photos.Data, runDir, resumed.Config, TextWriter.Null), progress: recorder);

        Assert.Equal([(2, 2), (3, 0)], recorder.Started.Select(e => (e.Epoch, e.PhotosDone)));
        Assert.Equal([4, 6], recorder.Batches.Where(b => b.Epoch == 2).Select(b => b.PhotosDone));
        Assert.Equal([2, 3], recorder.Finished);

        // A run resumed after its last epoch with more epochs continues at the next one.
        var extended = TrainingRun.Start(config, runDir, resume: true, TextWriter.Null, epochsOverride: 4);
        var more = new RecordingProgress();
        extended.Train(PhotoDataset.Prepare(photos.Data, runDir, extended.Config, TextWriter.Null), progress: more);
        Assert.Equal([(4, 4, 0)], more.Started.Select(e => (e.Epoch, e.TotalEpochs, e.PhotosDone)));
        Assert.Equal([4], more.Finished);
    }

    [Fact]
    public void SpectreBars_ShowTheEpochAndRun_WithTheLogLinesAbove()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        string runDir = photos.Run("run");
        var output = new StringWriter();
        var console = TerminalConsole(output);
        var log = new ConsoleLineWriter(console);
        var run = TrainingRun.Start(TinyPhotos.TinyConfig("unet-l1", 2), runDir, resume: false, log);
        var split = PhotoDataset.Prepare(photos.Data, runDir, run.Config, log);

        var records = run.Train(split, progress: new SpectreTrainingProgress(console));

        string text = output.ToString();
        if (Environment.GetEnvironmentVariable("COLORIZE_PROGRESS_SAMPLE") is { Length: > 0 } samplePath)
        {
            File.WriteAllText(samplePath, text);
        }

        string phase = Regex.Escape(run.Schedule.Phases[0].Name);
        Assert.Contains("\u001b[", text, StringComparison.Ordinal);
        Assert.Matches($@"epoch 1/2 \({phase}\)  L1 \d+\.\d{{4}}  \d+\.\d img/s", text);
        Assert.Matches($@"epoch 2/2 \({phase}\)  L1 \d+\.\d{{4}}  \d+\.\d img/s", text);
        Assert.Contains("run: 0/2 epochs", text, StringComparison.Ordinal);
        Assert.Contains("run: 1/2 epochs", text, StringComparison.Ordinal);
        // The per-epoch log lines are printed whole, once each.
        foreach (var record in records)
        {
            string line = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"epoch {record.Epoch}/2 ({record.Phase}): L1 {record.LossL1:F4}");
            Assert.Equal(1, Occurrences(text, line));
        }
    }

    [Fact]
    public void ConsoleLineWriter_PrintsBracketsAsText_AndWholeLinesOnly()
    {
        var output = new StringWriter();
        var console = TerminalConsole(output);
        var writer = new ConsoleLineWriter(console);

        writer.Write("CPU budget [of] ");
        Assert.Equal("", output.ToString());
        writer.WriteLine("3 min [/] used up");
        writer.Write("tail");
        writer.Flush();

        Assert.Contains("CPU budget [of] 3 min [/] used up", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("tail", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "xterm-256color", true)]
    [InlineData(false, null, true)]
    [InlineData(true, "xterm-256color", false)]
    [InlineData(false, "dumb", false)]
    public void LiveBars_OnlyOnATerminalThatCanRedraw(bool redirected, string? term, bool expected) =>
        Assert.Equal(expected, SpectreTrainingProgress.CanShowLiveBars(redirected, term));

    [Fact]
    public void RedirectedOutput_GetsNoBars_AndThePlainWriter()
    {
        var stdout = new StringWriter();
        var (progress, log) = SpectreTrainingProgress.ForStdout(stdout);
        Assert.Same(NoTrainingProgress.Instance, progress);
        Assert.Same(stdout, log);
    }

    [Fact]
    public void TheCommandLine_WithRedirectedOutput_WritesPlainLinesOnly()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        string runDir = photos.Run("run");
        string configFile = Path.Combine(photos.Root, "tiny.json");
        File.WriteAllBytes(configFile, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(TinyPhotos.TinyConfig("unet-l1", 2), TrainConfig.Json));
        var output = new StringWriter();

        int code = Program.Run(["unet-l1", "--config", configFile, "--data", photos.Data, "--out", runDir], output, output);

        string text = output.ToString();
        Assert.True(code == 0, text);
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\r', text);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => l.StartsWith("epoch 1/2 (", StringComparison.Ordinal) && l.Contains(" img/s", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("epoch 2/2 (", StringComparison.Ordinal) && l.Contains(" img/s", StringComparison.Ordinal));
    }

    /// <summary>A console that claims a 100-column interactive ANSI terminal but writes into <paramref name="output"/>.</summary>
    private static IAnsiConsole TerminalConsole(StringWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.TrueColor,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 100;
        return console;
    }

    private static int Occurrences(string text, string value)
    {
        int count = 0;
        for (int i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private sealed class RecordingProgress : ITrainingProgress
    {
        private bool _inRun;

        public int Runs { get; private set; }

        public bool OutsideRun { get; private set; }

        public List<EpochStart> Started { get; } = [];

        public List<BatchDone> Batches { get; } = [];

        public List<int> Finished { get; } = [];

        public List<string> Sequence { get; } = [];

        public T Run<T>(Func<T> training)
        {
            Runs++;
            _inRun = true;
            try
            {
                return training();
            }
            finally
            {
                _inRun = false;
            }
        }

        public void EpochStarted(EpochStart epoch)
        {
            Note($"start {epoch.Epoch}");
            Started.Add(epoch);
        }

        public void BatchDone(BatchDone batch)
        {
            Note($"batch {batch.Epoch}");
            Batches.Add(batch);
        }

        public void EpochFinished(int epoch)
        {
            Note($"finish {epoch}");
            Finished.Add(epoch);
        }

        private void Note(string what)
        {
            OutsideRun |= !_inRun;
            Sequence.Add(what);
        }
    }
}
