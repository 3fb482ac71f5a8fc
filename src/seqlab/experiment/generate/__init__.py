"""``task = "generate"``: a text corpus split by position, a next-token model, its bits per
character beside unigram and Kneser-Ney n-gram baselines, samples, and the readable units.

- :mod:`.corpus`: tokens, the train-only vocabulary, the position split and its windows;
- :mod:`.ngram`: the baselines (unigram, interpolated Kneser-Ney);
- :mod:`.sampling`: stateful step-by-step sampling (temperature, top-k, top-p) and ``generate``;
- :mod:`.run`: the task as ``seqlab run`` runs it.
"""
