using Pretrain.Config;

namespace Pretrain.Checkpoints;

/// <summary>A checkpoint continues only a run of the same model and method: anything else would load
/// weights into a different network or a different loss. Other sections (lr, epochs, logging) may change.</summary>
public static class ResumeCompatibility
{
    public static void Check(RunConfig saved, RunConfig current, string path)
    {
        Compare(ConfigWriter.SectionYaml(saved.Model), ConfigWriter.SectionYaml(current.Model), "model", path);
        Compare(ConfigWriter.SectionYaml(saved.Method), ConfigWriter.SectionYaml(current.Method), "method", path);
        Compare(ConfigWriter.SectionYaml(saved.Sdmp), ConfigWriter.SectionYaml(current.Sdmp), "sdmp", path);
        if (saved.Optimizer.Name != current.Optimizer.Name)
            throw new UserInputException($"{path}: checkpoint was trained with optimizer.name={saved.Optimizer.Name}, this config has {current.Optimizer.Name}; refusing to resume");
    }

    private static void Compare(string saved, string current, string section, string path)
    {
        if (saved == current) return;
        var a = saved.Split('\n');
        var b = current.Split('\n');
        var diff = a.Zip(b).FirstOrDefault(p => p.First != p.Second);
        var what = diff == default ? "" : $" (checkpoint '{diff.First.Trim()}' vs config '{diff.Second.Trim()}')";
        throw new UserInputException($"{path}: the checkpoint's {section} section differs from this config{what}; refusing to resume");
    }
}
