"""Times micrograd's demo.ipynb training loop on micrograd_cpp and on micrograd itself.

The loop is the notebook's code verbatim (python/tests/demo.py): moons (100 points), MLP(2, [16,
16, 1]), SVM max-margin loss + 1e-4 * sum(p*p), 100 steps of SGD. Both packages get the same
points (our make_moons, seed 1) and the same initial weights (random.seed(1337): both draw them
with Python's random.uniform in the same order), so their losses agree to rounding.

    PYTHONPATH=build/python /usr/bin/python3 python/bench/demo_speed.py --micrograd /tmp/mg
where /tmp/mg/micrograd/{__init__,engine,nn}.py is a checkout of karpathy/micrograd (or set
MICROGRAD_PATH). Without it, only micrograd_cpp is timed.
Not here: C++ benchmarks (bench/).
"""
import argparse
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from demo import run_demo  # noqa: E402
import micrograd_cpp  # noqa: E402
from micrograd_cpp.datasets import make_moons  # noqa: E402


def data():
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    return [[float(v) for v in row] for row in X], [int(v) * 2 - 1 for v in y]


def timed(Value, MLP, steps):
    X, y = data()
    random.seed(1337)
    t0 = time.perf_counter()
    _, history = run_demo(Value, MLP, X, y, steps=steps)
    return time.perf_counter() - t0, history


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--micrograd", default=os.environ.get("MICROGRAD_PATH"),
                    help="directory containing the micrograd package (default: $MICROGRAD_PATH)")
    ap.add_argument("--steps", type=int, default=100, help="training steps (default 100, as the notebook)")
    ap.add_argument("--repeats", type=int, default=5, help="micrograd_cpp runs (median reported)")
    args = ap.parse_args()

    runs = [timed(micrograd_cpp.Value, micrograd_cpp.MLP, args.steps) for _ in range(args.repeats)]
    ours = statistics.median(t for t, _ in runs)
    history = runs[0][1]
    print(f"micrograd_cpp: {args.steps} steps in {ours * 1e3:.1f} ms ({ours / args.steps * 1e3:.3f} ms/step, "
          f"median of {args.repeats}); final loss {history[-1][0]:.6f}, accuracy {history[-1][1] * 100:.0f}%")

    if not args.micrograd or not os.path.isfile(os.path.join(args.micrograd, "micrograd", "engine.py")):
        print("micrograd: skipped (pass --micrograd DIR or set MICROGRAD_PATH to a karpathy/micrograd checkout)")
        return
    sys.path.insert(0, args.micrograd)
    from micrograd.engine import Value
    from micrograd.nn import MLP
    theirs, their_history = timed(Value, MLP, args.steps)
    print(f"micrograd:     {args.steps} steps in {theirs * 1e3:.1f} ms ({theirs / args.steps * 1e3:.3f} ms/step); "
          f"final loss {their_history[-1][0]:.6f}, accuracy {their_history[-1][1] * 100:.0f}%")
    drift = max(abs(a[0] - b[0]) for a, b in zip(history, their_history))
    print(f"largest loss difference over the run: {drift:.3g} (summation order of gradients only)")
    print(f"speed-up: {theirs / ours:.0f}x")


if __name__ == "__main__":
    main()
