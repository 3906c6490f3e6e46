#!/usr/bin/python3
"""Checks an exported model with onnx.checker (full check: shape inference too) and prints its contract.

Debian's python3-onnx is enough (apt-get install python3-onnx). Development aid only: the C# tests run the exported
graphs in ONNX Runtime and do not need Python.

    dotnet trainer/Colorize.Trainer/bin/Release/net10.0/colorize-train.dll export packaging/packs/colorize-base --onnx /tmp/base.onnx
    /usr/bin/python3 tests/Colorize.Onnx.Tests/check_export.py /tmp/base.onnx
"""
import collections
import sys

import onnx


def dims(value):
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


def main(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    print(f"{path}: valid; IR {model.ir_version}, opsets {opsets}, producer {model.producer_name} {model.producer_version}")
    for value in model.graph.input:
        print(f"  input  {value.name}: {dims(value)}")
    for value in model.graph.output:
        print(f"  output {value.name}: {dims(value)}")
    ops = collections.Counter(node.op_type for node in model.graph.node)
    print("  nodes: " + ", ".join(f"{op} {n}" for op, n in sorted(ops.items())))
    for prop in model.metadata_props:
        print(f"  {prop.key} = {prop.value}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check_export.py model.onnx")
    main(sys.argv[1])
