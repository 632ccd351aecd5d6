#!/usr/bin/env python3
"""Checks topics/: every file is a valid topic definition whose value_schema is a valid JSON Schema, and
the sample events in topics/examples/ validate against their topic's schema (and invalid ones do not).

Uses the `jsonschema` package when it is installed; otherwise checks structure only and says so."""
import glob
import json
import os
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "topics")
required = {"name", "key", "partitions", "replication_factor", "config", "value_schema"}
errors = []
try:
    import jsonschema
except ImportError:
    jsonschema = None

schemas = {}
for path in sorted(glob.glob(os.path.join(root, "*.json"))):
    with open(path) as f:
        topic = json.load(f)
    missing = required - topic.keys()
    if missing:
        errors.append(f"{path}: missing {sorted(missing)}")
        continue
    if topic["name"] + ".json" != os.path.basename(path):
        errors.append(f"{path}: name {topic['name']} does not match the file name")
    if jsonschema:
        try:
            jsonschema.Draft202012Validator.check_schema(topic["value_schema"])
        except jsonschema.SchemaError as e:
            errors.append(f"{path}: invalid JSON Schema: {e.message}")
    schemas[topic["name"]] = topic["value_schema"]

checked = 0
for path in sorted(glob.glob(os.path.join(root, "examples", "*.jsonl"))):
    name = os.path.basename(path)
    valid = not name.startswith("invalid-")
    topic = name.removeprefix("invalid-").removesuffix(".jsonl")
    if topic not in schemas:
        errors.append(f"{path}: no topic {topic}")
        continue
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            event = json.loads(line)
            if jsonschema:
                ok = jsonschema.Draft202012Validator(schemas[topic]).is_valid(event)
                if ok != valid:
                    errors.append(f"{path}:{n}: expected {'valid' if valid else 'invalid'} for {topic}")
            checked += 1

for e in errors:
    print(e, file=sys.stderr)
print(f"topics: {len(schemas)} definitions, {checked} example events checked"
      + ("" if jsonschema else " (jsonschema not installed: structure only)"))
sys.exit(1 if errors else 0)
