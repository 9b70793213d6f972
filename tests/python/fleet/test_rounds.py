# SPDX-License-Identifier: Apache-2.0
"""A fleet's rounds in this process: nodes draw from their own rounding streams (C and the
reference alike), rounds are reproducible, the C gateway's global model is the reference's
byte for byte, and `tintin fleet --engine local` runs and refuses bad arguments in one line."""

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from fleetdata import small

from tintin import cli
from tintin.core import spec
from tintin.core.refmodel import RefModel
from tintin.fleet import node, scenario
from tintin.io import fleetavg, fleetmsg, fleetsparse
from tintin.native import clib

pytestmark = pytest.mark.clib


def test_reseed_is_bit_exact_and_changes_the_stream():
    sp = spec.mlp([6, 9, 3], 4, max_batch=4)
    rng = np.random.default_rng(0)
    x = rng.integers(-127, 128, (32, 6)).astype(np.int8)
    y = rng.integers(0, 3, 32).astype(np.uint8)
    runs = []
    for seed in (77, 77, 78):
        c, r = clib.CModel(sp), RefModel(sp)
        c.reseed(seed)
        r.reseed(seed)
        for k in range(0, 32, 4):
            c.train_step(x[k : k + 4], -7, labels=y[k : k + 4])
            r.train_step(x[k : k + 4], -7, labels=y[k : k + 4])
        for i in (0, 2):
            assert np.array_equal(np.ravel(c.layer_params(i)["w"]), r.dense[i].w.ravel())
            assert np.array_equal(c.layer_params(i)["bias"], r.dense[i].bias)
        runs.append(c.fleet_export(fleetmsg.UPDATE, 1, 32))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]  # another node rounds otherwise


def test_rounds_are_reproducible_and_the_gateway_is_the_reference():
    f = scenario.prepare(small(nodes=6, rounds=2))
    seen: list[bytes] = []
    last = scenario.run_rounds(f, lambda r, g: seen.append(g))
    again: list[bytes] = []
    scenario.run_rounds(f, lambda r, g: again.append(g))
    assert seen == again and last == seen[-1] and seen[0] != seen[1]
    g = fleetmsg.unpack(f.sp, seen[1])
    assert (g.kind, g.round, g.samples) == (fleetmsg.GLOBAL, 2, len(f.split.y_train))
    # Round 2 again by hand: the reference's aggregation of the same updates, same stream.
    cfg = f.cfg
    updates = [node.node_round(f.sp, seen[0], s, f.x_exp, 2, cfg.epochs, cfg.batch, cfg.seed, k)
               for k, s in enumerate(f.shards)]  # fmt: skip
    key = node.numerics.prng_key(node.stream_seed(cfg.seed, node.GATEWAY, 2))
    g0, beta = node.initial_global(f.sp), node.beta_share(cfg.momentum)
    assert beta == 49152  # the default server momentum, 0.75
    mom = fleetavg.Momentum(seen[0], g0, beta)
    assert fleetavg.aggregate(f.sp, updates, key, 0, 2, mom) == seen[1]
    assert node.aggregate(f.sp, updates, 2, cfg.seed, (seen[0], g0, beta)) == seen[1]
    assert node.aggregate(f.sp, updates, 2, cfg.seed) != seen[1]  # the momentum counts


def test_nodes_and_the_central_baseline_train_at_their_own_rates():
    cfg = replace(small(nodes=4, rounds=1), lr_shift=3, central_lr_shift=6)
    f = scenario.prepare(cfg)
    assert (f.sp.optim.lr_shift, f.central.optim.lr_shift) == (3, 6)
    assert replace(f.central.optim, lr_shift=3) == f.sp.optim  # nothing else differs
    for a, b in zip(f.sp.layers, f.central.layers, strict=True):
        assert a.weights is None or np.array_equal(a.weights, b.weights)  # same start
    # The nodes' rate is in the table hash their messages carry.
    other = scenario.prepare(replace(cfg, lr_shift=4))
    assert node.initial_global(f.sp) != node.initial_global(other.sp)
    for bad in ({"lr_shift": 31}, {"central_lr_shift": -1}):
        with pytest.raises(ValueError, match="must be in \\[0, 30\\]"):
            scenario.prepare(replace(cfg, **bad))


