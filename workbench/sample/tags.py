"""Tags as a real company has them: mostly right, some missing, some keyed differently."""

from __future__ import annotations

import json

from workbench.sample.company import ORG, UNKNOWN_TEAM, Resource


def tags_for(r: Resource) -> str:
    """The Tags JSON object text for a resource, following its `tagging` habit."""
    team = r.team
    cost_center, _, owner = ORG.get(team, ("CC-9900", "", f"{team}@heliolabs.example"))
    t: dict[str, str] = {}
    if r.tagging in ("ok", "unknown"):
        t = {"team": UNKNOWN_TEAM if r.tagging == "unknown" else team, "environment": r.env}
        if not r.no_workload_tag:
            t["workload"] = r.workload
        if r.app:
            t["application"] = r.app
        if r.model:
            t["model"] = r.model
        t.update({"cost_center": cost_center, "owner": owner})
    elif r.tagging == "miskey":  # keys as someone typed them: resolvable through [tags] aliases
        t = {"Team": team, "env": r.env, "CostCenter": cost_center}
        if not r.no_workload_tag:
            t["Workload"] = r.workload
        if r.app:
            t["app"] = r.app
        if r.model:
            t["model_name"] = r.model
    elif r.tagging == "partial":  # only what the console filled in: no team, no cost center
        t = {"environment": r.env, "owner": "j.lee@heliolabs.example" if r.env == "sandbox" else owner}
    t.update(r.extra_tags)
    return json.dumps(t, separators=(",", ":"))
