"""What a run will cost before it runs: window counts per job from the dataset registry,
seconds and memory per job from a measured calibration (``config/cost_calibration.yaml``),
and totals per paper for a workstation or a Slurm cluster."""
