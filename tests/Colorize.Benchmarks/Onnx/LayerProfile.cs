using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Benchmarks.Onnx;

/// <summary>
/// Where the engine loses to ONNX Runtime (issue 17 §3): one generator pass (or, with <c>--network enc</c>, one pass of
/// the ResNet18 encoder cut at layer4) at <c>--size</c> (512) after a warm-up pass,
/// timed per module by forward hooks (self time: the module's forward minus its hooked children, so a container's
/// own inline work, such as the residual add and concatenations, is its self time; spectral norm's weight computation
/// counts as its layer's), summed by module kind; then the same pass in ONNX Runtime with its own profiler
/// (SessionOptions.EnableProfiling), summed by operator from the JSON it writes.
/// A single pass on a loaded machine is a finding, not a figure to publish.
/// Run: <c>dotnet Colorize.Benchmarks.dll onnx-profile [--network gen|enc] [--size 512] [--threads 2] [--profile-dir DIR] [--hints N]</c>.
/// </summary>
public static class LayerProfile
{
    private const int TopLayers = 15;

    public static void Run(IReadOnlyList<string> args)
    {
        var options = OnnxOptions.Parse(args);
        // A profile is one pass per thread count; two threads, the issue's target, unless asked otherwise.
        var threadCounts = args.Contains("--threads") ? options.Threads : [2];
        var files = options.Files;
        files.Check();
        var c = new OnnxCase(options.ProfileNetwork, options.Size);
        var engine = EngineNetworks.Load(files);
        var hints = HintFeed.For(files.PackFolder, options.Hints);
        var inputs = OnnxInputs.Create(c, hints);
        var profiler = new ModuleProfiler(c.Network == OnnxNetwork.Generator ? engine.Generator : engine.Encoder);
        byte[] model = OrtModels.Load(files).For(c);
        Directory.CreateDirectory(options.ProfileDirectory);
        Console.WriteLine(Invariant($"{c.Description} ({hints.Description}), one pass after a warm-up; load average at start: {OnnxTable.LoadAverage()}"));
        foreach (int threads in threadCounts)
        {
            TensorOptions.NumThreads = threads;
            engine.Run(c, inputs.Engine);
            profiler.Reset();
            profiler.Enabled = true;
            long start = Stopwatch.GetTimestamp();
            engine.Run(c, inputs.Engine);
            double total = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            profiler.Enabled = false;
            PrintEngine(profiler, threads, total);

            string prefix = Path.Combine(options.ProfileDirectory, Invariant($"ort-{c.Id}-t{threads}"));
            string json;
            using (var ort = new OrtRunner(model, threads, inputs, c.Size, prefix))
            {
                ort.Run();
                ort.Run();
                json = ort.EndProfiling();
            }

            PrintOrt(json, threads);
        }

        Console.WriteLine(Invariant($"load average at end: {OnnxTable.LoadAverage()}"));
    }

    private static void PrintEngine(ModuleProfiler profiler, int threads, double totalMs)
    {
        var records = profiler.Records;
        double hooked = records.Sum(r => r.SelfMs);
        Console.WriteLine();
        Console.WriteLine(Invariant($"Engine, {threads} thread(s): pass {totalMs:F1} ms, of which {hooked:F1} ms inside hooked modules"));
        Console.WriteLine();
        Console.WriteLine("| Module kind | Calls | Self ms | Share | Allocated MB | GC pause ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var kind in records.GroupBy(r => r.Kind).OrderByDescending(g => g.Sum(r => r.SelfMs)))
        {
            double ms = kind.Sum(r => r.SelfMs);
            Console.WriteLine(Invariant($"| {kind.Key} | {kind.Sum(r => r.Calls)} | {ms:F1} | {ms / totalMs:P1} | {kind.Sum(r => r.SelfMb):F1} | {kind.Sum(r => r.SelfPauseMs):F1} |"));
        }

        Console.WriteLine();
        Console.WriteLine(Invariant($"Top {TopLayers} modules by self time:"));
        Console.WriteLine();
        Console.WriteLine("| Module | Kind | Self ms | Allocated MB | GC pause ms |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: |");
        foreach (var r in records.OrderByDescending(r => r.SelfMs).Take(TopLayers))
        {
            Console.WriteLine(Invariant($"| {r.Name} | {r.Kind} | {r.SelfMs:F1} | {r.SelfMb:F1} | {r.SelfPauseMs:F1} |"));
        }
    }

    /// <summary>Sums the kernel times of the last run in ONNX Runtime's profile (a Chrome trace: a JSON array of events) by operator.</summary>
    private static void PrintOrt(string jsonPath, int threads)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(jsonPath));
        var events = doc.RootElement.EnumerateArray().ToList();
        // The first run pays for allocation and first touches; only the last model_run window is counted.
        var lastRun = events.Where(e => Str(e, "cat") == "Session" && Str(e, "name") == "model_run").MaxBy(e => e.GetProperty("ts").GetInt64());
        long from = lastRun.ValueKind == JsonValueKind.Undefined ? long.MinValue : lastRun.GetProperty("ts").GetInt64();
        long to = lastRun.ValueKind == JsonValueKind.Undefined ? long.MaxValue : from + lastRun.GetProperty("dur").GetInt64();
        var kernels = events
            .Where(e => Str(e, "cat") == "Node" && Str(e, "name").EndsWith("_kernel_time", StringComparison.Ordinal))
            .Where(e => e.GetProperty("ts").GetInt64() >= from && e.GetProperty("ts").GetInt64() <= to)
            .Select(e => (Name: Str(e, "name")[..^"_kernel_time".Length], Op: e.TryGetProperty("args", out var a) ? Str(a, "op_name") : "?", Ms: e.GetProperty("dur").GetInt64() / 1e3))
            .ToList();
        double runMs = (to - from) / 1e3;
        Console.WriteLine();
        Console.WriteLine(Invariant($"ONNX Runtime, {threads} thread(s): run {runMs:F1} ms, kernels {kernels.Sum(k => k.Ms):F1} ms ({jsonPath})"));
        Console.WriteLine();
        Console.WriteLine("| Operator | Nodes | ms | Share |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var op in kernels.GroupBy(k => k.Op).OrderByDescending(g => g.Sum(k => k.Ms)))
        {
            double ms = op.Sum(k => k.Ms);
            Console.WriteLine(Invariant($"| {op.Key} | {op.Count()} | {ms:F1} | {ms / runMs:P1} |"));
        }

        Console.WriteLine();
        Console.WriteLine(Invariant($"Top {TopLayers} nodes:"));
        Console.WriteLine();
        Console.WriteLine("| Node | Operator | ms |");
        Console.WriteLine("| --- | --- | ---: |");
        foreach (var k in kernels.OrderByDescending(k => k.Ms).Take(TopLayers))
        {
            Console.WriteLine(Invariant($"| {k.Name} | {k.Op} | {k.Ms:F1} |"));
        }
    }

