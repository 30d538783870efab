"""Inventory of one region: functions, versions, aliases, mappings, tags, Lambda@Edge, state, policies.

Each method makes the fewest calls that answer its question (one paged listing per region where AWS
offers one) and returns plain data. Errors propagate as botocore exceptions: the scanner decides
whether one stops the run (the listing itself) or keeps the affected versions (`check_incomplete`).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from cleaner.aws.errors import is_not_found
from cleaner.inventory import Alias, Function, FunctionVersion

SNAPSTART_ON = "PublishedVersions"
_VERSION_ARN = re.compile(r"^(?P<function>arn:[^:]+:lambda:[^:]+:\d+:function:[^:]+):(?P<qualifier>[^:]+)$")


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_last_modified(value: str) -> datetime:
    """Lambda writes e.g. 2024-05-01T12:00:00.000+0000; some endpoints give nanoseconds and `Z`."""
    instant = datetime.fromisoformat(_FRACTION.sub(r"\1", value))
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def split_qualified_arn(arn: str) -> tuple[str, str] | None:
    """(unqualified function ARN, qualifier) of a qualified ARN, or None for an unqualified one."""
    match = _VERSION_ARN.match(arn)
    return (match["function"], match["qualifier"]) if match else None


def functions_from_listing(region: str, configurations: Iterable[dict[str, Any]]) -> list[Function]:
    """Group ListFunctions(FunctionVersion=ALL) entries into functions with their published versions."""
    versions: dict[str, list[FunctionVersion]] = defaultdict(list)
    arns: dict[str, str] = {}
    for config in configurations:
        name = config["FunctionName"]
        qualifier = config.get("Version", "$LATEST")
        arn = config["FunctionArn"]
        split = split_qualified_arn(arn)
        arns.setdefault(name, split[0] if split else arn)
        if qualifier == "$LATEST" or not qualifier.isdigit():
            versions.setdefault(name, [])
            continue
        versions[name].append(
            FunctionVersion(
                region=region,
                function_name=name,
                version=int(qualifier),
                function_arn=arn if split else f"{arn}:{qualifier}",
                runtime=config.get("Runtime"),
                memory_mb=int(config.get("MemorySize", 128)),
                last_modified=parse_last_modified(config["LastModified"]),
                code_sha256=config.get("CodeSha256", ""),
                snapstart=(config.get("SnapStart") or {}).get("ApplyOn") == SNAPSTART_ON,
                code_size=int(config["CodeSize"]) if isinstance(config.get("CodeSize"), int) else None,
            )
        )
    return [
        Function(region, name, arns[name], tuple(sorted(found, key=lambda v: v.version)))
        for name, found in sorted(versions.items())
    ]


class RegionInventory:
    def __init__(self, lambda_client: Any, region: str) -> None:
        self.client = lambda_client
        self.region = region

    def list_functions(self) -> list[Function]:
        paginator = self.client.get_paginator("list_functions")
        pages = paginator.paginate(FunctionVersion="ALL", PaginationConfig={"PageSize": 50})
        return functions_from_listing(self.region, (c for page in pages for c in page.get("Functions", [])))

    def list_versions(self, function_name: str) -> Function | None:
        """The function with its published versions as they are now; None when the function is gone."""
        paginator = self.client.get_paginator("list_versions_by_function")
        try:
            configurations = [
                config
                for page in paginator.paginate(FunctionName=function_name, PaginationConfig={"PageSize": 50})
                for config in page.get("Versions", [])
            ]
        except Exception as error:
            if is_not_found(error):
                return None
            raise
        functions = functions_from_listing(self.region, configurations)
        return functions[0] if functions else None

    def delete_version(self, function_name: str, version: str) -> None:
        self.client.delete_function(FunctionName=function_name, Qualifier=version)

    def list_aliases(self, function_name: str) -> list[Alias]:
        paginator = self.client.get_paginator("list_aliases")
        aliases = []
        for page in paginator.paginate(FunctionName=function_name):
            for alias in page.get("Aliases", []):
                weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
                aliases.append(
                    Alias(
                        name=alias["Name"],
                        function_version=alias["FunctionVersion"],
                        additional_weights=tuple(sorted((str(v), float(w)) for v, w in weights.items())),
                    )
                )
        return aliases

    def event_source_mappings_by_version(self) -> dict[tuple[str, str], list[str]]:
        """(function name, version) -> mapping UUIDs, from one unfiltered listing of the region.

        Matched on the qualified ARN: the FunctionName filter of the API is an exact match on whatever
        was passed when the mapping was created, so it cannot find every mapping of a version."""
        found: dict[tuple[str, str], list[str]] = defaultdict(list)
        paginator = self.client.get_paginator("list_event_source_mappings")
        for page in paginator.paginate():
            for mapping in page.get("EventSourceMappings", []):
                split = split_qualified_arn(mapping.get("FunctionArn", ""))
                if split and split[1].isdigit():
                    name = split[0].rsplit(":", 1)[-1]
                    found[(name, split[1])].append(mapping["UUID"])
        return dict(found)

    def version_state(self, function_name: str, version: str) -> str:
        # ListFunctions omits State on AWS; GetFunction has its own 100-rps quota.
        response = self.client.get_function(FunctionName=function_name, Qualifier=version)
        return str(response["Configuration"].get("State", "Unknown"))

    def own_policy_statements(self, function_arn: str, function_name: str, version: str) -> list[str]:
        """Sids of resource-policy statements granted on exactly this version."""
        try:
            response = self.client.get_policy(FunctionName=function_name, Qualifier=version)
        except Exception as error:
            if is_not_found(error):
                return []  # no policy of its own
            raise
        statements = json.loads(response["Policy"]).get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        sids = []
        for index, statement in enumerate(statements):
            resources = statement.get("Resource", [])
            resources = [resources] if isinstance(resources, str) else resources
            if function_arn in resources:
                sids.append(str(statement.get("Sid", f"#{index}")))
        return sids


def protected_function_arns(tagging_client: Any, tag_key: str) -> set[str]:
    """Unqualified ARNs of the functions carrying `tag_key` (any value), one paged listing a region."""
    paginator = tagging_client.get_paginator("get_resources")
    arns = set()
    pages = paginator.paginate(ResourceTypeFilters=["lambda:function"], TagFilters=[{"Key": tag_key}])
    for page in pages:
        for resource in page.get("ResourceTagMappingList", []):
            arn = resource["ResourceARN"]
            split = split_qualified_arn(arn)
            arns.add(split[0] if split else arn)
    return arns


def lambda_edge_associations(cloudfront_client: Any) -> dict[str, list[str]]:
    """Qualified Lambda ARN -> ids of the CloudFront distributions that associate it."""
    found: dict[str, list[str]] = defaultdict(list)
    paginator = cloudfront_client.get_paginator("list_distributions")
    for page in paginator.paginate():
        for distribution in (page.get("DistributionList") or {}).get("Items", []) or []:
            behaviors = [distribution.get("DefaultCacheBehavior") or {}]
            behaviors += (distribution.get("CacheBehaviors") or {}).get("Items", []) or []
            for behavior in behaviors:
                associations = (behavior.get("LambdaFunctionAssociations") or {}).get("Items", []) or []
                for association in associations:
                    found[association["LambdaFunctionARN"]].append(distribution["Id"])
    return dict(found)
