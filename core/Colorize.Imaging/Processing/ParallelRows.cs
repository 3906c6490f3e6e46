namespace Colorize.Imaging.Processing;

/// <summary>A unit of row-parallel work: processes rows [<c>rowStart</c>, <c>rowEnd</c>).</summary>
internal interface IRowJob
{
    /// <summary>Processes the half-open row range. Must not depend on which other ranges exist.</summary>
    void Run(int rowStart, int rowEnd);
}

/// <summary>
/// Splits rows into contiguous bands and runs them on the thread pool.
/// </summary>
/// <remarks>
/// Every kernel that uses this computes each output row from the inputs alone, with the same instruction sequence
/// whatever band it falls in, so results are bit-identical for any degree of parallelism. Small jobs run inline.
/// </remarks>
internal static class ParallelRows
{
    /// <summary>Below about this many elementary operations per band, a thread hop costs more than it saves.</summary>
    private const long MinWorkPerBand = 32 * 1024;

    /// <summary>Bands per thread: a few, so a slow thread does not hold up the others much.</summary>
    private const int BandsPerThread = 4;

    /// <summary>Resolves a caller's degree of parallelism: 0 or negative means one per logical processor.</summary>
    public static int ResolveDegree(int maxDegreeOfParallelism) =>
        maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount;

    /// <summary>Runs <paramref name="job"/> over <paramref name="rows"/> rows.</summary>
    /// <param name="rows">Number of rows.</param>
    /// <param name="workPerRow">A rough cost of one row (e.g. pixels × taps), to decide whether threads pay.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <param name="job">The work.</param>
    public static void For<TJob>(int rows, long workPerRow, int maxDegreeOfParallelism, TJob job)
        where TJob : struct, IRowJob
    {
        if (rows <= 0)
        {
            return;
        }

        long total = rows * Math.Max(1, workPerRow);
        int degree = (int)Math.Min(ResolveDegree(maxDegreeOfParallelism), Math.Min(rows, Math.Max(1, total / MinWorkPerBand)));
        if (degree <= 1)
        {
            job.Run(0, rows);
            return;
        }

        int bands = (int)Math.Min(rows, Math.Min((long)degree * BandsPerThread, Math.Max(1, total / MinWorkPerBand)));
        var options = new ParallelOptions { MaxDegreeOfParallelism = degree };
        Parallel.For(0, bands, options, band =>
        {
            int start = (int)((long)rows * band / bands);
            int end = (int)((long)rows * (band + 1) / bands);
            job.Run(start, end);
        });
    }
}
