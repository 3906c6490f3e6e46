using PaintDotNet.Imaging;
using PaintDotNet.PropertySystem;

namespace PaintDotNet.Effects;

/// <summary>
/// The base of Paint.NET 5 effects. The host sets the token (<c>OnSetToken</c>, on a worker thread, never while
/// tiles render), then renders tiles on several threads at once; when the user changes a setting or cancels, the
/// host signals <see cref="CancellationToken"/> and waits for the effect to return.
/// </summary>
public abstract class EffectBase : IDisposable
{
    private CancellationToken _cancellation;
    private IServiceProvider? _services;
    private EffectConfigToken? _token;
    private bool _disposed;

    private protected EffectBase(string name, string? submenuName, EffectOptionsBase options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        SubmenuName = submenuName;
        Options = options;
    }

    /// <summary>The menu name (stub: read by the host).</summary>
    internal string Name { get; }

    /// <summary>The submenu (stub: read by the host).</summary>
    internal string? SubmenuName { get; }

    /// <summary>The options (stub: read by the host).</summary>
    internal EffectOptionsBase Options { get; }

    /// <summary>Signalled when the host wants the current token's work or rendering to stop.</summary>
    protected CancellationToken CancellationToken => _cancellation;

    /// <summary>Whether the host wants the current work to stop; check it often and return when it is true.</summary>
    protected bool IsCancelRequested => _cancellation.IsCancellationRequested;

    /// <summary>Paint.NET's services.</summary>
    protected IServiceProvider Services => _services ?? throw new InvalidOperationException("The effect has not been initialized by a host.");

    /// <summary>The current token.</summary>
    protected EffectConfigToken Token => _token!;

    /// <summary>Releases the effect; <see cref="OnDispose"/> runs once.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Calls <see cref="OnDispose"/> once.</summary>
    protected void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            OnDispose(disposing);
        }
    }

    /// <summary>Releases what the effect holds.</summary>
    protected virtual void OnDispose(bool disposing)
    {
    }

    internal void HostInitialize(IServiceProvider services) => _services = services;

    internal void HostSetCancellation(CancellationToken cancellation) => _cancellation = cancellation;

    internal void HostSetToken(EffectConfigToken? token) => _token = token;
}

/// <summary>A CPU effect that renders tiles of the layer into <see cref="IBitmapEffectOutput"/> buffers.</summary>
public abstract class BitmapEffect : EffectBase
{
    private IBitmapEffectEnvironment? _environment;

    /// <summary>Creates the effect.</summary>
    /// <param name="name">The menu name.</param>
    /// <param name="submenuName">The Effects submenu (see <see cref="SubmenuNames"/>), or null for the top level.</param>
    /// <param name="options">Options, from <see cref="BitmapEffectOptionsFactory.Create"/>.</param>
    protected BitmapEffect(string name, string? submenuName, BitmapEffectOptions options)
        : base(name, submenuName, options)
    {
    }

    /// <summary>Creates the effect with a menu icon.</summary>
    protected BitmapEffect(string name, IBitmapSource image, string? submenuName, BitmapEffectOptions options)
        : base(name, submenuName, options)
    {
        ArgumentNullException.ThrowIfNull(image);
    }

    /// <summary>The document, the source layer and the selection.</summary>
    protected IBitmapEffectEnvironment Environment => _environment ?? throw new InvalidOperationException("The effect has not been initialized by a host.");

    /// <inheritdoc/>
    protected override void OnDispose(bool disposing)
    {
        base.OnDispose(disposing);
    }

    /// <summary>Renders <see cref="IBitmapEffectOutput.Bounds"/>; called on several threads at once.</summary>
    protected abstract void OnRender(IBitmapEffectOutput output);

    /// <summary>Takes a new token (called before rendering, never while tiles render).</summary>
    protected virtual void OnSetToken(EffectConfigToken? newToken)
    {
    }

    internal void HostInitialize(IBitmapEffectEnvironment environment, IServiceProvider services)
    {
        _environment = environment;
        HostInitialize(services);
    }

    internal void HostOnSetToken(EffectConfigToken? token)
    {
        HostSetToken(token);
        OnSetToken(token);
    }

    internal void HostOnRender(IBitmapEffectOutput output) => OnRender(output);
}

/// <summary>A <see cref="BitmapEffect"/> with a token of type <typeparamref name="TToken"/>.</summary>
/// <typeparam name="TToken">The token type.</typeparam>
public abstract class BitmapEffect<TToken> : BitmapEffect
    where TToken : EffectConfigToken
{
    /// <summary>Creates the effect.</summary>
    protected BitmapEffect(string name, string? submenuName, BitmapEffectOptions options)
        : base(name, submenuName, options)
    {
    }

    /// <summary>Creates the effect with a menu icon.</summary>
    protected BitmapEffect(string name, IBitmapSource image, string? submenuName, BitmapEffectOptions options)
        : base(name, image, submenuName, options)
    {
    }

    /// <summary>The current token.</summary>
    protected new TToken Token => (TToken)base.Token;

    /// <inheritdoc/>
    protected sealed override void OnSetToken(EffectConfigToken? newToken) => OnSetToken((TToken?)newToken);

    /// <summary>Takes a new token (called before rendering, never while tiles render).</summary>
    protected virtual void OnSetToken(TToken? newToken)
    {
    }
}

/// <summary>A bitmap effect whose settings are a <see cref="PropertyCollection"/>; Paint.NET builds its dialog from it.</summary>
public abstract class PropertyBasedBitmapEffect : BitmapEffect<PropertyBasedEffectConfigToken>
{
    /// <summary>Creates the effect.</summary>
    protected PropertyBasedBitmapEffect(string name, string? submenuName, BitmapEffectOptions options)
        : base(name, submenuName, options)
    {
    }

    /// <summary>Creates the effect with a menu icon.</summary>
    protected PropertyBasedBitmapEffect(string name, IBitmapSource image, string? submenuName, BitmapEffectOptions options)
        : base(name, image, submenuName, options)
    {
    }

    /// <summary>The effect's properties with their defaults.</summary>
    public PropertyCollection CreatePropertyCollection() => OnCreatePropertyCollection();

    /// <summary>Creates the effect's properties with their defaults.</summary>
    protected abstract PropertyCollection OnCreatePropertyCollection();
}
