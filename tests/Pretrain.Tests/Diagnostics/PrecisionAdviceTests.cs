using Pretrain.Config;
using Pretrain.Diagnostics;
using Xunit;

namespace Pretrain.Tests.Diagnostics;

public class PrecisionAdviceTests
{
    static CpuFacts Cpu(string flags) => CpuFacts.Parse($"model name\t: Test CPU\nflags\t\t: {flags}\n", null, null, 2);

    [Fact]
    public void Bf16OnACpuWithoutAmxGetsOneWarningLineAndNothingElseDoes()
    {
        var avx512 = Cpu("fpu avx2 avx512f avx512_bf16");
        var warning = PrecisionAdvice.CpuWarning(PrecisionKind.Bf16, onCpu: true, avx512);
        Assert.NotNull(warning);
        Assert.DoesNotContain('\n', warning);
        Assert.Contains("AVX-512 BF16 but no AMX", warning);
        Assert.Contains("no amx_bf16", warning);
        Assert.Contains("no native bf16", PrecisionAdvice.CpuWarning(PrecisionKind.Bf16, true, Cpu("fpu avx2"))!);
        Assert.Null(PrecisionAdvice.CpuWarning(PrecisionKind.Bf16, true, Cpu("avx2 avx512_bf16 amx_tile amx_bf16")));
        Assert.Null(PrecisionAdvice.CpuWarning(PrecisionKind.Bf16, onCpu: false, avx512));   // CUDA
        Assert.Null(PrecisionAdvice.CpuWarning(PrecisionKind.Fp32, true, avx512));
    }
}
