using TorchSharp;
using static TorchSharp.torch.nn;
using static TorchSharp.torch;

namespace Pretrain.Checkpoints;

/// <summary>A module's parameters and buffers as checkpoint entries under a prefix ("model.", "ema.").</summary>
public static class ModuleTensors
{
    /// <summary>
    /// Adds "prefix + name" → tensor for every parameter and buffer. The entries are the live module
    /// tensors (no copies): write the checkpoint before the next optimizer step.
    /// </summary>
    public static void AddTo(IDictionary<string, Tensor> destination, Module module, string prefix)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (name, tensor) in Named(module))
        {
            var key = prefix + name;
            if (!destination.TryAdd(key, tensor))
                throw new ArgumentException($"Checkpoint entry '{key}' is already present.");
        }
    }

    /// <summary>
    /// Copies the entries under <paramref name="prefix"/> into the module's parameters and buffers
    /// (any device; dtype converted by the copy). Strict: a missing, unexpected or differently shaped
    /// name fails the whole load before anything is copied.
    /// </summary>
    /// <exception cref="CheckpointException">Lists the mismatching names.</exception>
    public static void LoadInto(Module module, IReadOnlyDictionary<string, Tensor> source, string prefix)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(source);
        var expected = Named(module).ToDictionary(x => x.Name, x => x.Tensor);
        var present = source.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
        var missing = expected.Keys.Where(k => !present.ContainsKey(k)).ToList();
        var unexpected = present.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var badShape = expected.Where(e => present.TryGetValue(e.Key, out var t) && !t.shape.SequenceEqual(e.Value.shape))
            .Select(e => $"{e.Key} checkpoint [{string.Join(",", present[e.Key].shape)}] vs module [{string.Join(",", e.Value.shape)}]")
            .ToList();
        if (missing.Count + unexpected.Count + badShape.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing {List(missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected {List(unexpected)}");
            if (badShape.Count > 0) parts.Add($"shape mismatch {List(badShape)}");
            throw new CheckpointException($"Checkpoint entries under '{prefix}' do not match the module: {string.Join("; ", parts)}");
        }
        using var noGrad = torch.no_grad();
        foreach (var (name, target) in expected) target.copy_(present[name]);
    }

    private static IEnumerable<(string Name, Tensor Tensor)> Named(Module module) =>
        module.named_parameters().Select(np => (np.name, (Tensor)np.parameter)).Concat(module.named_buffers());

    private static string List(List<string> names) =>
        $"[{string.Join(", ", names.Take(8))}{(names.Count > 8 ? $", ... (+{names.Count - 8} more)" : "")}]";
}
