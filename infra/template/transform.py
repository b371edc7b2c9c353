#!/usr/bin/env python3
"""Runs the SAM transform on template.yaml offline and reports any error.

Usage: transform.py [TEMPLATE] [--output FILE] [--param NAME=VALUE ...]

The transform needs no AWS access: managed policy names resolve through the map
bundled with aws-sam-translator, and a stub loader stands in for IAM. Local
CodeUri values are replaced by an s3:// placeholder, as `sam package` would.
"""

import argparse
import json
import os
import sys

import yaml
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

PLACEHOLDER_BUCKET = "efacture-validate-placeholder"

# Parameters without a default need a value for the transform to resolve them.
PARAMETER_VALUES = {
    "PortalBaseUrl": "https://portal.example.com",
    "SenderDomain": "mail.example.com",
}

# Resource types whose code location the transform reads.
CODE_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


class StubManagedPolicyLoader:
    """Stands in for IAM: unknown policy names are collected, not looked up."""

    def load(self):
        return {}


def cfn_tag_constructor(loader, tag_suffix, node):
    """Turns a short-form intrinsic (!Ref, !Sub, !GetAtt...) into its long form."""
    name = tag_suffix
    key = name if name in ("Ref", "Condition") else "Fn::" + name
    if name == "GetAtt" and isinstance(node, yaml.ScalarNode):
        return {key: loader.construct_scalar(node).split(".", 1)}
    if isinstance(node, yaml.ScalarNode):
        return {key: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {key: loader.construct_sequence(node, deep=True)}
    return {key: loader.construct_mapping(node, deep=True)}


class CfnLoader(yaml.SafeLoader):
    pass


CfnLoader.add_multi_constructor("!", cfn_tag_constructor)


def load_template(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=CfnLoader)


def substitute_code_locations(template):
    """Replaces local code paths by s3:// placeholders; returns the ids changed."""
    changed = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        prop = CODE_PROPERTIES.get(resource.get("Type"))
        if prop is None:
            continue
        props = resource.setdefault("Properties", {})
        value = props.get(prop)
        if value is None or (isinstance(value, str) and not value.startswith("s3://")):
            props[prop] = f"s3://{PLACEHOLDER_BUCKET}/{logical_id}.zip"
            changed.append(logical_id)
    return changed


def unresolved_managed_policies(output):
    """Lists role policies left as bare names (neither an ARN nor an intrinsic)."""
    bad = []
    for logical_id, resource in output.get("Resources", {}).items():
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        for arn in resource.get("Properties", {}).get("ManagedPolicyArns", []):
            if isinstance(arn, str) and not arn.startswith("arn:"):
                bad.append(f"{logical_id}: {arn}")
    return bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", nargs="?", default="template.yaml")
    parser.add_argument("--output", help="write the transformed template (JSON) here")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter value for the transform (repeatable)")
    args = parser.parse_args()
    values = dict(PARAMETER_VALUES)
    for p in args.param:
        name, sep, value = p.partition("=")
        if not sep:
            parser.error(f"--param {p!r}: want NAME=VALUE")
        values[name] = value

    # The translator derives ARNs' partition from the region; any region will do.
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
    template = load_template(args.template)
    substitute_code_locations(template)
    try:
        output = transform(template, values, StubManagedPolicyLoader())
    except InvalidDocumentException as err:
        print(f"SAM transform of {args.template} failed:", file=sys.stderr)
        for cause in err.causes:
            print(f"  - {cause.message}", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - any translator failure must fail validation
        print(f"SAM transform of {args.template} failed: {type(err).__name__}: {err}", file=sys.stderr)
        return 1

    bad = unresolved_managed_policies(output)
    if bad:
        print(f"SAM transform of {args.template}: unknown managed policy names:", file=sys.stderr)
        for line in bad:
            print(f"  - {line}", file=sys.stderr)
        return 1

    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(output, f, indent=2, sort_keys=True)
    count = len(output.get("Resources", {}))
    print(f"SAM transform of {args.template}: ok ({count} CloudFormation resources)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
