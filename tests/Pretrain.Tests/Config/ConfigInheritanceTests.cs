using Pretrain.Config;
using Xunit;

namespace Pretrain.Tests.Config;

public class ConfigInheritanceTests
{
    [Fact]
    public void MultiLevelBasesResolveRelativeToEachFileAndDeepMerge()
    {
        using var dir = new TempConfigDir();
        dir.Write("grand.yaml", """
            optimizer:
              name: sgd
              betas: [0.8, 0.9]
            training:
              epochs: 5
            """);
        dir.Write("sub/parent.yaml", """
            base: ../grand.yaml
            optimizer:
              betas: [0.5, 0.6]
            training:
              batch_size: 32
            """);
        var child = dir.Write("sub/deeper/child.yaml", """
            base: ../parent.yaml
            training:
              epochs: 7
            """);

        var c = ConfigLoader.Load(child);

        Assert.Equal(7, c.Training.Epochs);                 // child wins
        Assert.Equal(32, c.Training.BatchSize);             // from parent, same section merged
        Assert.Equal("sgd", c.Optimizer.Name);              // from grandparent, deep merge
        Assert.Equal([0.5, 0.6], c.Optimizer.Betas);        // lists replace, never merge
        Assert.Equal(0.1, c.Optimizer.WeightDecay);         // untouched default
        Assert.Null(c.Base);
    }

    [Fact]
    public void ChildListReplacesTheWholeBaseList()
    {
        using var dir = new TempConfigDir();
        dir.Write("base.yaml", """
            augment:
              views:
                - {name: a, crop_size: 32}
                - {name: b, crop_size: 32}
                - {name: c, crop_size: 16}
            """);
        var child = dir.Write("child.yaml", """
            base: base.yaml
            augment:
              views:
                - {name: only, crop_size: 24, blur_p: 0.3}
            """);

        var views = ConfigLoader.Load(child).Augment.Views;

        var view = Assert.Single(views);
        Assert.Equal("only", view.Name);
        Assert.Equal(24, view.CropSize);
        Assert.Equal(0.3, view.BlurP);
        Assert.Equal(0.5, view.FlipP); // unspecified keys of a list item keep the model default
    }

    [Fact]
    public void CycleIsDetectedAndNamesTheChain()
    {
        using var dir = new TempConfigDir();
        var a = dir.Write("a.yaml", "base: b.yaml\n");
        dir.Write("b.yaml", "training:\n  epochs: 3\nbase: a.yaml\n");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(a));

        var shownA = ConfigPaths.Display(a);
        var shownB = ConfigPaths.Display(dir.PathOf("b.yaml"));
        Assert.Equal($"{shownB}:3:7: base: inheritance cycle: {shownA} -> {shownB} -> {shownA}", e.Message);
    }

    [Fact]
    public void SelfInheritanceIsACycle()
    {
        using var dir = new TempConfigDir();
        var a = dir.Write("a.yaml", "base: ./a.yaml\n");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(a));
        Assert.Contains(":1:7: base: inheritance cycle:", e.Message);
    }

    [Fact]
    public void MissingBaseFileIsReportedWhereItIsNamed()
    {
        using var dir = new TempConfigDir();
        var a = dir.Write("a.yaml", "training:\n  epochs: 3\nbase: nowhere/missing.yaml\n");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(a));

        Assert.Equal($"{ConfigPaths.Display(a)}:3:7: base: file not found: {ConfigPaths.Display(dir.PathOf("nowhere/missing.yaml"))}", e.Message);
    }

    [Fact]
    public void ErrorsInABaseFileNameThatFile()
    {
        using var dir = new TempConfigDir();
        var parent = dir.Write("parent.yaml", "optimizer:\n  name: adamw\n  wieght_decay: 0.3\n");
        var child = dir.Write("child.yaml", "base: parent.yaml\ntraining:\n  epochs: 2\n");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(child));

        Assert.Equal($"{ConfigPaths.Display(parent)}:3:3: optimizer.wieght_decay: unknown key (did you mean 'weight_decay'?)", e.Message);
    }
}
