#!/usr/bin/python3
"""Writes the golden fixtures that prove Colorize.Tensors against PyTorch.

Run with Debian's Python and python3-torch (1.13):

    /usr/bin/python3 tests/golden/generate.py

Every fixture is a safetensors file under tests/golden/fixtures/. Random inputs come from torch's generator with
fixed seeds (one seed per file, so adding a case to one file leaves the others unchanged); the C# tests never draw
random numbers of their own, they read the inputs from the fixtures.

Layout of an op file (elementwise, reductions, linalg, shape, activations, conv, pool, resize, norm, losses):
  __metadata__[case]   JSON: {"op": ..., op parameters..., "outputs": n}
  case/in/<name>       an input (F32; integer-valued inputs such as indices are F32 too)
  case/out/<i>         output i of the op
  case/gout/<i>        the upstream gradient fed to output i (absent for non-differentiable outputs)
  case/grad/<name>     d(sum_i out_i * gout_i)/d(input name), for every input that requires grad
  case/after/<name>    state after the call (batch-norm running statistics)

References are computed in float64 from the float32 inputs (so they carry no float32 rounding of their own) and
stored as float32, except interpolate, which runs in float32 because PyTorch computes its sampling grid in the
input's precision and the C# engine follows the float32 grid.

The safetensors files are written by hand (the `safetensors` package is not needed): an 8-byte little-endian
header length, the JSON header (padded with spaces to a multiple of 8) and the raw little-endian data.
"""

import json
import math
import os
import struct
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")

F64 = torch.float64
F32 = torch.float32

_DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def write_safetensors(path, tensors, metadata):
    """Writes an ordered dict name -> tensor (float32 or int64) and a str -> str metadata dict."""
    header = OrderedDict()
    header["__metadata__"] = OrderedDict((k, metadata[k]) for k in metadata)
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        if t.dtype not in _DTYPES:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        dtype, _ = _DTYPES[t.dtype]
        data = t.numpy().astype(_DTYPES[t.dtype][1]).tobytes() if t.numel() else b""
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


class Fixture:
    """Collects the tensors and metadata of one fixture file."""

    def __init__(self, name, seed):
        self.name = name
        self.tensors = OrderedDict()
        self.meta = OrderedDict()
        torch.manual_seed(seed)

    def put(self, key, t):
        if key in self.tensors:
            raise KeyError(f"duplicate tensor {key}")
        t = t.detach().clone()  # a snapshot: in-place updates (running stats) must not reach stored tensors
        if t.dtype in (torch.float64, torch.float16, torch.bfloat16):
            t = t.float()
        self.tensors[key] = t

    def note(self, key, value):
        self.meta[key] = value if isinstance(value, str) else json.dumps(value)

    def case(self, name, op, inputs, fn, grad=None, dtype=F64, **params):
        """Records one op case.

        inputs: OrderedDict name -> float32 tensor. grad: names of inputs that require grad (default: all).
        fn(*inputs_in_dtype) returns a tensor or a tuple of tensors.
        """
        grad = list(inputs) if grad is None else grad
        live = OrderedDict()
        for k, v in inputs.items():
            self.put(f"{name}/in/{k}", v)
            x = v.to(dtype)
            if k in grad:
                x.requires_grad_(True)
            live[k] = x
        outs = fn(*live.values())
        if isinstance(outs, torch.Tensor):
            outs = (outs,)
        diff_outs, gouts = [], []
        for i, o in enumerate(outs):
            self.put(f"{name}/out/{i}", o if o.is_floating_point() else o.float())
            if o.requires_grad:
                g = torch.randn(o.shape, dtype=F32)
                self.put(f"{name}/gout/{i}", g)
                diff_outs.append(o)
                gouts.append(g.to(o.dtype))
        if diff_outs:
            torch.autograd.backward(diff_outs, gouts)
            for k in grad:
                if live[k].grad is None:
                    raise RuntimeError(f"{name}: no gradient for {k}")
                self.put(f"{name}/grad/{k}", live[k].grad)
        meta = OrderedDict(op=op)
        meta.update(params)
        meta["outputs"] = len(outs)
        self.note(name, meta)
        return live, outs

    def double_case(self, name, op, inputs, fn, grad=None, **params):
        """Records first and second derivatives of a one-output op (what createGraph / WGAN-GP needs).

        grad/<k>   g_k = d(sum out * gout)/d input_k, computed with create_graph=True
        ggw/<k>    a random weight for g_k
        grad2/<k>  d(sum_k g_k * ggw_k)/d input_k (zeros where PyTorch reports the input unused)
        """
        grad = list(inputs) if grad is None else grad
        live = OrderedDict()
        for k, v in inputs.items():
            self.put(f"{name}/in/{k}", v)
            x = v.to(F64)
            if k in grad:
                x.requires_grad_(True)
            live[k] = x
        out = fn(*live.values())
        self.put(f"{name}/out/0", out)
        gout = torch.randn(out.shape, dtype=F32)
        self.put(f"{name}/gout/0", gout)
        wrt = [live[k] for k in grad]
        g1 = torch.autograd.grad(out, wrt, gout.double(), create_graph=True)
        total = 0
        for k, g in zip(grad, g1):
            w = torch.randn(g.shape, dtype=F32)
            self.put(f"{name}/grad/{k}", g)
            self.put(f"{name}/ggw/{k}", w)
            total = total + (g * w.double()).sum()
        unused = []
        if total.requires_grad:
            g2 = torch.autograd.grad(total, wrt, allow_unused=True)
        else:
            g2 = [None] * len(wrt)
        for k, g, x in zip(grad, g2, wrt):
            if g is None:
                unused.append(k)
                g = torch.zeros_like(x)
            self.put(f"{name}/grad2/{k}", g)
        meta = OrderedDict(op=op)
        meta.update(params)
        meta["outputs"] = 1
        meta["unused"] = unused
        self.note(name, meta)

    def save(self):
        os.makedirs(OUT, exist_ok=True)
        path = os.path.join(OUT, self.name + ".safetensors")
        write_safetensors(path, self.tensors, self.meta)
        return path


def randn(*shape):
    return torch.randn(*shape, dtype=F32)


def rand(*shape, low=0.0, high=1.0):
    return (torch.rand(*shape, dtype=F32) * (high - low) + low).float()


def away_from_zero(*shape, margin=0.3):
    """Values with |x| >= margin, so kinks (abs, relu, clamp bounds) and poles (1/x) stay far away."""
    x = randn(*shape)
    return (torch.sign(x) * (x.abs() + margin)).float()


def distinct(*shape):
    """A random permutation of well-separated values: no ties for max/max_pool."""
    n = 1
    for s in shape:
        n *= s
    return (torch.randperm(n).float() * 0.37 - n * 0.15).reshape(*shape) / max(1.0, n / 8.0)


def od(**kw):
    return OrderedDict(kw)


# ---------------------------------------------------------------------------------------------------------------------


