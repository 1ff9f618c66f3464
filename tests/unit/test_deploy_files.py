"""The deployment files (Dockerfile, compose.yaml, deploy/k8s/), checked offline.

No registry is reachable here, so the images are never built: instead, the files are
validated against their schemas (the compose spec, vendored; Kubernetes' OpenAPI
schemas, shipped by kubernetes-validate) and against the code: every command is a real
``reelvault`` command, every ``REELVAULT_*`` variable a real setting, every probe a
real route, and the Dockerfile installs exactly what the README and the Makefile do.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import SecretStr
from typer.testing import CliRunner

from reelvault.api.routes.ops import router as ops_router
from reelvault.cli.main import app as cli_app
from reelvault.config import CONFIG_FILE_ENV, Settings, load_settings
from reelvault.engines.registry import load_registry
from reelvault.errors import ConfigError
from reelvault.http.hosts import UNCHECKED_PATHS

ROOT = Path(__file__).parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "compose.yaml"
K8S = ROOT / "deploy" / "k8s"
ENV_EXAMPLES = [ROOT / "deploy" / "env.example", ROOT / "deploy" / "services.env.example"]
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
COMPOSE_SCHEMA = ROOT / "tests" / "data" / "compose-spec" / "compose-spec.json"
# A version kubernetes-validate ships schemas for; still supported by the main
# distributions when this was written.
K8S_VERSION = "1.33.0"

# Settings that carry credentials: only ever in a Secret or an env file, never in a
# ConfigMap (the SecretStr fields are added below).
CREDENTIAL_SETTINGS = frozenset(
    # oidc_providers holds client secrets inside its JSON.
    {"database_url", "broker_url", "s3_access_key_id", "s3_secret_access_key", "oidc_providers"}
)

SETTING_NAME = re.compile(r"\bREELVAULT_[A-Z][A-Z0-9_]*[A-Z0-9]\b")


# --- reading the files -------------------------------------------------------------


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())  # resolves << merge keys
    return loaded


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _runs_reelvault(service: dict[str, Any]) -> bool:
    """A compose service built from this repository's Dockerfile (entry point reelvault)."""
    build = service.get("build")
    return isinstance(build, dict) and build.get("context") == "." and "entrypoint" not in service


def _k8s_documents() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                yield path, document


def _k8s_pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    for _path, document in _k8s_documents():
        if document["kind"] in {"Deployment", "Job"}:
            yield document["metadata"]["name"], document["spec"]["template"]["spec"]


def _k8s_containers() -> Iterator[tuple[str, dict[str, Any]]]:
    for name, pod in _k8s_pod_specs():
        for container in pod["containers"]:
            yield name, container


