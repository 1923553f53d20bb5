"""Agora's own checkov checks (CKV_AGORA_n), one rule per module, each saying what and why.

checkov loads every module here through `external-checks-dir: [infra/policies]` in
infra/.checkov.yaml and infra/.checkov-root.yaml; infra/policies/tests proves each check
fails on a bad template and passes a good one.
"""
