"""Frequency classes and their unit conversions: the one module that knows the 1..5 scale.

A known pair carries a class 1 (very rare) .. 5 (very frequent); 0 means unknown. Each function
below names one conversion that the graph, the decoder, the losses and the reports share.
"""

from __future__ import annotations

MIN_CLASS = 1
MAX_CLASS = 5
MID_CLASS = 3
HIGH_FREQ_CLASS = 4  # DSHF: a pair is "high frequency" at class >= 4
CLASSES = tuple(range(MIN_CLASS, MAX_CLASS + 1))
CLASS_NAMES = {1: "very rare", 2: "rare", 3: "infrequent", 4: "frequent", 5: "very frequent"}
# A label matrix may also hold LISTED: the pair is on the drug's label (a SIDER 4.1 mention) but has
# no frequency class. Association reads every cell > 0; the frequency heads read `classes_only`.
LISTED = MAX_CLASS + 1

_HALF_RANGE = (MAX_CLASS - MIN_CLASS) / 2.0  # 2.0
_RANGE = float(MAX_CLASS - MIN_CLASS)  # 4.0


def to_fraction(cls):
    """Class as a share of the top class, in (0, 1]: graph edge weights and contrastive targets."""
    return cls / float(MAX_CLASS)


def from_fraction(frac):
    """Inverse of `to_fraction`."""
    return frac * float(MAX_CLASS)


def centre(cls):
    """Class on the centred model-input scale: 1..5 -> -1..1."""
    return (cls - float(MID_CLASS)) / _HALF_RANGE


def uncentre(z):
    """Inverse of `centre`."""
    return z * _HALF_RANGE + float(MID_CLASS)


def scale_offset(delta):
    """A class difference (drug offset, residual) on the centred scale."""
    return delta / _HALF_RANGE


def unscale_offset(x):
    """Inverse of `scale_offset`: back to class units."""
    return x * _HALF_RANGE


def to_unit(cls):
    """Class on 0..1 (1 -> 0, 5 -> 1): the decoder's DSF prior is a logit of this."""
    return (cls - float(MIN_CLASS)) / _RANGE


def from_unit(u):
    """Inverse of `to_unit`: the DSF head maps a sigmoid into the class range."""
    return float(MIN_CLASS) + _RANGE * u


def is_high(cls):
    """DSHF label: class >= HIGH_FREQ_CLASS (works on numpy arrays, tensors and numbers)."""
    return cls >= HIGH_FREQ_CLASS


def has_class(Y):
    """Cells that carry a frequency class 1..5 (not unknown, not LISTED); numpy or torch."""
    return (Y >= MIN_CLASS) & (Y <= MAX_CLASS)


def classes_only(Y):
    """Y with LISTED cells set to unknown (0): the frequency labels of a label matrix (numpy or torch)."""
    return Y * has_class(Y)


def on_class_scale(Y):
    """Y with LISTED cells read as the middle class: a number per labelled pair where one is needed
    without a known frequency (contrastive profile and pair targets). numpy."""
    import numpy as np

    return np.where(Y == LISTED, MID_CLASS, Y).astype(Y.dtype)


def label_rank(Y):
    """Sort key of label cells, larger first: class 5 .. 1, then LISTED, then unknown (numpy)."""
    import numpy as np

    Y = np.asarray(Y).astype(int)
    return np.where(Y == LISTED, 0.5, Y)


def class_text(c) -> str:
    """A label cell in words for evidence and answers: 'class 4' or 'listed' (on the label, no class)."""
    return "listed" if int(c) == LISTED else f"class {int(c)}"


def clip_class(x):
    """Clip predicted classes into MIN_CLASS..MAX_CLASS (numpy)."""
    import numpy as np

    return np.clip(x, MIN_CLASS, MAX_CLASS)
