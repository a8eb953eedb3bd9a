"""The edge decoder as an int8 ONNX graph under ONNX Runtime (`screen --fast`).

`portable.PortableModel._decode` runs the decoder MLP in float32 numpy; this is the same function,
for a block of b molecules against all s side effects, as one ONNX graph

    pre = (h_q * h_se) Wx^T + (h_q Wd^T + b1) + h_se Ws^T + P Wp^T    [b, s, hidden]
    z   = Wh relu(W2 relu(pre) + b2) + bh                            [b, s, 3]

whose two large MatMuls are quantised statically (ONNX Runtime's QDQ format: int8 weights, uint8 activations,
per-tensor scales calibrated once by `llmpredgraph distil` on corpus molecules). Static scales keep a
molecule's scores independent of its batch, so `screen --fast` equals itself chunk after chunk; the
scores move against the float path by about 1e-2 in probability at most (the fidelity `distil` reports).
Building the graph needs the `onnx` package; running it only ONNX Runtime.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

DECODER_FILE = "decoder_int8.onnx"
# Only the two hidden x hidden MatMuls, 99% of the FLOPs: quantising the small ones too was slower
# (their Q/DQ cost more than they save) and 2.4x less faithful (association max |d| 0.024 vs 0.010).
QUANTISED = ("a1", "m2")
BLOCK = 8  # molecules per call (8 x 994 pairs): measured fastest for the int8 graph on 2 cores


def decoder_graph(a: dict[str, np.ndarray], n_pair: int):
    """The float32 ONNX model of the decoder's learned rows (see the module docstring)."""
    from onnx import TensorProto, helper
    from onnx import numpy_helper as nh

    h_se, W1 = a["h_se"].astype(np.float32), a["dec_w1"]
    nd, s = h_se.shape[1], len(h_se)
    Wd, Ws, Wx, Wp = W1[:, :nd], W1[:, nd : 2 * nd], W1[:, 2 * nd : 3 * nd], W1[:, 3 * nd :]
    consts = {
        "hse": h_se[None],
        "WxT": Wx.T,
        "WdT": Wd.T,
        "b1": a["dec_b1"],
        "sep": (h_se @ Ws.T)[None],
        "WpT": Wp.T,
        "W2T": a["dec_w2"].T,
        "b2": a["dec_b2"],
        "WhT": a["dec_wh"].T,
        "bh": a["dec_bh"],
    }
    inits = [nh.from_array(np.ascontiguousarray(v, dtype=np.float32), k) for k, v in consts.items()]
    inits.append(nh.from_array(np.array([1], dtype=np.int64), "ax1"))

    def n(op, inputs, outputs):  # each node named for its output (quantisation picks nodes by name)
        return helper.make_node(op, inputs, outputs, name=outputs[0])

    nodes = [
        n("Unsqueeze", ["hd", "ax1"], ["hd3"]),
        n("Mul", ["hd3", "hse"], ["prod"]),
        n("MatMul", ["prod", "WxT"], ["a1"]),
        n("MatMul", ["hd", "WdT"], ["d0"]),
        n("Add", ["d0", "b1"], ["d1"]),
        n("Unsqueeze", ["d1", "ax1"], ["d3"]),
        n("Add", ["a1", "d3"], ["a2"]),
        n("Add", ["a2", "sep"], ["a3"]),
        n("MatMul", ["P", "WpT"], ["pp"]),
        n("Add", ["a3", "pp"], ["pre"]),
        n("Relu", ["pre"], ["r1"]),
        n("MatMul", ["r1", "W2T"], ["m2"]),
        n("Add", ["m2", "b2"], ["m3"]),
        n("Relu", ["m3"], ["r2"]),
        n("MatMul", ["r2", "WhT"], ["m4"]),
        n("Add", ["m4", "bh"], ["z"]),
    ]
    graph = helper.make_graph(
        nodes,
        "edge_decoder",
        [
            helper.make_tensor_value_info("hd", TensorProto.FLOAT, ["b", nd]),
            helper.make_tensor_value_info("P", TensorProto.FLOAT, ["b", s, n_pair]),
        ],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["b", s, 3])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def quantise_decoder(a: dict[str, np.ndarray], h: np.ndarray, P: np.ndarray, target: Path) -> None:
    """Write the int8 decoder to `target`, its activation scales calibrated (MinMax) on the decoder
    inputs of calibration molecules: h [m, nd] node vectors, P [m, s, n_pair] pair features."""
    import logging
    import tempfile

    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from ..atomic import write_with

    class Blocks(CalibrationDataReader):
        def __init__(self):
            self.i = 0

        def get_next(self):
            if self.i >= len(h):
                return None
            block = {"hd": h[self.i : self.i + BLOCK], "P": P[self.i : self.i + BLOCK]}
            self.i += BLOCK
            return block

    logging.disable(logging.WARNING)  # quantize_static's "pre-process first" advice, meant for image models
    try:
        with tempfile.TemporaryDirectory() as tmp:
            fp32 = Path(tmp) / "decoder.onnx"
            onnx.save(decoder_graph(a, P.shape[2]), fp32)
            write_with(
                target,
                lambda p: quantize_static(
                    str(fp32),
                    str(p),
                    Blocks(),
                    quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8,
                    op_types_to_quantize=["MatMul"],
                    nodes_to_quantize=list(QUANTISED),
                    per_channel=False,
                ),
            )
    finally:
        logging.disable(logging.NOTSET)


class FastDecoder:
    """The int8 decoder of a model folder: `__call__(h, P)` -> z [m, s, 3], as `_decode`'s loop."""

    def __init__(self, path: Path, threads: int | None = None):
        import onnxruntime as ort

        so = ort.SessionOptions()
        n = threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
        so.intra_op_num_threads, so.inter_op_num_threads = n, 1
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])

    def __call__(self, h: np.ndarray, P: np.ndarray) -> np.ndarray:
        h, P = np.ascontiguousarray(h, dtype=np.float32), np.ascontiguousarray(P, dtype=np.float32)
        z = np.empty((len(h), P.shape[1], 3), dtype=np.float32)
        for i in range(0, len(h), BLOCK):
            z[i : i + BLOCK] = self.session.run(None, {"hd": h[i : i + BLOCK], "P": P[i : i + BLOCK]})[0]
        return z
