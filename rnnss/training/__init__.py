"""Training cells by backpropagation through time: exact gradients, read-out, losses, optimisers and memory tasks."""

from .data import SequenceData
from .grads import CellGradient, LossGradient, bptt, evaluate_loss, loss_and_grad, predict
from .losses import cross_entropy_loss, mse_loss
from .optim import clip_spectral_norm
from .readout import LinearReadout, random_readout
from .tasks import adding_problem, copy_task, delayed_recall
from .train import TrainingResult, train

__all__ = [
    "train",
    "TrainingResult",
    "loss_and_grad",
    "LossGradient",
    "bptt",
    "CellGradient",
    "predict",
    "evaluate_loss",
    "LinearReadout",
    "random_readout",
    "SequenceData",
    "mse_loss",
    "cross_entropy_loss",
    "clip_spectral_norm",
    "adding_problem",
    "delayed_recall",
    "copy_task",
]
