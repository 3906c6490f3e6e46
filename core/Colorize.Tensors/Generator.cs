namespace Colorize.Tensors;

/// <summary>
/// The one deterministic random number generator of the engine: xoshiro256** seeded through SplitMix64.
/// </summary>
/// <remarks>
/// Every random tensor, initialiser, dropout mask and data-augmentation draw takes a <see cref="Generator"/>, so
/// the same seed always gives the same bits on every machine and thread count. Uniform floats use the top 24 bits
/// (<c>(x &gt;&gt; 40) · 2⁻²⁴</c>, in [0, 1)); normals use the Box–Muller transform in double precision, both
/// values of each pair are used. The state can be saved and restored for exact training resumption.
/// It does not reproduce PyTorch's random streams: golden tests pass PyTorch's random values in explicitly.
/// </remarks>
public sealed class Generator
{
    private readonly bool _skipFills;
    private ulong _s0, _s1, _s2, _s3;
    private double _spareNormal;
    private bool _hasSpare;

    /// <summary>
    /// The generator used when none is passed (module initialisation, dropout), like PyTorch's default generator.
    /// Reseed it with <see cref="ManualSeed"/> for reproducible runs.
    /// </summary>
    public static Generator Default { get; private set; } = new(0);

    /// <summary>Replaces <see cref="Default"/> with a generator seeded with <paramref name="seed"/> (<c>torch.manual_seed</c>).</summary>
    public static Generator ManualSeed(ulong seed) => Default = new Generator(seed);

    /// <summary>
    /// A generator for building a network whose every parameter and buffer is loaded right afterwards (a model pack,
    /// a checkpoint): <see cref="FillUniform"/> and <see cref="FillNormal"/> leave the destination as it is (zeros for
    /// a new tensor, so initialisers and <see cref="Tensor.Rand(Generator, int[])"/> and <see cref="Tensor.Randn(Generator, int[])"/> give zeros) instead of
    /// drawing values that the load overwrites. Single draws (<see cref="NextUInt64"/>, <see cref="NextFloat"/>, …) are
    /// random as usual, from seed 0.
    /// </summary>
    /// <remarks>
    /// Initialising the default pack's 27 M parameters (Kaiming twice per convolution, Box–Muller in double precision)
    /// took most of a pack's load time; nothing of it survives the load, so the loaded network is the same either way.
    /// </remarks>
    /// <returns>A new generator; it never touches <see cref="Default"/>.</returns>
    public static Generator ForLoading() => new(0, skipFills: true);

    /// <summary>True for a generator from <see cref="ForLoading"/>, whose fills draw nothing.</summary>
    public bool SkipsFills => _skipFills;

    /// <summary>Creates a generator from a 64-bit seed.</summary>
    public Generator(ulong seed)
        : this(seed, skipFills: false)
    {
    }

    private Generator(ulong seed, bool skipFills)
    {
        _skipFills = skipFills;
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotL(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotL(_s3, 45);
        return result;
    }

    /// <summary>A uniform float in [0, 1).</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>) without modulo bias.</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        ulong bound = (ulong)maxExclusive;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            if (r >= threshold)
            {
                return (int)(r % bound);
            }
        }
    }

    /// <summary>A standard normal sample.</summary>
    public double NextNormal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spareNormal;
        }

        double u1;
        do
        {
            u1 = NextDouble();
        }
        while (u1 <= double.Epsilon);

        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        double theta = 2.0 * Math.PI * u2;
        _spareNormal = r * Math.Sin(theta);
        _hasSpare = true;
        return r * Math.Cos(theta);
    }

    /// <summary>Fills <paramref name="destination"/> with uniform samples in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public void FillUniform(Span<float> destination, float low, float high)
    {
        if (_skipFills)
        {
            return;
        }

        float scale = high - low;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = low + (scale * NextFloat());
        }
    }

    /// <summary>Fills <paramref name="destination"/> with normal samples.</summary>
    public void FillNormal(Span<float> destination, float mean, float std)
    {
        if (_skipFills)
        {
            return;
        }

        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)(mean + (std * NextNormal()));
        }
    }

    /// <summary>The full state, for checkpoints.</summary>
    public GeneratorState GetState() => new(_s0, _s1, _s2, _s3, _hasSpare, _spareNormal);

    /// <summary>Restores a state captured by <see cref="GetState"/>.</summary>
    public void SetState(GeneratorState state)
    {
        (_s0, _s1, _s2, _s3) = (state.S0, state.S1, state.S2, state.S3);
        (_hasSpare, _spareNormal) = (state.HasSpareNormal, state.SpareNormal);
        if ((_s0 | _s1 | _s2 | _s3) == 0)
        {
            throw new ArgumentException("A generator state of all zeros is invalid.", nameof(state));
        }
    }

    /// <summary>A new generator whose stream is independent of this one's, for a worker or a sub-task (a fork of a
    /// <see cref="ForLoading"/> generator skips fills too).</summary>
    public Generator Fork() => new(NextUInt64(), _skipFills);

    private static ulong RotL(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>The saved state of a <see cref="Generator"/>.</summary>
/// <param name="S0">State word 0.</param>
/// <param name="S1">State word 1.</param>
/// <param name="S2">State word 2.</param>
/// <param name="S3">State word 3.</param>
/// <param name="HasSpareNormal">Whether a second Box–Muller value is pending.</param>
/// <param name="SpareNormal">The pending Box–Muller value.</param>
public readonly record struct GeneratorState(ulong S0, ulong S1, ulong S2, ulong S3, bool HasSpareNormal, double SpareNormal);
