"""The JSON API's shared contract: the one bearer check and every model of ``/api/v1``.

The receiver (the Alertmanager webhook) and the console (alerts, acks, the delivery log,
chargers, rules, routing) serve their endpoints in one app, built by the root
``chargekeeper.receiver``; both take their caller from :class:`BearerAuth`.
"""

from chargekeeper.api.bearer import Accept, BearerAuth, Caller

__all__ = ["Accept", "BearerAuth", "Caller"]
