using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// Fast linear probe on cached features: features standardised with the training statistics, a
/// softmax classifier fitted full-batch on the device with Adam and a cosine learning rate. For small
/// data (quickstart, Fashion-MNIST-size) where one feature pass replaces epochs of augmented passes.
/// Deterministic for a given seed.
/// </summary>
public static class LinearProbe
{
    public sealed record Result(double Top1, double Top5, double TrainTop1);

    public static Result FitAndEvaluate(Tensor trainFeatures, Tensor trainLabels, Tensor testFeatures, Tensor testLabels,
        int numClasses = 0, int iterations = 500, double lr = 0.05, double weightDecay = 1e-4, long seed = 0)
    {
        using var scope = NewDisposeScope();
        var device = trainFeatures.device;
        if (numClasses <= 0) numClasses = (int)Math.Max(trainLabels.max().item<long>(), testLabels.max().item<long>()) + 1;
        var xTrain = trainFeatures.to(float32).detach();
        var mean = xTrain.mean([0], keepdim: true);
        var std = xTrain.std(0, keepdim: true) + 1e-6;
        xTrain = (xTrain - mean) / std;
        var xTest = (testFeatures.to(float32).detach() - mean) / std;
        var yTrain = trainLabels.to(int64).to(device);
        var yTest = testLabels.to(int64).to(device);

        var gen = new Generator((ulong)seed, device);
        var w = new TorchSharp.Modules.Parameter(randn(xTrain.shape[1], numClasses, generator: gen, device: device) * 0.01);
        var b = new TorchSharp.Modules.Parameter(zeros(numClasses, device: device));
        var opt = optim.Adam([w, b], lr: lr, weight_decay: weightDecay);
        for (int it = 0; it < iterations; it++)
        {
            using var step = NewDisposeScope();
            foreach (var g in opt.ParamGroups) g.LearningRate = lr * 0.5 * (1 + Math.Cos(Math.PI * it / iterations));
            opt.zero_grad();
            var loss = nn.functional.cross_entropy(xTrain.mm(w) + b, yTrain);
            loss.backward();
            opt.step();
        }
        using var noGrad = no_grad();
        return new Result(TopK(xTest.mm(w) + b, yTest, 1), TopK(xTest.mm(w) + b, yTest, Math.Min(5, numClasses)), TopK(xTrain.mm(w) + b, yTrain, 1));
    }

    internal static double TopK(Tensor logits, Tensor labels, int k)
    {
        var (_, idx) = logits.topk(k, dim: 1);
        return 100.0 * idx.eq(labels.unsqueeze(1)).any(1).sum().item<long>() / labels.shape[0];
    }
}