def gen_elementwise():
    fx = Fixture("elementwise", 101)
    fx.case("add_broadcast", "add", od(a=randn(2, 3, 4), b=randn(3, 1)), lambda a, b: a + b)
    fx.case("sub_both_broadcast", "sub", od(a=randn(2, 1, 5), b=randn(3, 5)), lambda a, b: a - b)
    fx.case("mul_broadcast", "mul", od(a=randn(2, 3, 4), b=randn(4)), lambda a, b: a * b)
    fx.case("div_broadcast", "div", od(a=randn(3, 4), b=away_from_zero(2, 3, 1)), lambda a, b: a / b)
    fx.case("div_rank0", "div", od(a=randn(2, 5), b=away_from_zero(1).reshape(())), lambda a, b: a / b)
    for e in (2.0, 3.0, 0.5, -1.5, 1.7):
        fx.case(f"pow_{e}", "pow", od(x=rand(3, 5, low=0.4, high=2.0)), lambda x, e=e: x.pow(e), exponent=e)
    fx.case("pow_2_negative_base", "pow", od(x=randn(4, 3)), lambda x: x.pow(2.0), exponent=2.0)
    fx.case("pow_3_negative_base", "pow", od(x=randn(4, 3)), lambda x: x.pow(3.0), exponent=3.0)
    fx.case("sqrt", "sqrt", od(x=rand(3, 7, low=0.2, high=3.0)), torch.sqrt)
    fx.case("exp", "exp", od(x=randn(2, 3, 5)), torch.exp)
    fx.case("log", "log", od(x=rand(4, 6, low=0.1, high=5.0)), torch.log)
    fx.case("abs", "abs", od(x=away_from_zero(3, 7, margin=0.05)), torch.abs)
    fx.case("neg", "neg", od(x=randn(5, 3)), torch.neg)
    fx.case("add_scalar", "add_scalar", od(x=randn(3, 4)), lambda x: x + 0.75, value=0.75)
    fx.case("mul_scalar", "mul_scalar", od(x=randn(3, 4)), lambda x: x * -1.25, value=-1.25)
    fx.case("rsub_scalar", "rsub_scalar", od(x=randn(3, 4)), lambda x: 1.0 - x, value=1.0)
    x = randn(4, 9) * 1.5
    # keep values away from the clamp bounds so the gradient mask is unambiguous
    x = torch.where((x - 0.7).abs() < 0.05, x + 0.1, x)
    x = torch.where((x + 0.5).abs() < 0.05, x - 0.1, x)
    fx.case("clamp_both", "clamp", od(x=x), lambda x: x.clamp(-0.5, 0.7), min=-0.5, max=0.7)
    fx.case("clamp_min", "clamp", od(x=x.clone()), lambda x: x.clamp(min=-0.5), min=-0.5, max=None)
    fx.case("clamp_max", "clamp", od(x=x.clone()), lambda x: x.clamp(max=0.7), min=None, max=0.7)
    cond = (torch.rand(3, 1) > 0.5).float()
    cond[0, 0], cond[1, 0] = 1.0, 0.0
    fx.case("where_broadcast", "where", od(cond=cond, a=randn(2, 3, 4), b=randn(4)),
            lambda cond, a, b: torch.where(cond != 0, a, b), grad=["a", "b"])
    a, b = randn(3, 5), randn(3, 5)
    fx.case("maximum", "maximum", od(a=a, b=b), torch.maximum)
    fx.case("minimum_broadcast", "minimum", od(a=randn(2, 3, 5), b=randn(5)), torch.minimum)
    fx.case("square", "square", od(x=randn(3, 4)), torch.square)
    # ties and kinks: PyTorch's conventions at exactly equal / exactly zero / exactly at a bound
    ta = torch.tensor([[1.0, 2.0, -3.0, 0.5], [0.0, 4.0, 4.0, -1.0]])
    tb = torch.tensor([[1.0, 1.0, -3.0, 0.75], [0.0, 5.0, 4.0, -2.0]])
    fx.case("maximum_ties", "maximum", od(a=ta, b=tb), torch.maximum)
    fx.case("minimum_ties", "minimum", od(a=ta.clone(), b=tb.clone()), torch.minimum)
    fx.case("abs_at_zero", "abs", od(x=torch.tensor([-2.0, -0.0, 0.0, 0.5, 0.0, 3.0])), torch.abs)
    fx.case("clamp_at_bounds", "clamp", od(x=torch.tensor([-1.0, -0.5, -0.25, 0.0, 0.5, 0.75])),
            lambda x: x.clamp(-0.5, 0.5), min=-0.5, max=0.5)
    fx.case("mul_one_side_grad", "mul", od(a=randn(2, 3), b=randn(3)), lambda a, b: a * b, grad=["a"])
    fx.save()


def gen_activations():
    fx = Fixture("activations", 102)
    fx.case("relu", "relu", od(x=away_from_zero(2, 3, 5, margin=0.01)), F.relu)
    fx.case("leaky_relu_0.2", "leaky_relu", od(x=away_from_zero(2, 3, 5, margin=0.01)), lambda x: F.leaky_relu(x, 0.2),
            negative_slope=0.2)
    fx.case("leaky_relu_default", "leaky_relu", od(x=away_from_zero(4, 6, margin=0.01)), F.leaky_relu,
            negative_slope=0.01)
    fx.case("tanh", "tanh", od(x=randn(3, 7) * 2), torch.tanh)
    fx.case("sigmoid", "sigmoid", od(x=randn(3, 7) * 3), torch.sigmoid)
    for d in (0, 1, -1):
        fx.case(f"softmax_dim{d}", "softmax", od(x=randn(3, 4, 5) * 2), lambda x, d=d: F.softmax(x, dim=d), dim=d)
    fx.case("softmax_large_values", "softmax", od(x=randn(2, 9) * 30 + 50), lambda x: F.softmax(x, dim=1), dim=1)
    z = torch.tensor([[-1.0, 0.0, 2.0], [0.0, -0.0, 0.5]])
    fx.case("relu_at_zero", "relu", od(x=z), F.relu)
    fx.case("leaky_relu_at_zero", "leaky_relu", od(x=z.clone()), lambda x: F.leaky_relu(x, 0.2), negative_slope=0.2)
    fx.case("softmax_single", "softmax", od(x=randn(3, 1)), lambda x: F.softmax(x, dim=1), dim=1)
    fx.save()


def gen_reductions():
    fx = Fixture("reductions", 103)
    x3 = lambda: randn(3, 4, 5)  # noqa: E731
    fx.case("sum_all", "sum", od(x=x3()), lambda x: x.sum(), dims=None, keepdim=False)
    fx.case("sum_dim1", "sum", od(x=x3()), lambda x: x.sum(1), dims=[1], keepdim=False)
    fx.case("sum_dims02_keep", "sum", od(x=x3()), lambda x: x.sum((0, 2), keepdim=True), dims=[0, 2], keepdim=True)
    fx.case("sum_neg_dim", "sum", od(x=x3()), lambda x: x.sum(-1), dims=[-1], keepdim=False)
    fx.case("mean_all", "mean", od(x=x3()), lambda x: x.mean(), dims=None, keepdim=False)
    fx.case("mean_dim2_keep", "mean", od(x=x3()), lambda x: x.mean(2, keepdim=True), dims=[2], keepdim=True)
    fx.case("mean_dims01", "mean", od(x=x3()), lambda x: x.mean((0, 1)), dims=[0, 1], keepdim=False)
    for unbiased in (True, False):
        u = "unbiased" if unbiased else "biased"
        fx.case(f"var_all_{u}", "var", od(x=x3()), lambda x, u=unbiased: x.var(unbiased=u),
                dims=None, unbiased=unbiased, keepdim=False)
        fx.case(f"var_dim1_{u}", "var", od(x=x3()), lambda x, u=unbiased: x.var(1, unbiased=u),
                dims=[1], unbiased=unbiased, keepdim=False)
        fx.case(f"var_dims02_keep_{u}", "var", od(x=x3()), lambda x, u=unbiased: x.var((0, 2), unbiased=u, keepdim=True),
                dims=[0, 2], unbiased=unbiased, keepdim=True)
    fx.case("max_all", "max", od(x=distinct(3, 4, 5)), lambda x: x.max(), dim=None, keepdim=False)
    fx.case("max_dim1", "max", od(x=distinct(3, 4, 5)), lambda x: tuple(x.max(1)), dim=1, keepdim=False)
    fx.case("max_dim_last_keep", "max", od(x=distinct(3, 4, 5)), lambda x: tuple(x.max(-1, keepdim=True)), dim=-1,
            keepdim=True)
    fx.case("max_dim0", "max", od(x=distinct(4, 7)), lambda x: tuple(x.max(0)), dim=0, keepdim=False)
    fx.case("norm_all", "norm", od(x=x3()), lambda x: x.norm(), dims=None, keepdim=False)
    fx.case("norm_dim1", "norm", od(x=x3()), lambda x: x.norm(dim=1), dims=[1], keepdim=False)
    fx.case("norm_dims12_keep", "norm", od(x=x3()), lambda x: x.norm(dim=(1, 2), keepdim=True), dims=[1, 2],
            keepdim=True)
    ties = torch.tensor([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, -1.0], [0.0, -2.0, 0.0, 0.0]])
    fx.case("max_all_ties", "max", od(x=torch.tensor([[1.0, 4.0], [4.0, 4.0]])), lambda x: x.max(), dim=None,
            keepdim=False)
    fx.case("max_dim_ties", "max", od(x=ties), lambda x: tuple(x.max(1)), dim=1, keepdim=False)
    fx.save()


