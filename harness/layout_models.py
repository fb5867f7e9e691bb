"""Layout models built here, for the tests and the bench: PP-DocLayoutV3's ONNX file cannot
be fetched on these machines, so its path is exercised with files of its interface.

The interface is that of PP-DocLayoutV3's ONNX export as rapid-layout runs it: inputs
`im_shape` (1×2), `image` (1×3×800×800, RGB scaled to 0..1) and `scale_factor` (1×2, height
then width); outputs the boxes, N×7 rows of [class, score, x0, y0, x1, y1, reading order] in
the page's pixels, and their count; the label names, one a line, in the model's metadata
under `character`.

- `standin_v3(path, regions)` (the test environment: `onnx`) writes a file of that
  interface that finds the regions it was built with, in the model's 800×800 pixels,
  scaled back to the page as the export does: for the path through rapid-layout, ocrkit
  and the adapter (labels, boxes, the model's own order), not for the detection.
- `python harness/layout_models.py pp-doclayoutv3 OUT.onnx`, under the vLLM environment's
  interpreter (transformers, torch) with `onnx` importable, exports PP-DocLayoutV3's
  architecture (transformers' `PPDocLayoutV3ForObjectDetection`, its default configuration,
  25 labels) with random weights and the same interface: its speed and memory on the CPU
  are the real model's, its regions are noise (`bench/layout.py`).
"""

from __future__ import annotations

import sys
from pathlib import Path

# PP-DocLayoutV3's labels, in its class order.
LABELS_V3 = [
    "abstract",
    "algorithm",
    "aside_text",
    "chart",
    "content",
    "display_formula",
    "doc_title",
    "figure_title",
    "footer",
    "footer_image",
    "footnote",
    "formula_number",
    "header",
    "header_image",
    "image",
    "inline_formula",
    "number",
    "paragraph_title",
    "reference",
    "reference_content",
    "seal",
    "table",
    "text",
    "vertical_text",
    "vision_footnote",
]
SIZE = 800  # the model's input, square

# (label, score, (x0, y0, x1, y1) in 800×800 model pixels, reading order)
Found = tuple[str, float, tuple[float, float, float, float], int]

# A page as PP-DocLayoutV3 labels it, in its order: the page number (not read), a heading,
# a formula, a paragraph. What the adapter tests have it find.
TITLE_FORMULA_TEXT: list[Found] = [
    ("number", 0.8, (380, 760, 420, 780), 0),
    ("paragraph_title", 0.95, (75, 60, 725, 85), 1),
    ("display_formula", 0.9, (200, 100, 600, 140), 2),
    ("text", 0.9, (75, 150, 725, 400), 3),
]


def standin_v3(path: Path, regions: list[Found]) -> Path:
    """An ONNX file of PP-DocLayoutV3's export interface that finds `regions` on any page."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    head = np.array([[LABELS_V3.index(label), score] for label, score, _, _ in regions], "f4")
    boxes = np.array([box for _, _, box, _ in regions], "f4")
    order = np.array([[n] for _, _, _, n in regions], "f4")
    nodes = [
        # [sx, sy, sx, sy] from scale_factor's [sy, sx]: boxes / it are in the page's pixels.
        helper.make_node("Gather", ["scale_factor", "xy"], ["scale4"], axis=1),
        helper.make_node("Div", ["boxes800", "scale4"], ["page_boxes"]),
        helper.make_node("Concat", ["head", "page_boxes", "order"], ["fetch_name_0"], axis=1),
        helper.make_node("Identity", ["count"], ["fetch_name_1"]),
    ]
    initializers = [
        numpy_helper.from_array(np.array([1, 0, 1, 0], "i8"), "xy"),
        numpy_helper.from_array(boxes, "boxes800"),
        numpy_helper.from_array(head, "head"),
        numpy_helper.from_array(order, "order"),
        numpy_helper.from_array(np.array([len(regions)], "i4"), "count"),
    ]
    graph = helper.make_graph(
        nodes,
        "pp_doc_layoutv3_standin",
        [
            helper.make_tensor_value_info("im_shape", TensorProto.FLOAT, [1, 2]),
            helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, SIZE, SIZE]),
            helper.make_tensor_value_info("scale_factor", TensorProto.FLOAT, [1, 2]),
        ],
        [
            helper.make_tensor_value_info("fetch_name_0", TensorProto.FLOAT, [len(regions), 7]),
            helper.make_tensor_value_info("fetch_name_1", TensorProto.INT32, [1]),
        ],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what the ONNX Runtime wheels of the last years all read
    helper.set_model_props(model, {"character": "\n".join(LABELS_V3)})
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def export_v3(out: Path) -> Path:
    """PP-DocLayoutV3's architecture with random weights, exported with its interface."""
    import onnx
    import torch
    from transformers import PPDocLayoutV3Config, PPDocLayoutV3ForObjectDetection

    torch.manual_seed(0)
    config = PPDocLayoutV3Config(
        id2label=dict(enumerate(LABELS_V3)), label2id={n: i for i, n in enumerate(LABELS_V3)}
    )
    model = PPDocLayoutV3ForObjectDetection(config).eval()

    class Exported(torch.nn.Module):
        """The detector with the export's post-processing: the best class of each query,
        its box in the page's pixels, and its place in the predicted order."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(
            self, im_shape: torch.Tensor, image: torch.Tensor, scale_factor: torch.Tensor
        ) -> tuple[torch.Tensor, torch.Tensor]:
            out = self.model(pixel_values=image)
            score, label = out.logits[0].sigmoid().max(-1)
            cx, cy, w, h = out.pred_boxes[0].unbind(-1)
            sy, sx = scale_factor[0, 0], scale_factor[0, 1]
            x0, x1 = (cx - w / 2) * SIZE / sx, (cx + w / 2) * SIZE / sx
            y0, y1 = (cy - h / 2) * SIZE / sy, (cy + h / 2) * SIZE / sy
            # A query's place: how many others the order head puts before it.
            before = out.order_logits[0].sigmoid().sum(-1)
            order = before.argsort().argsort().float()
            boxes = torch.stack([label.float(), score, x0, y0, x1, y1, order], -1)
            # The export takes im_shape first and rapid-layout feeds inputs by position: an
            # input left unused would be dropped from the graph.
            boxes = boxes + 0 * im_shape.sum()
            count = torch.tensor([boxes.shape[0]], dtype=torch.int32)
            return boxes, count

    inputs = (torch.tensor([[SIZE, SIZE]], dtype=torch.float32), torch.rand(1, 3, SIZE, SIZE))
    inputs += (torch.ones(1, 2),)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        Exported(),
        inputs,
        str(out),
        opset_version=17,
        input_names=["im_shape", "image", "scale_factor"],
        output_names=["fetch_name_0", "fetch_name_1"],
        dynamo=False,
    )
    onnx_model = onnx.load(str(out))
    onnx.helper.set_model_props(onnx_model, {"character": "\n".join(LABELS_V3)})
    onnx.save(onnx_model, str(out))
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "pp-doclayoutv3":
        sys.exit("usage: python harness/layout_models.py pp-doclayoutv3 OUT.onnx")
    print(export_v3(Path(sys.argv[2])))
