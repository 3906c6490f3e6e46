namespace Colorize.Tensors.Autograd;

/// <summary>Runs the backward pass over a recorded graph, like <c>torch.autograd.backward</c> and <c>torch.autograd.grad</c>.</summary>
public static class AutogradEngine
{
    /// <summary>
    /// Accumulates d(outputs)/d(leaf) into the <see cref="Tensor.Grad"/> of every leaf that requires grad.
    /// </summary>
    /// <param name="outputs">The tensors to differentiate.</param>
    /// <param name="gradOutputs">Their incoming gradients; null entries mean ones (only valid for one-element outputs).</param>
    /// <param name="retainGraph">Keep the graph so backward can run through it again.</param>
    /// <param name="createGraph">Record the backward pass itself so the gradients can be differentiated (double backward).</param>
    public static void Backward(Tensor[] outputs, Tensor?[]? gradOutputs = null, bool retainGraph = false, bool createGraph = false)
    {
        Run(outputs, gradOutputs, null, retainGraph || createGraph, createGraph);
    }

    /// <summary>
    /// Returns d(outputs)/d(inputs) without touching any <see cref="Tensor.Grad"/>, like <c>torch.autograd.grad</c>.
    /// </summary>
    /// <param name="outputs">The tensors to differentiate.</param>
    /// <param name="inputs">The tensors to differentiate with respect to.</param>
    /// <param name="gradOutputs">Incoming gradients; null entries mean ones.</param>
    /// <param name="retainGraph">Keep the graph for another backward pass (defaults to <paramref name="createGraph"/>).</param>
    /// <param name="createGraph">Record the computation so the returned gradients are differentiable.</param>
    /// <param name="allowUnused">Return zeros for inputs the outputs do not depend on instead of throwing.</param>
    public static Tensor[] Grad(
        Tensor[] outputs,
        Tensor[] inputs,
        Tensor?[]? gradOutputs = null,
        bool? retainGraph = null,
        bool createGraph = false,
        bool allowUnused = false)
    {
        var result = Run(outputs, gradOutputs, inputs, retainGraph ?? createGraph, createGraph)!;
        var grads = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            if (result[i] is { } g)
            {
                grads[i] = g;
            }
            else if (allowUnused)
            {
                grads[i] = Tensor.ZerosLike(inputs[i]);
            }
            else
            {
                throw new InvalidOperationException($"Input {i} was not used to compute the outputs (pass allowUnused: true to get zeros).");
            }
        }

