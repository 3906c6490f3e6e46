namespace Colorize.Tensors;

/// <summary>
/// Cancellation and progress for long computations such as a network forward. Inside a scope, every heavy op
/// (convolutions, matrix products) first checks the token — so cancellation takes effect between layers, within a
/// fraction of a second — and then reports itself, which lets a caller turn "ops done" into progress.
/// </summary>
public sealed class ExecutionScope : IDisposable
{
    private static readonly AsyncLocal<ExecutionScope?> s_current = new();
    private readonly ExecutionScope? _previous;
    private readonly Action? _onHeavyOp;
    private bool _disposed;

    private ExecutionScope(Action? onHeavyOp, CancellationToken cancellationToken)
    {
        CancellationToken = cancellationToken;
        _onHeavyOp = onHeavyOp;
        _previous = s_current.Value;
        s_current.Value = this;
    }

    /// <summary>The token heavy ops check.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Starts a scope on the current async flow; dispose it to restore the previous one.</summary>
    /// <param name="onHeavyOp">Called after the check, once per heavy op (for progress); may be null.</param>
    /// <param name="cancellationToken">Checked before every heavy op.</param>
    public static ExecutionScope Begin(Action? onHeavyOp, CancellationToken cancellationToken) => new(onHeavyOp, cancellationToken);

    /// <summary>Starts a scope that only checks for cancellation.</summary>
    public static ExecutionScope Begin(CancellationToken cancellationToken) => new(null, cancellationToken);

    /// <summary>Called by heavy ops: throws <see cref="OperationCanceledException"/> if cancelled, then reports the op.</summary>
    internal static void Checkpoint()
    {
        var scope = s_current.Value;
        if (scope is null)
        {
            return;
        }

        scope.CancellationToken.ThrowIfCancellationRequested();
        scope._onHeavyOp?.Invoke();
    }

    /// <summary>Ends the scope.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            s_current.Value = _previous;
        }
    }
}