def test_momentum_zero_is_plain_federated_averaging():
    f = scenario.prepare(replace(small(nodes=6, rounds=2), momentum=0.0))
    seen: list[bytes] = []
    scenario.run_rounds(f, lambda r, g: seen.append(g))
    cfg = f.cfg
    updates = [node.node_round(f.sp, seen[0], s, f.x_exp, 2, cfg.epochs, cfg.batch, cfg.seed, k)
               for k, s in enumerate(f.shards)]  # fmt: skip
    key = node.numerics.prng_key(node.stream_seed(cfg.seed, node.GATEWAY, 2))
    assert fleetavg.aggregate(f.sp, updates, key, 0, 2) == seen[1]


def test_sparse_rounds_are_rebuilt_and_smaller():
    """Nodes that send their top 10 % changed weights: the gateway rebuilds every update
    against the global model it sent (the reference's rebuild, byte for byte), and receives
    fewer bytes than the dense messages take."""
    f = scenario.prepare(replace(small(nodes=6, rounds=2), sparse=0.1))
    gateway = node.Gateway(f.sp, f.cfg.seed, f.cfg.momentum)
    seen: list[bytes] = []
    scenario.run_rounds(f, lambda r, g: seen.append(g), gateway)
    assert gateway.messages_in == 12
    assert gateway.bytes_in / gateway.messages_in < fleetmsg.size(f.sp)  # biases go whole
    cfg = f.cfg
    k = scenario.top_k(f)
    sparse = [node.node_round(f.sp, seen[0], s, f.x_exp, 2, cfg.epochs, cfg.batch, cfg.seed, n,
                              k) for n, s in enumerate(f.shards)]  # fmt: skip
    rebuilt = [fleetmsg.pack(f.sp, fleetsparse.apply(f.sp, seen[0], m)) for m in sparse]
    g0 = node.initial_global(f.sp)
    beta = node.beta_share(cfg.momentum)
    assert node.aggregate(f.sp, rebuilt, 2, cfg.seed, (seen[0], g0, beta)) == seen[1]


def test_the_gateway_refuses_bad_sparse_updates_one_by_one():
    f = scenario.prepare(replace(small(nodes=3, rounds=1), sparse=0.2))
    gw = node.Gateway(f.sp, f.cfg.seed, f.cfg.momentum)
    cfg, k = f.cfg, scenario.top_k(f)
    ups = [node.node_round(f.sp, gw.last, s, f.x_exp, 1, 1, cfg.batch, cfg.seed, n, k)
           for n, s in enumerate(f.shards)]  # fmt: skip
    flipped = bytearray(ups[1])
    flipped[-9] ^= 1
    dense = fleetmsg.unpack(f.sp, node.node_round(f.sp, gw.last, f.shards[0], f.x_exp, 1, 1,
                                                  cfg.batch, cfg.seed, 0))  # fmt: skip
    another = fleetmsg.pack(f.sp, fleetmsg.Message(fleetmsg.GLOBAL, 0, 0, dense.layers))
    other = node.node_round(f.sp, another, f.shards[2], f.x_exp, 1, 1, cfg.batch, cfg.seed, 2, k)
    kept, refused = gw.receive(1, [(0, ups[0]), (1, bytes(flipped)), (2, other)])
    assert len(kept) == 1 and fleetmsg.unpack(f.sp, kept[0]).kind == fleetmsg.UPDATE
    assert [r.split(":")[0] for r in refused] == ["node 1", "node 2"]
    assert all("sparse update" in r for r in refused)
    assert gw.messages_in == 3


