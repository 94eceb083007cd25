# Writes test/ops/special-values.json, the expected values of test/ops/special-values.test.ts: every
# elementwise, reduction and pooling op over NaN, ±Inf, ±0, the largest and smallest normal
# float32 and a subnormal. PyTorch is not installed where this was written, so the values
# come from NumPy's float32 ufuncs (C/IEEE semantics, as PyTorch's float32 kernels) or, for
# functions NumPy lacks, from Python's float64 math rounded once to float32; the few rules
# where PyTorch's documented behaviour decides (softplus's threshold, logsumexp's shift,
# integer pow) are written out below. Run: python3 scripts/special-values.py
import json
import math
import pathlib
import re

import numpy as np

f32 = np.float32
MAX = float(np.finfo(f32).max)  # 3.4028234663852886e38
MIN = float(np.finfo(f32).tiny)  # smallest normal, 2^-126
SUB = 2.0**-140  # a subnormal
SPECIALS = [math.nan, math.inf, -math.inf, 0.0, -0.0, MAX, -MAX, MIN, -MIN, SUB, -SUB]
INT_SPECIALS = [0, 1, -1, 2, 2147483647, -2147483648]
FLOAT_TO_INT = [math.nan, math.inf, -math.inf, 0.0, -0.0, 2.9, -2.9, 2147483520.0, 2147483648.0, -2147483648.0, -2147483904.0, 3e9, MAX, SUB]


def encode(v):
    v = float(v)
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return 'Infinity' if v > 0 else '-Infinity'
    if v == 0 and math.copysign(1, v) < 0:
        return '-0'
    return v if v != int(v) or abs(v) > 2**53 else int(v)


def round32(fn):
    """A float64 function rounded once to float32, NaN and overflow passed through."""
    def apply(x):
        try:
            return f32(fn(float(x)))
        except OverflowError:
            return f32(math.inf)
        except ValueError:
            return f32(math.nan)
    return apply


def softplus(x):  # PyTorch: x above the threshold 20, else log1p(exp(x))
    return x if x > 20 or math.isnan(x) else math.log1p(math.exp(x))


def erf(x):
    return math.erf(x)


def gelu(x):  # PyTorch's exact GELU in float32: x · 0.5 · (1 + erf(x / √2))
    x = f32(x)
    return x * f32(0.5) * (f32(1) + f32(math.erf(float(x * f32(math.sqrt(0.5))))))


x = np.array(SPECIALS, dtype=f32)
np.seterr(all='ignore')
UNARY = {
    'neg': lambda v: -v,
    'abs': np.abs,
    'sign': lambda v: np.where(np.isnan(v), v, np.sign(v)),  # NaN in, NaN out (see the README)
    'exp': np.exp,
    'log': np.log,
    'sqrt': np.sqrt,
    'rsqrt': lambda v: f32(1) / np.sqrt(v),
    'square': lambda v: v * v,
    'relu': lambda v: np.where(np.isnan(v), v, np.maximum(v, f32(0))),
    'leakyRelu': lambda v: np.where(v > 0, v, f32(0.2) * v),
    'sigmoid': lambda v: f32(1) / (f32(1) + np.exp(-v)),
    'tanh': np.tanh,
    'softplus': lambda v: np.array([round32(softplus)(e) for e in v], dtype=f32),
    'erf': lambda v: np.array([round32(erf)(e) for e in v], dtype=f32),
    'gelu': lambda v: np.array([gelu(e) for e in v], dtype=f32),
    'sin': lambda v: np.array([round32(math.sin)(e) for e in v], dtype=f32),
    'cos': lambda v: np.array([round32(math.cos)(e) for e in v], dtype=f32),
}
a = np.repeat(x, len(x))
b = np.tile(x, len(x))
BINARY = {
    'add': a + b,
    'sub': a - b,
    'mul': a * b,
    'div': a / b,
    'pow': np.power(a, b),
    'maximum': np.maximum(a, b),
    'minimum': np.minimum(a, b),
    'equal': (a == b).astype(f32),
    'notEqual': (a != b).astype(f32),
    'greater': (a > b).astype(f32),
    'greaterEqual': (a >= b).astype(f32),
    'less': (a < b).astype(f32),
    'lessEqual': (a <= b).astype(f32),
}

N, I, M, S = math.nan, math.inf, MAX, SUB
ROWS = [[N, 1.0], [1.0, N], [I, -I], [-I, -I], [I, N, -I], [M, M], [-M, -M], [M, M, -M], [0.0, -0.0], [-0.0, -0.0], [S, S], [MIN, -S], [-MIN, S, MIN], [2.0, 1.0, 2.0]]


