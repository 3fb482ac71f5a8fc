"""``task = "classify"``: one label per sequence (a numeric series or a sentence).

read (``sources``) → split, scale, vectorise on the train part only (``prepare``) → the
baselines a classifier must beat (``baselines``) → scores (``scores``) → the run
(``run``) and ``seqlab predict`` (``predict``). The spec's keys are ``spec.ClassifySpec``.
"""
