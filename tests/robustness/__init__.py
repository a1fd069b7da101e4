"""The robustness matrices: faults × commands and bad inputs, run for real, rendered into docs/robustness.md."""
