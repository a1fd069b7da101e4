"""The Pulumi program that provisions a fine-tuning-ready AI Foundry hub per stack.

`infra/__main__.py` is the program Pulumi runs; `infra.plan` renders it offline under the mock engine.
"""
