"""Types a training script defines and pickles into its checkpoints.

make_checkpoints.py saves instances of these; the test puts this directory on
sys.path for the saving and the loading interpreters, as a project would.
"""

import enum
from dataclasses import dataclass, field


class Precision(enum.Enum):
    FP32 = "32"
    BF16 = "bf16-mixed"


@dataclass
class TrainConfig:
    model_name: str = "resnet18"
    lr: float = 3e-4
    batch_size: int = 64
    betas: tuple = (0.9, 0.999)
    precision: Precision = Precision.BF16
    tags: list = field(default_factory=lambda: ["baseline", "v2"])


class AttributeDict(dict):
    """A dict whose keys read as attributes, as Lightning's hyper-parameters."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError as e:
            raise AttributeError(key) from e
