from dataclasses import dataclass


@dataclass
class TrainConfig:
    lr: float = 0.1
