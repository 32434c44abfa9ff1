using System.Collections.Concurrent;

namespace Pretrain.Data;

/// <summary>data.on_error for one split: in fail mode an unreadable sample throws a DataException naming
/// it; in skip mode it is remembered (so it is not decoded again) and named once in the log.</summary>
public sealed class BadSampleGuard(IDataSplit split, bool failOnError, Action<string>? log)
{
    private readonly ConcurrentDictionary<int, string> _bad = new();

    /// <summary>Names of the samples found unreadable so far.</summary>
    public IReadOnlyCollection<string> BadSamples => _bad.Values.ToArray();

    public bool IsKnownBad(int index) => _bad.ContainsKey(index);

    /// <summary>Runs the sample's work; false when the sample is unreadable and skipping is allowed.</summary>
    public bool TryCut(int index, Func<int, int, CropJob[]> plan)
    {
        if (_bad.ContainsKey(index)) return false;
        try
        {
            SampleCropper.Cut(split, index, plan);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var name = split.SampleName(index);
            var reason = e.Message.ReplaceLineEndings(" ");
            if (failOnError) throw new DataException($"unreadable sample ({reason}): {name}", e);
            if (_bad.TryAdd(index, name)) log?.Invoke($"skipping unreadable sample ({reason}): {name}");
            return false;
        }
    }
}
