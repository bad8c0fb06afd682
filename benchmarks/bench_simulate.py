"""Time noiseless simulation of a linear RNN: rnnss.simulate vs python-control forced_response and scipy dlsim.

Run:  python benchmarks/bench_simulate.py [--T 100000] [--repeat 3]
Prints the best-of-repeat wall time of each and the ratio peer / rnnss (> 1 means rnnss is faster).
"""

import argparse
import time

import control
import numpy as np
import scipy.signal

import rnnss


def best_time(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rnn = rnnss.random_rnn(4, 2, 2, radius=0.9, noise=False, rng=0)
    x = np.random.default_rng(1).standard_normal((args.T, 2))
    u = np.vstack([x, np.zeros((1, 2))])
    sys_c, sys_s = rnn.to_statespace(), rnn.to_dlti()
    times = {
        "rnnss.simulate": best_time(lambda: rnnss.simulate(rnn, x=x, noise=False), args.repeat),
        "control.forced_response": best_time(
            lambda: control.forced_response(sys_c, T=np.arange(args.T + 1), U=u.T), args.repeat
        ),
        "scipy.signal.dlsim": best_time(lambda: scipy.signal.dlsim(sys_s, u), args.repeat),
    }
    base = times["rnnss.simulate"]
    print(f"noiseless simulation, n=4, p=2, m=2, T={args.T}")
    for name, t in times.items():
        print(f"  {name:26s} {t * 1e3:9.2f} ms   {t / base:6.2f}x rnnss")


if __name__ == "__main__":
    main()