def gen_linalg():
    fx = Fixture("linalg", 104)
    fx.case("matmul_2d", "matmul", od(a=randn(5, 7), b=randn(7, 3)), torch.matmul)
    fx.case("matmul_batched_broadcast", "matmul", od(a=randn(2, 1, 5, 7), b=randn(3, 7, 4)), torch.matmul)
    fx.case("matmul_3d_2d", "matmul", od(a=randn(3, 4, 6), b=randn(6, 5)), torch.matmul)
    fx.case("matmul_matvec", "matmul", od(a=randn(5, 7), b=randn(7)), torch.matmul)
    fx.case("matmul_vecmat", "matmul", od(a=randn(7), b=randn(7, 3)), torch.matmul)
    fx.case("matmul_dot", "matmul", od(a=randn(9), b=randn(9)), torch.matmul)
    fx.case("bmm", "bmm", od(a=randn(3, 4, 5), b=randn(3, 5, 2)), torch.bmm)
    fx.case("bmm_larger", "bmm", od(a=randn(2, 17, 33), b=randn(2, 33, 19)), torch.bmm)
    fx.case("linear", "linear", od(x=randn(4, 6), w=randn(3, 6), b=randn(3)), F.linear)
    fx.case("linear_3d_input", "linear", od(x=randn(2, 5, 6), w=randn(4, 6), b=randn(4)), F.linear)
    fx.case("linear_no_bias", "linear", od(x=randn(3, 7), w=randn(2, 7)), F.linear)
    fx.case("linear_1d_input", "linear", od(x=randn(6), w=randn(3, 6), b=randn(3)), F.linear)
    fx.save()


def gen_shape():
    fx = Fixture("shape", 105)
    fx.case("reshape", "reshape", od(x=randn(2, 3, 4)), lambda x: x.reshape(4, -1), shape=[4, -1])
    fx.case("flatten_1", "flatten", od(x=randn(2, 3, 4, 5)), lambda x: x.flatten(1), start=1, end=-1)
    fx.case("permute", "permute", od(x=randn(2, 3, 4)), lambda x: x.permute(2, 0, 1).contiguous(), dims=[2, 0, 1])
    fx.case("permute_4d", "permute", od(x=randn(2, 3, 4, 5)), lambda x: x.permute(0, 2, 3, 1).contiguous(),
            dims=[0, 2, 3, 1])
    fx.case("transpose", "transpose", od(x=randn(2, 3, 4)), lambda x: x.transpose(0, 2).contiguous(), dim0=0, dim1=2)
    fx.case("narrow", "narrow", od(x=randn(3, 6, 2)), lambda x: x.narrow(1, 1, 3), dim=1, start=1, length=3)
    fx.case("slice_step2", "slice", od(x=randn(3, 8, 2)), lambda x: x[:, 1:6:2], dim=1, start=1, end=6, step=2)
    fx.case("slice_step3_last", "slice", od(x=randn(2, 3, 10)), lambda x: x[..., 0:10:3], dim=2, start=0, end=10,
            step=3)
    fx.case("slice_negative", "slice", od(x=randn(7, 3)), lambda x: x[-5:-1:2], dim=0, start=-5, end=-1, step=2)
    fx.case("cat_dim1", "cat", od(a=randn(2, 1, 3), b=randn(2, 4, 3), c=randn(2, 2, 3)),
            lambda a, b, c: torch.cat([a, b, c], 1), dim=1)
    fx.case("cat_dim_last", "cat", od(a=randn(2, 3), b=randn(2, 5)), lambda a, b: torch.cat([a, b], -1), dim=-1)
    fx.case("stack_dim0", "stack", od(a=randn(3, 4), b=randn(3, 4)), lambda a, b: torch.stack([a, b], 0), dim=0)
    fx.case("stack_dim2", "stack", od(a=randn(3, 4), b=randn(3, 4), c=randn(3, 4)),
            lambda a, b, c: torch.stack([a, b, c], 2), dim=2)
    fx.case("split_sizes", "split_sizes", od(x=randn(2, 6, 3)), lambda x: tuple(x.split([1, 2, 3], 1)),
            sizes=[1, 2, 3], dim=1)
    fx.case("split_uneven", "split", od(x=randn(7, 3)), lambda x: tuple(x.split(3, 0)), size=3, dim=0)
    fx.case("chunk", "chunk", od(x=randn(2, 7)), lambda x: tuple(x.chunk(3, 1)), chunks=3, dim=1)
    fx.case("expand", "expand", od(x=randn(3, 1)), lambda x: x.expand(2, 3, 4), shape=[2, 3, 4])
    fx.case("expand_keep", "expand", od(x=randn(1, 4)), lambda x: x.expand(3, -1), shape=[3, -1])
    fx.case("unsqueeze", "unsqueeze", od(x=randn(3, 4)), lambda x: x.unsqueeze(1), dim=1)
    fx.case("squeeze", "squeeze", od(x=randn(3, 1, 4)), lambda x: x.squeeze(1), dim=1)
    fx.case("cat_partial_grad", "cat", od(a=randn(2, 3), b=randn(2, 2), c=randn(2, 1)),
            lambda a, b, c: torch.cat([a, b, c], 1), grad=["b"], dim=1)
    fx.save()


def gen_conv():
    fx = Fixture("conv", 106)

    def conv(name, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        ins = od(x=x, w=w) if b is None else od(x=x, w=w, b=b)
        fx.case(name, "conv2d", ins,
                lambda x, w, b=None: F.conv2d(x, w, b, stride, padding, dilation, groups),
                stride=list(stride), padding=list(padding), dilation=list(dilation), groups=groups)

    conv("basic_pad1_bias", randn(2, 3, 7, 9), randn(4, 3, 3, 3), randn(4), padding=(1, 1))
    conv("stride2_nobias_odd", randn(2, 3, 9, 8), randn(5, 3, 3, 3), stride=(2, 2))
    conv("asymmetric", randn(2, 3, 9, 10), randn(4, 3, 3, 2), randn(4), stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    conv("dilation2", randn(1, 2, 10, 11), randn(3, 2, 3, 3), randn(3), padding=(2, 2), dilation=(2, 2))
    conv("groups2", randn(2, 4, 6, 7), randn(6, 2, 3, 3), randn(6), stride=(2, 2), padding=(1, 1), groups=2)
    conv("depthwise", randn(2, 3, 5, 5), randn(3, 1, 3, 3), randn(3), padding=(1, 1), groups=3)
    conv("pointwise", randn(3, 5, 4, 6), randn(2, 5, 1, 1), randn(2))
    conv("k4_s2_p1", randn(2, 3, 8, 8), randn(4, 3, 4, 4), randn(4), stride=(2, 2), padding=(1, 1))
    conv("k5_s3_p2_odd", randn(2, 2, 11, 13), randn(3, 2, 5, 5), None, stride=(3, 3), padding=(2, 2))
    conv("channels20", randn(2, 20, 5, 6), randn(24, 20, 3, 3), randn(24), padding=(1, 1))
    # more output pixels per image than one im2col chunk (2048 columns), and wide stride-2 rows
    conv("many_columns", randn(1, 2, 47, 50), randn(3, 2, 3, 3), randn(3), padding=(1, 1))
    conv("wide_stride2_rows", randn(2, 3, 7, 71), randn(4, 3, 4, 4), randn(4), stride=(2, 2), padding=(1, 1))

    def convt(name, x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), groups=1, dilation=(1, 1)):
        ins = od(x=x, w=w) if b is None else od(x=x, w=w, b=b)
        fx.case(name, "conv_transpose2d", ins,
                lambda x, w, b=None: F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation),
                stride=list(stride), padding=list(padding), output_padding=list(output_padding), groups=groups,
                dilation=list(dilation))

    convt("k4_s2_p1_bias", randn(2, 4, 5, 6), randn(4, 3, 4, 4), randn(3), stride=(2, 2), padding=(1, 1))
    convt("k3_s2_p1_outpad1", randn(2, 3, 4, 5), randn(3, 2, 3, 3), None, stride=(2, 2), padding=(1, 1),
          output_padding=(1, 1))
    convt("groups2_outpad", randn(2, 4, 3, 4), randn(4, 3, 3, 3), randn(6), stride=(2, 2), output_padding=(1, 1),
          groups=2)
    convt("t_dilation2", randn(1, 2, 4, 4), randn(2, 3, 3, 3), randn(3), padding=(1, 1), dilation=(2, 2))
    convt("t_asymmetric", randn(2, 3, 3, 4), randn(3, 2, 3, 2), randn(2), stride=(3, 2), padding=(1, 0),
          output_padding=(2, 1))
    convt("stride1_k1", randn(2, 5, 3, 3), randn(5, 4, 1, 1), randn(4))
    convt("t_many_columns", randn(1, 3, 23, 26), randn(3, 2, 4, 4), randn(2), stride=(2, 2), padding=(1, 1))
    fx.save()