def test_the_gateway_refuses_bad_updates_one_by_one():
    f = scenario.prepare(small(nodes=4, rounds=1))
    g0 = node.initial_global(f.sp)
    cfg = f.cfg
    ups = [node.node_round(f.sp, g0, s, f.x_exp, 1, 1, cfg.batch, cfg.seed, k)
           for k, s in enumerate(f.shards)]  # fmt: skip
    flipped = bytearray(ups[2])
    flipped[30] ^= 0x10
    late = node.node_round(f.sp, g0, f.shards[3], f.x_exp, 2, 1, cfg.batch, cfg.seed, 3)
    replies = [(3, late), (1, ups[1]), (0, ups[0]), (2, bytes(flipped)), (1, ups[1]),
               (5, g0), (6, ups[0][:-1])]  # fmt: skip
    kept, refused = node.usable(f.sp, 1, replies)
    assert kept == [ups[0], ups[1]]
    assert len(refused) == 5
    assert any(r.startswith("node 2: fleet: CRC-32") for r in refused), refused
    assert "node 3: kind 0, round 2: not an update of round 1" in refused
    assert "node 1: a second update in round 1" in refused
    assert "node 5: kind 1, round 0: not an update of round 1" in refused
    assert any(r.startswith("node 6: fleet: ") for r in refused)


def test_cli_local_engine(tmp_path, capsys):
    small()
    out = tmp_path / "fleet"
    argv = ["fleet", "--engine", "local", "--task", "weather", "--nodes", "5", "--rounds", "2",
            "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    run = json.loads((out / "fleet.json").read_text())
    assert [r["round"] for r in run["rounds"]] == [1, 2]
    last = run["rounds"][-1]
    for key in ("fed_held_out", "local_node_median", "float_held_out", "fed_beats_local_nodes",
                "fedfloat_held_out"):  # fmt: skip
        assert 0.0 <= last[key] <= 1.0
    assert run["update_bytes"] == run["global_bytes"] > 0 and run["peak_rss_bytes"] > 0
    assert (out / "fleet_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "centralised float32" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--nodes", "5000"], "1168 samples cannot give 5000 nodes one each"),
        (["--alpha", "0"], "--alpha 0.0: must be a number > 0"),
        (["--alpha", "nan"], "--alpha nan: must be a number > 0"),
        (["--rounds", "0"], "argument --rounds: 0 is outside 1..10000"),
        (["--momentum", "1"], "--momentum 1.0: must be in [0, 1)"),
        (["--momentum", "nan"], "--momentum nan: must be in [0, 1)"),
        (["--sparse", "1.5"], "--sparse 1.5: must be in (0, 1], or 0"),
        (["--lr-shift", "31"], "argument --lr-shift: 31 is outside 0..30"),
        (["--central-lr-shift", "-1"], "argument --central-lr-shift: -1 is outside 0..30"),
        (["--baselines", "local,gpu"], "argument --baselines: gpu: not one of local, float"),
    ],
)
def test_cli_refusals(tmp_path, capsys, args, message):
    small()
    argv = ["fleet", "--engine", "local", "--task", "weather", "--out", str(tmp_path / "o")]
    with pytest.raises(SystemExit) if "argument" in message else _nothing():
        code = cli.main(argv + args)
        assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_cli_without_flower_says_what_to_install(tmp_path):
    small()
    # A fresh interpreter in which flwr cannot be imported (None in sys.modules).
    code = ("import sys; sys.modules['flwr'] = None; from tintin import cli; "
            "sys.exit(cli.main(sys.argv[1:]))")  # fmt: skip
    argv = ["fleet", "--task", "weather", "--nodes", "3", "--rounds", "1", "--out",
            str(tmp_path / "o")]  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                         check=False)  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr == ("tintin fleet: --engine flower needs Flower and Ray (flwr is missing): "
                          "pip install '.[fleet]', or use --engine local\n")  # fmt: skip
    assert not (tmp_path / "o").exists()
