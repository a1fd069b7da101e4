"""The numbers `--help` shows: defaults and bounds of options, in a module that imports nothing.

Kept apart so that building the commands (and printing their help) never loads the workflow or the SDKs;
ops/polling.py, ops/concurrency.py and ops/flows read the same constants from here.
"""

INITIAL_INTERVAL = 5.0  # seconds before the second poll, and again after every status change
MAX_INTERVAL = 60.0  # seconds; a poll interval never grows beyond this (Retry-After may ask for longer)

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 16  # ARM writes: the subscription throttles them
MAX_INFERENCE_CONCURRENCY = 64  # chat requests: the endpoint's own limit answers 429 beyond it

DEFAULT_VALIDATION_FRACTION = 0.1
# Above this an absolute learning rate wrecks a pretrained model (Microsoft's samples send 0.00002).
MAX_LEARNING_RATE = 0.01
MAX_EPOCHS = 50
MAX_BATCH_SIZE = 256
