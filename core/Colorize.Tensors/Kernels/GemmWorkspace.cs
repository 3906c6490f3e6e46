using System.Runtime.InteropServices;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// The packing buffers of one thread: a 64-byte aligned native block reused by every GEMM the thread runs,
/// so a call allocates nothing once the buffers have grown to the largest blocking in use.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    private const nuint Alignment = 64;

    [ThreadStatic]
    private static GemmWorkspace? t_current;

    private float* _memory;
    private nint _capacity;
    private bool _inUse;

    /// <summary>Gets a workspace of at least <paramref name="floats"/> floats owned by the calling thread until <see cref="Release"/>.</summary>
    public static GemmWorkspace Rent(nint floats)
    {
        GemmWorkspace? ws = t_current;
        if (ws is null || ws._inUse)
        {
            // A second, nested use on the same thread (not expected, but cheap to survive) gets its own buffers.
            ws = new GemmWorkspace();
            t_current ??= ws;
        }

        ws.EnsureCapacity(floats);
        ws._inUse = true;
        return ws;
    }

    /// <summary>Gets the start of the buffer, aligned to 64 bytes.</summary>
    public float* Memory => _memory;

    /// <summary>Hands the workspace back to its thread.</summary>
    public void Release() => _inUse = false;

    private void EnsureCapacity(nint floats)
    {
        if (floats <= _capacity)
        {
            return;
        }

        if (_memory is not null)
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
            _capacity = 0;
        }

        _memory = (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), Alignment);
        _capacity = floats;
    }

    ~GemmWorkspace()
    {
        if (_memory is not null)
        {
            NativeMemory.AlignedFree(_memory);
        }
    }
}
