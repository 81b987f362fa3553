"""Run schemathesis (scripts/contract.sh) with one workaround.

CPython 3.11 before 3.11.8 can raise `SystemError: AST constructor recursion depth mismatch`
from `ast.parse` (CPython gh-106905); hypothesis calls it only to *describe* a lambda for its
messages, and the error then aborts an operation's test as a schemathesis "Runtime Error". A
description is not worth a failed run: fall back to hypothesis's own "unknown" description.
"""

import sys

import hypothesis.internal.lambda_sources as lambda_sources

_describe = lambda_sources._lambda_description


def _lambda_description(f, *args, **kwargs):
    try:
        return _describe(f, *args, **kwargs)
    except SystemError:
        return "lambda: <unknown>"


lambda_sources._lambda_description = _lambda_description

from schemathesis.cli import schemathesis  # noqa: E402 (after the patch)

sys.exit(schemathesis())
