#!/usr/bin/env bash
# Checks the Helm chart in helm/marque without a cluster or a helm binary:
#   1. values.yaml, and values.yaml merged with helm/marque/ci/all-features-values.yaml, against
#      values.schema.json (JSON Schema draft-07, Python `jsonschema`); the schema and values.yaml
#      name the same keys; every key has a row in helm/marque/README.md's values table; the
#      schema still refuses a few known-bad values (so this check can fail at all), among them the
#      durations the server refuses at start (0s, a statement timeout under 1ms or a part of one
#      over 2147483647ms), and accepts the values next to them that the server takes;
#   2. `helm lint` (Helm's own library, through the PyPI wheel helm-sdkpy) of the chart with its
#      default values, and of copies of the chart whose values.yaml is replaced by each variant
#      below. helm-sdkpy has no `helm template`, but lint renders every template (hooks and
#      tests included) with the chart's values and parses the output, so each copy is a render
#      with those values. Lint mode turns the templates' `fail` guards into log lines on standard
#      error: they are captured and count as errors.
#   3. the operator key the chart generates when given none: a copy of the chart with one more
#      template, which reads the key back from the rendered Secret and the Deployment's
#      MARQUE_OPERATOR_KEY and hands them to `fail` (logged in lint mode, so readable here), must
#      be a key the server accepts (mq_{id}_{64 hex digits}, src/auth.rs) in that Secret.
#   4. the Secret the chart makes, in every migrations.mode: kept by Helm (resource-policy keep)
#      and marked as the release's, so an upgrade that turns it into a hook or back (a release
#      given PostgreSQL after a try on the embedded store) neither deletes it nor fails.
#   5. the server and migration pods get no Service links (enableServiceLinks: false: no
#      MARQUE_PORT and the like from a Service named like the release), and the
#      PodDisruptionBudget lets a pod that is not ready be evicted (AlwaysAllow), read back from
#      the rendered manifests as in 3.
#   6. the extra containers, init containers (native sidecars), volumes and mounts land where the
#      chart says, in the server pods and the migration pods alike (extraContainers in the server
#      pods only), and `marque migrate`, alone, is given migrations.wait; read back as in 3.
#   7. the install notes warn that the PodDisruptionBudget keeps no pod up with one replica, and
#      only then.
# Exits non-zero on any failure.
#
# helm-sdkpy returns lint messages with a severity and a path but an empty error text, so a
# failure names the file; render the chart with a helm binary to see the message.
#
# Needs: Python 3 with pip, and PyPI on the first run (packages go to .tools/helm-sdkpy).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

tools="$root/.tools/helm-sdkpy"
python="${PYTHON:-python3}"

log() { echo "scripts/helm-lint.sh: $*" >&2; }

# Looked for in $tools itself, so the run never depends on what the system Python happens to have.
if [[ ! -d "$tools/helm_sdkpy" || ! -d "$tools/jsonschema" || ! -d "$tools/yaml" ]]; then
    log "installing helm-sdkpy, jsonschema and PyYAML into $tools"
    # helm-sdkpy declares a newer Python than it needs; its bindings work on 3.11.
    "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --upgrade \
        --ignore-requires-python --target "$tools" helm-sdkpy jsonschema pyyaml
fi

PYTHONPATH="$tools" "$python" - helm/marque <<'PY'
"""Schema checks and lint renders of the chart; see scripts/helm-lint.sh."""

import asyncio
import copy
import json
import os
import re
import shutil
import sys
import tempfile

import helm_sdkpy
import jsonschema
import yaml