def _dockerfile_lines() -> list[str]:
    """Instructions, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _dockerfile_stages() -> dict[str, list[str]]:
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for line in _dockerfile_lines():
        if line.startswith("FROM "):
            current = []
            stages[line.split()[-1]] = current
        current.append(line)
    return stages


def _json_instruction(line: str) -> list[str]:
    words = yaml.safe_load(line.split(maxsplit=1)[1])
    assert isinstance(words, list), f"use the exec (JSON) form: {line}"
    return [str(word) for word in words]


def _pip_installs(lines: list[str], variables: dict[str, str]) -> list[list[str]]:
    """Each ``pip install`` as its words, variables expanded, --quiet/--upgrade dropped."""
    found = []
    for line in lines:
        for command in line.split("&&"):
            expanded = command
            for name, value in variables.items():
                expanded = expanded.replace(f'"${name}"', value).replace(f"${name}", value)
                expanded = expanded.replace(f"$({name})", value)
            if not re.search(r"\bpip install\b", expanded):
                continue
            words = shlex.split(expanded)
            words = words[words.index("install") + 1 :]
            if "--upgrade" in words:
                continue  # upgrading pip itself
            found.append([word for word in words if word != "--quiet"])
    return found


def _dockerfile_installs() -> list[list[str]]:
    stages = _dockerfile_stages()
    torch_index = next(
        line.split("=", 1)[1]
        for line in stages["base-cpu"]
        if line.startswith("ENV TORCH_INDEX_URL=")
    )
    runs = [line for line in stages["builder"] if line.startswith("RUN ")]
    return _pip_installs(runs, {"TORCH_INDEX_URL": torch_index})


def _makefile_installs() -> list[list[str]]:
    makefile = (ROOT / "Makefile").read_text()
    torch = re.search(r"^TORCH\s*:=\s*(\S+)", makefile, re.MULTILINE)
    assert torch is not None
    # The set-up every command shares ($(STAMP)'s recipe), not a test-only extra's.
    lines = makefile.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("$(STAMP):"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return _pip_installs(recipe, {"TORCH": torch.group(1)})


def _readme_installs() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.DOTALL)
    lines = [line.split("#")[0] for block in blocks for line in block.splitlines()]
    return _pip_installs(lines, {})


def _requirement(words: list[str]) -> str:
    positional = [word for index, word in enumerate(words) if not word.startswith("-")]
    # Drop option values (the word after --index-url etc.).
    values = {words[i + 1] for i, word in enumerate(words[:-1]) if word.startswith("--")}
    requirements = [word for word in positional if word not in values]
    assert len(requirements) == 1, words
    return requirements[0]


def _extras(requirement: str) -> set[str]:
    match = re.fullmatch(r"[.\w-]*\[([\w,-]+)\]", requirement)
    assert match is not None, requirement
    return set(match.group(1).split(","))


def _reelvault_commands() -> Iterator[tuple[str, list[str]]]:
    """Every reelvault command line the deploy files run, without the program name."""
    stages = _dockerfile_stages()
    runtime = stages["runtime"]
    entrypoint = next(_json_instruction(line) for line in runtime if line.startswith("ENTRYPOINT"))
    assert entrypoint == ["reelvault"]
    yield (
        "Dockerfile CMD",
        next(_json_instruction(line) for line in runtime if line.startswith("CMD")),
    )
    for name, service in _services().items():
        if _runs_reelvault(service):
            yield f"compose {name}", [str(word) for word in service["command"]]
        test = service.get("healthcheck", {}).get("test", [])
        if test[:2] == ["CMD", "reelvault"]:
            yield f"compose {name} healthcheck", test[2:]
    for name, container in _k8s_containers():
        yield f"k8s {name}", container["args"]
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            command = container.get(probe, {}).get("exec", {}).get("command")
            if command:
                assert command[0] == "reelvault", command
                yield f"k8s {name} {probe}", command[1:]


def _deploy_texts() -> dict[str, str]:
    paths = [DOCKERFILE, COMPOSE, *ENV_EXAMPLES, *sorted(K8S.glob("*.yaml"))]
    return {str(path.relative_to(ROOT)): path.read_text() for path in paths}


# --- schemas -----------------------------------------------------------------------


def test_compose_file_matches_the_compose_spec() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--schemafile",
            str(COMPOSE_SCHEMA),
            str(COMPOSE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", sorted(K8S.glob("*.yaml")), ids=lambda path: path.name)
def test_kubernetes_manifests_match_the_api_schemas(path: Path) -> None:
    documents = [document for document in yaml.safe_load_all(path.read_text()) if document]
    assert documents
    for document in documents:
        assert "namespace" not in document["metadata"], "namespace-free: kubectl -n chooses"
        try:
            kubernetes_validate.validate(document, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path.name} {document['kind']}: {exc.message} at {list(exc.path)}")


def test_kubernetes_manifests_have_every_role() -> None:
    kinds = {(document["kind"], document["metadata"]["name"]) for _p, document in _k8s_documents()}
    for expected in [
        ("Deployment", "reelvault-api"),
        ("Deployment", "reelvault-cpu-worker"),
        ("Deployment", "reelvault-gpu-worker"),
        ("Service", "reelvault-api"),
        ("Job", "reelvault-db-upgrade"),
        ("ConfigMap", "reelvault-config"),
        ("Secret", "reelvault-secrets"),
    ]:
        assert expected in kinds


# --- commands and settings ---------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "args"),
    list(_reelvault_commands()),
    ids=[where for where, _ in _reelvault_commands()],
)
def test_every_command_is_a_real_reelvault_command(where: str, args: list[str]) -> None:
    # Click parses every option before it acts on --help: an unknown command or option
    # fails here with exit code 2.
    result = CliRunner().invoke(cli_app, [*args, "--help"])
    assert result.exit_code == 0, f"{where}: reelvault {' '.join(args)}: {result.output}"
    if "--engines" in args:
        engines = args[args.index("--engines") + 1].split(",")
        known = load_registry(include_entry_points=False).names()
        assert set(engines) <= set(known), f"{where}: unknown engines {set(engines) - set(known)}"


def _documented_commands() -> Iterator[list[str]]:
    """reelvault command lines in docs/deploy.md's shell blocks (direct or compose run)."""
    blocks = re.findall(r"```sh\n(.*?)```", DEPLOY_DOC.read_text(), re.DOTALL)
    for line in (line.split(" #")[0] for block in blocks for line in block.splitlines()):
        if not line.startswith(("reelvault ", "docker compose run ")):
            continue
        words = shlex.split(line)
        if words[0] == "reelvault":
            yield words[1:]
        elif words[:3] == ["docker", "compose", "run"]:
            rest = words[3:]
            while rest and rest[0].startswith("--"):  # compose's own flags (--rm, --no-deps)
                rest = rest[1:]
            if rest[1:]:  # after the service name: the arguments to reelvault
                yield rest[1:]


