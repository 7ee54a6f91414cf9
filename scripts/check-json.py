#!/usr/bin/env python3
"""Validates the JSON document on stdin against format-spec/json/COMMAND.schema.json.

Usage: check-json.py SCHEMA < output.json   (SCHEMA: a path, or a command name such as diff-against)
Exit 0 when it validates; 1 with every violation on stderr otherwise.
"""
import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource

root = pathlib.Path(__file__).resolve().parent.parent / "format-spec" / "json"
name = sys.argv[1]
path = pathlib.Path(name) if name.endswith(".json") else root / f"{name}.schema.json"
schemas = [json.loads(p.read_text()) for p in sorted(root.glob("*.schema.json"))]
registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
schema = json.loads(path.read_text())
document = json.load(sys.stdin)
validator = jsonschema.Draft202012Validator(schema, registry=registry)
errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
for error in errors:
    where = "/".join(str(p) for p in error.absolute_path) or "(top)"
    print(f"{path.name}: {where}: {error.message}", file=sys.stderr)
sys.exit(1 if errors else 0)
