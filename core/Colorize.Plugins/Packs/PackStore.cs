using System.Diagnostics.CodeAnalysis;
using Colorize.Abstractions;
using Colorize.Abstractions.Packs;

namespace Colorize.Plugins.Packs;

/// <summary>
/// The model-pack store: <c>&lt;home&gt;/packs/&lt;id&gt;/&lt;version&gt;/</c>, several versions side by side, plus
/// read-only bundled folders (the default pack ships in one). Installs are atomic and verified: a package is unpacked
/// into <c>packs/.staging/</c>, checked completely, then renamed into place, so the store never holds a partial or
/// unverified pack — not even after a crash. What a killed install or removal left (its staging folder, a trashed old
/// copy) is cleared at the start of every store operation, including listing, verifying and resolving, so a
/// long-running host's store does not keep a dead install's files until it is reopened.
/// Thread-safe and safe across processes (installs and removals take a lock file).
/// </summary>
public sealed class PackStore
{
    private const string StagingFolder = ".staging";
    private const string TrashFolder = ".trash";
    private const string LockFile = ".lock";
    private const string RestoreMarker = "restore-to";
    private const string TrashedPackFolder = "pack";

    private readonly PackStoreOptions _options;
    private readonly Lock _bundledGate = new();
    private string[] _bundled;

    /// <summary>Opens (and creates if needed) the store and cleans up what an interrupted install or removal left.</summary>
    /// <param name="options">Where the store lives and what it accepts; null for the defaults.</param>
    public PackStore(PackStoreOptions? options = null)
    {
        _options = options ?? new PackStoreOptions();
        Home = ColorizeHome.Resolve(_options.Home);
        PacksDirectory = Path.Combine(Home, "packs");
        Directory.CreateDirectory(PacksDirectory);
        var bundled = _options.BundledFolders.Select(Path.GetFullPath).ToList();
        string appPacks = Path.Combine(AppContext.BaseDirectory, "packs");
        if (_options.UseApplicationPacksFolder && Directory.Exists(appPacks) && !SamePath(appPacks, PacksDirectory))
        {
            bundled.Add(Path.GetFullPath(appPacks));
        }

        _bundled = [.. bundled.Distinct(PathComparer)];
        CleanUpIfFree();
    }

    /// <summary>The Colorize home folder.</summary>
    public string Home { get; }

    /// <summary>The folder packs are installed into (<c>&lt;home&gt;/packs</c>).</summary>
    public string PacksDirectory { get; }

    /// <summary>The id a null or empty reference resolves to.</summary>
    public string DefaultPackId => _options.DefaultPackId;

    /// <summary>The read-only bundled pack folders, in the order they are searched.</summary>
    public IReadOnlyList<string> BundledFolders => _bundled;

    private static StringComparer PathComparer => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    private string LockPath => Path.Combine(PacksDirectory, LockFile);

