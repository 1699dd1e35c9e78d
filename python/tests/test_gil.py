"""The heavy calls release the GIL: while one Python thread is inside backward() (or a wide
layer's forward), another Python thread runs. Each thread has its own tape."""
import threading

import pytest

import micrograd_cpp as mc


def test_backward_lets_other_threads_run():
    """Deterministic: with a switch interval of 100 s the interpreter never hands the GIL to
    another thread on its own, so a thread waiting for it runs only if backward() lets go."""
    import sys

    from micrograd_cpp.losses import mse
    v = mc.Value(0.3)
    loss = mse([v] * 300_000, [0.5] * 300_000)  # 900,000 nodes: tens of milliseconds of backward
    ran = []
    gate = threading.Lock()
    gate.acquire()

    def other():
        with gate:  # blocks (without the GIL) until the main thread opens the gate
            ran.append(True)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        t = threading.Thread(target=other)
        t.start()
        gate.release()  # `other` can go on as soon as it gets the GIL
        loss.backward()
        during = list(ran)  # read before anything else could give the GIL away
    finally:
        sys.setswitchinterval(interval)
        t.join()
    assert during == [True]
    assert v.grad == pytest.approx(2 * (0.3 - 0.5))


def test_python_threads_train_their_own_models():
    import random
    results = {}

    lock = threading.Lock()  # Python's `random` is shared by the threads: one seeding at a time

    def train(name, seed):
        with lock:
            random.seed(seed)
            model = mc.MLP(64, [64, 2])
        rng = random.Random(seed)
        X = [[rng.uniform(-1, 1) for _ in range(64)] for _ in range(8)]
        for _ in range(3):
            model.zero_grad()
            out = [model([mc.Value(v) for v in row]) for row in X]
            loss = sum(o[0] * o[0] + o[1] * o[1] for o in out)
            loss.backward()
            for p in model.parameters():
                p.data -= 0.001 * p.grad
        results[name] = loss.data

    threads = [threading.Thread(target=train, args=(f"t{k}", k)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    train("alone", 1)  # the same work on the main thread: the same numbers
    assert results["t1"] == results["alone"]
    assert len(results) == 4
