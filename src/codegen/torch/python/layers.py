"""The pieces model.py is built from that PyTorch has no exact equivalent of.

Each computes what the TensorFlow.js layer of the same name computes in
mtl's runtime, so the same weights give the same scores in both.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

# Lower than any embedding value, but finite (src/portable/layers.ts).
MASKED_FOR_MAX = -3.0e38

ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "swish": F.silu,
    "softmax": lambda x: torch.softmax(x, dim=-1),
}


class Dense(nn.Linear):
    """Keras' Dense: a linear layer followed by its activation."""

    def __init__(self, units_in, units, activation, bias):
        super().__init__(units_in, units, bias=bias)
        self.activation = ACTIVATIONS[activation]

    def forward(self, x):
        return self.activation(super().forward(x))


class BatchNorm(nn.Module):
    """Keras' BatchNormalization (epsilon 1e-3, momentum 0.99): the moving variance follows the biased batch variance."""

    def __init__(self, width, epsilon=1e-3, momentum=0.99):
        super().__init__()
        self.epsilon = epsilon
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(width))
        self.bias = nn.Parameter(torch.zeros(width))
        self.register_buffer("running_mean", torch.zeros(width))
        self.register_buffer("running_var", torch.ones(width))

    def forward(self, x):
        if self.training:
            mean = x.mean(0)
            var = x.var(0, unbiased=False)
            with torch.no_grad():
                self.running_mean.sub_((self.running_mean - mean) * (1 - self.momentum))
                self.running_var.sub_((self.running_var - var) * (1 - self.momentum))
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) * torch.rsqrt(var + self.epsilon) * self.weight + self.bias


def masked_pool(emb, ids, mode):
    """Pools [batch, len, dim] over the positions whose id is >= 0; an empty row pools to zeros."""
    present = (ids >= 0).unsqueeze(-1)
    weights = present.to(emb.dtype)
    count = weights.sum(1)
    if mode == "max":
        masked = torch.where(present, emb, torch.full_like(emb, MASKED_FOR_MAX))
        best = masked.amax(1)
        # TF.js's max passes the whole gradient to every tied position (amax would split it among them).
        ties = (masked == best.unsqueeze(1)).to(emb.dtype)
        best = best.detach() + ((masked - masked.detach()) * ties).sum(1)
        return torch.where(count > 0, best, torch.zeros_like(best))
    total = (emb * weights).sum(1)
    return total if mode == "sum" else total / count.clamp(min=1)


def mix(weights, experts):
    """softmax gate weights [batch, n] times stacked experts [batch, n, width]."""
    return torch.bmm(weights.unsqueeze(1), experts).squeeze(1)


def ait_attention(query, key, value):
    """AITM's attention over [batch, 2, k]: softmax_u(<query_u, key_u> / sqrt(k)) weighs value_u, summed over u."""
    scores = (query * key).sum(-1) / math.sqrt(value.shape[-1])
    return (torch.softmax(scores, dim=-1).unsqueeze(-1) * value).sum(1)


# The squared bound of tf.initializers' fan-scaled uniform distributions.
FAN_SCALED = {
    "glorotUniform": lambda fan_in, fan_out: 6.0 / (fan_in + fan_out),
    "heUniform": lambda fan_in, fan_out: 6.0 / fan_in,
    "leCunUniform": lambda fan_in, fan_out: 3.0 / fan_in,
}


def initialise(model, initialisers):
    """Every weight's starting values, seeded per layer as the layer plan says.

    `initialisers` maps a parameter's name to ("glorotUniform", seed),
    ("heUniform", seed), ("leCunUniform", seed), ("randomUniform", low,
    high, seed) or ("zeros",); batch-norm weights keep
    their ones and zeros. The seeds are mtl's, the random streams PyTorch's:
    a run starts from other draws than `mtl train` does, with the same spread.
    """
    parameters = dict(model.named_parameters())
    with torch.no_grad():
        for name, (kind, *args) in initialisers.items():
            weight = parameters[name]
            if kind == "zeros":
                weight.zero_()
                continue
            generator = torch.Generator().manual_seed(args[-1])
            if kind in FAN_SCALED:
                fan_out, fan_in = weight.shape
                limit = math.sqrt(FAN_SCALED[kind](fan_in, fan_out))
                low, high = -limit, limit
            else:
                low, high = args[0], args[1]
            weight.copy_(torch.rand(weight.shape, generator=generator) * (high - low) + low)