def gen_pool():
    fx = Fixture("pool", 107)

    def maxpool(name, x, k, s=None, p=0, d=1, ceil=False):
        fx.case(name, "max_pool2d", od(x=x), lambda x: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil),
                kernel=k, stride=s, padding=p, dilation=d, ceil_mode=ceil)

    maxpool("max_k2", distinct(2, 3, 7, 9), 2)
    maxpool("max_k3_s2_p1", distinct(2, 3, 7, 9), 3, 2, 1)
    maxpool("max_k3_s2_ceil", distinct(2, 2, 8, 10), 3, 2, 0, ceil=True)
    maxpool("max_k3_s2_p1_ceil", distinct(1, 3, 8, 9), 3, 2, 1, ceil=True)
    maxpool("max_k2_s1_dil2", distinct(2, 2, 6, 7), 2, 1, 0, 2)
    maxpool("max_negative_padded", -distinct(1, 2, 5, 5).abs() - 1, 3, 2, 1)

    def avgpool(name, x, k, s=None, p=0, ceil=False, include=True):
        fx.case(name, "avg_pool2d", od(x=x),
                lambda x: F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=include),
                kernel=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=include)

    avgpool("avg_k2_odd", randn(2, 3, 7, 9), 2)
    avgpool("avg_k3_s2_p1_include", randn(2, 3, 7, 9), 3, 2, 1, include=True)
    avgpool("avg_k3_s2_p1_exclude", randn(2, 3, 7, 9), 3, 2, 1, include=False)
    avgpool("avg_k3_s2_p1_ceil_include", randn(2, 2, 8, 9), 3, 2, 1, ceil=True, include=True)
    avgpool("avg_k3_s2_p1_ceil_exclude", randn(2, 2, 8, 9), 3, 2, 1, ceil=True, include=False)
    avgpool("avg_k2_s2_ceil", randn(1, 2, 7, 5), 2, 2, 0, ceil=True)
    avgpool("avg_k3_s1_p1", randn(2, 2, 5, 6), 3, 1, 1, include=False)

    for (oh, ow) in ((3, 4), (5, 5), (1, 1), (10, 4), (7, 2)):
        fx.case(f"adaptive_{oh}x{ow}", "adaptive_avg_pool2d", od(x=randn(2, 3, 7, 9)),
                lambda x, oh=oh, ow=ow: F.adaptive_avg_pool2d(x, (oh, ow)), size=[oh, ow])
    # ceil_mode where the last window would start in the right padding: PyTorch drops it
    maxpool("max_k2_s2_p1_ceil_drop", distinct(1, 2, 5, 7), 2, 2, 1, ceil=True)
    avgpool("avg_k2_s2_p1_ceil_drop", randn(1, 2, 5, 7), 2, 2, 1, ceil=True)
    avgpool("avg_k2_s2_p1_ceil_drop_exclude", randn(1, 2, 5, 7), 2, 2, 1, ceil=True, include=False)
    maxpool("max_k3_s2_dil2_ceil", distinct(1, 2, 9, 10), 3, 2, 1, 2, ceil=True)
    # ties inside windows: the first maximum in scan order gets the gradient
    maxpool("max_ties", torch.randint(0, 3, (2, 2, 6, 7)).float(), 3, 2, 1)
    fx.save()


def gen_resize():
    fx = Fixture("resize", 108)

    def interp(name, x, size=None, scale=None, mode="nearest", align=None):
        kw = {} if mode == "nearest" else {"align_corners": align}
        fx.case(name, "interpolate", od(x=x),
                lambda x: F.interpolate(x, size=size, scale_factor=scale, mode=mode, **kw), dtype=F32,
                size=list(size) if size else None, scale_factor=scale, mode=mode, align_corners=bool(align))

    interp("nearest_up_size", randn(2, 3, 7, 9), size=(12, 20))
    interp("nearest_down_size", randn(2, 3, 7, 9), size=(4, 5))
    interp("nearest_up_x2", randn(2, 2, 5, 6), scale=2.0)
    interp("nearest_down_x0.5", randn(1, 3, 9, 8), scale=0.5)
    interp("nearest_x1.7", randn(2, 2, 5, 7), scale=1.7)
    interp("nearest_x3", randn(1, 2, 3, 4), scale=3.0)
    for align in (False, True):
        a = "ac" if align else "noac"
        interp(f"bilinear_up_size_{a}", randn(2, 3, 5, 7), size=(11, 9), mode="bilinear", align=align)
        interp(f"bilinear_down_size_{a}", randn(2, 3, 9, 11), size=(4, 6), mode="bilinear", align=align)
        interp(f"bilinear_up_x2_{a}", randn(2, 2, 4, 5), scale=2.0, mode="bilinear", align=align)
        interp(f"bilinear_x0.6_{a}", randn(1, 2, 10, 9), scale=0.6, mode="bilinear", align=align)
        interp(f"bilinear_x1.5_{a}", randn(2, 1, 5, 6), scale=1.5, mode="bilinear", align=align)
        interp(f"bilinear_to_1_{a}", randn(1, 2, 4, 5), size=(1, 3), mode="bilinear", align=align)

    fx.case("pixel_shuffle_2", "pixel_shuffle", od(x=randn(2, 8, 3, 5)), lambda x: F.pixel_shuffle(x, 2), factor=2)
    fx.case("pixel_shuffle_3", "pixel_shuffle", od(x=randn(1, 9, 2, 3)), lambda x: F.pixel_shuffle(x, 3), factor=3)

    def pad(name, x, p, mode, value=0.0):
        kw = {"value": value} if mode == "constant" else {}
        fx.case(name, "pad", od(x=x), lambda x: F.pad(x, p, mode=mode, **kw), padding=list(p), mode=mode,
                value=value)

    pad("pad_zeros", randn(2, 3, 4, 5), (1, 2, 0, 3), "constant")
    pad("pad_constant_value", randn(1, 2, 3, 4), (2, 1, 1, 2), "constant", 0.5)
    pad("pad_reflect", randn(2, 2, 5, 6), (2, 1, 3, 4), "reflect")
    pad("pad_reflect_1", randn(1, 3, 3, 3), (1, 1, 1, 1), "reflect")
    pad("pad_replicate", randn(2, 2, 3, 4), (3, 1, 2, 5), "replicate")
    fx.save()


