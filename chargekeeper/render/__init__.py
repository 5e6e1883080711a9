"""The configuration rendered into the files Prometheus and Alertmanager run: ``prometheus.yml``
with the rule files and the threshold rules (``prometheus``), ``alertmanager.yml`` from the
routing domain (``chargekeeper.routing.alertmanager_config``), staged, checked with promtool and
amtool, then swapped in and reloaded (``stack``); ``cli`` is ``chargekeeper config``.

It sits above the configuration models (``chargekeeper.config``) and the routing domain.
"""
