"""A describe-like view of one pod: what a person checks first when an inference pod will not run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from holmes.sources.kube import KubeReader
from holmes.toolsets import events as events_mod
from holmes.toolsets.access import kube, meta, not_found, reads_kube
from holmes.toolsets.base import Tool, ToolContext, ToolOutput
from holmes.toolsets.redact import HIDDEN, redact, sensitive
from holmes.toolsets.render import age, count_tokens, duration, fit_text, parse_time

ACCELERATOR_PREFIXES = ("nvidia.com/", "amd.com/", "gpu.intel.com/", "habana.ai/", "aws.amazon.com/neuron")
ISVC_LABELS = ("serving.kserve.io/inferenceservice", "serving.kserve.io/component", "app.kubernetes.io/name",
               "app.kubernetes.io/instance", "ray.io/cluster", "leaderworkerset.sigs.k8s.io/name")


class DescribePodParams(BaseModel):
    namespace: str = Field(description="The pod's namespace.")
    name: str = Field(description="The pod's name.")


# --- status summaries shared by list views -------------------------------------------------------
def pod_status(pod: dict[str, Any]) -> str:
    """kubectl's STATUS column: the most telling waiting/terminated reason, else the phase."""
    status = pod.get("status") or {}
    if meta(pod).get("deletionTimestamp"):
        return "Terminating"
    for index, cs in enumerate(status.get("initContainerStatuses") or []):
        state = cs.get("state") or {}
        if "waiting" in state and state["waiting"].get("reason") not in (None, "PodInitializing"):
            return f"Init:{state['waiting']['reason']}"
        if "terminated" in state and state["terminated"].get("exitCode", 0) != 0:
            return f"Init:{state['terminated'].get('reason') or 'Error'}"
        if "running" in state or "waiting" in state:
            return f"Init:{index}/{len(pod.get('spec', {}).get('initContainers') or [])}"
    reason = ""
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        if "waiting" in state and state["waiting"].get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state and not reason:
            reason = state["terminated"].get("reason") or "Terminated"
    return reason or status.get("reason") or status.get("phase") or "Unknown"


def ready_count(pod: dict[str, Any]) -> str:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    total = len((pod.get("spec") or {}).get("containers") or []) or len(statuses)
    return f"{sum(1 for cs in statuses if cs.get('ready'))}/{total}"


def restart_count(pod: dict[str, Any]) -> int:
    """Restarts of all containers, init containers included (a crash-looping storage initializer counts)."""
    status = pod.get("status") or {}
    statuses = [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]
    return sum(int(cs.get("restartCount") or 0) for cs in statuses)


# --- owner chain ---------------------------------------------------------------------------------
def owner_chain(reader: KubeReader, obj: dict[str, Any], depth: int = 4) -> list[dict[str, str]]:
    """Controllers up from a pod (ReplicaSet -> Deployment, StatefulSet, Job...), plus serving labels."""
    chain: list[dict[str, str]] = []
    namespace = meta(obj).get("namespace")
    current = obj
    for _ in range(depth):
        owners = meta(current).get("ownerReferences") or []
        owner = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
        if owner is None:
            break
        chain.append({"kind": owner.get("kind", ""), "name": owner.get("name", "")})
        parent = _get_owner(reader, owner, namespace)
        if parent is None:
            break
        current = parent
    labels = meta(obj).get("labels") or {}
    isvc = labels.get("serving.kserve.io/inferenceservice")
    if isvc and not any(link["kind"] == "InferenceService" for link in chain):
        chain.append({"kind": "InferenceService", "name": isvc, "via": "label serving.kserve.io/inferenceservice"})
    return chain


def _get_owner(reader: KubeReader, owner: dict[str, Any], namespace: str | None) -> dict[str, Any] | None:
    kind = str(owner.get("kind", "")).lower()
    try:
        return reader.get(kind, owner.get("name", ""), namespace)
    except Exception:  # an owner of a kind holmes does not know ends the chain, it is not an error
        return None


