"""Filtering, smoothing and log-likelihood speed: rnnss against statsmodels, filterpy, pykalman and simdkalman.

Run:  python benchmarks/bench_kalman.py [--T 100000] [--batch 1000] [--batch-T 1000] [--repeat 3] [--quick]

All libraries run on the same model (n = 4 hidden units, m = 2 outputs) and the same data in one process;
each timing is the best of ``--repeat`` runs, after one warm-up call (numba compiles on first use, and
that one-off cost is reported separately). Before timing, every peer's estimates are checked against
rnnss's, so the comparison is between equal answers. Ratios are peer time / rnnss time: above 1, rnnss is faster.
"""

import argparse
import time
import tracemalloc

import numpy as np

import rnnss
from rnnss.interop import peers as _peers


def best_time(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def statsmodels_setup(rnn, y):
    """A bound statsmodels KalmanSmoother, so that only filtering/smoothing is timed."""
    from statsmodels.tsa.statespace.kalman_smoother import KalmanSmoother

    n, m = rnn.n_hidden, rnn.n_outputs
    ks = KalmanSmoother(k_endog=m, k_states=n, k_posdef=n)
    ks.bind(np.ascontiguousarray(y))
    ks["design"], ks["obs_cov"], ks["transition"], ks["selection"], ks["state_cov"] = (
        rnn.V,
        rnn.R,
        rnn.W,
        np.eye(n),
        rnn.Q,
    )
    ks.initialize_known(rnn.W @ rnn.h0, rnn.W @ rnn.P0 @ rnn.W.T + rnn.Q)
    return ks


def simdkalman_setup(rnn):
    import simdkalman

    return simdkalman.KalmanFilter(
        state_transition=rnn.W, process_noise=rnn.Q, observation_model=rnn.V, observation_noise=rnn.R
    )


def report(title, times, base="rnnss"):
    print(title)
    t0 = times[base]
    for name, t in times.items():
        ratio = (
            ""
            if name == base
            else f"  {t / t0:8.2f}x slower than rnnss"
            if t >= t0
            else f"  {t0 / t:8.2f}x FASTER than rnnss"
        )
        print(f"  {name:34s} {t * 1e3:10.2f} ms{ratio}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=100_000, help="length of the single series")
    parser.add_argument("--batch", type=int, default=1000, help="number of series sharing one model")
    parser.add_argument("--batch-T", type=int, default=1000, help="length of each batched series")
    parser.add_argument("--long-T", type=int, default=1_000_000, help="length for the bounded-memory run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.T, args.batch, args.batch_T, args.long_T, args.repeat = 5000, 50, 200, 20_000, 1

    rnn = rnnss.random_rnn(4, 2, 0, radius=0.9, rng=0)
    gen = np.random.default_rng(1)
    y = rnnss.simulate(rnn, args.T, rng=gen).y

    # One-off numba compilation (cached on disk afterwards).
    t0 = time.perf_counter()
    rnnss.rts_smoother(rnn, y[:10], engine="numba")
    print(f"numba warm-up (compilation or cache load): {time.perf_counter() - t0:.2f} s\n")

    # -- correctness first: every peer agrees with rnnss on a prefix --------------------------------
    T_chk = min(args.T, 2000)
    ours = rnnss.rts_smoother(rnn, y[:T_chk])
    sm = _peers.statsmodels_smoother(rnn, y[:T_chk])
    fp = _peers.filterpy_filter(rnn, y[:T_chk])
    pk = _peers.pykalman_smoother(rnn, y[:T_chk])
    diffs = {
        "statsmodels": np.max(np.abs(sm["smoothed_means"] - ours.smoothed_means)),
        "filterpy": np.max(np.abs(fp["smoothed_means"] - ours.smoothed_means)),
        "pykalman": np.max(np.abs(pk["smoothed_means"] - ours.smoothed_means)),
    }
    print("agreement of smoothed means with rnnss (max abs): " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))

    # -- one series: filter + smoother --------------------------------------------------------------
    ks = statsmodels_setup(rnn, y)
    times = {
        "rnnss": best_time(lambda: rnnss.rts_smoother(rnn, y), args.repeat),
        "rnnss (engine='numpy')": best_time(lambda: rnnss.rts_smoother(rnn, y, engine="numpy"), 1),
        "statsmodels KalmanSmoother.smooth": best_time(ks.smooth, args.repeat),
    }
    # filterpy and pykalman are pure Python per step: time them on a tenth of the series and scale.
    T_slow = max(args.T // 10, 1000)

    def filterpy_run():
        _peers.filterpy_filter(rnn, y[:T_slow])

    def pykalman_run():
        _peers.pykalman_smoother(rnn, y[:T_slow])

    times["filterpy batch_filter+rts (scaled)"] = best_time(filterpy_run, 1) * args.T / T_slow
    times["pykalman filter+smooth (scaled)"] = best_time(pykalman_run, 1) * args.T / T_slow
    report(
        f"\none series, filter + smoother, n=4, m=2, T={args.T} "
        f"({times['rnnss'] / args.T * 1e6:.2f} us/step for rnnss)",
        times,
    )

    # -- log-likelihood only (the inner loop of fitting) ------------------------------------------------
    times = {
        "rnnss": best_time(lambda: rnnss.kalman_filter(rnn, y, store_covariances=False).loglik, args.repeat),
        "statsmodels loglike": best_time(ks.loglike, args.repeat),
    }
    ll_ours = rnnss.kalman_filter(rnn, y, store_covariances=False).loglik
    print(
        f"\nlog-likelihood agreement: |rnnss - statsmodels| = {abs(ll_ours - ks.loglike()):.2e} (of {abs(ll_ours):.4g})"
    )
    report(f"log-likelihood evaluation, T={args.T}", times)

    # -- many series sharing one model ----------------------------------------------------------------
    yb = rnnss.simulate(rnn, args.batch_T, batch=args.batch, rng=gen).y
    kf = simdkalman_setup(rnn)
    a1, P1 = rnn.W @ rnn.h0, rnn.W @ rnn.P0 @ rnn.W.T + rnn.Q
    simd = kf.smooth(yb, initial_value=a1, initial_covariance=P1)
    ours_b = rnnss.rts_smoother(rnn, yb)
    print(
        "\nbatch agreement with simdkalman (smoothed means, max abs): "
        f"{np.max(np.abs(simd.states.mean - ours_b.smoothed_means)):.1e}"
    )
    times = {
        "rnnss": best_time(lambda: rnnss.rts_smoother(rnn, yb), args.repeat),
        "simdkalman smooth": best_time(lambda: kf.smooth(yb, initial_value=a1, initial_covariance=P1), args.repeat),
    }
    report(f"{args.batch} series x T={args.batch_T}, filter + smoother", times)

    # -- a long series in bounded memory ----------------------------------------------------------------
    y_long = gen.standard_normal((args.long_T, 2))
    tracemalloc.start()
    t0 = time.perf_counter()
    res = rnnss.kalman_filter(rnn, y_long, store_covariances=False)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"\nT={args.long_T} filter with store_covariances=False: {elapsed:.2f} s, peak memory {peak / 2**20:.0f} MiB "
        f"(input alone {y_long.nbytes / 2**20:.0f} MiB), loglik {res.loglik:.6g}"
    )


if __name__ == "__main__":
    main()
