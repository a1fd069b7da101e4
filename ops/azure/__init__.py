"""Adapters: the only package that imports Azure SDKs. Commands see plain data and core.errors."""
