using static TorchSharp.torch;

namespace Pretrain.Methods.Losses;

/// <summary>
/// DINO's loss (main_dino.py DINOLoss): teacher targets t = softmax((out - center)/τ_t), detached;
/// student s = softmax(out/τ_s); H(t, s) = -Σ_k t_k log s_k averaged over the batch, summed over every
/// (teacher global crop, student crop) pair of different crops and divided by the number of pairs.
/// Rows are crop-major: crop c of sample b is row c·B + b; the teacher sees the two global crops,
/// which are also the student's crops 0 and 1.
/// </summary>
public static class DinoLoss
{
    public static Tensor TeacherProbabilities(Tensor teacherOut, Tensor center, double teacherTemp)
    {
        if (!(teacherTemp > 0)) throw new ArgumentOutOfRangeException(nameof(teacherTemp));
        return nn.functional.softmax((teacherOut.detach() - center.detach()) / teacherTemp, -1);
    }

    public static Tensor StudentLogProbabilities(Tensor studentOut, double studentTemp)
    {
        if (!(studentTemp > 0)) throw new ArgumentOutOfRangeException(nameof(studentTemp));
        return nn.functional.log_softmax(studentOut / studentTemp, -1);
    }

    /// <summary>H(t, s) per row: [rows, K] targets and log-probabilities → [rows].</summary>
    public static Tensor CrossEntropy(Tensor targetProb, Tensor studentLogProb) => -(targetProb * studentLogProb).sum(-1);

    /// <param name="studentOut">[nCrops·B, K] crop-major.</param>
    /// <param name="teacherOut">[2·B, K] crop-major (global crops 1 and 2).</param>
    /// <param name="center">[1, K] or [K], the center before this step's update.</param>
    public static Tensor Compute(Tensor studentOut, Tensor teacherOut, Tensor center, double studentTemp, double teacherTemp)
    {
        if (studentOut.dim() != 2 || teacherOut.dim() != 2 || studentOut.shape[1] != teacherOut.shape[1])
            throw new ArgumentException($"student [{string.Join(",", studentOut.shape)}] and teacher [{string.Join(",", teacherOut.shape)}] outputs must be [rows, K] with the same K");
        long k = teacherOut.shape[1];
        if (teacherOut.shape[0] % 2 != 0 || teacherOut.shape[0] == 0) throw new ArgumentException("teacher output must hold the 2 global crops (2·B rows)");
        long b = teacherOut.shape[0] / 2;
        if (studentOut.shape[0] % b != 0) throw new ArgumentException($"student rows {studentOut.shape[0]} are not a multiple of B = {b}");
        long nCrops = studentOut.shape[0] / b;
        if (nCrops < 2) throw new ArgumentException("DINO needs at least the two global student crops");
        if (center.numel() != k) throw new ArgumentException($"center has {center.numel()} entries, outputs have K = {k}");

        // Σ_b Σ_k t[iq,b,k]·log s[v,b,k] for every (iq, v) pair at once is one [2, B·K] x [B·K, nCrops] product.
        var t = TeacherProbabilities(teacherOut, center.reshape(1, k), teacherTemp).reshape(2, b * k);
        var logS = StudentLogProbabilities(studentOut, studentTemp).reshape(nCrops, b * k);
        var cross = -t.mm(logS.t()) / b;
        var otherCrop = 1 - eye(2, nCrops, cross.dtype, cross.device);
        return (cross * otherCrop).sum() / (2 * (nCrops - 1));
    }
}
