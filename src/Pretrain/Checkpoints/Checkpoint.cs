using static TorchSharp.torch;

namespace Pretrain.Checkpoints;

/// <summary>
/// What a checkpoint holds: named tensors (model, EMA, optimizer, center, ... under prefixes) and a
/// JSON metadata object owned by the trainer; <see cref="CheckpointStore.GlobalStepKey"/> must be in it
/// for <see cref="CheckpointStore.ResolveAuto"/> to rank the checkpoint.
/// </summary>
public sealed record Checkpoint(IReadOnlyDictionary<string, Tensor> Tensors, string MetadataJson)
{
    /// <summary>The entries whose names start with <paramref name="prefix"/>, with the prefix removed (e.g. "optim." → optimizer state).</summary>
    public IReadOnlyDictionary<string, Tensor> Select(string prefix) =>
        Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    /// <summary>
    /// Frees the tensors of a checkpoint returned by <see cref="CheckpointFile.Read"/>. Never call it on a
    /// checkpoint built for saving: its tensors are the live model and optimizer tensors.
    /// </summary>
    public void DisposeTensors()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}
