"""The campaign report on a hand-made results table: the answer names the best trial's latent
size and schedule, and "why" compares every other value on the objective's parts."""

import pandas as pd

from tune.report import campaign_markdown, compare, group_table

ROWS = [  # trial, status, epochs, latent, schedule, objective, recon, kl, car
    ("t1", "completed", 10, 5, "linear", 0.40, 0.30, 2.0, 0.90),
    ("t2", "completed", 10, 2, "linear", 0.80, 0.60, 1.0, 0.80),
    ("t3", "completed", 10, 8, "cyclical", 0.404, 0.29, 4.0, 0.85),
    ("t4", "stopped early", 3, 3, "cyclical", 2.0, 1.0, 1.0, 0.0),
]
SETTINGS = {
    "source": "iris",
    "model": "vae",
    "epochs": 10,
    "seed": 0,
    "scheduler": "asha",
    "scheduler_detail": "ASHA",
    "metric": "objective",
    "mode": "min",
    "beta_ref": 0.01,
    "metrics_every": 5,
    "space": "{}",
}


def _frame():
    frame = pd.DataFrame(
        ROWS,
        columns=[
            "trial_id",
            "status",
            "epochs_run",
            "latent_dim",
            "kl_schedule",
            "objective",
            "val_recon",
            "val_kl",
            "car",
        ],
    )
    frame["val_elbo"] = frame["val_recon"] + 0.01 * frame["val_kl"]
    frame.insert(1, "rank", range(1, 5))
    return frame


def _curves():
    return {
        "t1": pd.DataFrame({"epoch": [1, 2, 3], "objective": [3.0, 2.0, 1.5]}),
        "t4": pd.DataFrame({"epoch": [1, 2, 3], "objective": [3.5, 2.5, 2.0]}),
    }


def test_group_table_takes_the_best_completed_trial_of_each_value():
    table = group_table(_frame(), "latent_dim", metric="objective", mode="min").set_index("latent_dim")
    assert table.loc[5, "best objective"] == 0.40 and table.loc[5, "trial"] == "t1"
    assert table.loc[3, "completed"] == 0 and pd.isna(table.loc[3, "best objective"])


def test_why_names_the_parts_that_differ():
    bullets = compare(_frame(), "latent_dim", 5, metric="objective", mode="min", curves=_curves())
    two = next(b for b in bullets if b.startswith("- latent_dim = 2"))
    assert "+100.0% vs 0.4" in two and "reconstructs worse (val recon 0.6 vs 0.3)" in two
    assert "closer to N(0, I) (KL 1 vs 2)" in two and "CAR 0.800 vs 0.900" in two
    eight = next(b for b in bullets if b.startswith("- latent_dim = 8"))
    assert "within 2 %, a tie" in eight and "reconstructs" not in eight  # 0.29 vs 0.30 is within 5 %
    three = next(b for b in bullets if b.startswith("- latent_dim = 3"))
    assert "stopped at epoch 3 with objective 2" in three and "chosen trial had 1.5 (33.3% worse)" in three


def test_markdown_answers_and_flags_a_tie():
    frame = _frame()
    best = {
        "trial_id": "t1",
        "config": {"latent_dim": 5, "kl_schedule": "linear"},
        "epochs_run": 10,
        "final": {"objective": 0.4, "val_elbo": 0.32, "val_recon": 0.3, "val_kl": 2.0, "car": 0.9},
    }
    text = campaign_markdown(
        frame,
        settings=SETTINGS,
        best=best,
        searched=["latent_dim", "kl_schedule"],
        figures={"a.png": "a figure"},
        curves=_curves(),
    )
    assert "**Use latent_dim = 5, kl_schedule = linear**" in text
    assert "best objective (lowest is best) of the 3 trials that trained to the end: **0.4**" in text
    assert "val ELBO 0.32 = recon 0.3 + 0.01·KL 2" in text and "CAR 0.900" in text
    assert "runner-up (`t3`) is within 1.0%" in text  # 0.404 vs 0.40
    assert "Epochs run: **33** of a budget of 4 × 10 = 40 (82%)" in text
    assert "![a figure](a.png)" in text
    assert "warm-up ended" not in text  # no warm-up column: nothing to flag
    frame["warmup_epochs"] = [5, 5, 5, 8]
    frame.loc[3, "kl_schedule"] = "linear"
    text = campaign_markdown(
        frame, settings=SETTINGS, best=best, searched=["latent_dim", "kl_schedule"], figures={}, curves=_curves()
    )
    assert "1 trial(s) were stopped before their KL warm-up ended (`t4` at epoch 3 of a 8-epoch warm-up)" in text
