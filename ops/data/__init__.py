"""Offline checks of chat JSONL training data: validate, count tokens, estimate, fix, split, overlap.

Pure functions over local files: no Azure SDK, no network. `ops.data.validate.validate_file` is the entry
point other commands use to refuse bad data (e.g. before an upload). Nothing is imported here, so that
importing one module (`ops.data.conversations`, say) does not load the validator.
"""