chart = sys.argv[1]
failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL {message}")


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def merged(base, override):
    """Helm's merge of user values over chart defaults: maps merge, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


defaults = load_yaml(f"{chart}/values.yaml")
all_features = load_yaml(f"{chart}/ci/all-features-values.yaml")
with open(f"{chart}/values.schema.json", encoding="utf-8") as f:
    schema = json.load(f)

# --- 1. values against the schema ------------------------------------------------------------
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)


def schema_errors(values):
    return sorted(validator.iter_errors(values), key=lambda e: list(e.absolute_path))


for name, values in [
    ("values.yaml", defaults),
    ("values.yaml + ci/all-features-values.yaml", merged(defaults, all_features)),
]:
    errors = schema_errors(values)
    for error in errors:
        path = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        fail(f"schema: {name}: {path}: {error.message}")
    if not errors:
        print(f"ok   schema: {name}")

# The schema must keep refusing what it exists to refuse.
for bad in [
    {"replicaCount": "two"},
    {"unknownTopLevelKey": True},
    {"migrations": {"mode": "sometimes"}},
    {"server": {"logFormat": "xml"}},
    {"image": {"pullPolicy": "Sometimes"}},
    {"server": {"grpcPort": 70000}},
    {"operatorKey": {"generate": "yes"}},
    {"operatorKey": {"value": "mq_Operator_" + "0" * 64}},
    # What the server refuses at start (src/config.rs): zero durations, and a statement timeout
    # under 1ms, which PostgreSQL would read as none.
    {"database": {"statementTimeout": "0s"}},
    {"database": {"statementTimeout": "500us"}},
    {"database": {"statementTimeout": "999999ns"}},
    {"database": {"statementTimeout": "0h0m0s"}},
    # ... and one over 2147483647ms (PostgreSQL's largest), a part on its own (the chart's guard
    # refuses a sum of parts over it: see `refused` below).
    {"database": {"statementTimeout": "597h"}},
    {"database": {"statementTimeout": "35792m"}},
    {"database": {"statementTimeout": "2147484s"}},
    {"database": {"statementTimeout": "2147483648ms"}},
    {"database": {"statementTimeout": "0002147483648ms"}},
    {"database": {"statementTimeout": "2147483647001us"}},
    {"database": {"statementTimeout": "2147483647000001ns"}},
    {"database": {"statementTimeout": "1s30000h"}},
    {"database": {"connectTimeout": "0s"}},
    {"database": {"poolSize": 0}},
    {"server": {"keepaliveTimeout": "0s"}},
    {"server": {"feedPoll": "0ms"}},
    {"server": {"watchCheckpoint": "0s"}},
    {"server": {"importIdleTimeout": "0s"}},
    {"server": {"importMaxDuration": "00m"}},
    {"server": {"maxConnectionAge": "0s"}},
    {"server": {"maxConnectionAgeGrace": "0s"}},
    {"server": {"maxConnections": 0}},
    # No drain: every call in flight cut at each rollout and node drain.
    {"server": {"drainTimeoutSeconds": 0}},
    {"tls": {"handshakeTimeout": "0s"}},
    {"migrations": {"wait": "60"}},
    {"migrations": {"wait": "soon"}},
    {"migrations": {"wait": "-1s"}},
    # Extra containers and volumes: what Kubernetes needs of each, and none that takes the name or
    # the mount path of one of the chart's own.
    {"extraContainers": [{"name": "proxy"}]},
    {"extraContainers": [{"image": "proxy:1"}]},
    {"extraContainers": [{"name": "marque", "image": "proxy:1"}]},
    {"extraContainers": [{"name": "Proxy", "image": "proxy:1"}]},
    {"extraContainers": {"name": "proxy", "image": "proxy:1"}},
    {"extraInitContainers": [{"name": "migrate", "image": "proxy:1"}]},
    {"extraInitContainers": [{"name": "proxy"}]},
    {"extraVolumes": [{"emptyDir": {}}]},
    {"extraVolumes": [{"name": "tmp", "emptyDir": {}}]},
    {"extraVolumes": [{"name": "database-ca", "emptyDir": {}}]},
    {"extraVolumeMounts": [{"name": "cloudsql"}]},
    {"extraVolumeMounts": [{"mountPath": "/cloudsql"}]},
    {"extraVolumeMounts": [{"name": "cloudsql", "mountPath": "cloudsql"}]},
    {"extraVolumeMounts": [{"name": "cloudsql", "mountPath": "/tmp"}]},
    {"extraVolumeMounts": [{"name": "cloudsql", "mountPath": "/etc/marque/tls/"}]},
    # A budget of no pod blocks every node drain.
    {"podDisruptionBudget": {"maxUnavailable": 0}},
    {"podDisruptionBudget": {"maxUnavailable": "0%"}},
    {"podDisruptionBudget": {"maxUnavailable": "00%"}},
    {"podDisruptionBudget": {"maxUnavailable": "101%"}},
    {"podDisruptionBudget": {"unhealthyPodEvictionPolicy": "Never"}},
]:
    if not schema_errors(merged(defaults, bad)):
        fail(f"schema accepts a bad value: {json.dumps(bad)}")
print("ok   schema: refuses known-bad values")

# ... and accepts what the server takes: the checks above refuse no more than they should.
for good in [
    {"database": {"statementTimeout": "1ms"}},
    {"database": {"statementTimeout": "1500us"}},
    {"database": {"statementTimeout": "1000000ns"}},
    {"database": {"statementTimeout": "0s250ms"}},
    {"database": {"statementTimeout": "1m30s"}},
    {"database": {"statementTimeout": "596h"}},
    {"database": {"statementTimeout": "35791m"}},
    {"database": {"statementTimeout": "2147483s"}},
    {"database": {"statementTimeout": "2147483647ms"}},
    {"database": {"statementTimeout": "2147483647000us"}},
    {"database": {"statementTimeout": "2147483647000000ns"}},
    {"database": {"statementTimeout": "596h31m23s647ms"}},
    {"database": {"connectTimeout": "1ns", "poolWait": "0s"}},
    {"server": {"keepaliveInterval": "0s", "minRevisionWait": "0s", "feedPoll": "0s100ms"}},
    {"server": {"maxConnectionAge": "", "maxConnectionAgeGrace": ""}},
    {"server": {"maxConnectionAge": "10m", "maxConnectionAgeGrace": "1h"}},
    {"tls": {"reloadInterval": "0s", "handshakeTimeout": "10s"}},
    {"podDisruptionBudget": {"maxUnavailable": "1%"}},
    {"podDisruptionBudget": {"maxUnavailable": "25%"}},
    {"podDisruptionBudget": {"maxUnavailable": "100%"}},
    {"podDisruptionBudget": {"maxUnavailable": 2, "unhealthyPodEvictionPolicy": "IfHealthyBudget"}},
    {"server": {"drainTimeoutSeconds": 1}},
    {"migrations": {"wait": "0s"}},
    {"migrations": {"wait": "5m30s"}},
    {"extraContainers": [{"name": "pgbouncer", "image": "pgbouncer:1", "ports": [{"containerPort": 6432}]}]},
    {"extraInitContainers": [{"name": "cloud-sql-proxy", "image": "proxy:2", "restartPolicy": "Always"}]},
    {"extraVolumes": [{"name": "cloudsql", "emptyDir": {}}]},
    {"extraVolumeMounts": [{"name": "cloudsql", "mountPath": "/cloudsql", "readOnly": True}]},
]:
    errors = schema_errors(merged(defaults, good))
    for error in errors:
        path = ".".join(str(p) for p in error.absolute_path)
        fail(f"schema refuses a value the server takes: {json.dumps(good)}: {path}: {error.message}")
print("ok   schema: accepts values the server takes")


def schema_leaves(node, prefix=""):
    """Dotted keys of the schema: objects closed by additionalProperties: false are opened."""
    for key, sub in node.get("properties", {}).items():
        path = f"{prefix}{key}"
        if sub.get("additionalProperties") is False and "properties" in sub:
            yield from schema_leaves(sub, path + ".")
        else:
            yield path


def value_keys(values, node, prefix=""):
    for key, value in values.items():
        path = f"{prefix}{key}"
        sub = node.get("properties", {}).get(key, {})
        if isinstance(value, dict) and sub.get("additionalProperties") is False:
            yield from value_keys(value, sub, path + ".")
        else:
            yield path


leaves = set(schema_leaves(schema)) - {"global"}
in_values = set(value_keys(defaults, schema))
for key in sorted(leaves - in_values):
    fail(f"schema names {key}, which values.yaml does not set")
for key in sorted(in_values - leaves):
    fail(f"values.yaml sets {key}, which the schema does not name")
with open(f"{chart}/README.md", encoding="utf-8") as f:
    documented = set(re.findall(r"^\| `([^`]+)` \|", f.read(), flags=re.M))
for key in sorted(leaves - documented):
    fail(f"README.md's values table has no row for `{key}`")
for key in sorted(documented - leaves):
    fail(f"README.md's values table documents `{key}`, which the schema does not name")
print(f"ok   schema, values.yaml and README.md name the same {len(leaves)} keys")

# --- 2. lint renders ------------------------------------------------------------------------
SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}
config = helm_sdkpy.Configuration(namespace="marque")


def lint(chart_dir):
    """Lint chart_dir; returns (messages, fail-guard messages Helm logged instead of failing)."""
    with tempfile.TemporaryFile() as captured:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            result = asyncio.run(helm_sdkpy.Lint(config).run(chart_dir))
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        stderr = captured.read().decode("utf-8", "replace")
    guards = sorted(set(re.findall(r'fail message="((?:[^"\\]|\\.)*)"', stderr)))
    other = [line for line in stderr.splitlines() if line and "fail message=" not in line]
    for line in other:
        print(f"     helm: {line}")
    return result.get("Messages") or [], guards


def check(name, chart_dir):
    messages, guards = lint(chart_dir)
    bad = False
    for message in messages:
        severity = message.get("Severity", 0)
        label = SEVERITY.get(severity, str(severity))
        if severity >= 3:
            bad = True
            fail(f"lint {name}: {label} in {message.get('Path')}")
        elif severity == 2:
            print(f"WARN lint {name}: {label} in {message.get('Path')}")
    for guard in guards:
        bad = True
        fail(f"lint {name}: the chart refuses these values: {guard}")
    if not bad:
        print(f"ok   lint {name}")


check("default values", chart)

variants = {
    "all features (ci/all-features-values.yaml)": all_features,
    "initContainer migrations, chart-made Secret": merged(
        all_features,
        {
            "migrations": {"mode": "initContainer"},
            "database": {"existingSecret": "", "url": "postgres://marque@db:5432/marque?sslmode=require"},
            "operatorKey": {"existingSecret": "", "value": "mq_example_" + "0" * 64},
        },
    ),
    "migration Job with a chart-made Secret (a hook)": merged(
        all_features,
        {"database": {"existingSecret": "", "url": "postgres://marque@db:5432/marque"}},
    ),
    "migration Job, the database URL and a generated operator key in the hook Secret": merged(
        all_features,
        {
            "database": {"existingSecret": "", "url": "postgres://marque@db:5432/marque"},
            "operatorKey": {"existingSecret": ""},
        },
    ),
    "no operator key: the server makes one (operatorKey.generate false)": {
        "operatorKey": {"generate": False},
    },
    "plaintext behind a mesh, IPv6, servers migrate, no preStop sleep": {
        "tls": {"enabled": False},
        "migrations": {"mode": "none"},
        "server": {"plaintext": True, "bindAddress": "::", "maxConnectionAge": ""},
        "database": {"existingSecret": "marque-database"},
        "replicaCount": 3,
        "preStopSleepSeconds": 0,
        "terminationGracePeriodSeconds": 60,
        "service": {"headless": False},
        "podDisruptionBudget": {"enabled": False, "maxUnavailable": "25%"},
        "spreadAcrossNodes": False,
        "serviceAccount": {"create": False, "name": "marque-existing"},
    },
    # Each probe's timeout may equal its period; a wait the Job's deadline does not cut, or any
    # wait where there is no Job.
    "probe timeouts equal to their periods": {
        "probes": {
            "startup": {"periodSeconds": 3, "timeoutSeconds": 3},
            "readiness": {"periodSeconds": 5, "timeoutSeconds": 5},
            "liveness": {"periodSeconds": 10, "timeoutSeconds": 10},
        },
    },
    "a migration wait just below the Job's deadline": {
        "database": {"url": "postgres://marque@db:5432/marque"},
        "migrations": {"mode": "job", "wait": "1m29s999ms", "activeDeadlineSeconds": 90},
    },
    "a long migration wait in an init container": {
        "database": {"url": "postgres://marque@db:5432/marque"},
        "migrations": {"mode": "initContainer", "wait": "1h", "activeDeadlineSeconds": 60},
    },
    # The guard's sum takes the largest timeout the server takes.
    "the largest statement timeout, in parts": {"database": {"statementTimeout": "596h31m23s647ms"}},
    "the largest statement timeout, in nanoseconds": {
        "database": {"statementTimeout": "2147483647000000ns"},
    },
}
# The guards themselves: each of these must be refused.
refused = {
    "neither TLS nor plaintext": {"tls": {"enabled": False}},
    "two replicas on the memory store": {"replicaCount": 2},
    "a grace period shorter than the drain": {"terminationGracePeriodSeconds": 10},
    # Each part within the schema's bound, their sum over the server's (2147483647ms).
    "a statement timeout whose parts add up past 2147483647ms": {
        "database": {"statementTimeout": "596h31m23s648ms"},
    },
    "a statement timeout of two parts past 2147483647ms": {
        "database": {"statementTimeout": "596h35791m"},
    },
    "the database URL and a generated operator key under one Secret key": {
        "database": {"url": "postgres://marque@db:5432/marque", "secretKey": "operator-key"},
    },
    # A probe that may wait longer than its period: the schema cannot compare two values.
    "a start-up probe's timeout above its period": {"probes": {"startup": {"timeoutSeconds": 3}}},
    "a readiness probe's timeout above its period": {"probes": {"readiness": {"timeoutSeconds": 6}}},
    "a liveness probe's timeout above its period": {
        "probes": {"liveness": {"periodSeconds": 3, "timeoutSeconds": 4}},
    },
    # The Job's deadline would kill `marque migrate` while it still waits.
    "a migration wait as long as the Job's deadline": {
        "database": {"url": "postgres://marque@db:5432/marque"},
        "migrations": {"mode": "job", "wait": "10m", "activeDeadlineSeconds": 600},
    },
    "a migration wait past the Job's deadline, in parts": {
        "database": {"url": "postgres://marque@db:5432/marque"},
        "migrations": {"mode": "job", "wait": "1m30s", "activeDeadlineSeconds": 90},
    },
}

# --- 3. the generated operator key -------------------------------------------------------------
KEY_PROBE = """\
{{- $secret := include (print $.Template.BasePath "/secret.yaml") . | fromYaml }}
{{- $key := index $secret.data .Values.operatorKey.secretKey | b64dec }}
{{- fail (printf "operator key: Secret %s holds %s" $secret.metadata.name $key) }}
{{- $deployment := include (print $.Template.BasePath "/deployment.yaml") . | fromYaml }}
{{- range (index $deployment.spec.template.spec.containers 0).env }}
{{- if eq .name "MARQUE_OPERATOR_KEY" }}
{{- fail (printf "operator key: env from %s" (toJson .valueFrom.secretKeyRef)) }}
{{- end }}
{{- end }}
"""
# src/auth.rs key_id_of: mq_{ResourceId::parse: 1-63 lowercase letters, digits, hyphens}_{64 hex}.
SERVER_KEY = re.compile(r"mq_[a-z0-9-]{1,63}_[0-9a-f]{64}")
generated = {
    "default values (memory store)": {},
    "a hook Secret (migration Job) with the database URL": {
        "database": {"url": "postgres://marque@db:5432/marque"},
        "migrations": {"mode": "job"},
    },
}

with tempfile.TemporaryDirectory() as tmp:
    for index, (name, values) in enumerate({**variants, **refused}.items()):
        copy_dir = os.path.join(tmp, str(index), "marque")
        shutil.copytree(chart, copy_dir)
        with open(os.path.join(copy_dir, "values.yaml"), "w", encoding="utf-8") as f:
            json.dump(merged(defaults, values), f)  # JSON is YAML
        if name in variants:
            check(name, copy_dir)
            continue
        _, guards = lint(copy_dir)
        if guards:
            print(f"ok   lint refuses {name}")
        else:
            fail(f"lint accepts {name}")

    for index, (name, values) in enumerate(generated.items()):
        copy_dir = os.path.join(tmp, f"key-{index}", "marque")
        shutil.copytree(chart, copy_dir)
        with open(os.path.join(copy_dir, "values.yaml"), "w", encoding="utf-8") as f:
            json.dump(merged(defaults, values), f)
        with open(os.path.join(copy_dir, "templates", "zz-key-probe.yaml"), "w", encoding="utf-8") as f:
            f.write(KEY_PROBE)
        _, guards = lint(copy_dir)
        found = {}
        for guard in guards:
            held = re.fullmatch(r"operator key: Secret (\S+) holds (.*)", guard)
            env = re.fullmatch(r"operator key: env from (.*)", guard)
            if held:
                found["secret"], found["key"] = held.groups()
            elif env:
                found["env"] = json.loads(env.group(1).replace('\\"', '"'))
            else:
                fail(f"generated operator key, {name}: the chart refuses these values: {guard}")
        want_env = {"name": found.get("secret"), "key": defaults["operatorKey"]["secretKey"]}
        if not SERVER_KEY.fullmatch(found.get("key", "")):
            fail(f"generated operator key, {name}: the Secret holds {found.get('key')!r}")
        elif found.get("env") != want_env:
            fail(f"generated operator key, {name}: MARQUE_OPERATOR_KEY is {found.get('env')}, not {want_env}")
        else:
            print(f"ok   generated operator key, {name}: mq_{found['key'].split('_')[1]}_<64 hex> in Secret {found['secret']}, the Deployment's MARQUE_OPERATOR_KEY")

# --- 4. the chart-made Secret outlives a change of migrations.mode ------------------------------
# It is a hook with migrations.mode job and an ordinary resource otherwise (the embedded store runs
# none). Helm deletes an ordinary resource that becomes a hook (it leaves the manifest) unless it
# carries helm.sh/resource-policy: keep, and refuses to adopt a former hook that lacks the
# ownership annotations Helm gives only ordinary resources: every mode must render both.
SECRET_PROBE = """\
{{- $secret := include (print $.Template.BasePath "/secret.yaml") . | fromYaml }}
{{- fail (printf "secret annotations: %s" (toJson $secret.metadata.annotations)) }}
"""
secret_modes = {
    "the embedded store (no migrations)": ({}, False),
    "a migration Job (the Secret a hook)": (
        {"database": {"url": "postgres://marque@db:5432/marque"}, "migrations": {"mode": "job"}},
        True,
    ),
    "an init container": (
        {"database": {"url": "postgres://marque@db:5432/marque"}, "migrations": {"mode": "initContainer"}},
        False,
    ),
    "servers that migrate": (
        {"database": {"url": "postgres://marque@db:5432/marque"}, "migrations": {"mode": "none"}},
        False,
    ),
}
with tempfile.TemporaryDirectory() as tmp:
    for index, (name, (values, hook)) in enumerate(secret_modes.items()):
        copy_dir = os.path.join(tmp, f"secret-{index}", "marque")
        shutil.copytree(chart, copy_dir)
        with open(os.path.join(copy_dir, "values.yaml"), "w", encoding="utf-8") as f:
            json.dump(merged(defaults, values), f)
        with open(os.path.join(copy_dir, "templates", "zz-secret-probe.yaml"), "w", encoding="utf-8") as f:
            f.write(SECRET_PROBE)
        _, guards = lint(copy_dir)
        annotations = None
        for guard in guards:
            found = re.fullmatch(r"secret annotations: (.*)", guard)
            if found:
                annotations = json.loads(found.group(1).replace('\\"', '"')) or {}
            else:
                fail(f"chart-made Secret, {name}: the chart refuses these values: {guard}")
        if annotations is None:
            fail(f"chart-made Secret, {name}: not rendered")
            continue
        problems = []
        if annotations.get("helm.sh/resource-policy") != "keep":
            problems.append("no helm.sh/resource-policy: keep (an upgrade that makes it a hook deletes it)")
        for mark in ["meta.helm.sh/release-name", "meta.helm.sh/release-namespace"]:
            if mark not in annotations:
                problems.append(f"no {mark} (an upgrade that makes it an ordinary resource fails)")
        if ("helm.sh/hook" in annotations) != hook:
            problems.append(f"a hook: {'helm.sh/hook' in annotations}, want {hook}")
        for problem in problems:
            fail(f"chart-made Secret, {name}: {problem}")
        if not problems:
            print(f"ok   chart-made Secret, {name}: kept by Helm, with its ownership marks")

# --- 5. what the pods and their budget are given -----------------------------------------------
# Read back from the rendered Deployment, migration Job and PodDisruptionBudget (handed to `fail`,
# as above): no Service links in the pods (a Service named like the release puts MARQUE_PORT,
# MARQUE_ADMIN_PORT... in the server's own MARQUE_* namespace), and a budget that lets a pod that
# is not ready be evicted (one waiting for its database would otherwise block every node drain).
POD_PROBE = """\
{{- $deployment := include (print $.Template.BasePath "/deployment.yaml") . | fromYaml }}
{{- $job := include (print $.Template.BasePath "/migration-job.yaml") . | fromYaml }}
{{- $pdb := include (print $.Template.BasePath "/pdb.yaml") . | fromYaml }}
{{- $found := dict "deployment" (dig "spec" "template" "spec" "enableServiceLinks" "unset" $deployment) "job" (dig "spec" "template" "spec" "enableServiceLinks" "unset" $job) "pdb" (dig "spec" "unhealthyPodEvictionPolicy" "unset" $pdb) }}
{{- fail (printf "pods: %s" (toJson $found)) }}
"""
with tempfile.TemporaryDirectory() as tmp:
    copy_dir = os.path.join(tmp, "pods", "marque")
    shutil.copytree(chart, copy_dir)
    values = {"database": {"url": "postgres://marque@db:5432/marque"}, "migrations": {"mode": "job"}}
    with open(os.path.join(copy_dir, "values.yaml"), "w", encoding="utf-8") as f:
        json.dump(merged(defaults, values), f)
    with open(os.path.join(copy_dir, "templates", "zz-pod-probe.yaml"), "w", encoding="utf-8") as f:
        f.write(POD_PROBE)
    _, guards = lint(copy_dir)
    found = None
    for guard in guards:
        read = re.fullmatch(r"pods: (.*)", guard)
        if read:
            found = json.loads(read.group(1).replace('\\"', '"'))
        else:
            fail(f"pods: the chart refuses these values: {guard}")
    want = {"deployment": False, "job": False, "pdb": "AlwaysAllow"}
    if found != want:
        fail(f"pods: enableServiceLinks and the budget's unhealthyPodEvictionPolicy are {found}, want {want}")
    else:
        print("ok   pods: no Service links in the server and migration pods; not-ready pods evictable")

# --- 6. extra containers, volumes and mounts; the migration wait ----------------------------------
# Read back from the rendered Deployment and migration Job (handed to `fail`, as above), in both
# migration modes that run `marque migrate` in a pod of its own or before the server.
EXTRAS_PROBE = """\
{{- $deployment := include (print $.Template.BasePath "/deployment.yaml") . | fromYaml }}
{{- $job := include (print $.Template.BasePath "/migration-job.yaml") . | fromYaml }}
{{- fail (printf "extras: %s" (toJson (dict "deployment" (dig "spec" "template" "spec" (dict) $deployment) "job" (dig "spec" "template" "spec" (dict) $job)))) }}
"""


def names(items):
    return [item.get("name") for item in items or []]


def env_of(container):
    return {e["name"]: e.get("value") for e in container.get("env") or [] if "value" in e}


def pod_problems(pod, init_names, container_names, wait):
    """What is wrong with a rendered pod spec given the extras of all_features."""
    problems = []
    volumes = names(pod.get("volumes"))
    for volume in names(all_features["extraVolumes"]):
        if volume not in volumes:
            problems.append(f"no volume {volume} (volumes {volumes})")
    if names(pod.get("initContainers")) != init_names:
        problems.append(f"init containers {names(pod.get('initContainers'))}, want {init_names}")
    if names(pod.get("containers")) != container_names:
        problems.append(f"containers {names(pod.get('containers'))}, want {container_names}")
    sidecar = next((c for c in pod.get("initContainers") or [] if c.get("name") == "cloud-sql-proxy"), {})
    if sidecar.get("restartPolicy") != "Always":
        problems.append(f"the proxy is no native sidecar: {sidecar}")
    for container in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        if container["name"] not in ("marque", "migrate"):
            continue
        mounts = [(m["name"], m["mountPath"]) for m in container.get("volumeMounts") or []]
        for mount in all_features["extraVolumeMounts"]:
            if (mount["name"], mount["mountPath"]) not in mounts:
                problems.append(f"{container['name']}: no mount {mount['mountPath']} ({mounts})")
        got = env_of(container).get("MARQUE_MIGRATE_WAIT")
        want = wait if container["name"] == "migrate" else None
        if got != want:
            problems.append(f"{container['name']}: MARQUE_MIGRATE_WAIT {got!r}, want {want!r}")
    return problems


extras_modes = {
    "a migration Job": ("job", ["cloud-sql-proxy"], True),
    "an init container": ("initContainer", ["cloud-sql-proxy", "migrate"], False),
}
with tempfile.TemporaryDirectory() as tmp:
    for index, (name, (mode, server_inits, job)) in enumerate(extras_modes.items()):
        copy_dir = os.path.join(tmp, f"extras-{index}", "marque")
        shutil.copytree(chart, copy_dir)
        values = merged(all_features, {"migrations": {"mode": mode, "wait": "2m"}})
        with open(os.path.join(copy_dir, "values.yaml"), "w", encoding="utf-8") as f:
            json.dump(merged(defaults, values), f)
        with open(os.path.join(copy_dir, "templates", "zz-extras-probe.yaml"), "w", encoding="utf-8") as f:
            f.write(EXTRAS_PROBE)
        _, guards = lint(copy_dir)
        found = None
        for guard in guards:
            read = re.fullmatch(r"extras: (.*)", guard)
            if read:
                found = json.loads(read.group(1).replace('\\"', '"'))
            else:
                fail(f"extras, {name}: the chart refuses these values: {guard}")
        if found is None:
            fail(f"extras, {name}: not rendered")
            continue
        problems = [
            f"server pod: {p}"
            for p in pod_problems(found["deployment"], server_inits, ["marque", "audit-shipper"], "2m")
        ]
        if job:
            problems += [
                f"migration Job: {p}"
                for p in pod_problems(found["job"], ["cloud-sql-proxy"], ["migrate"], "2m")
            ]
        elif found["job"]:
            problems.append(f"a migration Job with migrations.mode {mode}")
        for problem in problems:
            fail(f"extras, {name}: {problem}")
        if not problems:
            print(f"ok   extras, {name}: sidecar first, extra containers beside the server only, volumes and mounts in every pod, MARQUE_MIGRATE_WAIT for `marque migrate` alone")

# --- 7. the notes warn of a budget over one replica -------------------------------------------
NOTES_PROBE = """\
{{- $notes := include (print $.Template.BasePath "/NOTES.txt") . }}
{{- fail (printf "notes warn: %t" (contains "keeps no pod up with one replica" $notes)) }}
"""
database = {"database": {"existingSecret": "marque-database"}}
notes_cases = {
    "the defaults (one replica, a budget)": ({}, True),
    "one PostgreSQL replica": (merged(database, {"replicaCount": 1}), True),
    "an autoscaler down to one replica": (
        merged(database, {"autoscaling": {"enabled": True, "minReplicas": 1}, "replicaCount": 3}),
        True,
    ),
    "three replicas": (merged(database, {"replicaCount": 3}), False),
    "an autoscaler down to two replicas": (
        merged(database, {"autoscaling": {"enabled": True, "minReplicas": 2}, "replicaCount": 1}),
        False,
    ),
    "one replica without a budget": ({"podDisruptionBudget": {"enabled": False}}, False),
}
with tempfile.TemporaryDirectory() as tmp:
    for index, (name, (values, warns)) in enumerate(notes_cases.items()):
        copy_dir = os.path.join(tmp, f"notes-{index}", "marque")
        shutil.copytree(chart, copy_dir)
        with open(os.path.join(copy_dir, "values.yaml"), "w", encoding="utf-8") as f:
            json.dump(merged(defaults, values), f)
        with open(os.path.join(copy_dir, "templates", "zz-notes-probe.yaml"), "w", encoding="utf-8") as f:
            f.write(NOTES_PROBE)
        _, guards = lint(copy_dir)
        said = None
        for guard in guards:
            read = re.fullmatch(r"notes warn: (true|false)", guard)
            if read:
                said = read.group(1) == "true"
            else:
                fail(f"notes, {name}: the chart refuses these values: {guard}")
        if said is None:
            fail(f"notes, {name}: not rendered")
        elif said != warns:
            fail(f"notes, {name}: the single-replica warning is {'given' if said else 'missing'}")
        else:
            print(f"ok   notes, {name}: {'warns' if warns else 'no warning'} of a budget over one replica")

if failures:
    print(f"{len(failures)} failed", file=sys.stderr)
    sys.exit(1)
print("helm chart: all checks passed")
PY