    /// <summary>
    /// Adds a read-only folder of bundled packs (<c>&lt;folder&gt;/&lt;id&gt;/&lt;version&gt;/</c>, or <c>&lt;folder&gt;/&lt;id&gt;/</c>
    /// holding one pack), searched after the earlier ones.
    /// </summary>
    public void AddBundledFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string full = Path.GetFullPath(folder);
        lock (_bundledGate)
        {
            if (!_bundled.Contains(full, PathComparer))
            {
                _bundled = [.. _bundled, full];
            }
        }
    }

    /// <summary>
    /// Every pack whose folder holds a readable, valid manifest matching the folder's id and version, sorted by id
    /// then newest version first. Folders that fail this are left out (<see cref="Verify"/> reports them).
    /// </summary>
    /// <param name="includeBundled">Also list the bundled packs.</param>
    public IReadOnlyList<InstalledPack> List(bool includeBundled = true)
    {
        CleanUpIfFree();
        var packs = Scan(PacksDirectory, PackSource.Store).ToList();
        if (includeBundled)
        {
            foreach (var folder in _bundled)
            {
                packs.AddRange(Scan(folder, PackSource.Bundled));
            }
        }

        return [.. packs.OrderBy(p => p.Id, StringComparer.Ordinal).ThenByDescending(p => p.Version).ThenBy(p => p.Source)];
    }

    /// <summary>Installs a package, checking it against <paramref name="engines"/> when given.</summary>
    /// <param name="packagePath">The <c>.cpack</c> file, or an unpacked pack folder (manifest.json, weights, listed files).</param>
    /// <param name="engines">Engines to check the pack with (see <see cref="PackInstallOptions.Engines"/>); null skips the engine checks.</param>
    /// <param name="overwrite">Replace an installed pack with the same id and version.</param>
    /// <returns>The installed pack.</returns>
    /// <exception cref="ModelPackException">The package is refused; the message says why. The store is unchanged.</exception>
    public InstalledPack Install(string packagePath, IEnumerable<IColorizerEngine>? engines, bool overwrite = false) =>
        Install(packagePath, new PackInstallOptions { Engines = engines, Overwrite = overwrite });

    /// <summary>
    /// Installs a package atomically: the archive's directory (or the folder's files) and manifest are checked, every
    /// file is unpacked (copied) into a staging folder inside the store with its sha256 checked, the engines (when
    /// given) accept and load it, and only then is it renamed into <c>packs/&lt;id&gt;/&lt;version&gt;/</c>.
    /// </summary>
    /// <param name="packagePath">The <c>.cpack</c> file, or an unpacked pack folder (manifest.json, weights, listed files).</param>
    /// <param name="options">Overwrite, engines and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the install; the store is left unchanged.</param>
    /// <returns>The installed pack.</returns>
    /// <exception cref="ModelPackException">The package is refused; the message says why. The store is unchanged.</exception>
    /// <exception cref="PackAlreadyInstalledException">The same id and version is installed and <see cref="PackInstallOptions.Overwrite"/> is false.</exception>
    /// <exception cref="IOException">The store is busy or the disk fails.</exception>
    public InstalledPack Install(string packagePath, PackInstallOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(packagePath);
        options ??= new PackInstallOptions();
        var engines = options.Engines?.ToList();
        using var held = StoreLock.Acquire(LockPath, _options.LockTimeout, cancellationToken);
        // Holding the lock, any staging or trash folder belongs to a dead install: clear it first.
        CleanUp();
        string sourcePath = Path.GetFullPath(packagePath);
        using IPackSource archive = Directory.Exists(sourcePath) ? PackFolder.Open(sourcePath, _options.Limits) : CpackArchive.Open(sourcePath, _options.Limits);
        var manifest = archive.Manifest;
        string reference = $"{manifest.Id}@{manifest.Version}";
        string target = Path.Combine(PacksDirectory, manifest.Id, manifest.Version);
        if (Directory.Exists(target) && !options.Overwrite)
        {
            throw new PackAlreadyInstalledException(reference, target);
        }

        options.Progress?.Report(PackInstallStage.ManifestRead);
        string staging = Path.Combine(PacksDirectory, StagingFolder, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        try
        {
            archive.ExtractTo(staging, cancellationToken);
            options.Progress?.Report(PackInstallStage.Extracted);
            if (engines is not null)
            {
                CheckWithEngines(new InstalledPack(manifest, staging, PackSource.Store), engines, reference);
                options.Progress?.Report(PackInstallStage.EngineChecked);
            }

            cancellationToken.ThrowIfCancellationRequested();
            Commit(staging, target, manifest, options.Progress);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                TryDelete(staging);
            }

            RemoveIfEmpty(Path.Combine(PacksDirectory, manifest.Id));
        }

        options.Progress?.Report(PackInstallStage.Installed);
        return new InstalledPack(manifest, target, PackSource.Store);
    }

    /// <summary>
    /// Removes installed packs: <c>id</c> removes every version, <c>id@1.2</c> every 1.2.x, <c>id@1.2.3</c> that one.
    /// Bundled packs cannot be removed.
    /// </summary>
    /// <returns>The references ("id@version") removed.</returns>
    /// <exception cref="ModelPackException">Nothing installed matches (the message says when only a bundled pack does).</exception>
    public IReadOnlyList<string> Remove(string spec)
    {
        var parsed = PackSpec.Parse(spec);
        using var held = StoreLock.Acquire(LockPath, _options.LockTimeout, CancellationToken.None);
        CleanUp();
        var matching = VersionFolders(PacksDirectory, parsed.Id).Where(v => parsed.Matches(v.Version)).ToList();
        if (matching.Count == 0)
        {
            bool bundled = _bundled.Any(folder => VersionFolders(folder, parsed.Id, PackSource.Bundled).Any(v => parsed.Matches(v.Version)));
            throw new ModelPackException(bundled
                ? $"'{parsed}' is bundled with the application and cannot be removed."
                : $"No installed pack matches '{parsed}'.");
        }

        var removed = new List<string>();
        foreach (var (version, directory) in matching.OrderBy(m => m.Version))
        {
            // Rename first, delete after: the pack disappears in one step even if the deletion is interrupted.
            string trash = NewTrashEntry();
            Directory.Move(directory, Path.Combine(trash, TrashedPackFolder));
            TryDelete(trash);
            removed.Add($"{parsed.Id}@{version}");
        }

        RemoveIfEmpty(Path.Combine(PacksDirectory, parsed.Id));
        return removed;
    }

    /// <summary>
    /// Verifies installed and bundled packs: the manifest is valid and matches its folder, every file's sha256 equals
    /// the manifest's, and nothing else is in the folder. Folders whose manifest cannot be read are reported too.
    /// </summary>
    /// <param name="spec">Only packs matching this reference (<c>id</c>, <c>id@1.2</c>, …); null verifies all.</param>
    public IReadOnlyList<PackVerification> Verify(string? spec = null)
    {
        var parsed = spec is null ? null : PackSpec.Parse(spec);
        CleanUpIfFree();
        var results = new List<PackVerification>();
        var roots = new[] { (Root: PacksDirectory, Source: PackSource.Store) }.Concat(_bundled.Select(b => (Root: b, Source: PackSource.Bundled)));
        foreach (var (root, source) in roots)
        {
            foreach (var idDirectory in SafeEnumerateDirectories(root))
            {
                string id = Path.GetFileName(idDirectory);
                if (id.StartsWith('.') || (parsed is not null && parsed.Id != id))
                {
                    continue;
                }

                if (source == PackSource.Bundled && File.Exists(Path.Combine(idDirectory, PackManifestJson.FileName)))
                {
                    // A flat bundled pack (<folder>/<id>/manifest.json): its version is the manifest's, when it can be read.
                    string flatVersion = FlatBundledVersion(idDirectory)?.ToString() ?? "?";
                    if (parsed is null || (SemVer.TryParse(flatVersion, out var fv) && parsed.Matches(fv)))
                    {
                        results.Add(PackFolderVerifier.Verify(idDirectory, source, id, flatVersion));
                    }

                    continue;
                }

                foreach (var versionDirectory in SafeEnumerateDirectories(idDirectory))
                {
                    string version = Path.GetFileName(versionDirectory);
                    if (parsed is not null && (!SemVer.TryParse(version, out var v) || !parsed.Matches(v)))
                    {
                        continue;
                    }

                    results.Add(PackFolderVerifier.Verify(versionDirectory, source, id, version));
                }
            }
        }

        return results;
    }

    /// <summary>
    /// Finds the pack for a reference: <c>id</c> → the highest installed release, <c>id@1.2</c> → the highest 1.2.x,
    /// <c>id@1.2.3</c> → exactly that; pre-releases are picked only when no release matches. Installed and bundled
    /// packs compete on version; on a tie the installed copy wins. Null or empty resolves <see cref="DefaultPackId"/>.
    /// </summary>
    /// <exception cref="ModelPackException">The reference is malformed or nothing matches; the message lists what is installed.</exception>
    public InstalledPack Resolve(string? spec = null)
    {
        var parsed = PackSpec.Parse(string.IsNullOrWhiteSpace(spec) ? DefaultPackId : spec);
        if (Find(parsed) is { } pack)
        {
            return pack;
        }

        var installed = List().Select(p => p.Reference).Distinct().ToList();
        string known = installed.Count == 0 ? "no packs are installed" : $"installed: {string.Join(", ", installed.Take(20))}";
        string hint = parsed.Id == DefaultPackId && parsed.Exact is null && parsed.Major is null
            ? $" The default pack should ship with the application in one of: {(_bundled.Length == 0 ? "(no bundled folder)" : string.Join(", ", _bundled))}."
            : "";
        throw new ModelPackException($"No pack matches '{parsed}' ({known}).{hint}");
    }

    /// <summary>Like <see cref="Resolve"/>, returning false instead of throwing when nothing matches or the reference is malformed.</summary>
    public bool TryResolve(string? spec, [NotNullWhen(true)] out InstalledPack? pack)
    {
        pack = null;
        if (!PackSpec.TryParse(string.IsNullOrWhiteSpace(spec) ? DefaultPackId : spec, out var parsed, out _))
        {
            return false;
        }

        pack = Find(parsed);
        return pack is not null;
    }

    private InstalledPack? Find(PackSpec spec)
    {
        CleanUpIfFree();
        var candidates = Scan(PacksDirectory, PackSource.Store, spec.Id)
            .Concat(_bundled.SelectMany(folder => Scan(folder, PackSource.Bundled, spec.Id)))
            .ToList();
        if (spec.PickBest(candidates.Select(c => c.Version)) is not { } best)
        {
            return null;
        }

        // Store before bundled, bundled folders in registration order: the first with the chosen version wins.
        return candidates.First(c => c.Version.CompareTo(best) == 0);
    }

    private static void CheckWithEngines(InstalledPack staged, List<IColorizerEngine> engines, string reference)
    {
        if (engines.Count == 0)
        {
            throw new ModelPackException($"{reference}: no colorization engine is loaded, so nothing could run this pack; install an engine plugin first.");
        }

        var reasons = new List<string>();
        IColorizerEngine? chosen = null;
        foreach (var engine in engines)
        {
            PackCompatibility compatibility;
            try
            {
                compatibility = engine.CheckCompatibility(staged.Manifest);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                compatibility = PackCompatibility.No($"the engine failed while checking the pack ({e.GetType().Name}: {e.Message})");
            }

            if (compatibility.IsCompatible)
            {
                chosen = engine;
                break;
            }

            reasons.Add($"{engine.Id} {engine.Version}: {compatibility.Reason}");
        }

        if (chosen is null)
        {
            throw new ModelPackException($"{reference} cannot run on any loaded engine — {string.Join("; ", reasons)}.");
        }

        try
        {
            // Loading reads and validates the weights (tensor names, shapes, dtypes, finite values) as a run would.
            using var colorizer = chosen.Load(staged);
        }
        catch (ModelPackException e)
        {
            throw new ModelPackException($"{reference} is refused by engine {chosen.Id}: {e.Message}", e);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new ModelPackException($"{reference}: engine {chosen.Id} failed to load it ({e.GetType().Name}: {e.Message}).", e);
        }
    }

    /// <summary>
    /// Moves the verified staging folder into place. When overwriting, the old copy is first moved into the trash with
    /// a marker naming its place, so a crash between the two renames puts it back (see <see cref="CleanUp"/>).
    /// </summary>
    private void Commit(string staging, string target, PackManifest manifest, IProgress<PackInstallStage>? progress)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }

        string trash = NewTrashEntry();
        File.WriteAllText(Path.Combine(trash, RestoreMarker), $"{manifest.Id}/{manifest.Version}");
        string aside = Path.Combine(trash, TrashedPackFolder);
        Directory.Move(target, aside);
        try
        {
            progress?.Report(PackInstallStage.ReplacingExisting);
            Directory.Move(staging, target);
        }
        catch
        {
            if (!Directory.Exists(target))
            {
                Directory.Move(aside, target);
            }

            throw;
        }

        TryDelete(trash);
    }

    /// <summary>
    /// Clears a dead install's or removal's leftovers unless a live one holds the lock right now (then they are its
    /// own, and it cleared any older ones when it took the lock). Never waits: listing and resolving stay as fast as
    /// before and never block behind an install.
    /// </summary>
    private void CleanUpIfFree()
    {
        try
        {
            using var held = StoreLock.TryAcquire(LockPath);
            if (held is not null)
            {
                CleanUp();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only store (or one being deleted): reading it still works; the leftovers wait for a writable run.
        }
    }

    /// <summary>
    /// Clears what a dead install or removal left: staging folders are deleted; a trashed old copy whose replacement
    /// never arrived is moved back; other trash is deleted. Call only while holding the lock.
    /// </summary>
    private void CleanUp()
    {
        foreach (var staging in SafeEnumerateDirectories(Path.Combine(PacksDirectory, StagingFolder)))
        {
            TryDelete(staging);
        }

        foreach (var trash in SafeEnumerateDirectories(Path.Combine(PacksDirectory, TrashFolder)))
        {
            string marker = Path.Combine(trash, RestoreMarker);
            string aside = Path.Combine(trash, TrashedPackFolder);
            if (File.Exists(marker) && Directory.Exists(aside))
            {
                var parts = File.ReadAllText(marker).Split('/');
                if (parts.Length == 2 && PackManifestValidator.IsValidIdentifier(parts[0]) && PackManifestValidator.IsValidVersion(parts[1]))
                {
                    string target = Path.Combine(PacksDirectory, parts[0], parts[1]);
                    if (!Directory.Exists(target))
                    {
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        Directory.Move(aside, target);
                    }
                }
            }

            TryDelete(trash);
        }

        foreach (var idDirectory in SafeEnumerateDirectories(PacksDirectory).Where(d => !Path.GetFileName(d).StartsWith('.')))
        {
            RemoveIfEmpty(idDirectory);
        }
    }

    private string NewTrashEntry()
    {
        string trash = Path.Combine(PacksDirectory, TrashFolder, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(trash);
        return trash;
    }

    private static IEnumerable<InstalledPack> Scan(string root, PackSource source, string? onlyId = null)
    {
        var ids = onlyId is null
            ? SafeEnumerateDirectories(root).Select(Path.GetFileName).Where(PackManifestValidator.IsValidIdentifier)
            : [onlyId];
        foreach (var id in ids)
        {
            foreach (var (version, directory) in VersionFolders(root, id!, source))
            {
                PackManifest manifest;
                try
                {
                    manifest = PackManifestJson.ReadFile(Path.Combine(directory, PackManifestJson.FileName));
                }
                catch (ModelPackException)
                {
                    continue;
                }

                if (manifest.Id == id && manifest.Version == version.ToString())
                {
                    yield return new InstalledPack(manifest, directory, source);
                }
            }
        }
    }

    private static IEnumerable<(SemVer Version, string Directory)> VersionFolders(string root, string id, PackSource source = PackSource.Store)
    {
        if (source == PackSource.Bundled && FlatBundledVersion(Path.Combine(root, id)) is { } flat)
        {
            yield return (flat, Path.Combine(root, id));
            yield break;
        }

        foreach (var directory in SafeEnumerateDirectories(Path.Combine(root, id)))
        {
            string name = Path.GetFileName(directory);
            if (PackManifestValidator.IsValidVersion(name) && SemVer.TryParse(name, out var version))
            {
                yield return (version, directory);
            }
        }
    }

    /// <summary>
    /// A bundled pack may also sit directly in <c>&lt;folder&gt;/&lt;id&gt;/</c> (the layout of packaging/packs/ in the
    /// repository, where there is only ever one version); its version is then the manifest's. Null when the folder
    /// has no readable manifest with a valid version.
    /// </summary>
    private static SemVer? FlatBundledVersion(string idDirectory)
    {
        string manifestPath = Path.Combine(idDirectory, PackManifestJson.FileName);
        if (!File.Exists(manifestPath))
        {
            return null;
        }

        try
        {
            var manifest = PackManifestJson.ReadFile(manifestPath);
            return PackManifestValidator.IsValidVersion(manifest.Version) && SemVer.TryParse(manifest.Version, out var version) ? version : null;
        }
        catch (ModelPackException)
        {
            return null;
        }
    }

    private static string[] SafeEnumerateDirectories(string path)
    {
        try
        {
            return Directory.Exists(path) ? Directory.GetDirectories(path) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static void RemoveIfEmpty(string directory)
    {
        try
        {
            if (Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Directory.Delete(directory);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another process may be adding a version right now; an empty folder is harmless.
        }
    }

    /// <summary>Deletes a folder, clearing read-only attributes; leaves it for the next clean-up when the OS refuses (a file still open on Windows).</summary>
    private static void TryDelete(string directory)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                // Windows refuses to delete read-only files; links are skipped so nothing outside is touched.
                var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
                foreach (var file in Directory.EnumerateFiles(directory, "*", options))
                {
                    File.SetAttributes(file, FileAttributes.Normal);
                }
            }

            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Harmless: staging and trash are outside every pack folder and are retried on the next clean-up.
        }
    }

    private static bool SamePath(string a, string b) =>
        PathComparer.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)));
}