    private static string Str(JsonElement e, string property) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Times every module of a network through its forward hooks: a pre-hook put before spectral norm's (so the weight
/// computation is inside) pushes a frame, the forward hook pops it and charges the elapsed time less its children's to
/// the module; likewise the bytes the thread allocated and the garbage collector's pause time, since a layer that only
/// streams memory can be slow because its fresh output is collected for. The hooks stay attached; <see cref="Enabled"/> turns them into a field test when not profiling.
/// </summary>
internal sealed class ModuleProfiler
{
    private readonly Dictionary<Module, Record> _records = new(ReferenceEqualityComparer.Instance);
    private readonly Stack<Frame> _stack = new();

    public ModuleProfiler(Module root)
    {
        foreach (var (name, module) in root.NamedModules())
        {
            _records[module] = new Record(name.Length == 0 ? "(network)" : name, Kind(module));
            module.AddForwardPreHook(Enter, first: true);
            module.AddForwardHook(Leave);
        }
    }

    /// <summary>Whether the hooks record.</summary>
    public bool Enabled { get; set; }

    /// <summary>Modules that ran while enabled.</summary>
    public IReadOnlyList<Record> Records => [.. _records.Values.Where(r => r.Calls > 0)];

    public void Reset()
    {
        foreach (var r in _records.Values)
        {
            (r.Calls, r.SelfTicks, r.SelfBytes, r.SelfPauseTicks) = (0, 0, 0, 0);
        }
    }

    private void Enter(Module module)
    {
        if (Enabled)
        {
            _stack.Push(new Frame(module, Stopwatch.GetTimestamp(), GC.GetAllocatedBytesForCurrentThread(), GC.GetTotalPauseDuration().Ticks));
        }
    }

    private void Leave(Module module)
    {
        if (!Enabled)
        {
            return;
        }

        long elapsed = Stopwatch.GetTimestamp() - _stack.Peek().Start;
        var frame = _stack.Pop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - frame.Allocated;
        long paused = GC.GetTotalPauseDuration().Ticks - frame.Paused;
        Debug.Assert(ReferenceEquals(frame.Module, module), "forward hooks are strictly nested");
        var record = _records[module];
        record.Calls++;
        record.SelfTicks += elapsed - frame.ChildTicks;
        record.SelfBytes += allocated - frame.ChildBytes;
        record.SelfPauseTicks += paused - frame.ChildPauseTicks;
        if (_stack.TryPeek(out var parent))
        {
            parent.ChildTicks += elapsed;
            parent.ChildBytes += allocated;
            parent.ChildPauseTicks += paused;
        }
    }

    /// <summary>The module's class, with kernel and stride for convolutions (they are most of the work) and SN when spectrally normalised.</summary>
    private static string Kind(Module module) => module switch
    {
        Conv2d conv => Invariant($"Conv2d {conv.Weight.Shape[2]}×{conv.Weight.Shape[3]} s{conv.Stride.H}{(conv.HasPreHooks ? " SN" : "")}"),
        _ => module.GetType().Name,
    };

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private sealed class Frame(Module module, long start, long allocated, long paused)
    {
        public Module Module { get; } = module;

        public long Start { get; } = start;

        public long Allocated { get; } = allocated;

        public long Paused { get; } = paused;

        public long ChildTicks { get; set; }

        public long ChildBytes { get; set; }

        public long ChildPauseTicks { get; set; }
    }

    /// <summary>One module's calls and self time.</summary>
    internal sealed class Record(string name, string kind)
    {
        public string Name { get; } = name;

        public string Kind { get; } = kind;

        public int Calls { get; set; }

        public long SelfTicks { get; set; }

        /// <summary>Bytes the calling thread allocated (the kernels' worker threads allocate little: pooled buffers).</summary>
        public long SelfBytes { get; set; }

        /// <summary>Time the runtime was paused for garbage collection (TimeSpan ticks).</summary>
        public long SelfPauseTicks { get; set; }

        public double SelfMs => SelfTicks * 1e3 / Stopwatch.Frequency;

        public double SelfMb => SelfBytes / 1048576.0;

        public double SelfPauseMs => SelfPauseTicks / (double)TimeSpan.TicksPerMillisecond;
    }
}