def gen_norm():
    fx = Fixture("norm", 109)

    def bn_train(name, shape, momentum, affine=True, eps=1e-5):
        c = shape[1]
        x = randn(*shape) * 1.5 + 0.3
        rm, rv = randn(c) * 0.5, rand(c, low=0.5, high=2.0)
        ins = od(x=x, w=rand(c, low=0.5, high=1.5), b=randn(c)) if affine else od(x=x)
        state = {"rm": rm.double(), "rv": rv.double()}
        fx.put(f"{name}/in/running_mean", rm)
        fx.put(f"{name}/in/running_var", rv)
        fx.case(name, "batch_norm", ins,
                lambda x, w=None, b=None: F.batch_norm(x, state["rm"], state["rv"], w, b, True, momentum, eps),
                training=True, momentum=momentum, eps=eps)
        fx.put(f"{name}/after/running_mean", state["rm"])
        fx.put(f"{name}/after/running_var", state["rv"])

    bn_train("bn_train", (4, 3, 5, 6), 0.1)
    bn_train("bn_train_momentum0.3", (3, 5, 3, 4), 0.3)
    bn_train("bn_train_no_affine", (2, 4, 3, 3), 0.1, affine=False)
    bn_train("bn_train_2d_input", (6, 5), 0.1)

    c = 3
    x, rm, rv = randn(2, c, 4, 5), randn(c) * 0.5, rand(c, low=0.5, high=2.0)
    fx.put("bn_eval/in/running_mean", rm)
    fx.put("bn_eval/in/running_var", rv)
    fx.case("bn_eval", "batch_norm", od(x=x, w=rand(c, low=0.5, high=1.5), b=randn(c)),
            lambda x, w, b: F.batch_norm(x, rm.double(), rv.double(), w, b, False, 0.1, 1e-5),
            training=False, momentum=0.1, eps=1e-5)

    fx.case("instance_norm_affine", "instance_norm", od(x=randn(2, 3, 5, 7) * 2 + 1, w=rand(3, low=0.5, high=1.5),
                                                         b=randn(3)),
            lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-5), eps=1e-5)
    fx.case("instance_norm_plain", "instance_norm", od(x=randn(3, 2, 4, 6) * 0.7 - 0.4),
            lambda x: F.instance_norm(x, eps=1e-5), eps=1e-5)
    fx.save()


def gen_losses():
    fx = Fixture("losses", 110)
    fx.case("l1", "l1", od(x=randn(2, 3, 4), t=randn(2, 3, 4)), F.l1_loss, grad=["x"])
    fx.case("l1_sum", "l1", od(x=randn(3, 5), t=randn(3, 5)), lambda x, t: F.l1_loss(x, t, reduction="sum"),
            grad=["x"], reduction="sum")
    fx.case("mse", "mse", od(x=randn(2, 3, 4), t=randn(2, 3, 4)), F.mse_loss, grad=["x", "t"])
    fx.case("mse_none", "mse", od(x=randn(3, 4), t=randn(3, 4)), lambda x, t: F.mse_loss(x, t, reduction="none"),
            grad=["x"], reduction="none")
    fx.case("bce_logits_smoothed_const", "bce_with_logits", od(x=randn(4, 5) * 3),
            lambda x: F.binary_cross_entropy_with_logits(x, torch.full_like(x, 0.9)), target=0.9)
    fx.case("bce_logits_smoothed_zero", "bce_with_logits", od(x=randn(4, 5) * 3),
            lambda x: F.binary_cross_entropy_with_logits(x, torch.full_like(x, 0.1)), target=0.1)
    fx.case("bce_logits_tensor_target", "bce_with_logits", od(x=randn(3, 1, 4) * 4, t=rand(3, 1, 4)),
            F.binary_cross_entropy_with_logits, target=None)
    fx.case("bce_logits_extreme", "bce_with_logits", od(x=torch.tensor([-60.0, -20.0, -3.0, 2.5, 25.0, 70.0])),
            lambda x: F.binary_cross_entropy_with_logits(x, torch.full_like(x, 0.95)), target=0.95)
    # logits exactly 0 (a zero-initialised head): PyTorch's gradient is sigmoid(0) - target = 0.5 - target
    fx.case("bce_logits_at_zero", "bce_with_logits", od(x=torch.tensor([[0.0, 0.0, 1.5], [-0.0, -2.0, 0.0]])),
            lambda x: F.binary_cross_entropy_with_logits(x, torch.full_like(x, 0.9)), target=0.9)
    fx.case("hinge_critic", "hinge_critic", od(real=away_from_zero(6, 1) + 1.0, fake=away_from_zero(6, 1) - 1.0),
            lambda real, fake: F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean())
    fx.case("hinge_generator", "hinge_generator", od(fake=randn(5, 1)), lambda fake: -fake.mean())
    fx.case("wasserstein_critic", "wasserstein_critic", od(real=randn(6, 1), fake=randn(6, 1)),
            lambda real, fake: fake.mean() - real.mean())
    fx.case("wasserstein_generator", "wasserstein_generator", od(fake=randn(5, 1)), lambda fake: -fake.mean())
    fx.save()


# ---- modules ----------------------------------------------------------------------------------------------------


