"""Hidden Markov models as RNNs: models, algorithms, fitting, softmax and belief-state cells, exact converters."""

from .algorithms import (
    HMMBackwardResult,
    HMMFilterResult,
    HMMSmootherResult,
    ViterbiResult,
    hmm_backward,
    hmm_forward,
    hmm_loglik,
    hmm_smoother,
    viterbi,
)
from .cells import BeliefCell, OneHotSoftmaxCell
from .fit import HMMFitReport, HMMOrderSelection, HMMRestart, fit_hmm, select_hmm_order
from .model import HMM, GaussianHMM, HMMSample, emission_loglik
from .rnn import BeliefRNN, BeliefRun, belief_rnn, hmm_to_rnn, rnn_to_hmm, run_belief_rnn
from .verify import HMMEquivalenceReport, hmm_loglik_brute_force, verify_hmm_equivalence

__all__ = [
    "HMM",
    "GaussianHMM",
    "HMMSample",
    "HMMFilterResult",
    "HMMBackwardResult",
    "HMMSmootherResult",
    "ViterbiResult",
    "BeliefRNN",
    "BeliefRun",
    "OneHotSoftmaxCell",
    "BeliefCell",
    "HMMEquivalenceReport",
    "emission_loglik",
    "hmm_forward",
    "hmm_backward",
    "hmm_smoother",
    "hmm_loglik",
    "viterbi",
    "hmm_to_rnn",
    "rnn_to_hmm",
    "belief_rnn",
    "run_belief_rnn",
    "hmm_loglik_brute_force",
    "verify_hmm_equivalence",
    "HMMFitReport",
    "HMMRestart",
    "HMMOrderSelection",
    "fit_hmm",
    "select_hmm_order",
]
