using System.Text;

namespace Pretrain.Tests.Architecture;

/// <summary>One broken rule: a one-line summary and the type pairs (or other evidence) behind it.</summary>
public sealed record Violation(string Rule, string Summary, IReadOnlyList<string> Details);

/// <summary>The dependency rules between the library's folders, as data, and a pure checker over a graph.</summary>
public static class DependencyRules
{
    // ---------------------------------------------------------------------------------------------------------
    // R8 whitelist: folder -> the folders it may depend on. Anything else fails. "*" = every other folder here.
    // A folder found in the assembly but missing here fails too: add it.
    // ---------------------------------------------------------------------------------------------------------
    public static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["Config"] = [],
        ["Common"] = ["Config"],
        ["Distributed"] = ["Config", "Common"],
        ["Data"] = ["Config", "Common"],
        ["Augment"] = ["Config", "Common", "Data"],
        ["Mixing"] = ["Config", "Common"],
        ["Models"] = ["Config", "Common", "Distributed"],
        ["Checkpoints"] = ["Config", "Common"],
        ["Optim"] = ["Config", "Common"],
        ["Schedules"] = ["Config", "Common"],
        ["Ema"] = ["Config", "Common", "Models", "Checkpoints"],
        ["Methods"] = ["Config", "Common", "Models", "Mixing", "Ema", "Schedules", "Optim", "Checkpoints", "Distributed"],
        ["Training"] = ["Config", "Common", "Data", "Augment", "Optim", "Schedules", "Checkpoints", "Methods", "Distributed"],
        ["Eval"] = ["Config", "Common", "Data", "Augment", "Models", "Methods", "Optim", "Schedules", "Checkpoints", "Distributed"],
        ["Reports"] = ["Config", "Common"],
        ["Diagnostics"] = ["Config", "Common", "Distributed"],
        ["Composition"] = ["*"],
    };

    // R1/R2/R3/R5: folder -> folders it must never depend on ("*" = any other folder).
    public static readonly (string Rule, string From, string[] Forbidden)[] Forbidden =
    [
        (R1, "Config", ["*"]),
        (R2, "Models", ["Data", "Augment", "Training", "Methods", "Composition", "Eval"]),
        (R3, "Mixing", ["Methods", "Training", "Composition"]),
        (R5, "Eval", ["Training", "Composition"]),
    ];

    // R4: the training loop sees the methods only through these types (and their members / nested types).
    public const string TrainingFolder = "Training";
    public const string MethodsFolder = "Methods";
    public static readonly string[] MethodTypesVisibleToTraining =
        ["Pretrain.Methods.ISslMethod", "Pretrain.Methods.StepContext", "Pretrain.Methods.StepResult"];
    // R4: no ldstr in a Training type equal (ignoring case) to a method name.
    public static readonly string[] MethodNames = ["mocov3", "dino"];

    // R6: the CLI assembly the library must not use.
    public const string CliAssembly = "pretrain";

    public const string R1 = "R1.ConfigDependsOnNothing";
    public const string R2 = "R2.ModelsLayering";
    public const string R3 = "R3.MixingLayering";
    public const string R4a = "R4a.TrainingSeesMethodsOnlyViaInterface";
    public const string R4b = "R4b.TrainingHasNoMethodNameStrings";
    public const string R5 = "R5.EvalLayering";
    public const string R6 = "R6.LibraryDoesNotUseCli";
    public const string R7 = "R7.NoFolderCycles";
    public const string R8 = "R8.FolderWhitelist";

    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        [R1] = "Config depends on no other folder",
        [R2] = "Models never depends on Data, Augment, Training, Methods, Composition, Eval",
        [R3] = "Mixing never depends on Methods, Training, Composition",
        [R4a] = "Training uses folder Methods only through " + string.Join(", ", MethodTypesVisibleToTraining),
        [R4b] = "no Training method loads a method-name string (" + string.Join(", ", MethodNames.Select(n => $"\"{n}\"")) + ", any case)",
        [R5] = "Eval never depends on Training or Composition",
        [R6] = $"the library neither references assembly '{CliAssembly}' nor uses its types",
        [R7] = "no dependency cycles between folders",
        [R8] = "each folder depends only on the folders its whitelist entry names",
    };

    public static IReadOnlyList<string> RuleIds => [R1, R2, R3, R4a, R4b, R5, R6, R7, R8];

    public const int MaxExamples = 10;

    /// <summary>Folders <paramref name="folder"/> may use, "*" expanded.</summary>
    public static IEnumerable<string> AllowedTargets(string folder) =>
        Allowed[folder].Contains("*") ? Allowed.Keys.Where(f => f != folder) : Allowed[folder];

    public static IReadOnlyList<Violation> Check(DependencyGraph graph)
    {
        var violations = new List<Violation>();
        CheckForbidden(graph, violations);
        CheckTrainingSeesInterfaceOnly(graph, violations);
        CheckMethodNameStrings(graph, violations);
        CheckCli(graph, violations);
        CheckCycles(graph, violations);
        CheckWhitelist(graph, violations);
        return violations;
    }

    public static IReadOnlyList<Violation> Check(DependencyGraph graph, string rule) =>
        Check(graph).Where(v => v.Rule == rule).ToList();

    /// <summary>A readable failure message for the violations of one rule.</summary>
    public static string Format(string rule, IReadOnlyList<Violation> violations)
    {
        var sb = new StringBuilder();
        sb.Append(rule).Append(" (").Append(Descriptions[rule]).Append("): ")
          .Append(violations.Count).AppendLine(violations.Count == 1 ? " violation" : " violations");
        foreach (var v in violations)
        {
            sb.Append("  * ").AppendLine(v.Summary);
            foreach (var d in v.Details) sb.Append("      ").AppendLine(d);
        }
        return sb.ToString().TrimEnd();
    }

    private static List<string> Examples(IEnumerable<string> items)
    {
        var all = items.ToList();
        var shown = all.Take(MaxExamples).ToList();
        if (all.Count > MaxExamples) shown.Add($"... and {all.Count - MaxExamples} more");
        return shown;
    }

    private static string Pairs(int n) => n == 1 ? "1 type reference" : $"{n} type references";

    private static void CheckForbidden(DependencyGraph graph, List<Violation> violations)
    {
        foreach (var (rule, from, forbidden) in Forbidden)
        {
            foreach (var ((f, to), pairs) in graph.FolderEdges)
            {
                if (f != from || !(forbidden.Contains("*") || forbidden.Contains(to))) continue;
                violations.Add(new Violation(rule, $"{from} -> {to} ({Pairs(pairs.Count)})",
                    Examples(pairs.Select(p => p.ToString()))));
            }
        }
    }

    private static void CheckTrainingSeesInterfaceOnly(DependencyGraph graph, List<Violation> violations)
    {
        var offending = graph.Dependencies
            .Where(d => graph.FolderOf(d.From) == TrainingFolder && graph.FolderOf(d.To) == MethodsFolder
                        && !MethodTypesVisibleToTraining.Contains(d.To))
            .GroupBy(d => d.To)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in offending)
        {
            var pairs = group.OrderBy(d => d.From, StringComparer.Ordinal).ToList();
            violations.Add(new Violation(R4a, $"Training uses {group.Key} ({Pairs(pairs.Count)})",
                Examples(pairs.Select(p => p.ToString()))));
        }
    }

    private static void CheckMethodNameStrings(DependencyGraph graph, List<Violation> violations)
    {
        var offending = graph.Strings
            .Where(s => graph.FolderOf(s.Type) == TrainingFolder
                        && MethodNames.Any(n => string.Equals(n, s.Value, StringComparison.OrdinalIgnoreCase)))
            .GroupBy(s => s.Type)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in offending)
        {
            var hits = group.OrderBy(s => s.Method, StringComparer.Ordinal).ToList();
            violations.Add(new Violation(R4b, $"{group.Key} loads method-name strings ({hits.Count} ldstr)",
                Examples(hits.Select(s => $"{s.Method}: ldstr \"{s.Value}\""))));
        }
    }

    private static void CheckCli(DependencyGraph graph, List<Violation> violations)
    {
        bool IsCli(string assembly) => string.Equals(assembly, CliAssembly, StringComparison.OrdinalIgnoreCase);
        foreach (var reference in graph.AssemblyReferences.Where(IsCli))
            violations.Add(new Violation(R6, $"{graph.AssemblyName} references assembly '{reference}'", []));
        var uses = graph.ExternalDependencies.Where(e => IsCli(e.Assembly))
            .OrderBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.To, StringComparer.Ordinal).ToList();
        if (uses.Count > 0)
            violations.Add(new Violation(R6, $"library types use types of '{CliAssembly}' ({Pairs(uses.Count)})",
                Examples(uses.Select(u => u.ToString()))));
    }

    private static void CheckWhitelist(DependencyGraph graph, List<Violation> violations)
    {
        foreach (var folder in graph.Folders.Where(f => !Allowed.ContainsKey(f)))
        {
            var types = graph.Types.Where(t => graph.FolderOf(t) == folder).ToList();
            violations.Add(new Violation(R8, $"unknown folder {folder}: add it to the table ({types.Count} types)",
                Examples(types)));
        }
        foreach (var ((from, to), pairs) in graph.FolderEdges)
        {
            if (!Allowed.ContainsKey(from) || !Allowed.ContainsKey(to)) continue; // reported as unknown above
            if (AllowedTargets(from).Contains(to)) continue;
            violations.Add(new Violation(R8, $"{from} -> {to} is not whitelisted ({Pairs(pairs.Count)})",
                Examples(pairs.Select(p => p.ToString()))));
        }
    }

    private static void CheckCycles(DependencyGraph graph, List<Violation> violations)
    {
        var edges = graph.FolderEdges;
        var successors = edges.Keys.GroupBy(e => e.From)
            .ToDictionary(g => g.Key, g => g.Select(e => e.To).Order(StringComparer.Ordinal).ToList());
        foreach (var scc in StronglyConnectedComponents(graph.Folders.ToList(), successors).Where(c => c.Count > 1))
        {
            var members = scc.ToHashSet();
            var cycles = new List<List<string>>();
            var seen = new HashSet<string>();
            foreach (var start in scc.Order(StringComparer.Ordinal))
            {
                var cycle = ShortestCycle(start, members, successors);
                var key = string.Join(">", Canonical(cycle));
                if (seen.Add(key)) cycles.Add(Canonical(cycle));
            }
            var details = new List<string>();
            foreach (var cycle in cycles.Take(MaxExamples))
            {
                details.Add("cycle: " + string.Join(" -> ", cycle.Append(cycle[0])));
                for (var i = 0; i < cycle.Count; i++)
                {
                    var hop = (cycle[i], cycle[(i + 1) % cycle.Count]);
                    var pairs = edges[hop];
                    var more = pairs.Count > 1 ? $" (+{pairs.Count - 1} more)" : "";
                    details.Add($"  {hop.Item1} -> {hop.Item2}: {pairs[0]}{more}");
                }
            }
            if (cycles.Count > MaxExamples) details.Add($"... and {cycles.Count - MaxExamples} more cycles");
            violations.Add(new Violation(R7,
                $"folders {string.Join(", ", scc.Order(StringComparer.Ordinal))} depend on each other", details));
        }
    }

    /// <summary>Rotates a cycle to start at its ordinal-smallest folder.</summary>
    private static List<string> Canonical(List<string> cycle)
    {
        var min = cycle.IndexOf(cycle.Min(StringComparer.Ordinal)!);
        return cycle.Skip(min).Concat(cycle.Take(min)).ToList();
    }

    /// <summary>Shortest cycle start -> ... -> start inside the component (BFS), without repeating start.</summary>
    private static List<string> ShortestCycle(string start, HashSet<string> members, Dictionary<string, List<string>> successors)
    {
        var parent = new Dictionary<string, string>();
        var queue = new Queue<string>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            foreach (var next in successors.GetValueOrDefault(node) ?? [])
            {
                if (!members.Contains(next)) continue;
                if (next == start)
                {
                    var path = new List<string> { node };
                    while (path[^1] != start) path.Add(parent[path[^1]]);
                    path.Reverse();
                    return path;
                }
                if (next == start || parent.ContainsKey(next)) continue;
                parent[next] = node;
                queue.Enqueue(next);
            }
        }
        throw new InvalidOperationException($"{start} is in a component but on no cycle");
    }

    /// <summary>Tarjan's algorithm over the folder graph.</summary>
    public static List<List<string>> StronglyConnectedComponents(
        IReadOnlyList<string> nodes, IReadOnlyDictionary<string, List<string>> successors)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var onStack = new HashSet<string>();
        var stack = new Stack<string>();
        var result = new List<List<string>>();
        var counter = 0;

        void Visit(string v)
        {
            index[v] = low[v] = counter++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in successors.GetValueOrDefault(v) ?? [])
            {
                if (!index.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], index[w]);
                }
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do
            {
                x = stack.Pop();
                onStack.Remove(x);
                component.Add(x);
            } while (x != v);
            result.Add(component);
        }

        foreach (var n in nodes.Order(StringComparer.Ordinal))
            if (!index.ContainsKey(n)) Visit(n);
        return result;
    }
}
