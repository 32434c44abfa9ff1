using System.Runtime.CompilerServices;

namespace Pretrain.Tests;

internal static class ModuleSetup
{
    /// <summary>As the CLI does first thing: the tests run the product's code under the same Scalar guard.</summary>
    [ModuleInitializer]
    internal static void Init() => Pretrain.Common.ScalarGuard.Install();
}
