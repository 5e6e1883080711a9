"""Alertmanager's side of Chargekeeper: the webhook receiver. Its generated config,
``alertmanager.yml``, comes from the routing domain (``chargekeeper.routing.alertmanager_config``).

- The receiver, as a pipeline (STYLE: Alertmanager's notify pipeline): ``app`` (HTTP API and
  webhook) → ``pipeline`` (store, translate, route, render, enqueue; the idempotency rule is in
  ``dedup``) → ``outbox`` (retries, failover, rate limit) → ``notify`` (SMTP, Twilio), with
  ``escalation``, ``smshooks`` (Twilio callbacks and SMS acks) and ``metrics`` beside it.
  ``render`` and ``templates/`` write the messages, ``gsm`` sizes SMS.
- ``localsmtp`` and ``localsms``: local providers for tests and the demo.
- ``wiring`` assembles it all from a config directory; ``cli`` is ``chargekeeper receiver``.

Modules are imported directly (``from alertmanager.pipeline import Pipeline``): importing the
package stays cheap.
"""
