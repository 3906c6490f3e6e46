namespace Colorize.Tensors.Autograd;

/// <summary>
/// Computes the gradients of a node's inputs from the gradient of its output. <paramref name="needsGrad"/>[i] is
/// false for inputs whose gradient is not wanted, so the function can skip that work and return null there.
/// </summary>
/// <remarks>Backward functions are written with tensor ops, so with <c>createGraph</c> they are differentiable again.</remarks>
internal delegate Tensor?[] BackwardFunction(Tensor gradOutput, bool[] needsGrad);

/// <summary>One recorded operation in the autograd graph: the inputs that need gradients and how to compute them.</summary>
internal sealed class Node
{
    private static long s_sequence;

    private Node(string name, Tensor?[] inputs, BackwardFunction backward)
    {
        Name = name;
        Inputs = inputs;
        Backward = backward;
        Sequence = Interlocked.Increment(ref s_sequence);
    }

    /// <summary>PyTorch-style name of the backward function, for diagnostics.</summary>
    public string Name { get; }

    /// <summary>Inputs that need gradients; null at positions that do not.</summary>
    public Tensor?[] Inputs { get; private set; }

    /// <summary>The backward function; null once the graph has been freed.</summary>
    public BackwardFunction? Backward { get; private set; }

    /// <summary>Creation order; a node always comes after the nodes of its inputs, which gives a topological order.</summary>
    public long Sequence { get; }

    /// <summary>Attaches a node to <paramref name="result"/>, recording which inputs need gradients.</summary>
    public static void Record(Tensor result, string name, Tensor[] inputs, BackwardFunction backward)
    {
        var kept = new Tensor?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            kept[i] = inputs[i].RequiresGrad ? inputs[i] : null;
        }

        result.SetGradFn(new Node(name, kept, backward));
    }

    /// <summary>Drops saved tensors so the graph can be collected (PyTorch frees buffers unless retain_graph).</summary>
    public void Release()
    {
        Backward = null;
        Inputs = [];
    }
}
