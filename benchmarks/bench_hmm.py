"""HMM log-likelihood, forward-backward and Viterbi speed: rnnss against hmmlearn, interleaved in one run.

Run:  python benchmarks/bench_hmm.py [--T 100000] [--K 2 8 32] [--M 8] [--repeat 5] [--clock cpu|wall]
                                     [--gaussian] [--compile] [--quick]

For each number of states K, a random categorical HMM with M symbols (Dirichlet rows, seed fixed) generates
T observations; rnnss and hmmlearn get identical parameters and data. Before timing, their answers are
checked to agree to 1e-10 (log-likelihood and Viterbi log-probability relative, posteriors absolute, paths
equal or equally probable). Timings alternate rnnss and hmmlearn, each the best of ``--repeat`` runs after a
warm-up call (numba compiles, or loads its cache, on first use; ``--compile`` measures that one-off cost in
fresh processes). Ratios are hmmlearn time / rnnss time: above 1, rnnss is faster. The clock is the CPU time
of this process by default (both libraries run single-threaded here), which other jobs on a shared machine
disturb far less than wall-clock time; ``--clock wall`` uses ``time.perf_counter``.

Tasks: ``hmm_loglik`` vs ``score``; ``hmm_smoother(...).posteriors`` vs ``predict_proba``; ``viterbi`` vs
``decode``. The default (``method="scaled"``) rnnss recursions are compared with hmmlearn's faster
``implementation="scaling"``, and the log-space ones with hmmlearn's (default) ``implementation="log"``.
BLAS runs single-threaded (hmmlearn's Gaussian densities otherwise suffer on a busy machine).
"""

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import threadpoolctl

import rnnss

logging.getLogger("hmmlearn").setLevel(logging.ERROR)


def random_hmm(K, M, seed):
    rng = np.random.default_rng(seed)
    A = rng.dirichlet(np.ones(K), K) + 2.0 * np.eye(K)  # persistent states, as in most applications
    return rnnss.HMM(pi=rng.dirichlet(np.ones(K)), A=A / A.sum(axis=1, keepdims=True), B=rng.dirichlet(np.ones(M), K))


def random_gaussian_hmm(K, d, seed):
    rng = np.random.default_rng(seed)
    A = rng.dirichlet(np.ones(K), K) + 2.0 * np.eye(K)
    L = 0.4 * rng.standard_normal((K, d, d))
    return rnnss.GaussianHMM(
        pi=rng.dirichlet(np.ones(K)),
        A=A / A.sum(axis=1, keepdims=True),
        means=3.0 * rng.standard_normal((K, d)),
        covs=L @ np.swapaxes(L, 1, 2) + 0.5 * np.eye(d),
    )


def hmmlearn_model(hmm, implementation):
    m = rnnss.to_hmmlearn(hmm)
    m.implementation = implementation
    return m


CLOCK = time.process_time


