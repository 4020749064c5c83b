"""Ray Tune campaigns over latent size, KL schedule, β_max, warm-up and learning rate.

space       the search space (YAML/JSON, keys are SynthConfig fields) and its Ray domains
data        one seeded hold-out split for the whole campaign
probe       CAR / latent FD of a model mid-training; the documented default objective
trainable   the function trainable: the foundation's loop, a report per epoch, exact checkpoints
campaign    check (dry run), launch (ASHA or PBT) and resume (Tuner.restore) a campaign
results     one record per trial, the results table, the best trial, its export as an artifact
report      the markdown answer to "which latent size and KL schedule, and why"
plots       the campaign's figures
outputs     what a finished campaign writes
"""
