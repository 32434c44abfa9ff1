using Xunit;

namespace Pretrain.Tests;

/// <summary>Tests that rely on torch's process-wide state (the global RNG that drop path draws from,
/// the intra-op thread count) run alone, after the parallel ones, so bit-exact comparisons hold.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchGlobalState
{
    public const string Name = "torch global state";
}
