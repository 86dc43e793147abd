"""The lists the CLI, the configs and the claims share (torch-free, so that parsing arguments stays light)."""

METHODS = ("a-ride", "awr", "filtered-bc")
"""learner methods: A-RIDE (the paper), DigiRL-style filtered advantage-weighted regression, filtered BC."""
MODES = ("async", "sync")
"""collection: asynchronous (DistRL) or synchronous rounds (DigiRL's multi-machine baseline)."""
BACKENDS = ("threads", "processes", "ray")
"""where workers run."""
TRACES = ("retrace", "vtrace", "none")
ENTROPIES = ("full", "taken", "none")
ADVANTAGES = ("continuous", "binary")
REWARDS = ("sparse", "official")
