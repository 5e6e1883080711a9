# The Chargekeeper application image: one image, one `chargekeeper` command; docker-compose.yml
# picks the component with the subcommand (exporter, receiver, config render, simulate).
# promtool and amtool check what `config render` and the console's editors generate; they are
# taken from the same Prometheus and Alertmanager releases that docker-compose.yml runs.
FROM prom/prometheus:v2.55.1 AS prometheus
FROM prom/alertmanager:v0.27.0 AS alertmanager

FROM python:3.11-slim
COPY --from=prometheus /bin/promtool /usr/local/bin/promtool
COPY --from=alertmanager /bin/amtool /usr/local/bin/amtool

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Chart.js for the console's charts, served by the console itself (no CDN).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libjs-chart.js \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
# psycopg is the PostgreSQL driver of the receiver's shared store (receiver.yaml database_url
# postgresql+psycopg://…); the local stack and the tests use SQLite and do not need it.
RUN pip install ".[postgres]" \
    && rm -rf /src

# A fixed, unprivileged uid: the generated-config volume it writes is read by Prometheus and
# Alertmanager (uid 65534) and the state volume is owned by it.
RUN groupadd --system --gid 10001 chargekeeper \
    && useradd --system --uid 10001 --gid chargekeeper --home-dir /var/lib/chargekeeper \
        --shell /usr/sbin/nologin chargekeeper \
    && install -d -o chargekeeper -g chargekeeper -m 0755 \
        /var/lib/chargekeeper /var/lib/chargekeeper/generated /var/lib/chargekeeper/receiver

WORKDIR /var/lib/chargekeeper
USER chargekeeper:chargekeeper

# 9000: OCPP websockets (chargers); 9101: collector /metrics and /healthz; 9095: receiver.
EXPOSE 9000 9101 9095
ENTRYPOINT ["chargekeeper"]
CMD ["--help"]
