"""Runs as code: a run file (runs/<name>.yaml) declares one fine-tuning run; GitOps plans and applies it per stack.

`ops.runs.model` holds the records; `ops.runs.schema` loads and checks one run file against runs/schema.json
(`load_run_file`); `ops.runs.matrix` derives which run applies to which stack for the run-plan / run-apply
workflows. Pure: no Click, no Azure SDK.
"""