def test_documented_commands_are_real() -> None:
    commands = list(_documented_commands())
    assert ["keys", "create", "--name", "admin"] in commands
    for args in commands:
        result = CliRunner().invoke(cli_app, [*args, "--help"])
        assert result.exit_code == 0, f"docs/deploy.md: reelvault {' '.join(args)}"


def test_the_roles_run_what_the_scale_out_needs() -> None:
    commands = {where: args for where, args in _reelvault_commands()}
    assert commands["compose api"] == ["serve", "--no-workers"]
    assert commands["compose migrate"] == ["db", "upgrade"]
    assert commands["k8s reelvault-api"] == ["serve", "--no-workers"]
    assert commands["k8s reelvault-db-upgrade"] == ["db", "upgrade"]
    for where in ("compose cpu-worker", "k8s reelvault-cpu-worker"):
        args = commands[where]
        assert args[0] == "worker"
        assert "diffusers" not in args[args.index("--engines") + 1].split(","), where
    for where in ("compose gpu-worker", "k8s reelvault-gpu-worker"):
        args = commands[where]
        assert args[args.index("--engines") + 1] == "diffusers", where
        assert args[args.index("--concurrency") + 1] == "1", f"{where}: one job per GPU"


def _settings_used() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for where, text in _deploy_texts().items():
        for name in SETTING_NAME.findall(text):
            used.setdefault(name.removeprefix("REELVAULT_").lower(), set()).add(where)
    return used


def test_every_reelvault_variable_is_a_setting() -> None:
    used = _settings_used()
    assert {"database_url", "master_key"} <= set(used), "the reader found nothing"
    known = set(Settings.model_fields)
    known.add(CONFIG_FILE_ENV.removeprefix("REELVAULT_").lower())
    unknown = {f"REELVAULT_{name.upper()}": sorted(used[name]) for name in set(used) - known}
    assert not unknown, f"not settings (src/reelvault/config.py): {unknown}"
    in_doc = {
        name.removeprefix("REELVAULT_").lower()
        for name in SETTING_NAME.findall(DEPLOY_DOC.read_text())
    }
    assert not in_doc - known, f"docs/deploy.md names unknown settings: {in_doc - known}"


def test_every_setting_the_deployment_uses_is_documented() -> None:
    doc = DEPLOY_DOC.read_text()
    missing = [name for name in _settings_used() if f"REELVAULT_{name.upper()}" not in doc]
    assert not missing, f"docs/deploy.md does not explain {missing}"
    assert "docs/deploy.md" in (ROOT / "README.md").read_text()


def _credential_settings() -> set[str]:
    secrets = {
        name
        for name, field in Settings.model_fields.items()
        if field.annotation is not None and SecretStr in getattr(field.annotation, "__args__", ())
    }
    assert "master_key" in secrets
    return secrets | CREDENTIAL_SETTINGS


