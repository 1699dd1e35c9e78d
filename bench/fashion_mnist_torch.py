"""Fashion-MNIST, one epoch, this project's `micrograd train` against PyTorch, side by side.

The same model and settings on both: MLP 784-128-10 (ReLU), softmax cross-entropy, Adam lr 1e-3,
batch 128, float64, the same number of threads, weights U(-1,1)/sqrt(fan-in), pixels / 255.
Rounds alternate the two tools; each reports its training time for one epoch (data loading and
the first import excluded), the median and the spread are printed, and the ratio.

    /usr/bin/python3 bench/fashion_mnist_torch.py --micrograd build/cli/micrograd [--threads 2]
Needs Debian's python3-torch, python3-numpy and dataset-fashion-mnist.
Not here: the C++ microbenchmarks (bench_w1, bench_w2).
"""
import argparse
import gzip
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

DIR = "/usr/share/datasets/fashion-mnist/"


def idx(path, header):
    with gzip.open(path, "rb") as f:
        data = f.read()
    return data[header:]


def torch_epoch(threads, X, y, seed):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(784, 128, dtype=torch.float64), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10, dtype=torch.float64))
    with torch.no_grad():  # U(-1,1)/sqrt(fan_in), biases 0: the program's --weight-init fan-in
        for m in model:
            if isinstance(m, torch.nn.Linear):
                m.weight.uniform_(-1, 1).div_(m.in_features ** 0.5)
                m.bias.zero_()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    perm = torch.randperm(X.shape[0])
    t0 = time.perf_counter()
    for i in range(0, X.shape[0], 128):
        rows = perm[i:i + 128]
        loss = torch.nn.functional.cross_entropy(model(X[rows]), y[rows])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def ours_epoch(cli, threads, out):
    r = subprocess.run([cli, "train", "--dataset", "fashion-mnist", "--epochs", "1", "--threads",
                        str(threads), "--no-plots", "--out", out], capture_output=True, text=True, check=True)
    m = re.search(r"epoch 1/1: .* ([0-9]+) samples/s, ([0-9.]+) s", r.stderr)
    return float(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--micrograd", required=True, help="the micrograd program (build/cli/micrograd)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    import numpy as np
    import torch
    X = np.frombuffer(idx(DIR + "train-images-idx3-ubyte.gz", 16), dtype=np.uint8).reshape(-1, 784)
    X = torch.tensor(X / 255.0, dtype=torch.float64)
    y = torch.tensor(np.frombuffer(idx(DIR + "train-labels-idx1-ubyte.gz", 8), dtype=np.uint8).astype(np.int64))
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as out:
        for k in range(args.rounds):
            ours.append(ours_epoch(args.micrograd, args.threads, out))
            theirs.append(torch_epoch(args.threads, X, y, k))
            print(f"round {k}: micrograd {ours[-1]:.2f} s, torch {theirs[-1]:.2f} s", flush=True)
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print(f"one epoch of Fashion-MNIST (60,000 images, batch 128, {args.threads} threads, float64):")
    print(f"  micrograd train: {mo:.2f} s (median of {args.rounds}, {min(ours):.2f}-{max(ours):.2f})")
    print(f"  PyTorch {torch.__version__}: {mt:.2f} s ({min(theirs):.2f}-{max(theirs):.2f})")
    print(f"  ratio (ours / PyTorch): {mo / mt:.2f}")


if __name__ == "__main__":
    sys.exit(main())
