namespace Pretrain;
public static class TorchProbe { public static string Describe() { var t = TorchSharp.torch.ones(2,2); return (t.sum().item<float>()).ToString(); } }
