using Pretrain.Config;

namespace Pretrain.Eval;

/// <summary>
/// The config an evaluation runs with: the checkpoint's own resolved config, then an optional overlay
/// file (`--config EVAL.yaml`, deep-merged on top like a child of `base:`), then `--set` overrides; the
/// result is validated like a run config (data paths included). Without overlay and overrides it is
/// still validated, so a checkpoint whose data is not on this machine fails with a one-line message.
/// </summary>
public static class EvalRunConfig
{
    public static RunConfig Resolve(RunConfig checkpointConfig, string? overlayPath, IReadOnlyList<string> overrides)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pretrain-eval-config-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "checkpoint.yaml"), ConfigWriter.ToYaml(checkpointConfig));
            var top = Path.Combine(dir, "eval.yaml");
            string overlayText = "";
            if (overlayPath is not null)
            {
                if (!File.Exists(overlayPath)) throw new UserInputException($"{ConfigPaths.Display(overlayPath)}: config file not found");
                overlayText = File.ReadAllText(overlayPath);
                if (System.Text.RegularExpressions.Regex.IsMatch(overlayText, @"^base\s*:", System.Text.RegularExpressions.RegexOptions.Multiline))
                    throw new UserInputException($"{ConfigPaths.Display(overlayPath)}: an eval overlay applies on top of the checkpoint's config and cannot name a base:");
            }
            // base: goes last so line numbers in messages stay those of the user's file.
            File.WriteAllText(top, overlayText.TrimEnd() + "\nbase: checkpoint.yaml\n");
            try
            {
                return ConfigLoader.Load(top, overrides);
            }
            catch (ConfigException e) when (overlayPath is not null)
            {
                throw new ConfigException(e.Message.Replace(ConfigPaths.Display(top), ConfigPaths.Display(overlayPath)));
            }
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