class ConvNet(nn.Module):
    """A small conv net: every layer type a pix2pix generator uses (conv, BN, leaky ReLU, transposed conv, tanh)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.LeakyReLU(0.2),
            nn.Conv2d(8, 8, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1),
            nn.Tanh(),
        )
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        return self.head(self.net(x))


class SelfAttention(nn.Module):
    """fastai's SelfAttention with 2-D 1x1 convs named query/key/value (spectral-normalised, no bias) and gamma."""

    def __init__(self, n_channels):
        super().__init__()
        self.query = nn.utils.spectral_norm(nn.Conv2d(n_channels, n_channels // 8, 1, bias=False))
        self.key = nn.utils.spectral_norm(nn.Conv2d(n_channels, n_channels // 8, 1, bias=False))
        self.value = nn.utils.spectral_norm(nn.Conv2d(n_channels, n_channels, 1, bias=False))
        self.gamma = nn.Parameter(torch.tensor([0.0]))

    def forward(self, x):
        n, c, h, w = x.shape
        f = self.query(x).view(n, -1, h * w)
        g = self.key(x).view(n, -1, h * w)
        v = self.value(x).view(n, c, h * w)
        beta = F.softmax(torch.bmm(f.transpose(1, 2), g), dim=1)
        o = self.gamma * torch.bmm(v, beta) + x.view(n, c, h * w)
        return o.view(n, c, h, w).contiguous()


class LayerZoo(nn.Module):
    """Every remaining layer type: ModuleList, ReplicationPad2d, InstanceNorm2d with and without affine, BatchNorm2d
    without affine and without running statistics, MaxPool2d, AvgPool2d, Upsample (bilinear and nearest), PixelShuffle,
    Sigmoid, Linear."""

    def __init__(self):
        super().__init__()
        self.pad = nn.ReplicationPad2d((1, 2, 1, 0))
        self.convs = nn.ModuleList([nn.Conv2d(3, 8, 3), nn.Conv2d(8, 8, 3, padding=1)])
        self.inorm = nn.InstanceNorm2d(8, affine=True)
        self.inorm_plain = nn.InstanceNorm2d(8)
        self.bn_plain = nn.BatchNorm2d(8, affine=False, momentum=0.2)
        self.bn_batch_stats = nn.BatchNorm2d(8, track_running_stats=False)
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.avg = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.to_shuffle = nn.Conv2d(8, 3 * 4, 1)
        self.shuffle = nn.PixelShuffle(2)
        self.down = nn.Upsample(scale_factor=0.5)
        self.act = nn.Sigmoid()
        self.fc = nn.Linear(10, 4)

    def forward(self, x):
        x = self.convs[0](self.pad(x))
        x = F.leaky_relu(self.inorm(x), 0.2)
        x = self.inorm_plain(self.convs[1](x))
        x = F.relu(self.bn_plain(x))
        x = self.bn_batch_stats(self.pool(x))
        x = self.up(self.avg(x))
        x = self.down(self.shuffle(self.to_shuffle(x)))
        return self.fc(self.act(x))


def randomize(module, scale=0.3):
    """Random parameters and running statistics (PyTorch's own init would do, but BN would start at 1/0)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("gamma"):
                p.fill_(0.7)
            elif "bn" in name or (p.dim() == 1 and name.endswith("weight")):
                p.copy_(torch.rand(p.shape) * 0.8 + 0.6)
            else:
                p.copy_(torch.randn(p.shape) * scale)
        for name, b in module.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn(b.shape) * 0.2)
            elif name.endswith("running_var"):
                b.copy_(torch.rand(b.shape) + 0.5)
            elif name.endswith("num_batches_tracked"):
                b.fill_(3)


def put_state(fx, prefix, module):
    sd = module.state_dict()
    for k, v in sd.items():
        fx.put(f"{prefix}/{k}", v if v.dtype == torch.int64 else v.float())
    return list(sd.keys())


def module_case(fx, name, module, x, modes=("train",), extra=None):
    """Stores the state dict before, then for each mode the output, input gradient, parameter gradients, and the
    state dict after the forward (running statistics, spectral-norm u and v). The module runs in float64."""
    module = module.double()
    keys = put_state(fx, f"{name}/state", module)
    fx.put(f"{name}/in/x", x)
    for mode in modes:
        module.train(mode.startswith("train"))
        module.zero_grad(set_to_none=True)
        xi = x.double().requires_grad_(True)
        y = module(xi)
        gy = torch.randn(y.shape, dtype=F32)
        (y * gy.double()).sum().backward()
        fx.put(f"{name}/{mode}/out", y)
        fx.put(f"{name}/{mode}/gout", gy)
        fx.put(f"{name}/{mode}/grad/x", xi.grad)
        for pn, p in module.named_parameters():
            fx.put(f"{name}/{mode}/grad/{pn}", p.grad)
        put_state(fx, f"{name}/{mode}/state_after", module)
    meta = {"keys": keys, "modes": list(modes)}
    if extra:
        meta.update(extra)
    fx.note(name, meta)


def gen_modules():
    fx = Fixture("modules", 111)

    net = ConvNet()
    randomize(net)
    module_case(fx, "convnet", net, randn(3, 3, 9, 10), modes=("train", "eval"))

    sn = nn.utils.spectral_norm(nn.Conv2d(4, 6, 3, padding=1))
    randomize(sn)
    # spectral_norm drew u and v (unit vectors) itself; randomize() leaves them alone.
    # Two training forwards so u and v carry over between calls, then eval with the updated vectors.
    module_case(fx, "sn_conv", sn, randn(2, 4, 5, 6), modes=("train", "train2", "eval"))

    snt = nn.utils.spectral_norm(nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1))  # dim=1 for transposed convs
    randomize(snt)
    module_case(fx, "sn_conv_transpose", snt, randn(2, 4, 3, 4), modes=("train", "eval"))

    snl = nn.utils.spectral_norm(nn.Linear(7, 5), n_power_iterations=3)
    randomize(snl)
    module_case(fx, "sn_linear_3iter", snl, randn(4, 7), modes=("train", "eval"), extra={"n_power_iterations": 3})

    att = SelfAttention(16)
    randomize(att)
    module_case(fx, "self_attention", att, randn(2, 16, 3, 5), modes=("train", "eval"))

    zoo = LayerZoo()
    randomize(zoo)
    module_case(fx, "layer_zoo", zoo, randn(2, 3, 9, 8), modes=("train", "eval"))

    # load_state_dict(strict=False) on a state dict with one key missing and one unexpected: PyTorch's report
    net2 = ConvNet()
    sd = net2.state_dict()
    sd.pop("net.1.running_var")
    sd["net.9.weight"] = torch.zeros(1)
    res = net2.load_state_dict(sd, strict=False)
    fx.note("load_report", {"removed": "net.1.running_var", "added": "net.9.weight",
                            "missing": list(res.missing_keys), "unexpected": list(res.unexpected_keys)})
    fx.save()


def gen_state_dict():
    """A PyTorch state dict as PyTorch would save it (num_batches_tracked as I64), plus eval and train outputs."""
    torch.manual_seed(112)
    net = ConvNet()
    randomize(net)
    sd = OrderedDict((k, v.clone()) for k, v in net.state_dict().items())
    write_safetensors(os.path.join(OUT, "convnet_state_dict.safetensors"),
                      OrderedDict((k, v if v.dtype == torch.int64 else v.float()) for k, v in sd.items()),
                      {"format": "pt", "source": "tests/golden/generate.py ConvNet"})
    fx = Fixture("convnet_io", 113)
    x = randn(2, 3, 7, 8)
    fx.put("x", x)
    net = net.double()
    net.eval()
    with torch.no_grad():
        fx.put("eval_out", net(x.double()))
    net.train()
    with torch.no_grad():
        fx.put("train_out", net(x.double()))
    fx.put("num_batches_tracked_after", net.net[1].num_batches_tracked)
    fx.save()


def gen_gradient_penalty():
    """WGAN-GP: penalty value and its gradients w.r.t. the critic parameters (double backward)."""
    fx = Fixture("gradient_penalty", 114)

    class LinearHeadCritic(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 4, 3, stride=2, padding=1)
            self.norm1 = nn.InstanceNorm2d(4, affine=True)
            self.conv2 = nn.Conv2d(4, 6, 3, stride=2, padding=1)
            self.norm2 = nn.InstanceNorm2d(6)
            self.fc = nn.Linear(6 * 2 * 2, 1)

        def forward(self, x):
            x = F.leaky_relu(self.norm1(self.conv1(x)), 0.2)
            x = F.leaky_relu(self.norm2(self.conv2(x)), 0.2)
            return self.fc(x.flatten(1))

    class ConvHeadCritic(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 5, 4, stride=2, padding=1)
            self.norm1 = nn.InstanceNorm2d(5, affine=True)
            self.head = nn.Conv2d(5, 1, 3, padding=1)

        def forward(self, x):
            x = F.leaky_relu(self.norm1(self.conv1(x)), 0.2)
            return self.head(x).mean((1, 2, 3))

    for name, critic, shape in (("linear_head", LinearHeadCritic(), (3, 3, 7, 7)),
                                ("conv_head", ConvHeadCritic(), (2, 3, 8, 6))):
        randomize(critic, scale=0.4)
        critic = critic.double()
        keys = put_state(fx, f"{name}/state", critic)
        real, fake = randn(*shape), randn(*shape) * 0.5 + 0.2
        alpha = torch.rand(shape[0], 1, 1, 1)
        for k, v in (("real", real), ("fake", fake), ("alpha", alpha)):
            fx.put(f"{name}/in/{k}", v)
        lam = 10.0
        interp = (alpha.double() * real.double() + (1 - alpha.double()) * fake.double()).requires_grad_(True)
        scores = critic(interp)
        grad, = torch.autograd.grad(scores, interp, torch.ones_like(scores), create_graph=True)
        norms = grad.reshape(grad.shape[0], -1).norm(2, dim=1)
        penalty = ((norms - 1) ** 2).mean() * lam
        penalty.backward()
        fx.put(f"{name}/scores", scores)
        fx.put(f"{name}/input_grad", grad)
        fx.put(f"{name}/penalty", penalty)
        unused = []  # parameters the penalty does not depend on (the head's bias): PyTorch leaves grad None
        for pn, p in critic.named_parameters():
            if p.grad is None:
                unused.append(pn)
            fx.put(f"{name}/grad/{pn}", p.grad if p.grad is not None else torch.zeros_like(p))
        fx.note(name, {"keys": keys, "lambda": lam, "unused": unused})
    fx.save()


class OptimNet(nn.Sequential):
    """The net of the optimizer trajectories: conv, leaky ReLU, strided conv, leaky ReLU, transposed conv, tanh.
    No BatchNorm after a biased conv: a bias whose gradient is zero only up to rounding would make Adam's
    normalised step m/sqrt(v) follow the rounding noise, not the maths."""

    def __init__(self):
        super().__init__(
            nn.Conv2d(3, 6, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(6, 6, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(6, 3, 4, stride=2, padding=1),
            nn.Tanh(),
        )


def gen_double_backward():
    """Second derivatives through every op a critic or a penalty may use."""
    fx = Fixture("double_backward", 116)
    d = fx.double_case
    d("tanh", "tanh", od(x=randn(3, 5)), torch.tanh)
    d("sigmoid", "sigmoid", od(x=randn(3, 5) * 2), torch.sigmoid)
    d("exp", "exp", od(x=randn(3, 5)), torch.exp)
    d("log", "log", od(x=rand(3, 5, low=0.3, high=3.0)), torch.log)
    d("sqrt", "sqrt", od(x=rand(3, 5, low=0.3, high=3.0)), torch.sqrt)
    d("pow_3", "pow", od(x=randn(3, 5)), lambda x: x.pow(3.0), exponent=3.0)
    d("pow_2", "pow", od(x=randn(3, 5)), lambda x: x.pow(2.0), exponent=2.0)
    d("pow_-0.5", "pow", od(x=rand(3, 5, low=0.5, high=2.0)), lambda x: x.pow(-0.5), exponent=-0.5)
    d("mul_broadcast", "mul", od(a=randn(2, 3, 4), b=randn(3, 1)), lambda a, b: a * b)
    d("div_broadcast", "div", od(a=randn(2, 3, 4), b=away_from_zero(4)), lambda a, b: a / b)
    d("abs", "abs", od(x=away_from_zero(4, 5, margin=0.05)), torch.abs)
    d("relu", "relu", od(x=away_from_zero(4, 5, margin=0.01)), F.relu)
    d("leaky_relu", "leaky_relu", od(x=away_from_zero(4, 5, margin=0.01)), lambda x: F.leaky_relu(x, 0.2),
      negative_slope=0.2)
    d("softmax", "softmax", od(x=randn(3, 4, 5)), lambda x: F.softmax(x, 1), dim=1)
    d("sum_dim", "sum", od(x=randn(3, 4, 5)), lambda x: x.sum(1), dims=[1], keepdim=False)
    d("mean_dims", "mean", od(x=randn(3, 4, 5)), lambda x: x.mean((0, 2), keepdim=True), dims=[0, 2], keepdim=True)
    d("var_dim", "var", od(x=randn(3, 4, 5)), lambda x: x.var(2), dims=[2], unbiased=True, keepdim=False)
    d("norm_dim", "norm", od(x=randn(3, 4, 5)), lambda x: x.norm(dim=(1, 2)), dims=[1, 2], keepdim=False)
    d("norm_all", "norm", od(x=randn(4, 5)), lambda x: x.norm(), dims=None, keepdim=False)
    d("max_dim", "max", od(x=distinct(3, 6)), lambda x: x.max(1)[0], dim=1, keepdim=False)
    d("maximum", "maximum", od(a=randn(3, 5), b=randn(3, 5)), torch.maximum)
    d("clamp", "clamp", od(x=randn(4, 6)), lambda x: x.clamp(-0.5, 0.7), min=-0.5, max=0.7)
    d("matmul_batched", "matmul", od(a=randn(2, 3, 4), b=randn(4, 5)), torch.matmul)
    d("bmm", "bmm", od(a=randn(2, 3, 4), b=randn(2, 4, 5)), torch.bmm)
    d("linear", "linear", od(x=randn(4, 6), w=randn(3, 6), b=randn(3)), F.linear)
    d("conv2d", "conv2d", od(x=randn(2, 3, 6, 7), w=randn(4, 3, 3, 3), b=randn(4)),
      lambda x, w, b: F.conv2d(x, w, b, 2, 1), stride=[2, 2], padding=[1, 1], dilation=[1, 1], groups=1)
    d("conv2d_groups_dilation", "conv2d", od(x=randn(2, 4, 7, 7), w=randn(4, 2, 3, 3)),
      lambda x, w: F.conv2d(x, w, None, 1, 2, 2, 2), stride=[1, 1], padding=[2, 2], dilation=[2, 2], groups=2)
    d("conv_transpose2d", "conv_transpose2d", od(x=randn(2, 3, 4, 5), w=randn(3, 2, 4, 4), b=randn(2)),
      lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1), stride=[2, 2], padding=[1, 1], output_padding=[0, 0],
      groups=1, dilation=[1, 1])
    d("instance_norm_affine", "instance_norm", od(x=randn(2, 3, 4, 5), w=rand(3, low=0.5, high=1.5), b=randn(3)),
      lambda x, w, b: F.instance_norm(x, weight=w, bias=b), eps=1e-5)
    d("batch_norm_train", "batch_norm_stateless", od(x=randn(4, 3, 3, 4), w=rand(3, low=0.5, high=1.5), b=randn(3)),
      lambda x, w, b: F.batch_norm(x, None, None, w, b, True, 0.1, 1e-5), training=True, momentum=0.1, eps=1e-5)
    d("avg_pool2d", "avg_pool2d", od(x=randn(2, 2, 7, 6)), lambda x: F.avg_pool2d(x, 3, 2, 1), kernel=3, stride=2,
      padding=1, ceil_mode=False, count_include_pad=True)
    d("max_pool2d", "max_pool2d", od(x=distinct(2, 2, 6, 7)), lambda x: F.max_pool2d(x, 3, 2, 1), kernel=3, stride=2,
      padding=1, dilation=1, ceil_mode=False)
    d("adaptive_avg_pool2d", "adaptive_avg_pool2d", od(x=randn(2, 2, 7, 5)), lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
      size=[3, 2])
    d("interpolate_bilinear", "interpolate", od(x=randn(1, 2, 4, 5)),
      lambda x: F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=False), size=[7, 9], scale_factor=None,
      mode="bilinear", align_corners=False)
    d("pad_reflect", "pad", od(x=randn(2, 2, 4, 5)), lambda x: F.pad(x, (2, 1, 1, 3), mode="reflect"),
      padding=[2, 1, 1, 3], mode="reflect", value=0.0)
    d("slice_step", "slice", od(x=randn(3, 8)), lambda x: x[:, 1:7:2], dim=1, start=1, end=7, step=2)
    d("permute", "permute", od(x=randn(2, 3, 4)), lambda x: x.permute(2, 0, 1), dims=[2, 0, 1])
    d("expand", "expand", od(x=randn(3, 1)), lambda x: x.expand(2, 3, 4), shape=[2, 3, 4])
    d("bce_with_logits", "bce_with_logits", od(x=randn(3, 4) * 2, t=rand(3, 4)), F.binary_cross_entropy_with_logits,
      target=None)
    d("where", "where", od(cond=(torch.rand(3, 4) > 0.5).float(), a=randn(3, 4), b=randn(3, 4)),
      lambda c, a, b: torch.where(c != 0, a, b), grad=["a", "b"])
    fx.save()


def gen_schedulers():
    """Learning-rate (and momentum) sequences of torch.optim.lr_scheduler, read after construction and after each
    scheduler.step(), as a training loop sees them."""
    fx = Fixture("schedulers", 117)

    def run(name, make_opt, make_sched, steps, params, metrics=None):
        p = [nn.Parameter(torch.zeros(2))]
        opt = make_opt(p)
        sched = make_sched(opt)
        lrs, moms = [opt.param_groups[0]["lr"]], []

        def momentum():
            g = opt.param_groups[0]
            return g["betas"][0] if "betas" in g else g.get("momentum", 0.0)

        moms.append(momentum())
        for i in range(steps):
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[i])
            lrs.append(opt.param_groups[0]["lr"])
            moms.append(momentum())
        fx.put(f"{name}/lr", torch.tensor(lrs, dtype=F64))
        fx.put(f"{name}/momentum", torch.tensor(moms, dtype=F64))
        if metrics is not None:
            fx.put(f"{name}/metric", torch.tensor(metrics, dtype=F64))
        params["steps"] = steps
        fx.note(name, params)

    S = torch.optim.lr_scheduler
    run("step_lr", lambda p: torch.optim.Adam(p, lr=0.01), lambda o: S.StepLR(o, 3, 0.5), 10,
        {"type": "step", "lr": 0.01, "step_size": 3, "gamma": 0.5})
    # pix2pix: constant for n_epochs, then linear decay to 0 over n_epochs_decay (epoch_count = 1)
    run("linear_decay", lambda p: torch.optim.Adam(p, lr=2e-4, betas=(0.5, 0.999)),
        lambda o: S.LambdaLR(o, lambda e: 1.0 - max(0, e + 1 - 5) / float(6 + 1)), 11,
        {"type": "linear_decay", "lr": 2e-4, "constant": 5, "decay": 6})
    # every scheduler.step() of a run of total_steps batches, including the last one
    run("one_cycle_adam", lambda p: torch.optim.Adam(p, lr=1e-3), lambda o: S.OneCycleLR(o, 0.01, total_steps=20), 20,
        {"type": "one_cycle", "optimizer": "adam", "max_lr": 0.01, "total_steps": 20, "pct_start": 0.3})
    run("one_cycle_sgd", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        lambda o: S.OneCycleLR(o, 0.5, total_steps=13, pct_start=0.25, div_factor=10, final_div_factor=100), 13,
        {"type": "one_cycle", "optimizer": "sgd", "max_lr": 0.5, "total_steps": 13, "pct_start": 0.25,
         "div_factor": 10.0, "final_div_factor": 100.0})
    metrics = [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.7, 0.71, 0.72, 0.73, 0.74]
    run("plateau_min", lambda p: torch.optim.SGD(p, lr=0.1),
        lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, cooldown=1, min_lr=0.02), len(metrics),
        {"type": "plateau", "maximize": False, "lr": 0.1, "factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": 0.02},
        metrics)
    run("plateau_max", lambda p: torch.optim.SGD(p, lr=0.1),
        lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=1, threshold=0.05), len(metrics),
        {"type": "plateau", "maximize": True, "lr": 0.1, "factor": 0.3, "patience": 1, "cooldown": 0, "min_lr": 0.0,
         "threshold": 0.05}, [1.0 / m for m in metrics])
    fx.save()


def gen_optim():
    """Ten optimizer steps on a small conv net: the loss before each step and every parameter after it."""
    fx = Fixture("optim", 115)
    steps = 10
    base = OptimNet()
    randomize(base, scale=0.25)
    init = OrderedDict((k, v.clone()) for k, v in base.state_dict().items())
    for k, v in init.items():
        fx.put(f"init/{k}", v)
    xs = randn(steps, 2, 3, 6, 8)
    ts = torch.tanh(randn(steps, 2, 3, 6, 8))
    fx.put("x", xs)
    fx.put("target", ts)

    configs = [
        ("adam_pix2pix", lambda ps: torch.optim.Adam(ps, lr=2e-3, betas=(0.5, 0.999)),
         {"type": "adam", "lr": 2e-3, "betas": [0.5, 0.999], "eps": 1e-8, "weight_decay": 0.0}),
        ("adam_l2", lambda ps: torch.optim.Adam(ps, lr=1e-3, weight_decay=0.05),
         {"type": "adam", "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.05}),
        ("adamw", lambda ps: torch.optim.AdamW(ps, lr=3e-3, betas=(0.0, 0.9), weight_decay=0.1),
         {"type": "adamw", "lr": 3e-3, "betas": [0.0, 0.9], "eps": 1e-8, "weight_decay": 0.1}),
        ("sgd_momentum", lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9),
         {"type": "sgd", "lr": 0.05, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}),
        ("sgd_nesterov_wd", lambda ps: torch.optim.SGD(ps, lr=0.03, momentum=0.8, weight_decay=1e-3, nesterov=True),
         {"type": "sgd", "lr": 0.03, "momentum": 0.8, "dampening": 0.0, "weight_decay": 1e-3, "nesterov": True}),
    ]
    for name, make, params in configs:
        net = OptimNet()
        net.load_state_dict(init)
        net = net.double()
        opt = make(net.parameters())
        losses = []
        after = OrderedDict((k, []) for k, _ in net.named_parameters())
        for s in range(steps):
            opt.zero_grad(set_to_none=True)
            y = net(xs[s].double())
            loss = F.mse_loss(y, ts[s].double()) + 0.5 * F.l1_loss(y, ts[s].double())
            loss.backward()
            opt.step()
            losses.append(loss.item())
            for k, p in net.named_parameters():
                after[k].append(p.detach().clone())
        fx.put(f"{name}/loss", torch.tensor(losses))
        for k, v in after.items():
            fx.put(f"{name}/after/{k}", torch.stack(v))
        # the optimizer state after the last step, by PyTorch's flat parameter index: state.<i>.<buffer>
        for idx, st in opt.state_dict()["state"].items():
            for k, v in st.items():
                fx.put(f"{name}/state/state.{idx}.{k}", torch.as_tensor(v, dtype=F64).reshape(-1 if k == "step" else v.shape))
        params["steps"] = steps
        params["loss"] = "mse + 0.5 * l1"
        fx.note(name, params)

    # Two parameter groups with their own learning rates (TTUR-style), Adam.
    net = OptimNet()
    net.load_state_dict(init)
    net = net.double()
    opt = torch.optim.Adam([{"params": list(net[0].parameters()) + list(net[2].parameters()), "lr": 1e-3},
                            {"params": net[4].parameters(), "lr": 4e-3}], betas=(0.5, 0.999))
    losses, after = [], OrderedDict((k, []) for k, _ in net.named_parameters())
    for s in range(steps):
        opt.zero_grad(set_to_none=True)
        y = net(xs[s].double())
        loss = F.mse_loss(y, ts[s].double()) + 0.5 * F.l1_loss(y, ts[s].double())
        loss.backward()
        opt.step()
        losses.append(loss.item())
        for k, p in net.named_parameters():
            after[k].append(p.detach().clone())
    fx.put("adam_groups/loss", torch.tensor(losses))
    for k, v in after.items():
        fx.put(f"adam_groups/after/{k}", torch.stack(v))
    for idx, st in opt.state_dict()["state"].items():
        for k, v in st.items():
            fx.put(f"adam_groups/state/state.{idx}.{k}", torch.as_tensor(v, dtype=F64).reshape(-1 if k == "step" else v.shape))
    fx.note("adam_groups", {"type": "adam_groups", "lr": [1e-3, 4e-3], "betas": [0.5, 0.999], "eps": 1e-8,
                            "weight_decay": 0.0, "steps": steps, "loss": "mse + 0.5 * l1"})
    fx.save()


def main():
    torch.set_num_threads(1)
    gens = [gen_elementwise, gen_activations, gen_reductions, gen_linalg, gen_shape, gen_conv, gen_pool, gen_resize,
            gen_norm, gen_losses, gen_modules, gen_state_dict, gen_gradient_penalty, gen_optim, gen_double_backward, gen_schedulers]
    only = set(sys.argv[1:])
    for g in gens:
        if only and g.__name__[4:] not in only:
            continue
        g()
    total = 0
    for f in sorted(os.listdir(OUT)):
        if f.endswith(".safetensors"):
            size = os.path.getsize(os.path.join(OUT, f))
            total += size
            print(f"{size:9d}  {f}")
    print(f"{total:9d}  total bytes")


if __name__ == "__main__":
    main()
