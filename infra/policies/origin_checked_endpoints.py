"""CKV_AGORA_2: no public endpoint reaches a function that does not check the origin.

Why: clients are meant to come through the CloudFront distribution, where the web ACL
(AWS managed rules, per-address rate limit) and the viewer-address header apply. The HTTP
API's default endpoint (https://<id>.execute-api...) and the streaming functions' URLs
(AuthType NONE) are reachable straight from the internet as well, bypassing all of that.
What makes them safe is in the code: CloudFront adds X-Agora-Edge-Secret to every request
it forwards, and a function refuses (403) any request without it -- but only when its
environment carries the value to compare with, AGORA_EDGE_SECRET (set once in the root
template's Globals, from EdgeSecret). A function reachable without CloudFront and without
that variable would serve anyone who finds its address. So the rule checks the variable on
every function an endpoint reaches, not the endpoint itself.

What passes (AGORA_EDGE_SECRET non-empty in the function's own Environment or the
template's Globals, in every branch of any Fn::If):
  AWS::Serverless::Function       with FunctionUrlConfig.AuthType NONE, or any HttpApi or
                                  Api event (API Gateway: reachable by its default
                                  endpoint), has the variable. The function is read with
                                  Globals applied as SAM applies them (agora_checks.py).
  AWS::Lambda::Url                with AuthType NONE: its TargetFunctionArn is a function of
                                  this template that has the variable.
  AWS::Serverless::HttpApi,       every function of this template it reaches has the
  AWS::ApiGatewayV2::Api          variable: SAM functions with an HttpApi event whose ApiId
                                  is this API (an event without ApiId joins SAM's implicit
                                  ServerlessHttpApi), the API's quick-create Target, and the
                                  AWS_PROXY integrations (AWS::ApiGatewayV2::Integration) on
                                  it. An integration whose function is not in this template
                                  fails: nothing shows that it checks the origin. Routes
                                  defined in an OpenAPI DefinitionBody are not read.
A function URL with AuthType AWS_IAM is not public and passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checkov.common.models.enums import CheckCategories

from agora_checks import FUNCTION_TYPES, AgoraCheck, Template, branches, environment_variable_set, mentioned, referenced

EDGE_SECRET = "AGORA_EDGE_SECRET"

# SAM event types that put a function behind API Gateway, whose default endpoint is public.
API_EVENT_TYPES = frozenset({"HttpApi", "Api"})

# The implicit HTTP API SAM creates for HttpApi events that name no ApiId.
IMPLICIT_HTTP_API = "ServerlessHttpApi"


class OriginCheckedEndpoints(AgoraCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Public endpoints reach only functions that check the edge secret (AGORA_EDGE_SECRET)",
            id="CKV_AGORA_2",
            categories=[CheckCategories.NETWORKING],
            supported_resources=[
                "AWS::Serverless::Function",
                "AWS::Lambda::Url",
                "AWS::Serverless::HttpApi",
                "AWS::ApiGatewayV2::Api",
            ],
            guideline="infra/policies/origin_checked_endpoints.py",
        )

    def problems(self, logical_id: str, properties: dict[str, Any], template: Template) -> Iterator[str]:
        if self.entity_type == "AWS::Serverless::Function":
            yield from _function_problems(properties)
        elif self.entity_type == "AWS::Lambda::Url":
            yield from _url_problems(properties, template)
        else:
            yield from _api_problems(logical_id, properties, template)


def _function_problems(properties: dict[str, Any]) -> Iterator[str]:
    exposures = []
    url = properties.get("FunctionUrlConfig")
    if isinstance(url, dict) and any(auth == "NONE" for auth in branches(url.get("AuthType"))):
        exposures.append("a function URL with AuthType NONE")
    events = properties.get("Events")
    for name, event in events.items() if isinstance(events, dict) else []:
        if isinstance(event, dict) and event.get("Type") in API_EVENT_TYPES:
            exposures.append(f"the {event['Type']} event {name}")
    if exposures and not environment_variable_set(properties, EDGE_SECRET):
        yield f"reachable by {', '.join(exposures)} without {EDGE_SECRET} in its environment"


def _url_problems(properties: dict[str, Any], template: Template) -> Iterator[str]:
    if not any(auth == "NONE" for auth in branches(properties.get("AuthType"))):
        return
    target = referenced(properties.get("TargetFunctionArn"))
    if target is None or template.resource_type(target[0]) not in FUNCTION_TYPES:
        yield "AuthType NONE for a function that is not in this template (its origin check cannot be seen)"
    else:
        yield from _unchecked([target[0]], template, "the URL")


def _api_problems(api_id: str, properties: dict[str, Any], template: Template) -> Iterator[str]:
    reached: list[str] = []
    for function_id in template.of_type("AWS::Serverless::Function"):
        events = template.properties(function_id).get("Events")
        for event in events.values() if isinstance(events, dict) else []:
            if not isinstance(event, dict) or event.get("Type") != "HttpApi":
                continue
            event_properties = event.get("Properties")
            event_api = event_properties.get("ApiId") if isinstance(event_properties, dict) else None
            if (event_api is None and api_id == IMPLICIT_HTTP_API) or api_id in mentioned(event_api):
                reached.append(function_id)
    if "Target" in properties:
        yield from _integration_functions(properties["Target"], template, reached, "its Target")
    for integration_id in template.of_type("AWS::ApiGatewayV2::Integration"):
        integration = template.properties(integration_id)
        if api_id not in mentioned(integration.get("ApiId")):
            continue
        if integration.get("IntegrationType") != "AWS_PROXY":
            continue  # an HTTP or mock integration reaches no function
        yield from _integration_functions(
            integration.get("IntegrationUri"), template, reached, f"the integration {integration_id}"
        )
    yield from _unchecked(sorted(set(reached)), template, "the API")


def _integration_functions(uri: Any, template: Template, reached: list[str], what: str) -> Iterator[str]:
    if isinstance(uri, str) and uri.startswith(("http://", "https://")):
        return  # an HTTP backend, not a function
    functions = [logical_id for logical_id in mentioned(uri) if template.resource_type(logical_id) in FUNCTION_TYPES]
    if not functions:
        yield f"{what} reaches a function that is not in this template (its origin check cannot be seen)"
    reached.extend(functions)


def _unchecked(function_ids: list[str], template: Template, via: str) -> Iterator[str]:
    for function_id in function_ids:
        if not environment_variable_set(template.properties(function_id), EDGE_SECRET):
            yield f"{via} reaches {function_id}, which has no {EDGE_SECRET} in its environment"


check = OriginCheckedEndpoints()
