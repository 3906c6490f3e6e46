namespace Colorize.Tensors.Kernels;

/// <summary>The instruction sets a GEMM micro-kernel can be written in; <see cref="Gemm"/> picks the widest one the CPU has.</summary>
internal enum GemmKernelKind
{
    /// <summary>Plain scalar code: runs anywhere.</summary>
    Scalar,

    /// <summary>128-bit vectors (SSE on x64, AdvSimd on ARM64), fused multiply-add where the hardware has it.</summary>
    Vector128,

    /// <summary>256-bit AVX2 with FMA3 (x64).</summary>
    Vector256,

    /// <summary>512-bit AVX-512F (x64), used even where the runtime reports Vector512 as not preferred.</summary>
    Avx512,
}