def flush(v):
    return math.copysign(0.0, v) if v != 0 and abs(v) < MIN else v


def logsumexp(row):  # PyTorch: the max is replaced by 0 where it is infinite
    m = np.max(row)
    shift = f32(0) if np.isinf(m) else m
    return np.log(np.sum(np.exp(row - shift))) + shift


REDUCTIONS = {'sum': np.sum, 'mean': np.mean, 'max': np.max, 'min': np.min, 'argmax': np.argmax, 'argmin': np.argmin, 'logSumExp': logsumexp}


def powi(base, exponent):  # PyTorch's integer pow: products wrap; a negative exponent gives 0 but for ±1
    if exponent < 0:
        return 1 if base == 1 else (-1 if exponent % 2 else 1) if base == -1 else 0
    return pow(base, exponent, 2**32)


def wrap(v):
    v &= 0xFFFFFFFF
    return v - 2**32 if v >= 2**31 else v


def float_to_int(v):  # the stated rule: truncate toward zero, saturate, NaN -> 0
    if math.isnan(v):
        return 0
    return int(max(-(2**31), min(2**31 - 1, math.trunc(v)))) if not math.isinf(v) else (2**31 - 1 if v > 0 else -(2**31))


ia = [p for p in INT_SPECIALS for _ in INT_SPECIALS]
ib = [q for _ in INT_SPECIALS for q in INT_SPECIALS]
out = {
    'specials': [encode(v) for v in SPECIALS],
    'unary': {name: [encode(v) for v in fn(x)] for name, fn in UNARY.items()},
    # binary[op][i][j] = op(specials[i], specials[j])
    'binary': {name: [[encode(v) for v in values[i * len(x):(i + 1) * len(x)]] for i in range(len(x))] for name, values in BINARY.items()},
    'rows': [[encode(v) for v in row] for row in ROWS],
    'reductions': {name: [encode(fn(np.array(row, dtype=f32))) for row in ROWS] for name, fn in REDUCTIONS.items()},
    # the same with subnormals read as zeros of their sign: what a device that flushes them gives
    'reductionsFlushed': {name: [encode(fn(np.array([flush(v) for v in row], dtype=f32))) for row in ROWS] for name, fn in REDUCTIONS.items()},
    # maxPool2d and avgPool2d with 1x2 windows over every pair (specials[i], specials[j])
    'maxPool2d': [[encode(v) for v in BINARY['maximum'][i * len(x):(i + 1) * len(x)]] for i in range(len(x))],
    # PyTorch's average pooling sums in float32 from 0 (so −0 + −0 averages to +0)
    'avgPool2d': [[encode(v) for v in (((f32(0) + a) + b) / f32(2))[i * len(x):(i + 1) * len(x)]] for i in range(len(x))],
    'int32': {
        'specials': INT_SPECIALS,
        'unary': {
            'neg': [wrap(-v) for v in INT_SPECIALS],
            'abs': [wrap(abs(v)) for v in INT_SPECIALS],
            'sign': [(v > 0) - (v < 0) for v in INT_SPECIALS],
            'square': [wrap(v * v) for v in INT_SPECIALS],
            'relu': [max(v, 0) for v in INT_SPECIALS],
        },
        'binary': {
            'add': [wrap(p + q) for p, q in zip(ia, ib)],
            'sub': [wrap(p - q) for p, q in zip(ia, ib)],
            'mul': [wrap(p * q) for p, q in zip(ia, ib)],
            'pow': [wrap(powi(p, q)) for p, q in zip(ia, ib)],
            'maximum': [max(p, q) for p, q in zip(ia, ib)],
            'minimum': [min(p, q) for p, q in zip(ia, ib)],
            'equal': [int(p == q) for p, q in zip(ia, ib)],
            'less': [int(p < q) for p, q in zip(ia, ib)],
        },
        'sum': wrap(sum(INT_SPECIALS)),
        'floatToInt': {'inputs': [encode(f32(v)) for v in FLOAT_TO_INT], 'expected': [float_to_int(float(f32(v))) for v in FLOAT_TO_INT]},
        'intToFloat': {'inputs': [2147483647, -2147483648, 16777217, 16777219], 'expected': [encode(f32(v)) for v in [2147483647, -2147483648, 16777217, 16777219]]},
    },
}
path = pathlib.Path(__file__).parent.parent / 'test' / 'ops' / 'special-values.json'
text = json.dumps(out, indent=1)
text = re.sub(r'\[\s+([^\[\]{}]*?)\s+\]', lambda m: '[' + re.sub(r',\s+', ', ', m.group(1)) + ']', text)  # one line per list of values
path.write_text(text + '\n')
print(f'wrote {path}')
