"""PyTorch pieces both benchmark peers use (bench/train/torch_peer.py and
bench/process/torch_process.py), written once. Import after torch: the
process peer times its `import torch` itself.

Each peer puts this folder on sys.path before importing it:

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
"""
import torch
from torch import nn


class Mlp(nn.Sequential):
    """Linear + ReLU per layer, ReLU after the last layer too (as mtl's mlp)."""

    def __init__(self, width_in, units):
        layers = []
        for width_out in units:
            layers += [nn.Linear(width_in, width_out), nn.ReLU()]
            width_in = width_out
        super().__init__(*layers)


def sparse_and_dense_adam(model, tables, lr, **adam):
    """torch.optim.SparseAdam (lazy Adam: only the rows a batch reads, mtl's
    sparse path) for the embedding tables `tables`, torch.optim.Adam for every
    other parameter of `model`; `adam` (betas, eps) goes to both. SparseAdam
    refuses an empty list, so a model without tables gets Adam alone."""
    in_tables = {id(p) for p in tables}
    rest = [p for p in model.parameters() if id(p) not in in_tables]
    return ([torch.optim.SparseAdam(tables, lr=lr, **adam)] if tables else []) + [torch.optim.Adam(rest, lr=lr, **adam)]
