namespace Colorize.Tensors;

/// <summary>Process-wide settings of the engine, like <c>torch.set_num_threads</c>.</summary>
public static class TensorOptions
{
    private static int s_numThreads = Environment.ProcessorCount;

    /// <summary>
    /// How many threads kernels may use (default: the processor count). Results never depend on it: work is split
    /// into fixed chunks whose arithmetic order is the same for any thread count.
    /// </summary>
    public static int NumThreads
    {
        get => s_numThreads;
        set => s_numThreads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "At least one thread is needed.");
    }

    /// <summary>
    /// Lets go of the working arrays the kernels keep pooled between calls (a few to tens of megabytes after a
    /// network's forward pass), so a long-running process that is done with a batch of work can give the memory back.
    /// The next call allocates them again. Safe to call at any time, also while kernels run.
    /// </summary>
    public static void TrimPooledBuffers() => Kernels.KernelBuffers.Trim();
}

/// <summary>Deterministic parallel loops: chunk boundaries depend only on the problem size, never on the thread count.</summary>
internal static class Parallelism
{
    /// <summary>Runs <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) in chunks of at least <paramref name="grain"/>.</summary>
    public static void For(int count, int grain, Action<int, int> body)
    {
        if (count <= 0)
        {
            return;
        }

        int threads = TensorOptions.NumThreads;
        if (threads == 1 || count <= grain)
        {
            body(0, count);
            return;
        }

        int chunk = Math.Max(grain, (count + 63) / 64);
        int chunks = (count + chunk - 1) / chunk;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        Parallel.For(0, chunks, options, i =>
        {
            int start = i * chunk;
            body(start, Math.Min(count, start + chunk));
        });
    }
}
