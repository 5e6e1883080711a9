"""What the Routing editor needs from Alertmanager and its rendered configuration file.

The console is given Alertmanager's URL (``alertmanager_url``, perhaps behind a path prefix
or HTTPS). The editor must tell "unreachable" (Alertmanager cannot have acted) from "refused",
and read back the configuration Alertmanager runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import yaml

from chargekeeper.render.stack import RenderError, ServerUnreachable, reload_alertmanager
from chargekeeper.routing import WEBHOOK_PATH, WebhookTarget


class AlertmanagerProblem(Exception):
    """Alertmanager could not be reached, refused the reload, or runs another configuration."""


class AlertmanagerUnreachable(AlertmanagerProblem):
    """No connection to Alertmanager: it cannot have acted on the request."""


def webhook_target_of(rendered: Path) -> WebhookTarget:
    """The receiver URL and bearer token file the current ``alertmanager.yml`` posts with.

    Whoever rendered it first (``chargekeeper up`` or ``config render --webhook-url``) knew
    how Alertmanager reaches the receiver; reading it back keeps that choice, so the console
    needs no setting of its own that could disagree.
    """
    try:
        document = yaml.safe_load(rendered.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AlertmanagerProblem(
            f"cannot read {rendered}: {exc}; run `chargekeeper config render` once first"
        ) from None
    for receiver in (document or {}).get("receivers") or []:
        for hook in receiver.get("webhook_configs") or []:
            url = str(hook.get("url", ""))
            auth = (hook.get("http_config") or {}).get("authorization") or {}
            if url.endswith(WEBHOOK_PATH) and auth.get("credentials_file"):
                return WebhookTarget(url.removesuffix(WEBHOOK_PATH), Path(auth["credentials_file"]))
    raise AlertmanagerProblem(
        f"{rendered} has no webhook to the Chargekeeper receiver with a bearer token file: "
        "render it with `chargekeeper config render --webhook-token-file FILE` first"
    )


def _matcher(text: str) -> str:
    # Alertmanager re-quotes matcher values on output (a regex's '\.' comes back as '\\.');
    # slugs hold neither quotes nor backslashes, so comparing without them is exact enough.
    return re.sub(r'[\\"]', "", text)


def _routes(route: dict[str, Any]) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = [
        (
            route.get("receiver"),
            tuple(sorted(_matcher(m) for m in route.get("matchers") or [])),
            tuple(sorted(route.get("active_time_intervals") or [])),
            tuple(sorted(route.get("mute_time_intervals") or [])),
        )
    ]
    for child in route.get("routes") or []:
        found += _routes(child)
    return found


def routing_signature(config: dict[str, Any]) -> tuple[object, ...]:
    """What identifies a generated configuration once Alertmanager has normalised it (filled
    in defaults, reordered keys): its routes in order, receivers and time interval names."""
    return (
        _routes(config.get("route") or {}),
        sorted(r.get("name") for r in config.get("receivers") or []),
        sorted(i.get("name") for i in config.get("time_intervals") or []),
    )


class AlertmanagerClient:
    """Reload Alertmanager and read back the configuration it runs."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout

    def reload(self) -> None:
        try:
            reload_alertmanager(self.base_url, self._timeout)
        except ServerUnreachable as exc:
            raise AlertmanagerUnreachable(str(exc)) from None
        except RenderError as exc:
            raise AlertmanagerProblem(str(exc)) from None

    def running_config(self) -> dict[str, Any]:
        """The configuration Alertmanager runs (``config.original`` of ``/api/v2/status``)."""
        url = f"{self.base_url}/api/v2/status"
        try:
            response = httpx.get(url, timeout=self._timeout)
            response.raise_for_status()
            original = response.json()["config"]["original"]
            config = yaml.safe_load(original)
        except (httpx.HTTPError, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
            raise AlertmanagerProblem(
                f"cannot read the running configuration from {url}: {exc}"
            ) from None
        if not isinstance(config, dict):
            raise AlertmanagerProblem(f"{url}: config.original is not a configuration")
        return config
