using static TorchSharp.torch;

namespace Pretrain.Methods;

/// <summary>
/// DINO collapse signals on the global crops: the teacher's mean entropy (→ 0 when one dimension
/// dominates, → ln K when uniform) and KL(teacher ‖ student) (→ 0 when student and teacher agree
/// trivially, e.g. both uniform). A collapsed uniform teacher makes the loss equal ln K.
/// </summary>
public static class CollapseDiagnostics
{
    /// <param name="student">[2B, K] student outputs of the two global crops (crop-major)</param>
    /// <param name="teacher">[2B, K] teacher outputs of the same crops</param>
    public static Dictionary<string, Tensor> Compute(Tensor student, Tensor teacher, Tensor center, double studentTemp, double teacherTemp)
    {
        using var noGrad = no_grad();
        var t = nn.functional.softmax((teacher.detach() - center) / teacherTemp, dim: -1);
        var logT = nn.functional.log_softmax((teacher.detach() - center) / teacherTemp, dim: -1);
        var logS = nn.functional.log_softmax(student.detach() / studentTemp, dim: -1);
        var entropy = -(t * logT).sum(-1).mean();
        var kl = (t * (logT - logS)).sum(-1).mean();
        return new Dictionary<string, Tensor> { ["teacher_entropy"] = entropy, ["kl_teacher_student"] = kl };
    }

    /// <summary>A warning line when the run looks collapsed, else null.</summary>
    public static string? Warning(IReadOnlyDictionary<string, double> logged, int outDim, double entropyRatio)
    {
        if (!logged.TryGetValue("teacher_entropy", out var h) || !logged.TryGetValue("kl_teacher_student", out var kl)) return null;
        var lnK = Math.Log(outDim);
        if (h < entropyRatio * lnK)
            return $"possible collapse: teacher entropy {h:F3} < {entropyRatio:F2}·ln(out_dim)={entropyRatio * lnK:F3} (one dimension dominates; raise center momentum or teacher temperature)";
        // Measured on the DINO plateau of a tiny ViT: entropy 0.99·ln K with KL 0.01–0.02 (healthy runs: ≤ 0.95·ln K, KL ≥ 0.1).
        if (h > 0.98 * lnK && kl < 0.05)
        {
            var loss = logged.TryGetValue("loss_dino", out var l) ? $", L_dino {l:F3} vs ln(out_dim) {lnK:F3}" : "";
            return $"possible collapse: teacher output uniform (entropy {h:F3} ≈ ln(out_dim) {lnK:F3}) and KL(teacher‖student) {kl:E2} ≈ 0{loss}: teacher targets carry no signal (lower the teacher temperature or use_bn_in_head)";
        }
        return null;
    }
}
