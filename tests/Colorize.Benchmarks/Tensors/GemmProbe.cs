using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Colorize.Tensors.Kernels;

namespace Colorize.Benchmarks.Tensors;

/// <summary>
/// Where the GEMM of the 3×3 stride-1 convolutions loses time, in billions of multiply-adds per second on one thread:
/// the core's FMA peak (registers only), each micro-kernel alone on panels that stay in cache (the upper bound for the
/// kernel), the blocked GEMM on the layers' shapes split into its parts (packing alone, the macro-kernel loops alone on
/// panels packed beforehand, the whole GEMM) and the whole convolution forward.
/// Run: <c>dotnet Colorize.Benchmarks.dll gemm-probe [--min-time s] [--only kernel|gemm|conv]</c>; use
/// <c>DOTNET_TieredCompilation=0</c> so every method runs fully optimised from the first call.
/// </summary>
public static unsafe class GemmProbe
{
    private static double s_minTime = 0.15;

    /// <summary>The convolutions measured: ResNet18's stride-1 3×3 layers at 224² and the generator's at 256².</summary>
    private static readonly (string Name, int Channels, int InChannels, int Size)[] Layers =
    [
        ("resnet 64→64 @56²", 64, 64, 56),
        ("resnet 128→128 @28²", 128, 128, 28),
        ("resnet 256→256 @14²", 256, 256, 14),
        ("resnet 512→512 @7²", 512, 512, 7),
        ("gen 32→32 @128²", 32, 32, 128),
        ("gen 256→256 @32²", 256, 256, 32),
    ];

    public static void Run(IReadOnlyList<string> args)
    {
        string only = "";
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--min-time")
            {
                s_minTime = double.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--only")
            {
                only = args[++i];
            }
        }

        Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} CPUs, GEMM kernel {Gemm.DefaultKernel}, Vector512 accelerated {Vector512.IsHardwareAccelerated}");
        if (only is "" or "kernel")
        {
            Kernels();
        }

        if (only is "" or "gemm")
        {
            Layered();
        }

