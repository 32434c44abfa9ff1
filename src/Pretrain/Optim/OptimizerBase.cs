using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Optim;

/// <summary>
/// Shared machinery of the optimizers: per-parameter buffers allocated up front (so the state keys
/// are stable from step 0 and a resumed run sees exactly the same layout), per-parameter step
/// counters kept on the host (bias corrections need them without a device round trip), state
/// export/import, and the no-grad / dispose-scope discipline around each step.
/// </summary>
public abstract class OptimizerBase : IOptimizer
{
    /// <summary>One parameter with its optimizer buffers.</summary>
    protected sealed class Slot(int group, int index, Parameter param, Tensor[] buffers)
    {
        public int Group { get; } = group;
        public int Index { get; } = index;
        public Parameter Param { get; } = param;
        public Tensor[] Buffers { get; } = buffers;
        /// <summary>Updates this parameter has received (PyTorch's per-parameter state["step"]).</summary>
        public long Steps { get; set; }
        public string Key => $"g{Group}.p{Index}";
    }

    private const string StepsKey = "steps";
    private readonly IReadOnlyList<ParamGroup> _groups;
    private readonly string[] _bufferNames;
    private readonly List<Slot> _slots = [];
    private bool _disposed;

    protected OptimizerBase(IReadOnlyList<ParamGroup> groups, IReadOnlyList<string> bufferNames)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _groups = groups;
        _bufferNames = [.. bufferNames];
        var seen = new HashSet<IntPtr>();
        using var noGrad = torch.no_grad();
        for (int g = 0; g < groups.Count; g++)
        {
            for (int i = 0; i < groups[g].Params.Count; i++)
            {
                var p = groups[g].Params[i];
                if (!seen.Add(p.Handle))
                    throw new ArgumentException($"Parameter {i} of group '{groups[g].Name}' already belongs to an earlier group.");
                // Detached from any caller dispose scope: the buffers live as long as the optimizer.
                var buffers = _bufferNames.Select(_ => torch.zeros_like(p).DetachFromDisposeScope()).ToArray();
                _slots.Add(new Slot(g, i, p, buffers));
            }
        }
    }

    public long Steps { get; private set; }

    public IReadOnlyList<ParamGroup> Groups => _groups;

    public void Step(double lr, double weightDecay)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var noGrad = torch.no_grad();
        // Catches the temporaries of the update and the fresh handles that every `grad` read creates.
        using var scope = torch.NewDisposeScope();
        foreach (var slot in _slots)
        {
            var grad = slot.Param.grad;
            if (grad is null) continue;
            slot.Steps++;
            var group = _groups[slot.Group];
            Update(slot, group, grad, lr, group.ApplyWeightDecay ? weightDecay : 0.0);
        }
        Steps++;
    }

    /// <summary>The in-place update of one parameter; called under no_grad inside a dispose scope.</summary>
    /// <param name="weightDecay">Already zero for groups without weight decay.</param>
    protected abstract void Update(Slot slot, ParamGroup group, Tensor grad, double lr, double weightDecay);

    public void ZeroGrad()
    {
        foreach (var slot in _slots)
        {
            using var grad = slot.Param.grad;
            if (grad is not null) slot.Param.grad = null;
        }
    }

    public IReadOnlyDictionary<string, Tensor> StateTensors()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var state = new Dictionary<string, Tensor>();
        foreach (var slot in _slots)
        {
            for (int b = 0; b < _bufferNames.Length; b++)
                state[$"{slot.Key}.{_bufferNames[b]}"] = slot.Buffers[b];
            state[$"{slot.Key}.step"] = Count(slot.Steps);
        }
        state[StepsKey] = Count(Steps);
        return state;
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(state);
        var expected = new Dictionary<string, long[]> { [StepsKey] = [] };
        foreach (var slot in _slots)
        {
            foreach (var name in _bufferNames) expected[$"{slot.Key}.{name}"] = slot.Param.shape;
            expected[$"{slot.Key}.step"] = [];
        }
        var missing = expected.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var badShape = expected.Where(e => state.TryGetValue(e.Key, out var t) && !t.shape.SequenceEqual(e.Value))
            .Select(e => $"{e.Key} {Shape(state[e.Key].shape)} vs {Shape(e.Value)}").ToList();
        if (missing.Count + unexpected.Count + badShape.Count > 0)
            throw new ArgumentException(
                $"Optimizer state does not match {GetType().Name} with {_slots.Count} parameters: " +
                $"missing [{string.Join(", ", missing.Take(8))}{More(missing)}]; " +
                $"unexpected [{string.Join(", ", unexpected.Take(8))}{More(unexpected)}]; " +
                $"shape mismatch [{string.Join(", ", badShape.Take(8))}{More(badShape)}]");

        using var noGrad = torch.no_grad();
        foreach (var slot in _slots)
        {
            for (int b = 0; b < _bufferNames.Length; b++)
                slot.Buffers[b].copy_(state[$"{slot.Key}.{_bufferNames[b]}"]);
            slot.Steps = ReadCount(state[$"{slot.Key}.step"]);
        }
        Steps = ReadCount(state[StepsKey]);
    }

    // A 0-dim int64 tensor (torch.tensor(long) would pick a shape overload).
    private static Tensor Count(long value) => torch.full(Array.Empty<long>(), value, ScalarType.Int64);

    private static long ReadCount(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        return t.to(ScalarType.Int64).cpu().item<long>();
    }

    private static string Shape(long[] s) => $"[{string.Join(",", s)}]";
    private static string More<T>(List<T> l) => l.Count > 8 ? $", ... (+{l.Count - 8} more)" : "";

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var slot in _slots)
            foreach (var b in slot.Buffers) b.Dispose();
        GC.SuppressFinalize(this);
    }
}
