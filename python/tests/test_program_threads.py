"""`micrograd train --threads N` on IDX data: the trained model file is byte for byte the same
for N = 1, 2 and 3 (fixed chunks summed in a fixed order, parallel.hpp), and so is the log of
every step's loss."""
import json
import os
import subprocess

import pytest

IDX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "idx")


@pytest.mark.skipif(not os.environ.get("MICROGRAD_CLI"), reason="MICROGRAD_CLI (the program) not set")
@pytest.mark.parametrize("l2", ["0.001", "0"])  # 0: Adam's update is split across the threads
def test_any_thread_count_trains_the_same_model(tmp_path, l2):
    spec = "idx:" + ",".join(os.path.join(IDX, f) for f in
                             ("train-images.gz", "train-labels", "test-images", "test-labels"))
    models, losses = [], []
    for threads in (1, 2, 3):
        out = tmp_path / f"t{threads}"
        r = subprocess.run([os.environ["MICROGRAD_CLI"], "train", "--dataset", spec, "--epochs", "3",
                            "--batch-size", "20", "--lr", "0.01", "--l2", l2, "--no-plots",
                            "--quiet", "--threads", str(threads), "--out", str(out),
                            "--save", str(out / "model.json")], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert f"3 epochs (9 steps, {threads} threads)" in r.stdout
        models.append((out / "model.json").read_bytes())
        log = json.loads((out / "log.json").read_text())
        losses.append([s["loss"] for s in log["steps"]])
        assert len(log["epochs"]) == 3 and log["epochs"][-1]["test_accuracy"] == 1.0
    assert models[0] == models[1] == models[2]
    assert losses[0] == losses[1] == losses[2]
    assert losses[0][-1] < losses[0][0]  # it trained