        if (only is "" or "conv")
        {
            ConvOnly();
        }
    }

    private static void Kernels()
    {
        Console.WriteLine();
        Console.WriteLine("| Kernel | kc | G multiply-adds/s |");
        Console.WriteLine("| --- | ---: | ---: |");
        if (Avx512F.IsSupported)
        {
            Print("peak: 16 zmm FMA chains, registers only", 0, Peak512(1 << 16) / 1e9);
        }

        if (Fma.IsSupported)
        {
            Print("peak: 12 ymm FMA chains, registers only", 0, Peak256(1 << 16) / 1e9);
        }

        var configs = new List<(string, GemmConfig)>();
        if (Gemm.IsSupported(GemmKernelKind.Avx512))
        {
            configs.Add(("avx512 14×32", GemmConfig.For(GemmKernelKind.Avx512, 14 * 5, 1024)));
            configs.Add(("avx512 8×32", GemmConfig.For(GemmKernelKind.Avx512, 64, 1024)));
            configs.Add(("avx512 28×16", GemmConfig.For(GemmKernelKind.Avx512, 16)));
        }

        if (Gemm.IsSupported(GemmKernelKind.Vector256))
        {
            configs.Add(("avx2 6×16", GemmConfig.For(GemmKernelKind.Vector256)));
        }

        foreach ((string name, GemmConfig cfg) in configs)
        {
            foreach (int kc in new[] { 64, 128, 256 })
            {
                Print(name, kc, KernelInCache(cfg, kc) / 1e9);
            }
        }
    }

    private static void Print(string name, int kc, double g)
        => Console.WriteLine(FormattableString.Invariant($"| {name} | {kc} | {g:F1} |"));

    /// <summary>Multiply-adds per second of one kernel called over and over on the same panels (A and B in L1/L2).</summary>
    private static double KernelInCache(GemmConfig cfg, int kc)
    {
        int mr = cfg.MR, nr = cfg.NR;
        float* a = Alloc(mr * kc), b = Alloc(nr * kc), c = Alloc(mr * nr);
        try
        {
            Fill(a, mr * kc);
            Fill(b, nr * kc);
            delegate*<int, float*, float*, float*, nint, float, float, void> kernel = cfg.Kernel;
            int calls = Math.Max(1, (1 << 22) / (mr * nr * kc / 16));
            double seconds = Best(() =>
            {
                for (int i = 0; i < calls; i++)
                {
                    kernel(kc, a, b, c, nr, 1f, 0f);
                }
            });
            return (double)calls * mr * nr * kc / seconds;
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
        }
    }

    private static void Layered()
    {
        Console.WriteLine();
        Console.WriteLine("Per layer, 1 thread, G multiply-adds/s of the real work (M·K·output positions): pack = A and B packing alone,");
        Console.WriteLine("macro = the macro-kernel loops on panels packed beforehand, gemm = Gemm.Sgemm on a stored B of the virtual");
        Console.WriteLine("columns (packed as a stored matrix), conv = Convolution.Conv2dForward (the phase-plane path: planes, GEMM, copy-out).");
        Console.WriteLine();
        Console.WriteLine("| Layer | M×N×K | tile | pack ms | macro ms | gemm ms | conv ms | macro G/s | gemm G/s | conv G/s |");
        Console.WriteLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach ((string name, int cout, int cin, int size) in Layers)
        {
            var shape = new Conv2dShape(1, cin, size, size, cout, 3, 3, 1, 1, 1, 1);
            int m = cout, k = cin * 9, wv = size + 2, n = ((size - 1) * wv) + size;
            double realMacs = (double)m * k * size * size;
            GemmConfig cfg = GemmConfig.For(Gemm.DefaultKernel, m, n);
            float[] aArr = Random(m * k), bArr = Random(k * n), cArr = new float[m * n];
            float[] input = Random((int)shape.InputLength), output = new float[shape.OutputLength];
            double pack = Best(() => PackOnly(cfg, m, n, k, aArr, bArr));
            double macro = MacroOnly(cfg, m, n, k, aArr, bArr);
            double gemm = Best(() => Gemm.Sgemm(false, false, m, n, k, 1f, aArr, k, bArr, n, 0f, cArr, n, 1, cfg));
            double conv = Best(() => Convolution.Conv2dForward(shape, input, aArr, [], output, 1));
            Console.WriteLine(FormattableString.Invariant(
                $"| {name} | {m}×{n}×{k} | {cfg.MR}×{cfg.NR} | {pack * 1e3:F2} | {macro * 1e3:F2} | {gemm * 1e3:F2} | {conv * 1e3:F2} | {realMacs / macro / 1e9:F1} | {realMacs / gemm / 1e9:F1} | {realMacs / conv / 1e9:F1} |"));
        }
    }

    /// <summary>The convolution forward alone at 1 and 2 threads, on the layers above and the generator's full-resolution residual ones.</summary>
    private static void ConvOnly()
    {
        Console.WriteLine();
        Console.WriteLine("| Layer | threads | conv ms | real G multiply-adds/s | its GEMM alone ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach ((string name, int cout, int cin, int size) in Layers.Concat([("gen residual 33→33 @256²", 33, 33, 256), ("gen residual 33→33 @512²", 33, 33, 512)]))
        {
            var shape = new Conv2dShape(1, cin, size, size, cout, 3, 3, 1, 1, 1, 1);
            float[] weight = Random((int)shape.WeightLength), input = Random((int)shape.InputLength), output = new float[shape.OutputLength];
            // The GEMM of the phase-plane path alone, on planes of the same layout (3×3, padding 1).
            int wv = size + 2, plane = wv * wv, columns = ((size - 1) * wv) + size;
            float[] planes = Random((cin * plane) + OffsetRowsBPacker.Slack), staging = new float[cout * columns];
            int[] offsets = new int[cin * 9];
            for (int i = 0; i < offsets.Length; i++)
            {
                offsets[i] = (i / 9 * plane) + (i % 9 / 3 * wv) + (i % 3);
            }

            GemmConfig cfg = GemmConfig.For(Gemm.DefaultKernel, cout, columns);
            foreach (int threads in new[] { 1, 2 })
            {
                double conv = Best(() => Convolution.Conv2dForward(shape, input, weight, [], output, threads));
                double gemm = Best(() =>
                {
                    fixed (float* pw = weight)
                    fixed (float* pp = planes)
                    fixed (int* po = offsets)
                    fixed (float* pc = staging)
                    {
                        Gemm.Run(cfg, false, cout, columns, cin * 9, 1f, pw, cin * 9, new OffsetRowsBPacker(pp, po), 0f, pc, columns, threads);
                    }
                });
                double realMacs = (double)cout * cin * 9 * size * size;
                Console.WriteLine(FormattableString.Invariant($"| {name} | {threads} | {conv * 1e3:F2} | {realMacs / conv / 1e9:F1} | {gemm * 1e3:F2} |"));
            }
        }
    }

    /// <summary>The packing the GEMM driver does for one thread (A per K block, B per K block and N block).</summary>
    private static void PackOnly(GemmConfig cfg, int m, int n, int k, float[] aArr, float[] bArr)
    {
        int kcMax = Math.Min(cfg.KC, k), ncBlock = Math.Min(n, cfg.NC) + cfg.NR;
        float* pa = Alloc(((m + cfg.MR) * kcMax) + 64), pb = Alloc((ncBlock * kcMax) + 64);
        try
        {
            fixed (float* a = aArr)
            fixed (float* b = bArr)
            {
                for (int pc = 0; pc < k; pc += cfg.KC)
                {
                    int kc = Math.Min(cfg.KC, k - pc);
                    GemmPacking.PackA(false, a, k, 0, m, pc, kc, cfg.MR, pa);
                    for (int jc = 0; jc < n; jc += cfg.NC)
                    {
                        GemmPacking.PackB(false, b, n, pc, kc, jc, Math.Min(cfg.NC, n - jc), cfg.NR, pb);
                    }
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(pa);
            NativeMemory.AlignedFree(pb);
        }
    }

    /// <summary>The macro-kernel loop order of <c>Gemm.RunRectangle</c> (K blocks, N blocks, A panels, B panels) on A and B packed once beforehand.</summary>
    private static double MacroOnly(GemmConfig cfg, int m, int n, int k, float[] aArr, float[] bArr)
    {
        int mr = cfg.MR, nr = cfg.NR;
        int mPad = (m + mr - 1) / mr * mr, nPad = (n + nr - 1) / nr * nr;
        float* pa = Alloc(((long)mPad * k) + 64), pb = Alloc(((long)nPad * k) + 64), c = Alloc((long)mPad * nPad);
        try
        {
            fixed (float* a = aArr)
            fixed (float* b = bArr)
            {
                // Block (pc) of A at pa + mPad·pc, of B at pb + nPad·pc, each laid out as the driver packs it.
                for (int pc = 0; pc < k; pc += cfg.KC)
                {
                    int kc = Math.Min(cfg.KC, k - pc);
                    GemmPacking.PackA(false, a, k, 0, m, pc, kc, mr, pa + ((long)mPad * pc));
                    GemmPacking.PackB(false, b, n, pc, kc, 0, n, nr, pb + ((long)nPad * pc));
                }
            }

            delegate*<int, float*, float*, float*, nint, float, float, void> kernel = cfg.Kernel;
            int ncBlock = cfg.NC;
            return Best(() =>
            {
                for (int pc = 0; pc < k; pc += cfg.KC)
                {
                    int kc = Math.Min(cfg.KC, k - pc);
                    float beta = pc == 0 ? 0f : 1f;
                    for (int jc = 0; jc < nPad; jc += ncBlock)
                    {
                        int nc = Math.Min(ncBlock, nPad - jc);
                        for (int ir = 0; ir < mPad; ir += mr)
                        {
                            float* ap = pa + ((long)mPad * pc) + ((long)ir * kc);
                            for (int jr = jc; jr < jc + nc; jr += nr)
                            {
                                kernel(kc, ap, pb + ((long)nPad * pc) + ((long)jr * kc), c + ((long)ir * nPad) + jr, nPad, 1f, beta);
                            }
                        }
                    }
                }
            });
        }
        finally
        {
            NativeMemory.AlignedFree(pa);
            NativeMemory.AlignedFree(pb);
            NativeMemory.AlignedFree(c);
        }
    }

    private static double Peak512(int iterations)
    {
        Vector512<float> x = Vector512.Create(1.0000001f), y = Vector512.Create(0.9999999f);
        double seconds = Best(() =>
        {
            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            Vector512<float> c8 = default, c9 = default, c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Avx512F.FusedMultiplyAdd(x, y, c0); c1 = Avx512F.FusedMultiplyAdd(x, y, c1);
                c2 = Avx512F.FusedMultiplyAdd(x, y, c2); c3 = Avx512F.FusedMultiplyAdd(x, y, c3);
                c4 = Avx512F.FusedMultiplyAdd(x, y, c4); c5 = Avx512F.FusedMultiplyAdd(x, y, c5);
                c6 = Avx512F.FusedMultiplyAdd(x, y, c6); c7 = Avx512F.FusedMultiplyAdd(x, y, c7);
                c8 = Avx512F.FusedMultiplyAdd(x, y, c8); c9 = Avx512F.FusedMultiplyAdd(x, y, c9);
                c10 = Avx512F.FusedMultiplyAdd(x, y, c10); c11 = Avx512F.FusedMultiplyAdd(x, y, c11);
                c12 = Avx512F.FusedMultiplyAdd(x, y, c12); c13 = Avx512F.FusedMultiplyAdd(x, y, c13);
                c14 = Avx512F.FusedMultiplyAdd(x, y, c14); c15 = Avx512F.FusedMultiplyAdd(x, y, c15);
            }

            s_sink = (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15).ToScalar();
        });
        return (double)iterations * 16 * 16 / seconds;
    }

    private static double Peak256(int iterations)
    {
        Vector256<float> x = Vector256.Create(1.0000001f), y = Vector256.Create(0.9999999f);
        double seconds = Best(() =>
        {
            Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
            Vector256<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Fma.MultiplyAdd(x, y, c0); c1 = Fma.MultiplyAdd(x, y, c1); c2 = Fma.MultiplyAdd(x, y, c2);
                c3 = Fma.MultiplyAdd(x, y, c3); c4 = Fma.MultiplyAdd(x, y, c4); c5 = Fma.MultiplyAdd(x, y, c5);
                c6 = Fma.MultiplyAdd(x, y, c6); c7 = Fma.MultiplyAdd(x, y, c7); c8 = Fma.MultiplyAdd(x, y, c8);
                c9 = Fma.MultiplyAdd(x, y, c9); c10 = Fma.MultiplyAdd(x, y, c10); c11 = Fma.MultiplyAdd(x, y, c11);
            }

            s_sink = (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
        });
        return (double)iterations * 12 * 8 / seconds;
    }

    private static float s_sink;

    /// <summary>Best time of one call over five repeats of at least the minimum time each, after a warm-up.</summary>
    private static double Best(Action run)
    {
        run();
        var once = Stopwatch.StartNew();
        run();
        int inner = Math.Max(1, (int)(s_minTime / Math.Max(once.Elapsed.TotalSeconds, 1e-7)));
        double best = double.MaxValue;
        for (int r = 0; r < 5; r++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < inner; i++)
            {
                run();
            }

            best = Math.Min(best, watch.Elapsed.TotalSeconds / inner);
        }

        return best;
    }

    private static float* Alloc(long floats) => (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);

    private static void Fill(float* p, int count)
    {
        var rng = new Random(7);
        for (int i = 0; i < count; i++)
        {
            p[i] = (float)rng.NextDouble() - 0.5f;
        }
    }

    private static float[] Random(int count)
    {
        var rng = new Random(42);
        var data = new float[count];
        for (int i = 0; i < count; i++)
        {
            data[i] = (float)rng.NextDouble() - 0.5f;
        }

        return data;
    }
}
