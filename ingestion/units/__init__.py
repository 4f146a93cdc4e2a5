"""Source `units`: the federation's unit registry (spec.py declares it; source.py loads it)."""
