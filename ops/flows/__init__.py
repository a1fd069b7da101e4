"""The workflow as plain typed functions over the App: no Click, no SDK types.

Each module is one part of the workflow (upload, finetune, deploy, safety, chat, evaluate, training,
teardown, preflight, runs); commands and the run-file engine call these, never each other.
"""