# --- describe ------------------------------------------------------------------------------------
def describe(pod: dict[str, Any], chain: list[dict[str, str]], now: datetime) -> list[str]:
    """Describe-like lines for a pod (events are added by the caller)."""
    spec, status, m = pod.get("spec") or {}, pod.get("status") or {}, meta(pod)
    lines = [f"Name: {m.get('namespace')}/{m.get('name')}",
             f"Status: {pod_status(pod)} (phase {status.get('phase', '?')}), ready {ready_count(pod)}, "
             f"restarts {restart_count(pod)}, age {age(m.get('creationTimestamp'), now)}",
             f"Node: {spec.get('nodeName') or '<none: not scheduled>'}"]
    if chain:
        lines.append("Controlled by: " + " -> ".join(f"{c['kind']}/{c['name']}" for c in chain))
    serving = {k: v for k, v in (m.get("labels") or {}).items() if k in ISVC_LABELS}
    if serving:
        lines.append("Labels: " + ", ".join(f"{k}={v}" for k, v in serving.items()))
    for key in ("runtimeClassName", "priorityClassName", "schedulerName", "serviceAccountName"):
        if spec.get(key):
            lines.append(f"{key}: {spec[key]}")
    if "runtimeClassName" not in spec:
        lines.append("runtimeClassName: <none> (the node's default container runtime)")
    lines += _conditions(status, now) + _scheduling(spec) + _claims(spec, status)
    for kind, key, status_key in (("Init container", "initContainers", "initContainerStatuses"),
                                  ("Container", "containers", "containerStatuses")):
        statuses = {cs.get("name"): cs for cs in status.get(status_key) or []}
        for container in spec.get(key) or []:
            lines += _container(kind, container, statuses.get(container.get("name")), now)
    lines += _volumes(spec)
    return lines


def _conditions(status: dict[str, Any], now: datetime) -> list[str]:
    out = []
    for cond in status.get("conditions") or []:
        line = f"  {cond.get('type')}={cond.get('status')}"
        if cond.get("reason"):
            line += f" {cond['reason']}"
        if cond.get("message"):
            line += f": {' '.join(str(cond['message']).split())}"
        if cond.get("lastTransitionTime"):
            line += f" ({age(cond['lastTransitionTime'], now)} ago)"
        out.append(line)
    if status.get("message"):
        out.append(f"  pod message: {status.get('reason', '')} {status['message']}".rstrip())
    return ["Conditions:", *out] if out else []


