"""Write tests/data/darex.json: the DAREX benchmark Riccati equations as scipy's test-suite states them.

Source: P. Benner, A. J. Laub, V. Mehrmann, "A Collection of Benchmark Examples for the Numerical Solution of
Algebraic Riccati Equations II: Discrete-Time Case", TU Chemnitz SPC 95_23 (1995), with default parameters, as
transcribed in scipy/linalg/tests/test_solvers.py (TestSolveDiscreteAre.cases, test cases 4-18 = darex #1-#15).
Run once (``python tests/data/make_darex.py``) with a scipy whose tests are installed; the JSON is committed.
"""

import json
import pathlib

import numpy as np
from scipy.linalg.tests.test_solvers import TestSolveDiscreteAre

out = []
for j, (a, b, q, r, _) in enumerate(TestSolveDiscreteAre.cases[4:19]):
    a, b, q, r = (np.atleast_2d(np.asarray(x, dtype=float)) for x in (a, b, q, r))
    out.append({"name": f"darex {j + 1}", "A": a.tolist(), "B": b.tolist(), "Q": q.tolist(), "R": r.tolist()})
path = pathlib.Path(__file__).with_name("darex.json")
path.write_text(json.dumps(out))
print(f"wrote {len(out)} cases to {path}")
