namespace Pretrain.Tests;

/// <summary>The device the training tests run on: PRETRAIN_TEST_DEVICE (cpu, cuda, cuda:N), default cpu.
/// scripts/gpu-check.sh sets it to cuda; a value the machine cannot give fails the tests (DeviceSelector's
/// error), it never falls back to the CPU.</summary>
internal static class TestDevice
{
    public const string Variable = "PRETRAIN_TEST_DEVICE";

    public static string Name => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } d ? d.Trim() : "cpu";
}