def test_credentials_are_only_in_the_secret() -> None:
    credentials = _credential_settings()
    for _path, document in _k8s_documents():
        if document["kind"] == "ConfigMap":
            names = {key.removeprefix("REELVAULT_").lower() for key in document["data"]}
            assert not names & credentials, f"credentials in a ConfigMap: {names & credentials}"
        if document["kind"] == "Secret":
            names = {key.removeprefix("REELVAULT_").lower() for key in document["stringData"]}
            assert "master_key" in names
    for name, container in _k8s_containers():
        for variable in container.get("env", []):
            setting = variable["name"].removeprefix("REELVAULT_").lower()
            assert setting not in credentials, f"{name}: {variable['name']} in plain env"
    for name, service in _services().items():
        environment = service.get("environment", {})
        for variable in environment:
            setting = variable.removeprefix("REELVAULT_").lower()
            assert setting not in credentials, f"compose {name}: {variable} in compose.yaml"


# --- ports, probes, health ---------------------------------------------------------


def _probe_urls() -> Iterator[tuple[str, str, int]]:
    """(where, path, port) of every HTTP health check."""
    url = re.compile(r"http://127\.0\.0\.1:(\d+)(/\w+)")
    for line in _dockerfile_stages()["runtime"]:
        if line.startswith("HEALTHCHECK"):
            for port, path in url.findall(line):
                yield "Dockerfile HEALTHCHECK", path, int(port)
    for name, service in _services().items():
        for word in service.get("healthcheck", {}).get("test", []):
            for port, path in url.findall(str(word)):
                yield f"compose {name}", path, int(port)
    for name, container in _k8s_containers():
        ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            http = container.get(probe, {}).get("httpGet")
            if http:
                port = http["port"]
                yield f"k8s {name} {probe}", http["path"], ports.get(port, port)


def test_health_checks_use_real_routes_on_the_served_port() -> None:
    probes = list(_probe_urls())
    wheres = {where for where, _path, _port in probes}
    assert {"Dockerfile HEALTHCHECK", "compose api", "k8s reelvault-api readinessProbe"} <= wheres
    routes = {getattr(route, "path", None) for route in ops_router.routes}
    port = _served_port()
    for where, path, probe_port in probes:
        assert path in routes, f"{where}: {path} is not a route"
        # Probes come with the pod's address as Host: only these paths skip the host check.
        assert path in UNCHECKED_PATHS, f"{where}: {path} would be refused by the host check"
        assert probe_port == port, f"{where}: port {probe_port}, the API listens on {port}"
    readiness = [path for where, path, _ in probes if "readiness" in where or "Docker" in where]
    assert readiness and all(path == "/readyz" for path in readiness)


def _served_port() -> int:
    """The port the API listens on in the image (REELVAULT_PORT), checked everywhere."""
    env = " ".join(line for line in _dockerfile_stages()["runtime"] if line.startswith("ENV "))
    match = re.search(r"REELVAULT_PORT=(\d+)", env)
    assert match is not None
    port = int(match.group(1))
    exposed = [line for line in _dockerfile_stages()["runtime"] if line.startswith("EXPOSE")]
    assert exposed == [f"EXPOSE {port}"]
    return port


def test_published_ports_are_the_served_port() -> None:
    port = _served_port()
    published = _services()["api"]["ports"]
    assert [entry.rsplit(":", 1)[1] for entry in published] == [str(port)]
    assert all(entry.startswith("127.0.0.1:") for entry in published), "behind a proxy"
    for name, container in _k8s_containers():
        for variable in container.get("env", []):
            if variable["name"] == "REELVAULT_PORT":
                assert variable["value"] == str(port), name
        for entry in container.get("ports", []):
            assert entry["containerPort"] == port, name
    for _path, document in _k8s_documents():
        if document["kind"] == "Service":
            target = document["spec"]["ports"][0]["targetPort"]
            assert target == "http", "targets the container port by name"


def test_long_running_compose_services_have_health_checks() -> None:
    for name, service in _services().items():
        if service.get("restart") != "no":
            assert "healthcheck" in service, name
            assert not service["healthcheck"].get("disable"), name


