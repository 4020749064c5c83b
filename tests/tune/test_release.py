"""The campaign driver's callback that frees a finished trial's Ray Train placement group (Train
ties the group to the job, so a trial that Tune stopped would keep its CPUs reserved)."""

from __future__ import annotations

import types

import pytest

pytestmark = pytest.mark.ray


def _trial(trial_id: str):
    return types.SimpleNamespace(trial_id=trial_id)


def test_a_stopped_trials_group_is_removed_and_a_removed_one_left_alone(ray_session):
    from ray.util.placement_group import placement_group, placement_group_table, remove_placement_group

    from synth.distributed.train import PLACEMENT_GROUP_KEY
    from tune.release import ReleaseTrainGroups

    left, done = placement_group([{"CPU": 0.25}] * 2), placement_group([{"CPU": 0.25}])
    assert left.wait(30) and done.wait(30)
    callback = ReleaseTrainGroups()
    callback.on_trial_result(0, [], _trial("a"), {"epoch": 1, PLACEMENT_GROUP_KEY: left.id.hex()})
    callback.on_trial_result(0, [], _trial("b"), {"epoch": 1, PLACEMENT_GROUP_KEY: done.id.hex()})
    callback.on_trial_result(0, [], _trial("c"), {"epoch": 1})  # a trial in one process: no group
    remove_placement_group(done)  # as Train does when its run ends on its own

    callback.on_trial_complete(0, [], _trial("a"))
    callback.on_trial_error(0, [], _trial("b"))
    callback.on_trial_complete(0, [], _trial("c"))
    assert placement_group_table(left)["state"] == "REMOVED"
    assert callback.released == [left.id.hex()] and callback.groups == {}
