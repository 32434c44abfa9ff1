using Pretrain.Tests.Config;

namespace Pretrain.Tests.Reports;

/// <summary>Hand-written run folders: metrics.jsonl as the trainer writes it (non-finite values as strings, a resumed run), config.yaml, results.</summary>
public static class RunFolderFixtures
{
    /// <summary>
    /// Steps 5..40 every 5, epoch 0 up to 20 and 1 after (20 steps per epoch), with a k-NN monitor row at
    /// each epoch end. The run "crashed" after step 30 and resumed from step 20: steps 25 and 30 appear
    /// twice, the later rows with loss +1 (so the later row must win). Step 35 has a NaN loss and an
    /// infinite loss_mix; one torn line.
    /// </summary>
    public static string MetricsA()
    {
        var lines = new List<string>();
        string Row(int step, double loss, string? lossOverride = null, string? mixOverride = null) =>
            $"{{\"step\":{step},\"epoch\":{(step <= 20 ? 0 : 1)},\"loss\":{lossOverride ?? F(loss)},\"loss_moco\":{F(loss / 2)},\"loss_source\":{F(loss / 2 + 0.1)}," +
            $"\"loss_mix\":{mixOverride ?? F(loss / 2 + 0.2)},\"lr\":{F(step * 1e-4)},\"weight_decay\":0.1,\"momentum\":{F(0.99 + step * 1e-4)}," +
            $"\"images_per_sec\":{F(100 + step)},\"data_wait_pct\":{F(step % 3)}}}";
        foreach (int s in new[] { 5, 10, 15, 20 }) lines.Add(Row(s, 4 - s * 0.02));
        lines.Add("{\"step\":20,\"epoch\":0,\"knn_top1\":41.5,\"knn_top5\":80.25}");
        foreach (int s in new[] { 25, 30 }) lines.Add(Row(s, 4 - s * 0.02));
        lines.Add("{\"step\":30,\"epoch\":1,\"loss\":3.4,\"lo");             // torn by the crash
        foreach (int s in new[] { 25, 30 }) lines.Add(Row(s, 5 - s * 0.02)); // resumed: later rows win
        lines.Add(Row(35, 0, lossOverride: "\"NaN\"", mixOverride: "\"Infinity\""));
        lines.Add(Row(40, 4 - 40 * 0.02));
        lines.Add("{\"step\":40,\"epoch\":1,\"knn_top1\":47.75,\"knn_top5\":85.5}");
        lines.Add("");
        return string.Join("\n", lines);
    }

    public static string MetricsB() => string.Join("\n", Enumerable.Range(1, 30).Select(i =>
        $"{{\"step\":{i * 2},\"epoch\":{(i * 2 - 1) / 20},\"loss\":{F(3.9 - i * 0.03)},\"loss_moco\":{F(1.9 - i * 0.01)},\"lr\":{F(2e-3 * Math.Min(1, i / 5.0))}," +
        $"\"images_per_sec\":{F(150 + (i % 4) * 5)},\"data_wait_pct\":{F(i % 5 == 0 ? -1 : 2)},\"teacher_temp\":0.04}}")) + "\n";

    public const string ConfigA = """
        experiment:
          name: a
          seed: 0
        data:
          source: synthetic
          image_size: 32
        augment:
          views:
          - name: view1
            crop_size: 32
            scale: [0.2, 1]
          - name: view2
            crop_size: 32
            scale: [0.2, 1]
        optimizer:
          name: adamw
          lr: 0.002
          betas: [0.9, 0.999]
        sdmp:
          enabled: true
          ops: [mixup, cutmix, resizemix]
        training:
          batch_size: 128
        """;

    public const string ConfigB = """
        experiment:
          name: b
          seed: 0
        data:
          source: synthetic
          image_size: 32
        augment:
          views:
          - name: view1
            crop_size: 32
            scale: [0.08, 1]
          - name: view2
            crop_size: 32
            scale: [0.2, 1]
        optimizer:
          name: adamw
          lr: 0.001
          betas: [0.9, 0.999]
          warmup_epochs: 2
        sdmp:
          enabled: false
          ops: [mixup, cutmix, resizemix]
        training:
          batch_size: 128
        """;

    public const string ProbeA = """
        {
          "probe": "linear (standardised features, softmax regression)",
          "probe_top1": 74.55,
          "random_init_top1": 79.8,
          "knn_top1": 59.7,
          "random_init_knn_top1": 71.5,
          "knn_k": 20,
          "train_samples": 2560,
          "val_samples": 2000
        }
        """;

    public const string ProbeB = """
        {"probe": "linear", "probe_top1": 80.25, "random_init_top1": 79.5, "knn_top1": 66.0, "random_init_knn_top1": 70.0, "knn_k": 20, "train_samples": 2560, "val_samples": 2000}
        """;

    public const string KnnEvalB = """
        {"source": "x", "backbone": "default", "temperature": 0.07, "train_samples": 100, "val_samples": 50, "feature_dim": 8, "num_classes": 10,
         "results": {"10": {"top1": 61.5, "top5": 90.0}, "20": {"top1": 60.25, "top5": 91.0}}}
        """;

    public const string LinearEvalB = """
        {"best_top1": 70.5, "best_epoch": 7, "last_top1": 69.75, "top5": 98.0, "history": []}
        """;

    /// <summary>Two run folders "run_a" and "run_b" under <paramref name="dir"/>; returns their paths.</summary>
    public static (string A, string B) Write(TempConfigDir dir)
    {
        dir.Write("run_a/metrics.jsonl", MetricsA());
        dir.Write("run_a/config.yaml", ConfigA);
        dir.Write("run_a/final_probe.json", ProbeA);
        dir.Write("run_a/log.jsonl",
            "{\"@t\":\"2026-01-01T10:00:00.0000000Z\",\"@mt\":\"start\"}\n{\"@t\":\"2026-01-01T10:02:05.5000000Z\",\"@mt\":\"end\"}\n");
        dir.Write("run_b/metrics.jsonl", MetricsB());
        dir.Write("run_b/config.yaml", ConfigB);
        dir.Write("run_b/final_probe.json", ProbeB);
        dir.Write("run_b/knn_eval.json", KnnEvalB);
        dir.Write("run_b/linear_eval/linear_eval.json", LinearEvalB);
        return (dir.PathOf("run_a"), dir.PathOf("run_b"));
    }

    private static string F(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
