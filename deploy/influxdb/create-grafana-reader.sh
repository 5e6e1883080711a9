#!/bin/sh
# Run once by the influxdb:2 image after its first setup (mounted in /docker-entrypoint-initdb.d).
# Grafana's InfluxDB datasource speaks InfluxQL through InfluxDB 2's v1 compatibility API, which
# authenticates v1 users: this makes one that can only read the collector's bucket, with the
# password of the influxdb_grafana_password secret. (Every bucket has a virtual DBRP mapping
# named after it, so the bucket name is the InfluxQL database name.)
set -eu

password_file=/run/secrets/influxdb_grafana_password
if [ ! -s "$password_file" ]; then
    echo "create-grafana-reader: $password_file is missing or empty: create the secret" >&2
    exit 1
fi
bucket_id=$(influx bucket list --org "$DOCKER_INFLUXDB_INIT_ORG" \
    --name "$DOCKER_INFLUXDB_INIT_BUCKET" --hide-headers | cut -f 1)
influx v1 auth create --org "$DOCKER_INFLUXDB_INIT_ORG" --username grafana \
    --password "$(cat "$password_file")" --read-bucket "$bucket_id" \
    --description "Grafana: read the Chargekeeper history"
