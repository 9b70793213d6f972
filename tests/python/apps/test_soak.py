# SPDX-License-Identifier: Apache-2.0
"""`tintin soak` in a short run: the report's windows, bounded saturation, and the rescale that
keeps weights off the int8 limit (docs/soak.md has the million-step run)."""

import pytest

from tintin.apps import soak

pytestmark = pytest.mark.clib


def test_short_soak_reports_every_window_and_keeps_weights_in_range():
    rep = soak.judge(soak.run(3000, 1000, "default", batch=8), margin=0.1)
    assert [w.end_step for w in rep.windows] == [1000, 2000, 3000]
    assert rep.windows[0].shifted and not rep.windows[2].shifted  # drift at each window end
    assert rep.best_held_out > 0.9 and rep.ok
    # The rescale keeps every weight off +-127 although training pushes them there.
    assert sum(w.rescales for w in rep.windows) > 0
    assert all(share == 0.0 for w in rep.windows for share in w.w_at_limit)
    assert "| rescales |" in soak.markdown(rep)


def test_drift_schedule():
    assert soak.drift(0, 100) == (1.0, False)
    gain, shifted = soak.drift(50, 100)
    assert gain == pytest.approx(0.5) and shifted
    assert soak.drift(75, 100)[1] is False


def test_bad_arguments_exit_2(capsys):
    assert soak.main(["--steps", "10", "--window", "20"]) == 2
    assert "--window" in capsys.readouterr().err