def test_reelvault_services_wait_for_the_migration() -> None:
    for name, service in _services().items():
        if _runs_reelvault(service) and name != "migrate":
            depends = service["depends_on"]
            assert depends["migrate"]["condition"] == "service_completed_successfully", name
    migrate = _services()["migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_references_resolve() -> None:
    """What the schema cannot see: every depends_on names a service of this file."""
    services = _services()
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_kubernetes_references_resolve() -> None:
    """What the schemas cannot see: names one manifest uses are defined by another."""
    defined = {
        (document["kind"], document["metadata"]["name"]) for _p, document in _k8s_documents()
    }
    for name, pod in _k8s_pod_specs():
        for volume in pod.get("volumes", []):
            claim = volume.get("persistentVolumeClaim")
            if claim:
                assert ("PersistentVolumeClaim", claim["claimName"]) in defined, name
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert ("ConfigMap", source["configMapRef"]["name"]) in defined, name
                if "secretRef" in source:
                    assert ("Secret", source["secretRef"]["name"]) in defined, name
            mounts = {mount["name"] for mount in container.get("volumeMounts", [])}
            assert mounts <= {volume["name"] for volume in pod.get("volumes", [])}, name
    for _path, document in _k8s_documents():
        if document["kind"] == "Deployment":
            selector = document["spec"]["selector"]["matchLabels"]
            labels = document["spec"]["template"]["metadata"]["labels"]
            assert selector.items() <= labels.items(), document["metadata"]["name"]
        if document["kind"] == "Service":
            # The Service selects exactly the API's pods, on a port they name.
            selector = document["spec"]["selector"].items()
            selected = [
                (deployment["metadata"]["name"], deployment["spec"]["template"]["spec"])
                for _p, deployment in _k8s_documents()
                if deployment["kind"] == "Deployment"
                and selector <= deployment["spec"]["template"]["metadata"]["labels"].items()
            ]
            assert [name for name, _pod in selected] == ["reelvault-api"]
            named = {port["name"] for c in selected[0][1]["containers"] for port in c["ports"]}
            for port in document["spec"]["ports"]:
                assert port["targetPort"] in named


def test_compose_volumes_are_named_volumes() -> None:
    compose = _compose()
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert source in declared, f"{name}: {source} is not a named volume"


# --- the image ---------------------------------------------------------------------


def test_dockerfile_installs_what_the_makefile_installs() -> None:
    docker, make = _dockerfile_installs(), _makefile_installs()
    assert len(docker) == len(make) == 2, (docker, make)
    # Torch first, the same pin, so the diffusers extra does not pull another build.
    assert _requirement(docker[0]) == _requirement(make[0])
    assert _requirement(docker[0]).startswith("torch==")
    # The project, non-editable, with the same extras less dev, plus scale.
    assert "-e" in make[1] and "-e" not in docker[1]
    docker_extras, make_extras = _extras(_requirement(docker[1])), _extras(_requirement(make[1]))
    assert docker_extras == (make_extras - {"dev"}) | {"scale"}, (docker_extras, make_extras)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert docker_extras <= set(pyproject["project"]["optional-dependencies"])


def test_dockerfile_installs_are_the_readme_commands() -> None:
    readme = [" ".join(words) for words in _readme_installs()]
    for words in _dockerfile_installs():
        assert " ".join(words) in readme, f"README does not show: pip install {' '.join(words)}"


def test_image_runs_as_an_unprivileged_user() -> None:
    runtime = _dockerfile_stages()["runtime"]
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users, "no USER: the image would run as root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0, "numeric, not root (runAsNonRoot checks it)"
    assert gid.isdigit() and int(gid) != 0
    for name, pod in _k8s_pod_specs():
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, name
        assert context["runAsUser"] == int(uid), name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
            assert {"/data", "/tmp"} <= mounts, f"{name}: writable paths for a read-only root"
    for name, service in _services().items():
        if _runs_reelvault(service):
            assert service.get("read_only") is True, name
            assert "user" not in service, f"{name}: the image's user, not root"


def test_image_layout_matches_the_volumes() -> None:
    runtime = _dockerfile_stages()["runtime"]
    assert 'VOLUME ["/data"]' in runtime
    assert any("REELVAULT_DATA_DIR=/data" in line for line in runtime if line.startswith("ENV"))
    # Multi-stage: the runtime stage copies the builder's environment and compiles nothing.
    assert any(line.startswith("COPY --from=builder /opt/venv") for line in runtime)
    assert not any("pip install" in line for line in runtime)
    stages = _dockerfile_stages()
    assert {"base-cpu", "base-cuda", "builder", "runtime"} <= set(stages)
    assert any(line == "FROM base-${VARIANT} AS base" for line in _dockerfile_lines())
    assert "ARG VARIANT=cpu" in _dockerfile_lines()
    assert stages["base-cpu"][0].startswith("FROM python:3.11-slim")


def test_volume_mount_points_belong_to_the_service_user() -> None:
    runtime = " ".join(line for line in _dockerfile_stages()["runtime"] if line.startswith("RUN "))
    owned = re.search(r"chown reelvault:reelvault ([/\w ]+)", runtime)
    assert owned is not None
    directories = set(owned.group(1).split())
    for name, service in _services().items():
        if _runs_reelvault(service):
            for mount in service.get("volumes", []):
                target = mount.split(":")[1]
                assert target in directories, f"{name}: {target} would be root's in a new volume"


def test_dockerignore_keeps_what_the_image_copies() -> None:
    ignore = [line for line in DOCKERIGNORE.read_text().splitlines() if line and line[0] != "#"]
    assert ignore[0] == "*", "everything out, then the sources back in"
    allowed = {line.removeprefix("!").rstrip("/") for line in ignore if line.startswith("!")}
    for line in _dockerfile_stages()["builder"]:
        if line.startswith("COPY "):
            sources = line.split()[1:-1]
            for source in sources:
                assert source.rstrip("/") in allowed, f"{source} is excluded by .dockerignore"


# --- the GPU worker ----------------------------------------------------------------


def test_gpu_worker_requests_a_gpu_and_cpu_workers_do_not() -> None:
    pods = dict(_k8s_pod_specs())
    gpu = pods["reelvault-gpu-worker"]
    assert gpu["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert gpu["containers"][0]["image"].endswith("-cuda")
    assert gpu["tolerations"] and gpu["nodeSelector"]
    for name, pod in pods.items():
        if name != "reelvault-gpu-worker":
            for container in pod["containers"]:
                assert "nvidia.com/gpu" not in container.get("resources", {}).get("limits", {})
    services = _services()
    devices = services["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert services["gpu-worker"]["build"]["args"]["VARIANT"] == "cuda"
    assert services["gpu-worker"]["environment"]["REELVAULT_DEVICE"] == "cuda"
    assert "deploy" not in services["api"]
    assert "resources" not in services["cpu-worker"].get("deploy", {})


def _env_file(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and line[0] != "#"]
    return dict(line.split("=", 1) for line in lines)


def _setting_sources() -> Iterator[tuple[str, dict[str, str]]]:
    yield "deploy/env.example", _env_file(ENV_EXAMPLES[0])
    shared: dict[str, str] = {}
    for _path, document in _k8s_documents():
        shared |= document.get("data", {}) | document.get("stringData", {})
    for name, container in _k8s_containers():
        env = {variable["name"]: variable["value"] for variable in container.get("env", [])}
        yield f"k8s {name}", shared | env
    for name, service in _services().items():
        if _runs_reelvault(service):
            yield f"compose {name}", {k: str(v) for k, v in service.get("environment", {}).items()}


@pytest.mark.parametrize(
    ("where", "values"), list(_setting_sources()), ids=[where for where, _ in _setting_sources()]
)
def test_example_values_are_valid_settings(
    where: str, values: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The values parse as the settings they name (JSON lists, ranges, literals)."""
    for key in [key for key in os.environ if key.upper().startswith("REELVAULT_")]:
        monkeypatch.delenv(key)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    try:
        settings = load_settings()
    except ConfigError as exc:
        pytest.fail(f"{where}: {exc.message}")
    for key, value in values.items():
        name = key.removeprefix("REELVAULT_").lower()
        if name in ("port", "database_pool_size"):
            assert str(getattr(settings, name)) == value


def test_the_code_runs_no_ffmpeg_binary() -> None:
    """The image has no ffmpeg (PyAV's wheels carry FFmpeg's libraries): true while no
    module starts an ffmpeg program."""
    calls = re.compile(r"""["'](ffmpeg|ffprobe)["']""")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "src").rglob("*.py")
        if calls.search(path.read_text())
    ]
    assert not offenders, f"{offenders} run ffmpeg: install it in the Dockerfile's runtime stage"
    assert "ffmpeg" not in " ".join(_dockerfile_lines())
