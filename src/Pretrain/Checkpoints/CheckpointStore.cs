using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pretrain.Checkpoints;

/// <summary>
/// The checkpoints of one run folder: "latest.ckpt" (rewritten at every save) and "epoch-0007.ckpt"
/// files of which the newest <c>keepLast</c> are kept. Every write goes to "name.tmp", is flushed to
/// the disk and renamed over "name.ckpt", so a crash leaves either the old or the new file, never a
/// partial one.
/// </summary>
public sealed partial class CheckpointStore
{
    /// <summary>The metadata property (integer) that ranks checkpoints for <see cref="ResolveAuto"/>.</summary>
    public const string GlobalStepKey = "global_step";
    public const string LatestName = "latest";
    public const string Extension = ".ckpt";
    private const string TempExtension = ".tmp";

    [GeneratedRegex(@"^epoch-(\d+)\.ckpt$")]
    private static partial Regex EpochFile();

    public CheckpointStore(string directory, int keepLast)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        KeepLast = keepLast;
    }

    public string Directory { get; }

    /// <summary>Epoch checkpoints kept after each <see cref="SaveEpoch"/>; 0 or less keeps all.</summary>
    public int KeepLast { get; }

    public static string EpochName(int epoch) => $"epoch-{epoch:D4}";

    /// <summary>Atomically writes "name.ckpt" and returns its path.</summary>
    public string Save(string name, Checkpoint checkpoint)
    {
        ValidateName(name);
        System.IO.Directory.CreateDirectory(Directory);
        var final = Path.Combine(Directory, name + Extension);
        var temp = Path.Combine(Directory, name + TempExtension);
        try
        {
            CheckpointFile.Write(temp, checkpoint);
            File.Move(temp, final, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        DirectorySync.TrySync(Directory);
        return final;
    }

    /// <summary>Writes "latest.ckpt".</summary>
    public string SaveLatest(Checkpoint checkpoint) => Save(LatestName, checkpoint);

    /// <summary>
    /// Writes "epoch-NNNN.ckpt" and "latest.ckpt" (a copy, not a second serialisation), then deletes
    /// the epoch files beyond the newest <see cref="KeepLast"/>. Returns the epoch file's path.
    /// </summary>
    public string SaveEpoch(int epoch, Checkpoint checkpoint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var path = Save(EpochName(epoch), checkpoint);
        var latest = Path.Combine(Directory, LatestName + Extension);
        var latestTemp = Path.Combine(Directory, LatestName + TempExtension);
        try
        {
            File.Copy(path, latestTemp, overwrite: true);
            using (var fs = new FileStream(latestTemp, FileMode.Open, FileAccess.ReadWrite))
                fs.Flush(flushToDisk: true);
            File.Move(latestTemp, latest, overwrite: true);
        }
        catch
        {
            TryDelete(latestTemp);
            throw;
        }
        DirectorySync.TrySync(Directory);
        Prune();
        return path;
    }

    /// <summary>Reads and verifies one checkpoint file (see <see cref="CheckpointFile.Read"/>).</summary>
    public static Checkpoint Load(string path) => CheckpointFile.Read(path);

    /// <summary>
    /// The path of the valid checkpoint with the highest <see cref="GlobalStepKey"/> in this folder, or
    /// null when there is none. Candidates are ranked by their header, then verified newest first;
    /// damaged ones (and ones without a step) are reported through <paramref name="warn"/> and skipped.
    /// Leftover ".tmp" files from an interrupted save are deleted.
    /// </summary>
    public string? ResolveAuto(Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(warn);
        if (!System.IO.Directory.Exists(Directory)) return null;
        foreach (var temp in System.IO.Directory.EnumerateFiles(Directory, "*" + TempExtension))
            TryDelete(temp);

        var ranked = new List<(string Path, long Step, DateTime Written)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + Extension))
        {
            try
            {
                var step = ReadGlobalStep(CheckpointFile.ReadMetadata(path))
                           ?? throw new CheckpointException($"Checkpoint {Path.GetFileName(path)} has no integer '{GlobalStepKey}' in its metadata.");
                ranked.Add((path, step, File.GetLastWriteTimeUtc(path)));
            }
            catch (CheckpointException ex)
            {
                warn($"{ex.Message} Skipped.");
            }
        }
        foreach (var candidate in ranked.OrderByDescending(c => c.Step).ThenByDescending(c => c.Written)
                     .ThenBy(c => c.Path, StringComparer.Ordinal))
        {
            try
            {
                CheckpointFile.ReadVerifiedMetadata(candidate.Path);
                return candidate.Path;
            }
            catch (CheckpointException ex)
            {
                warn($"{ex.Message} Skipped.");
            }
        }
        return null;
    }

    /// <summary>The integer <see cref="GlobalStepKey"/> of a metadata object, or null when absent or not an integer.</summary>
    public static long? ReadGlobalStep(string metadataJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(metadataJson);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                   && doc.RootElement.TryGetProperty(GlobalStepKey, out var step)
                   && step.TryGetInt64(out var value)
                ? value
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void Prune()
    {
        if (KeepLast <= 0) return;
        var epochs = System.IO.Directory.EnumerateFiles(Directory, "epoch-*" + Extension)
            .Select(p => (Path: p, Match: EpochFile().Match(Path.GetFileName(p))))
            .Where(x => x.Match.Success)
            .Select(x => (x.Path, Epoch: long.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture)))
            .OrderByDescending(x => x.Epoch)
            .ToList();
        foreach (var (path, _) in epochs.Skip(KeepLast)) TryDelete(path);
    }

    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.IndexOfAny(['/', '\\']) >= 0 || name is "." or ".." || name.EndsWith(Extension, StringComparison.Ordinal) || name.EndsWith(TempExtension, StringComparison.Ordinal))
            throw new ArgumentException($"Checkpoint name '{name}' must be a bare name without folder or extension.", nameof(name));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
