using Pretrain.Config;

namespace Pretrain.Diagnostics;

/// <summary>What to tell a run about its training.precision on its device, as a pure function of the
/// CPU's flags. bf16 pays off on CUDA (Ampere or newer) and on CPUs with AMX: without AMX, even AVX-512
/// BF16 gives a bf16 matmul the fp32 FLOP rate and the casts cost extra (measured on a 2-core Xeon with
/// AVX-512 BF16: a 1024³ bf16 matmul at 0.54× the fp32 speed). AMD Zen 4 with AVX-512 BF16 is the
/// exception measured so far (bench step: bf16 1.4× faster), so the line says "expected" and how to time it.
/// With AMX (measured on a 2-core Xeon with amx_bf16) bf16 trains ViT-S/16 at 224 px 1.67× faster and breaks
/// even on the tiny bench ViTs, so an AMX CPU gets no line.</summary>
public static class PrecisionAdvice
{
    /// <summary>One warning line, or null when there is nothing to say (fp32, a GPU, an AMX or Arm BF16 CPU).</summary>
    public static string? CpuWarning(PrecisionKind precision, bool onCpu, CpuFacts cpu)
    {
        if (precision != PrecisionKind.Bf16 || !onCpu) return null;
        if (cpu.Has("amx_bf16") || (cpu.Has("bf16") && !cpu.Has("avx2"))) return null;
        var has = cpu.Has("avx512_bf16") ? "AVX-512 BF16 but no AMX" : "no native bf16";
        return $"training.precision bf16 on a CPU with {has} (no amx_bf16 in /proc/cpuinfo): bf16 is expected to be slower than fp32 here (an AVX-512 BF16 Xeon without AMX ran bf16 matmuls at 0.54x); time both with `pretrain bench step --set training.precision=...`";
    }
}
