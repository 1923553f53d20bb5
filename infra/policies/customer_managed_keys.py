"""CKV_AGORA_1: what Agora stores is encrypted under a key of its own stack.

Why: an AWS managed key (alias/aws/s3, alias/aws/sqs, ...) or a service-owned key
(SSE-S3, SSE-SQS, DynamoDB's default) has a key policy nobody can change. Anyone in the
account whose IAM policy allows reading the data can decrypt it, nothing can be denied per
function, and key use is not logged per caller. Under a customer-managed key of the stack
(StorageKey, SecretsKey, LogsKey, ...) the key policy and each function's kms:ViaService
grant decide who decrypts, CloudTrail records every use, and the key rotates on a schedule.

What passes: the resource's key property is a reference (Ref, Fn::GetAtt to Arn or
KeyId, or an Fn::Sub that is only "${Key}" / "${Key.Arn}") to an AWS::KMS::Key declared
in the same template, in every branch of any Fn::If. A key ARN or alias typed in, an
alias/aws/... key, a parameter, an import or a missing key fails.

  AWS::S3::Bucket                 every BucketEncryption rule: SSEAlgorithm aws:kms (or
                                  aws:kms:dsse) with KMSMasterKeyID
  AWS::SQS::Queue                 KmsMasterKeyId, and no SqsManagedSseEnabled: true
  AWS::DynamoDB::Table,           SSESpecification: SSEEnabled true, SSEType KMS,
  AWS::Serverless::SimpleTable    KMSMasterKeyId
  AWS::Logs::LogGroup             KmsKeyId
  AWS::SecretsManager::Secret     KmsKeyId
  AWS::SNS::Topic                 KmsMasterKeyId
  AWS::RDS::DBInstance            KmsKeyId (an instance of a cluster inherits the
                                  cluster's key: its AWS::RDS::DBCluster is checked)
  AWS::RDS::DBCluster             KmsKeyId
  AWS::ElastiCache::ReplicationGroup  KmsKeyId
  AWS::OpenSearchService::Domain, EncryptionAtRestOptions: Enabled true, KmsKeyId
  AWS::Elasticsearch::Domain
  AWS::CloudTrail::Trail          KMSKeyId
  AWS::Lambda::Function,          KmsKeyArn (the environment's key). A SAM function's
  AWS::Serverless::Function       KmsKeyArn may come from Globals.Function: the check reads
                                  the function with Globals applied as SAM applies them (its
                                  own value wins), not checkov's merge, which mangles a
                                  function's own !GetAtt under a Globals one (see
                                  agora_checks.py); infra/policies/tests proves both ways.

A resource that cannot use a customer-managed key (an S3 server access log target
bucket: S3 delivers those logs only to SSE-S3 buckets) carries, in the template:
    Metadata:
      checkov:
        skip:
          - id: CKV_AGORA_1
            comment: <why it cannot>
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checkov.common.models.enums import CheckCategories

from agora_checks import AgoraCheck, Template, branches, is_no_value, is_true, referenced


class CustomerManagedKeys(AgoraCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Encrypted under a customer-managed KMS key of this stack",
            id="CKV_AGORA_1",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=[
                "AWS::S3::Bucket",
                "AWS::SQS::Queue",
                "AWS::DynamoDB::Table",
                "AWS::Serverless::SimpleTable",
                "AWS::Logs::LogGroup",
                "AWS::SecretsManager::Secret",
                "AWS::SNS::Topic",
                "AWS::RDS::DBInstance",
                "AWS::RDS::DBCluster",
                "AWS::ElastiCache::ReplicationGroup",
                "AWS::OpenSearchService::Domain",
                "AWS::Elasticsearch::Domain",
                "AWS::CloudTrail::Trail",
                "AWS::Lambda::Function",
                "AWS::Serverless::Function",
            ],
            guideline="infra/policies/customer_managed_keys.py",
        )

    def problems(self, logical_id: str, properties: dict[str, Any], template: Template) -> Iterator[str]:
        resource_type = self.entity_type
        if resource_type == "AWS::S3::Bucket":
            yield from _bucket_problems(properties, template)
        elif resource_type == "AWS::SQS::Queue":
            if any(is_true(managed) for managed in branches(properties.get("SqsManagedSseEnabled"))):
                yield "SqsManagedSseEnabled: SQS-owned keys"
            yield from _key_problems("KmsMasterKeyId", properties.get("KmsMasterKeyId"), template)
        elif resource_type in ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
            yield from _table_problems(properties, template)
        elif resource_type == "AWS::RDS::DBInstance" and "DBClusterIdentifier" in properties:
            return  # the cluster's key; the DBCluster resource is checked
        elif resource_type in ("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain"):
            yield from _domain_problems(properties, template)
        else:
            key_property = _KEY_PROPERTY[resource_type]
            yield from _key_problems(key_property, properties.get(key_property), template)


# The property naming the key, for the types whose key is one top-level property.
_KEY_PROPERTY = {
    "AWS::Logs::LogGroup": "KmsKeyId",
    "AWS::SecretsManager::Secret": "KmsKeyId",
    "AWS::SNS::Topic": "KmsMasterKeyId",
    "AWS::RDS::DBInstance": "KmsKeyId",
    "AWS::RDS::DBCluster": "KmsKeyId",
    "AWS::ElastiCache::ReplicationGroup": "KmsKeyId",
    "AWS::CloudTrail::Trail": "KMSKeyId",
    "AWS::Lambda::Function": "KmsKeyArn",
    "AWS::Serverless::Function": "KmsKeyArn",
}

KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


def _bucket_problems(properties: dict[str, Any], template: Template) -> Iterator[str]:
    encryption = properties.get("BucketEncryption")
    rules = encryption.get("ServerSideEncryptionConfiguration") if isinstance(encryption, dict) else None
    if not isinstance(rules, list) or not rules:
        yield "no BucketEncryption: S3-managed keys (SSE-S3)"
        return
    for rule in rules:
        default = rule.get("ServerSideEncryptionByDefault") if isinstance(rule, dict) else None
        default = default if isinstance(default, dict) else {}
        algorithm = default.get("SSEAlgorithm")
        if algorithm not in KMS_ALGORITHMS:
            yield f"SSEAlgorithm {algorithm}: not a KMS key (aws:kms)"
        yield from _key_problems("KMSMasterKeyID", default.get("KMSMasterKeyID"), template)


def _table_problems(properties: dict[str, Any], template: Template) -> Iterator[str]:
    sse = properties.get("SSESpecification")
    sse = sse if isinstance(sse, dict) else {}
    if not is_true(sse.get("SSEEnabled")):
        yield "SSESpecification.SSEEnabled is not true: a DynamoDB-owned key"
    if sse.get("SSEType", "KMS") != "KMS":
        yield f"SSESpecification.SSEType {sse.get('SSEType')}: not KMS"
    yield from _key_problems("SSESpecification.KMSMasterKeyId", sse.get("KMSMasterKeyId"), template)


def _domain_problems(properties: dict[str, Any], template: Template) -> Iterator[str]:
    at_rest = properties.get("EncryptionAtRestOptions")
    at_rest = at_rest if isinstance(at_rest, dict) else {}
    if not is_true(at_rest.get("Enabled")):
        yield "EncryptionAtRestOptions.Enabled is not true"
    yield from _key_problems("EncryptionAtRestOptions.KmsKeyId", at_rest.get("KmsKeyId"), template)


def _key_problems(name: str, value: Any, template: Template) -> Iterator[str]:
    for branch in branches(value):
        if branch is None or branch == "" or is_no_value(branch):
            yield f"{name}: none (an AWS-owned or AWS managed key)"
            continue
        if isinstance(branch, str):
            if "alias/aws/" in branch:
                yield f"{name} {branch}: an AWS managed key"
            else:
                yield f"{name} {branch}: typed in, not a key of this stack"
            continue
        reference = referenced(branch)
        if reference is None:
            yield f"{name}: not a reference to a key of this stack"
            continue
        logical_id, attribute = reference
        if template.resource_type(logical_id) != "AWS::KMS::Key":
            yield f"{name}: {logical_id} is not an AWS::KMS::Key of this template"
        elif attribute not in (None, "Arn", "KeyId"):
            yield f"{name}: {logical_id}.{attribute} is not the key's Arn or KeyId"


check = CustomerManagedKeys()
