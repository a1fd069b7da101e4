"""The bottom floor every layer shares: cloud settings, the credential builder, domain errors.

infra/, ops/ and policy/ import this package; it imports none of them, and no Azure or Pulumi SDK at
import time (the credential builder imports azure-identity only when it builds one).
"""
