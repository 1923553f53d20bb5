#!/usr/bin/env python3
"""Agora's rules for rendered Kubernetes manifests, beyond their schemas.

kubernetes-validate proves each object is well formed; these rules prove the objects are
what Agora promises (deploy/kubernetes/README.md): no secret values, every container
hardened and bounded, every workload behind a NetworkPolicy, references that resolve, and
an egress allowlist that names the vLLM Service's address. Run by scripts/lib/k8s-check.sh
on the output of `kubectl kustomize`; prints one line per broken rule and exits 1.
"""

import ipaddress
import re
import sys

import yaml

PLACEHOLDER = "set-by-overlay"
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


def main(path):
    with open(path, encoding="utf-8") as stream:
        objects = [doc for doc in yaml.safe_load_all(stream) if doc]
    problems = []
    problems += no_secrets(objects)
    problems += hardened_pods(objects)
    problems += references_resolve(objects)
    problems += irsa_role(objects)
    problems += egress_allows_vllm(objects)
    for problem in problems:
        print(f"POLICY {path}: {problem}")
    return 1 if problems else 0


def named(obj):
    return f"{obj['kind'].lower()}/{obj['metadata']['name']}"


def of_kind(objects, kind):
    return [obj for obj in objects if obj.get("kind") == kind]


def no_secrets(objects):
    """Secret values live in Secrets Manager; the cluster gets them by reference."""
    return [
        f"{named(obj)}: a Secret in the manifests; reference one that External Secrets or the Secrets Store CSI driver creates"
        for obj in of_kind(objects, "Secret")
    ]


def hardened_pods(objects):
    problems = []
    for deployment in of_kind(objects, "Deployment"):
        where = named(deployment)
        pod = deployment["spec"]["template"]["spec"]
        security = pod.get("securityContext", {})
        if security.get("runAsNonRoot") is not True:
            problems.append(f"{where}: securityContext.runAsNonRoot must be true")
        if security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: securityContext.seccompProfile.type must be RuntimeDefault")
        if pod.get("automountServiceAccountToken") is not False:
            problems.append(f"{where}: automountServiceAccountToken must be false")
        for container in pod.get("initContainers", []) + pod.get("containers", []):
            problems += hardened_container(f"{where} container {container['name']}", container)
    return problems


def hardened_container(where, container):
    problems = []
    security = container.get("securityContext", {})
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: securityContext.readOnlyRootFilesystem must be true")
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: securityContext.allowPrivilegeEscalation must be false")
    if security.get("privileged"):
        problems.append(f"{where}: securityContext.privileged must not be set")
    if "ALL" not in security.get("capabilities", {}).get("drop", []):
        problems.append(f"{where}: securityContext.capabilities.drop must include ALL")
    resources = container.get("resources", {})
    for bound in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in resources.get(bound, {}):
                problems.append(f"{where}: resources.{bound}.{resource} must be set")
    image = container.get("image", "")
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    if "@sha256:" not in image and tag in ("", "latest", PLACEHOLDER):
        problems.append(f"{where}: image `{image}` needs a pinned tag or digest")
    return problems


def selects(selector, labels):
    """Whether a matchLabels selector (or a Service's plain one) picks these labels."""
    wanted = selector.get("matchLabels", selector) if selector else {}
    return bool(wanted) and all(labels.get(key) == value for key, value in wanted.items())


def references_resolve(objects):
    problems = []
    deployments = of_kind(objects, "Deployment")
    pod_labels = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in deployments}

    def selects_a_pod(selector):
        return any(selects(selector, labels) for labels in pod_labels.values())

    for service in of_kind(objects, "Service"):
        if not selects_a_pod(service["spec"].get("selector")):
            problems.append(f"{named(service)}: its selector matches no Deployment's pods")
    for budget in of_kind(objects, "PodDisruptionBudget"):
        if not selects_a_pod(budget["spec"].get("selector")):
            problems.append(f"{named(budget)}: its selector matches no Deployment's pods")
    for scaler in of_kind(objects, "HorizontalPodAutoscaler"):
        target = scaler["spec"]["scaleTargetRef"]
        if target.get("kind") != "Deployment" or target.get("name") not in pod_labels:
            problems.append(f"{named(scaler)}: scaleTargetRef names no Deployment here")
    policies = of_kind(objects, "NetworkPolicy")
    for name, labels in pod_labels.items():
        covering = [p for p in policies if selects(p["spec"].get("podSelector"), labels)]
        types = {t for p in covering for t in p["spec"].get("policyTypes", [])}
        if not {"Ingress", "Egress"} <= types:
            problems.append(f"deployment/{name}: no NetworkPolicy restricts both its ingress and egress")
    return problems


def irsa_role(objects):
    problems = []
    for account in of_kind(objects, "ServiceAccount"):
        arn = account["metadata"].get("annotations", {}).get("eks.amazonaws.com/role-arn")
        if arn is not None and (PLACEHOLDER in arn or not ROLE_ARN.match(arn)):
            problems.append(f"{named(account)}: eks.amazonaws.com/role-arn `{arn}` is not an overlay's IAM role ARN")
    return problems


def egress_allows_vllm(objects):
    """Agora's guard lets an administrator's endpoint reach a non-public address only when
    AGORA_EGRESS_ALLOW covers it: the vLLM Service's fixed cluster IP must be in there."""
    services = [s for s in of_kind(objects, "Service") if s["metadata"]["name"] == "vllm"]
    settings = [c for c in of_kind(objects, "ConfigMap") if c["metadata"]["name"].startswith("agora-settings")]
    if not services:
        return []
    address = services[0]["spec"].get("clusterIP")
    if not address or address == "None":
        return ["service/vllm: needs a fixed clusterIP for AGORA_EGRESS_ALLOW to name"]
    allowed = settings[0].get("data", {}).get("AGORA_EGRESS_ALLOW", "") if settings else ""
    try:
        networks = [ipaddress.ip_network(net.strip()) for net in allowed.split(",") if net.strip()]
    except ValueError as error:
        return [f"configmap/agora-settings: AGORA_EGRESS_ALLOW `{allowed}` is not a list of CIDRs: {error}"]
    if not any(ipaddress.ip_address(address) in net for net in networks):
        return [f"configmap/agora-settings: AGORA_EGRESS_ALLOW `{allowed}` does not cover service/vllm's clusterIP {address}"]
    return []


if __name__ == "__main__":
    sys.exit(max(main(path) for path in sys.argv[1:]))
