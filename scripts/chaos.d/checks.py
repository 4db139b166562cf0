"""End-of-fault checks: the ledger against the read model, and the read model against the log."""
import json

from cluster import http


class Check:
    """One named check and whether it held, with a short measured detail."""

    def __init__(self, name, held, detail=""):
        self.name, self.held, self.detail = name, bool(held), detail

    def __str__(self):
        return f"{self.name}{' (' + self.detail + ')' if self.detail else ''}: {'held' if self.held else 'FAILED'}"


def ledger_in_read_model(cluster, ledger):
    """Every acknowledged command is in its entity's history exactly once, and no command id twice."""
    missing, doubled, errors, checked = [], [], 0, 0
    for entity, commands in ledger.snapshot().items():
        status, body, _ = http("GET", f"{cluster.base}/api/v2/music/{entity}/history", timeout=10)
        if status != 200:
            errors += 1
            continue
        seen = [item["commandId"] for item in body["items"]]
        doubled += [command for command in set(seen) if seen.count(command) > 1]
        for command in commands:
            checked += 1
            if command not in seen:
                missing.append(command)
    detail = f"{checked} acked commands, {len(missing)} missing, {len(doubled)} doubled, {errors} history errors"
    if missing:
        detail += f"; first missing {missing[0]}"
    return Check("ledger in read model once", checked > 0 and not missing and not doubled and not errors, detail)


def replay_verify(cluster):
    """`encore replay --verify`: the read model equals the fold of the log, entity by entity."""
    status, output = cluster.encore_command("replay", "--verify", "--json")
    detail = f"exit {status}"
    try:
        summary = json.loads(output[output.index("{"):])
        compared = summary.get("compared") or summary.get("entities")
        if compared is not None:
            detail += f", {compared} entities"
    except ValueError:
        pass
    if status != 0:
        detail += ": " + output.strip().splitlines()[-1][:200] if output.strip() else ""
    return Check("replay --verify clean", status == 0, detail)


def settled(cluster, ledger, timeout=120):
    """After a fault: projectors catch up, then the ledger and the fold agree with the read model."""
    try:
        cluster.wait_caught_up(timeout)
        caught_up = Check("projectors caught up", True)
    except TimeoutError as error:
        report = cluster.lag() or {"groups": []}
        behind = ", ".join(f"{g['projection']} {g['lag']} {g['status']}" for g in report["groups"])
        caught_up = Check("projectors caught up", False, f"{error}; last lag: {behind}")
    return [caught_up, ledger_in_read_model(cluster, ledger), replay_verify(cluster)]
