"""Cheap protections: one region-wide listing each (the protect tag, event source mappings, Lambda@Edge
associations), recorded on every version; a failed listing keeps the versions still worth asking about
(`check_incomplete`)."""

from __future__ import annotations

from cleaner.aws.errors import AWS_ERRORS, describe, is_access_denied
from cleaner.aws.lambda_inventory import lambda_edge_associations, protected_function_arns
from cleaner.scan.context import RegionContext
from cleaner.scan.ledger import Ledger, Pair

# Lambda@Edge functions live in us-east-1 only: no other region's version can be associated.
LAMBDA_EDGE_REGION = "us-east-1"


def check_tags(context: RegionContext, ledger: Ledger, survivors: list[Pair]) -> None:
    """tag:GetResources for the protect tag: `tag_protected` on every version of a tagged function."""
    try:
        arns = protected_function_arns(
            context.client("resourcegroupstaggingapi"), context.settings.protect_tag
        )
    except AWS_ERRORS as error:
        ledger.fail([v for _, v in survivors], "tag:GetResources", error)
        return
    tagged = {arn.rsplit(":", 1)[-1] for arn in arns}
    for function in ledger.functions:
        ledger.set(function.versions, tag_protected=function.name in tagged)


def check_event_source_mappings(context: RegionContext, ledger: Ledger, survivors: list[Pair]) -> None:
    """One unfiltered ListEventSourceMappings listing, matched to each version's qualified ARN."""
    try:
        mappings = context.inventory.event_source_mappings_by_version()
    except AWS_ERRORS as error:
        ledger.fail([v for _, v in survivors], "lambda:ListEventSourceMappings", error)
        return
    for function in ledger.functions:
        for version in function.versions:
            found = mappings.get((function.name, str(version.version)), [])
            ledger.set([version], event_source_mappings=tuple(found))


def check_lambda_edge(context: RegionContext, ledger: Ledger, survivors: list[Pair]) -> None:
    """CloudFront's distributions (us-east-1 only): the versions they associate as Lambda@Edge."""
    if context.region != LAMBDA_EDGE_REGION:
        for function in ledger.functions:
            ledger.set(function.versions, cloudfront_distributions=())
        return
    try:
        associations = lambda_edge_associations(context.client("cloudfront", LAMBDA_EDGE_REGION))
    except AWS_ERRORS as error:
        if not is_access_denied(error):
            ledger.fail([v for _, v in survivors], "cloudfront:ListDistributions", error)
            return
        # AWS itself refuses to delete a replicated Lambda@Edge version, so skipping is safe.
        ledger.warnings.notes.append(
            f"{describe(error, 'cloudfront:ListDistributions')}: Lambda@Edge associations were not"
            " checked (AWS refuses to delete replicated Lambda@Edge versions anyway)."
        )
        associations = {}
    for function in ledger.functions:
        for version in function.versions:
            ledger.set([version], cloudfront_distributions=tuple(associations.get(version.function_arn, [])))


def check_region_listings(context: RegionContext, ledger: Ledger, survivors: list[Pair]) -> None:
    """Event source mappings, then Lambda@Edge, for the same survivors (one stage, as the scan's
    survivors are taken once before it)."""
    check_event_source_mappings(context, ledger, survivors)
    check_lambda_edge(context, ledger, survivors)
