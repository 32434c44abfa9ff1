Console.WriteLine(Pretrain.TorchProbe.Describe());
