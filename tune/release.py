"""Frees the placement group of a trial that is a Ray Train run once the trial ends.

Ray Train V2 ties a run's worker placement group to the job, not to the trial: when Tune stops a
trial (an ASHA rung, or its last epoch) it kills the trial's process before Train shuts its worker
group down, and the group's CPUs stay reserved, so the next trial waits forever. Train's own
cleaner actor watches for that through the State API, which a Ray started without its dashboard
does not serve (ray-project/ray#54305). Rank 0 of each run reports its group's ID
(``synth.distributed.train.PLACEMENT_GROUP_KEY``); this callback, on the campaign's driver, removes
that group once the trial is complete or errored. A module of its own so that Tune can pickle it
with the experiment (``Tuner.restore``) while ``tune.campaign`` imports without Ray.
"""

from __future__ import annotations

from ray import tune as ray_tune
from ray._raylet import PlacementGroupID
from ray.util.placement_group import PlacementGroup, placement_group_table, remove_placement_group

from synth.distributed.train import PLACEMENT_GROUP_KEY


class ReleaseTrainGroups(ray_tune.Callback):
    def __init__(self):
        self.groups: dict[str, str] = {}  # trial ID → hex ID of its Train workers' placement group
        self.released: list[str] = []  # the groups this callback removed (Train had not)

    def on_trial_result(self, iteration, trials, trial, result, **info):
        if result.get(PLACEMENT_GROUP_KEY):
            self.groups[trial.trial_id] = str(result[PLACEMENT_GROUP_KEY])

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.release(trial.trial_id)

    def on_trial_error(self, iteration, trials, trial, **info):
        self.release(trial.trial_id)

    def release(self, trial_id: str) -> bool:
        """Remove the trial's group unless Train already did; True when it was removed here."""
        hex_id = self.groups.pop(trial_id, None)
        if hex_id is None:
            return False
        group = PlacementGroup(PlacementGroupID.from_hex(hex_id))
        if placement_group_table(group).get("state") in (None, "REMOVED"):
            return False
        try:
            remove_placement_group(group)
        except Exception:  # removed between the check and here: nothing left to free
            return False
        self.released.append(hex_id)
        return True