def interleaved(fns, repeat):
    """Best time of each function, calls alternating between them (after one warm-up call each)."""
    for fn in fns:
        fn()
    best = [np.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = CLOCK()
            fn()
            best[i] = min(best[i], CLOCK() - t0)
    return best


def check(task, ours, theirs, hmm, y):
    """The answers agree to 1e-10 (or the benchmark stops)."""
    if task == "forward-backward":
        err = float(np.max(np.abs(ours - theirs)))
    elif task == "viterbi":
        (lp, path), (lp_ref, path_ref) = ours, theirs
        if not np.array_equal(path, path_ref):  # exact ties: both paths must be equally probable
            ell = np.log(hmm.B[:, y].T) if isinstance(hmm, rnnss.HMM) else rnnss.emission_loglik(hmm, y)
            joint = lambda z: (
                np.log(hmm.pi[z[0]]) + np.log(hmm.A[z[:-1], z[1:]]).sum() + ell[np.arange(len(z)), z].sum()
            )  # noqa: E731
            if abs(joint(path) - joint(path_ref)) > 1e-10 * abs(lp):
                raise SystemExit(
                    f"viterbi: paths differ and are not equally probable ({joint(path)} vs {joint(path_ref)})"
                )
        err = abs(lp - lp_ref) / abs(lp_ref)
    else:
        err = abs(ours - theirs) / abs(theirs)
    if not err <= 1e-10:
        raise SystemExit(f"{task}: rnnss and hmmlearn disagree by {err:.2e} (> 1e-10)")
    return err


def run_point(hmm, y, method, impl, repeat):
    """Rows (task, rnnss s, hmmlearn s, agreement) for one model, one rnnss method, one hmmlearn implementation."""
    X = y.reshape(len(y), -1)
    m = hmmlearn_model(hmm, impl)
    tasks = {
        "log-likelihood": (lambda: rnnss.hmm_loglik(hmm, y, method=method), lambda: m.score(X)),
        "forward-backward": (lambda: rnnss.hmm_smoother(hmm, y, method=method).posteriors, lambda: m.predict_proba(X)),
    }
    if method == "scaled":  # Viterbi has one (log-space) algorithm in both libraries
        tasks["viterbi"] = (
            lambda: (lambda r: (r.loglik, r.path))(rnnss.viterbi(hmm, y)),
            lambda: m.decode(X, algorithm="viterbi"),
        )
    rows = []
    for task, (ours, theirs) in tasks.items():
        err = check(task, ours(), theirs(), hmm, y)
        t_ours, t_theirs = interleaved([ours, theirs], repeat)
        rows.append((task, t_ours, t_theirs, err))
    return rows


def compile_times():
    """First-call cost in fresh processes (CPU seconds): with an empty numba cache (compilation), then filled."""
    code = (
        "import time; c0 = time.process_time(); import rnnss; c1 = time.process_time()\n"
        "for K in (2, 8):\n"
        "    h = rnnss.HMM(pi=[1 / K] * K, A=[[1 / K] * K] * K, B=[[0.5, 0.5]] * K); y = [0, 1, 1]\n"
        "    for m in ('scaled', 'log'): rnnss.hmm_smoother(h, y, method=m)\n"
        "    rnnss.viterbi(h, y)\n"
        "print(f'{c1 - c0:.2f} {time.process_time() - c1:.2f}')"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = []
        for _ in range(2):
            res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            out.append([float(x) for x in res.stdout.split()])
    (imp0, cold), (imp1, warm) = out
    print("\nfirst calls of every HMM kernel (smoother scaled + log, Viterbi; K = 2 and 8) in a fresh process, CPU s:")
    print(f"  empty numba cache (compilation): {cold:.2f} s   (import rnnss: {imp0:.2f} s)")
    print(f"  numba cache filled (load):       {warm:.2f} s   (import rnnss: {imp1:.2f} s)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=100_000, help="sequence length")
    parser.add_argument("--K", type=int, nargs="+", default=[2, 8, 32], help="numbers of states")
    parser.add_argument("--M", type=int, default=8, help="number of symbols")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu", help="process CPU time or wall time")
    parser.add_argument("--gaussian", action="store_true", help="also a Gaussian HMM (K = 8, d = 2)")
    parser.add_argument("--compile", action="store_true", help="measure the numba compile and cache-load time")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.T, args.K, args.repeat = 2000, [2, 8], 1
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    import hmmlearn

    print(f"rnnss vs hmmlearn {hmmlearn.__version__}: categorical HMM, M = {args.M} symbols, T = {args.T}")
    print(
        f"times ({args.clock}): best of {args.repeat} interleaved runs; ratio = hmmlearn / rnnss (> 1: rnnss faster)\n"
    )
    header = (
        f"{'K':>3} {'task':18s} {'rnnss method':13s} {'rnnss':>11} {'hmmlearn':>11} {'impl.':8s} {'ratio':>7}  agree"
    )
    print(header)
    slower = []
    with threadpoolctl.threadpool_limits(1):
        cases = [(K, random_hmm(K, args.M, K)) for K in args.K]
        if args.gaussian:
            cases.append(("8/G", random_gaussian_hmm(8, 2, 8)))
        for K, hmm in cases:
            y = hmm.sample(args.T, rng=1).y
            for method, impl in (("scaled", "scaling"), ("log", "log")):
                for task, t_ours, t_theirs, err in run_point(hmm, y, method, impl, args.repeat):
                    ratio = t_theirs / t_ours
                    if ratio < 1:
                        slower.append((K, task, method))
                    print(
                        f"{K!s:>3} {task:18s} {method:13s} {t_ours * 1e3:8.2f} ms {t_theirs * 1e3:8.2f} ms "
                        f"{impl:8s} {ratio:6.1f}x  {err:.0e}"
                    )
    print("\nrnnss no slower than hmmlearn at every point:", "yes" if not slower else f"NO, slower at {slower}")
    if args.compile:
        compile_times()


if __name__ == "__main__":
    main()
