"""The receiver's stages, one module each, in the order of the data flow.

``validate`` and ``store`` run inside the webhook request; ``route`` makes the notices
(``base.Notice``) of a stored webhook, and ``dedup``, ``translate``, ``render`` and ``record``
each take and return notices (``base.Stage``), inside one transaction per webhook;
``deliver`` is the outbox worker that sends what ``record`` queued. ``alertmanager.pipeline``
assembles them.
"""
