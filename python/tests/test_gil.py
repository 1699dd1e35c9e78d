"""The heavy calls release the GIL: while one Python thread is inside backward() (or a wide
layer's forward), another Python thread runs. Each thread has its own tape."""
import threading

import micrograd_cpp as mc


def counting_thread():
    counter = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1

    t = threading.Thread(target=count)
    t.start()
    return counter, stop, t


def test_backward_lets_other_threads_run():
    x = [mc.Value(0.001 * i) for i in range(2000)]
    root = x[0]
    for _ in range(4000):  # a deep graph: 152,000 nodes, milliseconds of backward
        for v in x[1:20]:
            root = root * 0.999 + v
    counter, stop, t = counting_thread()
    try:
        ran = []
        for _ in range(3):
            before = counter[0]
            root.backward()
            ran.append(counter[0] - before)
    finally:
        stop.set()
        t.join()
    # Holding the GIL, backward would let the other thread count only if a switch fell in the
    # few instructions between reading the counter and the call (twice in three tries). (The
    # other thread may miss one backward while the OS wakes it: hence two of three.)
    assert sum(n > 0 for n in ran) >= 2, ran
    assert x[1].grad != 0


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
