"""Alertmanager's side of Chargekeeper: the webhook receiver, which tells technicians by email
and SMS. Its generated config, ``alertmanager.yml``, comes from the routing domain
(``chargekeeper.routing.alertmanager_config``).

- ``http`` (the webhook) → ``stages/`` (validate, store, route, dedup, translate, render,
  record, deliver; assembled in ``pipeline``) → ``notify`` (SMTP, Twilio), with ``escalation``,
  ``failover``, ``resolution``, ``smshooks`` (Twilio callbacks, SMS acks) and ``metrics``
  beside them. ``messages`` and ``templates/`` write the messages, ``gsm`` sizes SMS.
- ``localsmtp`` and ``localsms``: local providers for tests and the demo.
- ``wiring`` assembles the component; the root ``chargekeeper.receiver`` runs it.

Modules are imported directly (``from alertmanager.pipeline import Pipeline``): importing the
package stays cheap.
"""