        return grads;
    }

    private static Tensor?[]? Run(Tensor[] outputs, Tensor?[]? gradOutputs, Tensor[]? inputs, bool retainGraph, bool createGraph)
    {
        using var mode = createGraph ? GradMode.Enable() : GradMode.Disable();

        var grads = new Dictionary<Node, Tensor>();
        var leafGrads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < outputs.Length; i++)
        {
            var output = outputs[i];
            if (!output.RequiresGrad)
            {
                throw new InvalidOperationException($"Output {i} does not require grad and has no grad function.");
            }

            Tensor seed = gradOutputs?[i] ?? DefaultSeed(output);
            if (!ShapeUtil.SameShape(seed.Shape, output.Shape))
            {
                throw new ArgumentException($"Gradient shape {ShapeUtil.Format(seed.Shape)} does not match output shape {ShapeUtil.Format(output.Shape)}.");
            }

            if (output.GradFn is { } node)
            {
                Accumulate(grads, node, seed);
            }
            else
            {
                AccumulateLeaf(leafGrads, output, seed);
            }
        }

        // Which non-leaf inputs of torch.autograd.grad must be captured when their node runs.
        Dictionary<Node, int>? wantedNodes = null;
        HashSet<Tensor>? wantedLeaves = null;
        if (inputs is not null)
        {
            wantedNodes = [];
            wantedLeaves = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            for (int i = 0; i < inputs.Length; i++)
            {
                if (inputs[i].GradFn is { } n)
                {
                    wantedNodes[n] = i;
                }
                else
                {
                    wantedLeaves.Add(inputs[i]);
                }
            }
        }

        var nodes = CollectNodes(outputs);
        HashSet<Node>? useful = inputs is null ? null : UsefulNodes(nodes, wantedNodes!, wantedLeaves!);

        // Nodes are created after the nodes of their inputs, so decreasing sequence is a topological order.
        nodes.Sort((a, b) => b.Sequence.CompareTo(a.Sequence));
        var captured = inputs is null ? null : new Tensor?[inputs.Length];
        foreach (var node in nodes)
        {
            if (!grads.Remove(node, out var gradOut))
            {
                continue;
            }

            if (wantedNodes is not null && wantedNodes.TryGetValue(node, out int wantedIndex))
            {
                captured![wantedIndex] = gradOut;
            }

            if (useful is not null && !useful.Contains(node))
            {
                continue;
            }

            var backward = node.Backward
                ?? throw new InvalidOperationException($"Trying to backward through the graph a second time ({node.Name}); pass retainGraph: true the first time.");
            var needs = new bool[node.Inputs.Length];
            for (int i = 0; i < needs.Length; i++)
            {
                var input = node.Inputs[i];
                needs[i] = input is not null && (useful is null || IsUseful(input, useful, wantedLeaves!));
            }

            var inputGrads = backward(gradOut, needs);
            for (int i = 0; i < node.Inputs.Length; i++)
            {
                var input = node.Inputs[i];
                if (input is null || !needs[i] || inputGrads[i] is not { } g)
                {
                    continue;
                }

                if (!ShapeUtil.SameShape(g.Shape, input.Shape))
                {
                    throw new InvalidOperationException($"{node.Name} returned a gradient of shape {ShapeUtil.Format(g.Shape)} for an input of shape {ShapeUtil.Format(input.Shape)}.");
                }

                if (input.GradFn is { } inputNode)
                {
                    Accumulate(grads, inputNode, g);
                }
                else
                {
                    AccumulateLeaf(leafGrads, input, g);
                }
            }

            if (!retainGraph)
            {
                node.Release();
            }
        }

        if (inputs is not null)
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                if (inputs[i].GradFn is null && leafGrads.TryGetValue(inputs[i], out var g))
                {
                    captured![i] = g;
                }
            }

            return captured;
        }

        foreach (var (leaf, g) in leafGrads)
        {
            if (createGraph)
            {
                leaf.Grad = leaf.Grad is null ? g : leaf.Grad + g;
            }
            else if (leaf.Grad is null)
            {
                leaf.Grad = new Tensor(g.Data.ToArray(), leaf.GetShape());
            }
            else
            {
                Ops.Elementwise.AddInPlace(leaf.Grad, g);
            }
        }

        return null;
    }

    private static Tensor DefaultSeed(Tensor output)
    {
        if (output.Count != 1)
        {
            throw new InvalidOperationException($"Backward() without a gradient needs a one-element output; this one has shape {ShapeUtil.Format(output.Shape)}.");
        }

        return Tensor.OnesLike(output);
    }

    private static void Accumulate(Dictionary<Node, Tensor> grads, Node node, Tensor g)
    {
        grads[node] = grads.TryGetValue(node, out var existing) ? existing + g : g;
    }

    private static void AccumulateLeaf(Dictionary<Tensor, Tensor> grads, Tensor leaf, Tensor g)
    {
        grads[leaf] = grads.TryGetValue(leaf, out var existing) ? existing + g : g;
    }

    private static List<Node> CollectNodes(Tensor[] outputs)
    {
        var seen = new HashSet<Node>();
        var stack = new Stack<Node>();
        foreach (var o in outputs)
        {
            if (o.GradFn is { } n && seen.Add(n))
            {
                stack.Push(n);
            }
        }

        while (stack.Count > 0)
        {
            var n = stack.Pop();
            foreach (var input in n.Inputs)
            {
                if (input?.GradFn is { } child && seen.Add(child))
                {
                    stack.Push(child);
                }
            }
        }

        return [.. seen];
    }

    /// <summary>Nodes from which some requested input can be reached; the others need not run.</summary>
    private static HashSet<Node> UsefulNodes(List<Node> nodes, Dictionary<Node, int> wantedNodes, HashSet<Tensor> wantedLeaves)
    {
        var useful = new HashSet<Node>();
        var sorted = new List<Node>(nodes);
        sorted.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        foreach (var node in sorted)
        {
            foreach (var input in node.Inputs)
            {
                if (input is null)
                {
                    continue;
                }

                if ((input.GradFn is { } child && (useful.Contains(child) || wantedNodes.ContainsKey(child)))
                    || (input.GradFn is null && wantedLeaves.Contains(input)))
                {
                    useful.Add(node);
                    break;
                }
            }
        }

        return useful;
    }

    private static bool IsUseful(Tensor input, HashSet<Node> useful, HashSet<Tensor> wantedLeaves) =>
        input.GradFn is { } n ? useful.Contains(n) : wantedLeaves.Contains(input);
}
