namespace Colorize.Tensors.Autograd;

/// <summary>Whether operations are being recorded for autograd on the current thread (PyTorch's grad mode).</summary>
public static class GradMode
{
    [ThreadStatic]
    private static int t_disabledDepth;

    [ThreadStatic]
    private static int t_forcedDepth;

    /// <summary>True unless the current thread is inside a <see cref="Tensor.NoGrad"/> scope.</summary>
    public static bool IsEnabled => t_forcedDepth > 0 || t_disabledDepth == 0;

    internal static bool ShouldRecord(Tensor a) => a.RequiresGrad && IsEnabled;

    internal static bool ShouldRecord(Tensor a, Tensor b) => (a.RequiresGrad || b.RequiresGrad) && IsEnabled;

    internal static bool ShouldRecord(ReadOnlySpan<Tensor> tensors)
    {
        if (!IsEnabled)
        {
            return false;
        }

        foreach (var t in tensors)
        {
            if (t.RequiresGrad)
            {
                return true;
            }
        }

        return false;
    }

    internal static Scope Disable()
    {
        t_disabledDepth++;
        int forced = t_forcedDepth;
        t_forcedDepth = 0;
        return new Scope(ScopeKind.Disable, forced);
    }

    internal static Scope Enable()
    {
        t_forcedDepth++;
        return new Scope(ScopeKind.Enable, 0);
    }

    internal enum ScopeKind
    {
        Disable,
        Enable,
    }

    /// <summary>A grad-mode scope; disposing it restores the previous mode.</summary>
    public sealed class Scope : IDisposable
    {
        private readonly ScopeKind _kind;
        private readonly int _savedForced;
        private bool _disposed;

        internal Scope(ScopeKind kind, int savedForced)
        {
            _kind = kind;
            _savedForced = savedForced;
        }

        /// <summary>Restores the grad mode that was in force when the scope began.</summary>
        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_kind == ScopeKind.Disable)
            {
                t_disabledDepth--;
                t_forcedDepth = _savedForced;
            }
            else
            {
                t_forcedDepth--;
            }
        }
    }
}
