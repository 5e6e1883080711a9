"""The console's settings: ``console.yaml`` in the config directory (every key optional).

```yaml
alertmanager_url: http://127.0.0.1:9093   # where acks create silences; omitted: no silences
language: fr                              # default UI language (en | fr)
session_hours: 12                         # a login lasts this long
secure_cookies: true                      # HTTPS-only cookies (omitted: if links.console is https)
trusted_proxies: [10.0.0.0/8]             # reverse proxies whose X-Forwarded-For is believed
refresh_seconds: 5                        # how often the alert list refreshes itself
silence_days: 7                           # the longest an ack silences an alert still firing
prometheus_url: http://127.0.0.1:9090     # rules preview queries; reloaded after a policy edit
render_dir: /var/lib/chargekeeper         # where `config render` writes prometheus/, alertmanager/
alertmanager_peers: [http://alertmanager-2:9093]   # the cluster's other members (routing edits)
```

``render_dir`` and the two URLs are what the Rules and Routing editors need to make an edit
live; without them the editors show the configuration read-only. ``chargekeeper up`` passes
its own values on the receiver's command line.

``trusted_proxies`` (addresses or CIDR networks, default none) are the only peers whose
``X-Forwarded-For`` names the client: the login throttle counts failures per client address,
and a header believed from anyone lets every guess claim a new address. The server applies it
(uvicorn's ``forwarded_allow_ips``, see :meth:`ConsoleConfig.forwarded_allow_ips`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypedDict

from pydantic import Field, IPvAnyNetwork

from chargekeeper.config.fleet import Strict
from chargekeeper.config.loader import load_model

CONSOLE_FILE = "console.yaml"


class ConsoleConfig(Strict):
    alertmanager_url: str | None = None
    language: Literal["en", "fr"] = "en"
    session_hours: float = Field(default=12.0, gt=0)
    # None: Secure when the console's public URL (receiver.yaml links.console) is https.
    # false is an explicit opt-out, for a console reached over plain http whatever its URL.
    secure_cookies: bool | None = None
    refresh_seconds: float = Field(default=5.0, ge=1)
    # An ack silences "until the alert resolves": the console expires the silence on
    # resolution; this bounds it in case the resolution never arrives.
    silence_days: float = Field(default=7.0, gt=0)
    # The Rules and Routing editors: where to query, where the rendered files live.
    prometheus_url: str | None = None
    render_dir: Path | None = None
    # The other Alertmanagers of a gossip cluster (alertmanager_url is one member): a routing
    # edit is reloaded and confirmed on every member.
    alertmanager_peers: list[str] = Field(default_factory=list)
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)

    def forwarded_allow_ips(self) -> list[str]:
        """``trusted_proxies`` as uvicorn's ``forwarded_allow_ips``: an empty list trusts no
        peer (uvicorn's own default trusts loopback, and so any local process or proxy)."""
        return [str(network) for network in self.trusted_proxies]


class ConsoleOverrides(TypedDict, total=False):
    """Settings given on ``chargekeeper receiver``'s command line, which win over the file."""

    alertmanager_url: str
    alertmanager_peers: list[str]
    prometheus_url: str
    render_dir: Path


def load_console_config(
    config_dir: Path, overrides: ConsoleOverrides | None = None
) -> ConsoleConfig:
    """``console.yaml`` if present (defaults otherwise), with ``overrides`` applied."""
    path = config_dir / CONSOLE_FILE
    config = load_model(path, ConsoleConfig) if path.exists() else ConsoleConfig()
    if overrides:
        config = ConsoleConfig.model_validate({**config.model_dump(), **overrides})
    return config
