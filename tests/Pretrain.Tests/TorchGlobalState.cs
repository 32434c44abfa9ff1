using Xunit;

namespace Pretrain.Tests;

/// <summary>Tests that rely on torch's process-wide state (the global RNG that drop path draws from,
/// the intra-op thread count) run alone, so bit-exact comparisons hold. (xunit.runner.json already runs
/// all collections one at a time; this keeps the guarantee if that is ever relaxed.)</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchGlobalState
{
    public const string Name = "torch global state";
}