def _scheduling(spec: dict[str, Any]) -> list[str]:
    out = []
    if spec.get("nodeSelector"):
        out.append("Node selector: " + ", ".join(f"{k}={v}" for k, v in spec["nodeSelector"].items()))
    affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = (affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or []
    for term in required:
        exprs = [f"{e.get('key')} {e.get('operator')} {','.join(e.get('values') or [])}".rstrip()
                 for e in term.get("matchExpressions") or []]
        out.append("Node affinity (required): " + " AND ".join(exprs))
    if affinity.get("preferredDuringSchedulingIgnoredDuringExecution"):
        out.append(f"Node affinity (preferred): {len(affinity['preferredDuringSchedulingIgnoredDuringExecution'])} "
                   "term(s)")
    for kind in ("podAffinity", "podAntiAffinity"):
        terms = ((spec.get("affinity") or {}).get(kind) or {}).get("requiredDuringSchedulingIgnoredDuringExecution")
        for term in terms or []:
            selector = _label_selector(term.get("labelSelector") or {}) or "<all>"
            out.append(f"{kind[0].upper()}{kind[1:]} (required): pods {selector} per {term.get('topologyKey')}")
    tolerations = spec.get("tolerations") or []
    shown = [_toleration(t) for t in tolerations]
    out.append("Tolerations: " + ("; ".join(shown) if shown else "<none>"))
    return out


def _label_selector(selector: dict[str, Any]) -> str:
    """A LabelSelector as kubectl writes one: app=vllm,model In (a b)."""
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    parts += [f"{e.get('key')} {e.get('operator')} ({' '.join(e.get('values') or [])})".replace(" ()", "")
              for e in selector.get("matchExpressions") or []]
    return ",".join(parts)


def _toleration(t: dict[str, Any]) -> str:
    key = t.get("key") or "<all keys>"
    op = t.get("operator") or "Equal"
    text = f"{key} {op}" + (f" {t['value']}" if t.get("value") else "")
    text += f":{t['effect']}" if t.get("effect") else " (all effects)"
    return text + (f" for {t['tolerationSeconds']}s" if t.get("tolerationSeconds") is not None else "")


def _claims(spec: dict[str, Any], status: dict[str, Any]) -> list[str]:
    claims = spec.get("resourceClaims") or []
    if not claims:
        return []
    generated = {s.get("name"): s.get("resourceClaimName") for s in status.get("resourceClaimStatuses") or []}
    out = ["Resource claims (DRA):"]
    for claim in claims:
        source = claim.get("source") or claim  # pre-1.31 manifests wrapped the reference in `source`
        ref = (f"claim {source['resourceClaimName']}" if source.get("resourceClaimName")
               else f"from template {source.get('resourceClaimTemplateName')}")
        made = generated.get(claim.get("name"))
        out.append(f"  {claim.get('name')}: {ref}" + (f" -> {made}" if made else ""))
    return out


def _container(kind: str, c: dict[str, Any], cs: dict[str, Any] | None, now: datetime) -> list[str]:
    out = [f"{kind} {c.get('name')}: image {c.get('image')}"]
    for key in ("command", "args"):
        if c.get(key):
            out.append(f"  {key}: " + " ".join(str(a) for a in c[key])[:600])
    out += _state_lines(cs, now)
    out += _resources(c.get("resources") or {})
    out += _env(c)
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        if c.get(probe):
            out.append(f"  {probe}: {_probe(c[probe])}")
    mounts = [f"{m.get('mountPath')} <- {m.get('name')}" + (" (ro)" if m.get("readOnly") else "")
              for m in c.get("volumeMounts") or []]
    if mounts:
        out.append("  mounts: " + "; ".join(mounts))
    if not any(m.get("mountPath") == "/dev/shm" for m in c.get("volumeMounts") or []):
        out.append("  /dev/shm: not mounted (container runtime default, usually 64Mi)")
    return out


def _state_lines(cs: dict[str, Any] | None, now: datetime) -> list[str]:
    if cs is None:
        return ["  state: <no status yet>"]
    out = [f"  state: {_state(cs.get('state') or {}, now)}; ready {cs.get('ready', False)}, "
           f"restarts {cs.get('restartCount', 0)}"]
    last = cs.get("lastState") or {}
    if last:
        out.append(f"  last termination: {_state(last, now)}")
    return out


def _state(state: dict[str, Any], now: datetime) -> str:
    if "waiting" in state:
        w = state["waiting"] or {}
        message = f": {' '.join(str(w['message']).split())}" if w.get("message") else ""
        return f"Waiting {w.get('reason', '')}{message}"
    if "terminated" in state:
        t = state["terminated"] or {}
        text = f"Terminated {t.get('reason', '')} exit code {t.get('exitCode')}"
        if t.get("signal"):
            text += f" signal {t['signal']}"
        started, finished = parse_time(t.get("startedAt")), parse_time(t.get("finishedAt"))
        if started and finished:
            text += f", ran {duration((finished - started).total_seconds())}, finished {age(finished, now)} ago"
        if t.get("message"):
            text += f": {' '.join(str(t['message']).split())[:400]}"
        return text
    if "running" in state:
        return f"Running since {age((state['running'] or {}).get('startedAt'), now)} ago"
    return "unknown"


def _resources(resources: dict[str, Any]) -> list[str]:
    def fmt(values: dict[str, Any]) -> str:
        return ", ".join(f"{k}={v}" for k, v in values.items()) or "<none>"

    out = [f"  requests: {fmt(resources.get('requests') or {})}; limits: {fmt(resources.get('limits') or {})}"]
    accelerators = sorted({k for part in ("requests", "limits") for k in (resources.get(part) or {})
                           if k.startswith(ACCELERATOR_PREFIXES)})
    if not accelerators:
        out.append("  accelerators: none requested")
    if resources.get("claims"):
        out.append("  claims: " + ", ".join(c.get("name", "") + (f"/{c['request']}" if c.get("request") else "")
                                            for c in resources["claims"]))
    return out


def _env(c: dict[str, Any]) -> list[str]:
    shown = []
    for var in c.get("env") or []:
        name = var.get("name", "")
        source = var.get("valueFrom") or {}
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"] or {}
            shown.append(f"{name} from Secret {ref.get('name')} key {ref.get('key')}"
                         + (" (optional)" if ref.get("optional") else ""))
        elif source:
            kind = next(iter(source))
            shown.append(f"{name} from {kind}")
        elif sensitive(name):
            shown.append(f"{name}={HIDDEN}")
        else:
            shown.append(f"{name}={var.get('value', '')}")
    for src in c.get("envFrom") or []:
        if "secretRef" in src:
            shown.append(f"all keys of Secret {src['secretRef'].get('name')}")
        elif "configMapRef" in src:
            shown.append(f"all keys of ConfigMap {src['configMapRef'].get('name')}")
    if not shown:
        return []
    out = ["  env: " + "; ".join(shown)]
    if any("Secret " in s for s in shown):
        out.append("  (Secret references only: holmes does not read Secrets)")
    return out


def _probe(probe: dict[str, Any]) -> str:
    if "httpGet" in probe:
        h = probe["httpGet"]
        action = f"http-get {h.get('scheme', 'HTTP').lower()}://:{h.get('port')}{h.get('path', '/')}"
    elif "tcpSocket" in probe:
        action = f"tcp-socket :{probe['tcpSocket'].get('port')}"
    elif "exec" in probe:
        action = "exec " + " ".join(probe["exec"].get("command") or [])
    elif "grpc" in probe:
        action = f"grpc :{probe['grpc'].get('port')}"
    else:
        action = "?"
    delay, period = int(probe.get("initialDelaySeconds", 0)), int(probe.get("periodSeconds", 10))
    failures, timeout = int(probe.get("failureThreshold", 3)), int(probe.get("timeoutSeconds", 1))
    budget = delay + period * failures
    return (f"{action} delay={delay}s period={period}s timeout={timeout}s failureThreshold={failures} "
            f"-> gives up after about {budget}s ({duration(budget)})")


def _volumes(spec: dict[str, Any]) -> list[str]:
    out = []
    for vol in spec.get("volumes") or []:
        kind = next((k for k in vol if k != "name"), "?")
        detail = vol.get(kind) or {}
        text = f"  {vol.get('name')}: {kind}"
        if kind == "emptyDir":
            text += f" medium={detail.get('medium') or 'disk'} sizeLimit={detail.get('sizeLimit') or 'none'}"
        elif kind == "persistentVolumeClaim":
            text += f" claim {detail.get('claimName')}"
        elif kind in ("configMap", "secret"):
            text += f" {detail.get('name') or detail.get('secretName')}"
        elif kind == "ephemeral":
            text += " (generic ephemeral volume)"
        out.append(text)
    return ["Volumes:", *out] if out else []


def _env_configmaps(reader: KubeReader, pod: dict[str, Any]) -> list[str]:
    """Key names of ConfigMaps loaded whole with envFrom: it shows where a variable such as HF_TOKEN comes from."""
    spec = pod.get("spec") or {}
    names = sorted({src["configMapRef"].get("name", "") for c in [*(spec.get("initContainers") or []),
                                                                 *(spec.get("containers") or [])]
                    for src in c.get("envFrom") or [] if src.get("configMapRef")})
    out = []
    for name in names:
        found = reader.get("configmap", name, meta(pod).get("namespace"))
        keys = ", ".join(sorted((found or {}).get("data") or {})) if found else "<ConfigMap not found>"
        out.append(f"  {name}: {keys or '<no keys>'}")
    if out:
        out.append("  (values: kubernetes_get kind=configmap)")
    return ["ConfigMaps loaded as env (envFrom):", *out] if out else []


@reads_kube
def kubernetes_describe_pod(ctx: ToolContext, params: DescribePodParams) -> ToolOutput:
    reader = kube(ctx)
    pod = reader.get("pod", params.name, params.namespace)
    if pod is None:
        return not_found(f"pod {params.namespace}/{params.name}")
    pod = redact(pod)
    chain = owner_chain(reader, pod)
    lines = describe(pod, chain, ctx.now) + _env_configmaps(reader, pod)
    body, cut = fit_text("\n".join(lines), max(200, ctx.token_budget * 2 // 3),
                         "use kubernetes_get for the full object")
    events = events_mod.read_events(reader, params.namespace, "pod", params.name)
    budget = max(100, ctx.token_budget - count_tokens(body) - 20)
    table, shown = events_mod.render(events, ctx.now, budget, show_object=False)
    body += "\nEvents:\n" + (table if events else "  <none>")
    event_cut = events_mod.cut_note(shown, len(events), "kubernetes_events with reason= or type=Warning")
    notes = "; ".join(n for n in (cut, event_cut) if n) or None
    return ToolOutput(text=body, data={"pod": pod, "owner_chain": chain, "events": events}, cut=notes)


TOOLS: list[Tool[Any]] = [
    Tool(name="kubernetes_describe_pod", description="", params=DescribePodParams, fn=kubernetes_describe_pod),
]
