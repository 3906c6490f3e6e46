using System.Collections.Concurrent;
using Colorize.Tensors;

namespace Colorize.Trainer;

/// <summary>
/// Prepares the batches of one epoch on a background thread (read the cached Lab planes, crop, rescale, flip, paste
/// cut-outs, add noise) a few batches ahead of the training step that consumes them, so that data preparation overlaps the
/// step's compute instead of leaving the cores idle between steps.
/// </summary>
/// <remarks>
/// Each batch draws its randomness from its own stream, seeded from the run's seed, the epoch and the batch's index
/// (<see cref="BatchRandom"/>), so the batches do not depend on how far ahead the loader runs, on thread timing, or
/// on whether the epoch was resumed from a checkpoint in its middle: the same seed always gives the same batches.
/// </remarks>
internal sealed class BatchLoader : IDisposable
{
    private readonly BlockingCollection<Batch> _ready;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _producer;
    private Exception? _fault;

    /// <summary>Starts preparing the batches <paramref name="firstBatch"/>… of an epoch whose data order is <paramref name="order"/>.</summary>
    /// <param name="photos">The training photos (indexed by <paramref name="order"/>).</param>
    /// <param name="order">The epoch's order: indices into <paramref name="photos"/>, taken modulo its count (an epoch may pass over the photos several times).</param>
    /// <param name="firstBatch">The first batch to prepare (after a resume inside the epoch, the batches already done are skipped).</param>
    /// <param name="batchSize">Photos per batch (the last batch may be smaller).</param>
    /// <param name="size">Crop side in pixels.</param>
    /// <param name="config">The run's configuration (crop scale, noise, seed).</param>
    /// <param name="epoch">The zero-based epoch (part of every batch's random seed).</param>
    /// <param name="prefetch">How many prepared batches may wait; two keep the consumer fed without holding much memory.</param>
    /// <param name="cutouts">The run's cut-outs when it pastes them (config <c>cutouts</c>), else null.</param>
    public BatchLoader(IReadOnlyList<PhotoEntry> photos, int[] order, int firstBatch, int batchSize, int size, TrainConfig config, int epoch, int prefetch = 2, CutoutPaster? cutouts = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(prefetch, 1);
        _ready = new BlockingCollection<Batch>(prefetch);
        var token = _stop.Token;
        // A dedicated thread: the tensor kernels keep the thread pool's workers busy, and a queued task could wait
        // behind them, which is exactly the stall this class exists to avoid.
        _producer = Task.Factory.StartNew(() =>
        {
            try
            {
                for (int b = firstBatch; b * batchSize < order.Length; b++)
                {
                    token.ThrowIfCancellationRequested();
                    var entries = order.Skip(b * batchSize).Take(batchSize).Select(i => photos[i % photos.Count]).ToList();
                    var random = BatchRandom(config.Seed, epoch, b);
                    var batch = PhotoDataset.MakeBatch(entries, size, config.CropScaleMin, random);
                    // Pasted onto the clean crop, so noise then degrades photo and pastes alike.
                    cutouts?.Apply(batch, CutoutPaster.BatchRandom(config.Seed, epoch, b));
                    NoiseAugmentation.Apply(batch, config.Noise, random);
                    batch = HintSimulation.Apply(batch, config.Hints, random);
                    _ready.Add(batch, token);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Disposed before the epoch's end (a stop after a step, or an exception in training).
            }
            catch (Exception e)
            {
                _fault = e;
            }
            finally
            {
                _ready.CompleteAdding();
            }
        }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The batches in order, each as soon as it is ready; rethrows a failure of the background thread.</summary>
    public IEnumerable<Batch> Batches()
    {
        foreach (var batch in _ready.GetConsumingEnumerable())
        {
            yield return batch;
        }

        if (_fault is { } fault)
        {
            if (fault is TrainerException or IOException or InvalidDataException)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(fault);
            }

            throw new TrainerException($"Preparing a training batch failed: {fault.Message}", fault);
        }
    }

    /// <summary>The random stream of batch <paramref name="batch"/> of <paramref name="epoch"/> in a run seeded with <paramref name="seed"/>.</summary>
    public static Generator BatchRandom(long seed, int epoch, int batch)
    {
        // SplitMix-style mixing of the three numbers: neighbouring batches get unrelated streams.
        ulong x = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL);
        x = unchecked((x ^ (ulong)epoch) * 0xBF58476D1CE4E5B9UL);
        x = unchecked((x ^ (ulong)batch) * 0x94D049BB133111EBUL);
        return new Generator(x ^ (x >> 31));
    }

    /// <summary>Stops the background thread and waits for it.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _producer.Wait();
        }
        catch (AggregateException)
        {
            // The producer records its own failures; nothing else can escape it.
        }

        _stop.Dispose();
        _ready.Dispose();
    }
}
