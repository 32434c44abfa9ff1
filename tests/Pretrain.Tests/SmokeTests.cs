using Xunit;
public class SmokeTests { [Fact] public void TorchLoads() => Assert.Equal("4", Pretrain.TorchProbe.Describe()); }
