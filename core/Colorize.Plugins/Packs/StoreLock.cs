namespace Colorize.Plugins.Packs;

/// <summary>
/// An exclusive lock on the store for installs, removals and clean-up, across threads and processes: a lock file
/// opened with <see cref="FileShare.None"/> (an advisory <c>flock</c> on Unix, a share lock on Windows). The operating
/// system drops it when the holder dies, so a killed install never leaves the store locked.
/// </summary>
internal sealed class StoreLock : IDisposable
{
    private readonly FileStream _file;

    private StoreLock(FileStream file)
    {
        _file = file;
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the lock; throws <see cref="IOException"/> when the store stays busy.</summary>
    public static StoreLock Acquire(string lockPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (TryAcquire(lockPath) is { } held)
            {
                return held;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new IOException($"The pack store is busy (another install or removal holds {lockPath}); try again.");
            }

            cancellationToken.WaitHandle.WaitOne(50);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Takes the lock if it is free right now.</summary>
    public static StoreLock? TryAcquire(string lockPath)
    {
        try
        {
            return new StoreLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
        }
        catch (IOException) when (File.Exists(lockPath))
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
