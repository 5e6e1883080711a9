BEGIN TRANSACTION;
CREATE TABLE acknowledgements (
	id INTEGER NOT NULL, 
	alert_id INTEGER NOT NULL, 
	"by" VARCHAR(255) NOT NULL, 
	at DATETIME NOT NULL, 
	via VARCHAR(16) NOT NULL, 
	note TEXT NOT NULL, 
	CONSTRAINT pk_acknowledgements PRIMARY KEY (id), 
	CONSTRAINT fk_acknowledgements_alert_id_alerts FOREIGN KEY(alert_id) REFERENCES alerts (id)
);
INSERT INTO "acknowledgements" VALUES(1,1,'alice','2026-11-20 08:33:00.000000','console','on my way');
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('0002');
CREATE TABLE alerts (
	id INTEGER NOT NULL, 
	fingerprint VARCHAR(64) NOT NULL, 
	starts_at DATETIME NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	ends_at DATETIME, 
	alertname VARCHAR(255) NOT NULL, 
	severity VARCHAR(16) NOT NULL, 
	family VARCHAR(32) NOT NULL, 
	site VARCHAR(255) NOT NULL, 
	charge_point_id VARCHAR(255) NOT NULL, 
	labels JSON NOT NULL, 
	annotations JSON NOT NULL, 
	generator_url TEXT NOT NULL, 
	first_received_at DATETIME NOT NULL, 
	last_received_at DATETIME NOT NULL, 
	truncated BOOLEAN NOT NULL, 
	CONSTRAINT pk_alerts PRIMARY KEY (id), 
	CONSTRAINT uq_alerts_occurrence UNIQUE (fingerprint, starts_at)
);
INSERT INTO "alerts" VALUES(1,'45ac2954b3daf923','2026-11-24 13:23:06.000000','resolved','2026-11-24 13:23:12.000000','ChargePointFaulted','critical','','','CP-ALFEN-01','{"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01", "connector_id": "0", "error_code": "OtherError", "severity": "critical", "vendor_error_code": "210"}','{"description": "errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A", "summary": "Charge point CP-ALFEN-01 connector 0 is Faulted"}','http://127.0.0.1:9090/graph?g0.expr=ocpp_connector_status%7Bstatus%3D%22Faulted%22%7D+%3D%3D+1','2026-11-20 08:30:00.000000','2026-11-20 08:30:00.000000',0);
CREATE TABLE console_alert_silences (
	id INTEGER NOT NULL, 
	alert_id INTEGER NOT NULL, 
	silence_id VARCHAR(64) NOT NULL, 
	ends_at DATETIME NOT NULL, 
	expired_at DATETIME, 
	CONSTRAINT pk_console_alert_silences PRIMARY KEY (id), 
	CONSTRAINT fk_console_alert_silences_alert_id_alerts FOREIGN KEY(alert_id) REFERENCES alerts (id)
);
INSERT INTO "console_alert_silences" VALUES(1,1,'0b1c','2026-11-27 08:30:00.000000',NULL);
CREATE TABLE console_api_tokens (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	digest VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_console_api_tokens PRIMARY KEY (id), 
	CONSTRAINT fk_console_api_tokens_user_id_console_users FOREIGN KEY(user_id) REFERENCES console_users (id), 
	CONSTRAINT uq_console_api_tokens_digest UNIQUE (digest)
);
INSERT INTO "console_api_tokens" VALUES(1,1,'ci','062605c22b4c3780f6268c80615abce15517f9f162f057e21d932b1cab7160c8','2026-12-07 21:36:16.850751');
CREATE TABLE console_charger_notes (
	id INTEGER NOT NULL, 
	charge_point_id VARCHAR(255) NOT NULL, 
	"by" VARCHAR(64) NOT NULL, 
	at DATETIME NOT NULL, 
	text TEXT NOT NULL, 
	CONSTRAINT pk_console_charger_notes PRIMARY KEY (id)
);
INSERT INTO "console_charger_notes" VALUES(1,'CP-1','alice','2026-11-20 09:30:00.000000','replaced the RCD');
CREATE TABLE console_config_changes (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	"by" VARCHAR(64) NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	summary TEXT NOT NULL, 
	"before" TEXT NOT NULL, 
	"after" TEXT NOT NULL, 
	outcome VARCHAR(16) NOT NULL, 
	detail TEXT NOT NULL, 
	CONSTRAINT pk_console_config_changes PRIMARY KEY (id)
);
INSERT INTO "console_config_changes" VALUES(1,'2026-12-07 21:36:16.852324','lead','routing','alice covers site a','before: 1
','after: 2
','applied','');
CREATE TABLE console_users (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	username VARCHAR(64) NOT NULL, 
	password_hash TEXT NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT uq_console_users_username UNIQUE (username)
);
INSERT INTO "console_users" VALUES(1,'lead','$argon2id$v=19$m=65536,t=3,p=4$7Axl9qQsHolpa6lO3gJngg$ZFtlsaaQFdsnKRUVmL9YGRYDioY+tjFUvQJM1cUjTRw','admin','2026-12-07 21:36:16.848121');
CREATE TABLE deliveries (
	id INTEGER NOT NULL, 
	dedup_key VARCHAR(128) NOT NULL, 
	receipt_id INTEGER, 
	group_key TEXT NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	site VARCHAR(255) NOT NULL, 
	recipient_id VARCHAR(255) NOT NULL, 
	recipient_name VARCHAR(255) NOT NULL, 
	channel VARCHAR(16) NOT NULL, 
	address VARCHAR(320) NOT NULL, 
	language VARCHAR(16) NOT NULL, 
	timezone VARCHAR(64) NOT NULL, 
	subject TEXT NOT NULL, 
	body_text TEXT NOT NULL, 
	body_html TEXT NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_attempt_at DATETIME NOT NULL, 
	created_at DATETIME NOT NULL, 
	sent_at DATETIME, 
	failure_reason VARCHAR(32), 
	failure_detail TEXT, 
	provider_id VARCHAR(255), 
	provider_status VARCHAR(32), 
	failover_channel VARCHAR(16), 
	failover_address VARCHAR(320), 
	failover_of_id INTEGER, claimed_by VARCHAR(255), claimed_at DATETIME, 
	CONSTRAINT pk_deliveries PRIMARY KEY (id), 
	CONSTRAINT uq_deliveries_dedup_key UNIQUE (dedup_key), 
	CONSTRAINT fk_deliveries_receipt_id_webhook_receipts FOREIGN KEY(receipt_id) REFERENCES webhook_receipts (id), 
	CONSTRAINT fk_deliveries_failover_of_id_deliveries FOREIGN KEY(failover_of_id) REFERENCES deliveries (id)
);
INSERT INTO "deliveries" VALUES(1,'170002db127fa6d0e408656ac05819f37ab0789b',1,'{}:{alertname="ChargePointFaulted", charge_point_id="CP-ALFEN-01"}','firing','','alice','Alice','email','alice@example.com','fr','Europe/Paris','[CRITIQUE] CP-ALFEN-01 ChargePointFaulted à ? : Code fabricant inconnu','Bonjour Alice,

1 alerte(s) à ? depuis 2026-11-24 14:23 CET.

* CP-ALFEN-01 connecteur 0 : ChargePointFaulted (critical)
  Site : ?
  Depuis : 2026-11-24 14:23 CET
  Code : OtherError / 210
  Signification : Code fabricant inconnu
  Explication : Un défaut que la liste OCPP ne nomme pas. La signification réelle est dans vendorId, vendorErrorCode et info.
  Que faire : Rechercher le code fabricant. S''il est inconnu, le demander au fabricant et importer la réponse.
  Détails : errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A
  Console : http://127.0.0.1:8080/alerts/1
  Procédure : 
  Tableau de bord : http://127.0.0.1:3000/d/chargekeeper-charger?var-charge_point_id=CP-ALFEN-01

-- 
Chargekeeper','<!DOCTYPE html>
<html lang="fr"><body style="font-family: sans-serif">
<p>Bonjour Alice,</p>
<p><strong>1 alerte(s)</strong> à ? depuis 2026-11-24 14:23 CET.</p>
<h3>CP-ALFEN-01 connecteur 0 : ChargePointFaulted (critical)</h3>
<table>
<tr><th align="left">Site</th><td>?</td></tr>
<tr><th align="left">Depuis</th><td>2026-11-24 14:23 CET</td></tr>
<tr><th align="left">Code</th><td><code>OtherError / 210</code></td></tr><tr><th align="left">Signification</th><td>Code fabricant inconnu</td></tr><tr><th align="left">Explication</th><td>Un défaut que la liste OCPP ne nomme pas. La signification réelle est dans vendorId, vendorErrorCode et info.</td></tr><tr><th align="left">Que faire</th><td>Rechercher le code fabricant. S&#39;il est inconnu, le demander au fabricant et importer la réponse.</td></tr><tr><th align="left">Détails</th><td>errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A</td></tr></table>
<p><a href="http://127.0.0.1:8080/alerts/1">Console</a> · <a href="">Procédure</a> · <a href="http://127.0.0.1:3000/d/chargekeeper-charger?var-charge_point_id=CP-ALFEN-01">Tableau de bord</a></p>
<p>Chargekeeper</p>
</body></html>','SENT',1,'2026-11-20 08:30:00.000000','2026-11-20 08:30:00.000000','2026-11-20 08:30:00.000000',NULL,NULL,'smtp-1',NULL,'sms','+33612345001',NULL,'vm/14698/43432@a7d9b136-f3fa-409f-abb5-98681903cacc/pid:[4026531836]','2026-11-20 08:30:00.000000');
INSERT INTO "deliveries" VALUES(2,'a4421faeb6fe81a3dd1769901e020d5ad4711132',1,'{}:{alertname="ChargePointFaulted", charge_point_id="CP-ALFEN-01"}','firing','','alice','Alice','sms','+33612345001','fr','Europe/Paris','','CRITIQUE: CP-ALFEN-01 ChargePointFaulted à ? depuis 2026-11-24 14:23 CET
Code fabricant inconnu (OtherError / 210)
http://127.0.0.1:8080/alerts/1','','PENDING',0,'2026-11-20 08:30:00.000000','2026-11-20 08:30:00.000000',NULL,NULL,NULL,NULL,NULL,'email','alice@example.com',NULL,NULL,NULL);
INSERT INTO "deliveries" VALUES(3,'b972828e15d8c93f08fbfb7b3f1e6f34e9331076',2,'{}:{alertname="ChargePointFaulted", charge_point_id="CP-ALFEN-01"}','resolved','','alice','Alice','email','alice@example.com','fr','Europe/Paris','[RÉSOLU] CP-ALFEN-01 ChargePointFaulted à ? : Code fabricant inconnu','Bonjour Alice,

Résolu : 1 alerte(s) à ? sont terminées.

* CP-ALFEN-01 connecteur 0 : ChargePointFaulted (critical)
  Site : ?
  Depuis : 2026-11-24 14:23 CET, terminé 2026-11-24 14:23 CET
  Code : OtherError / 210
  Signification : Code fabricant inconnu
  Explication : Un défaut que la liste OCPP ne nomme pas. La signification réelle est dans vendorId, vendorErrorCode et info.
  Que faire : Rechercher le code fabricant. S''il est inconnu, le demander au fabricant et importer la réponse.
  Détails : errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A
  Console : http://127.0.0.1:8080/alerts/1
  Procédure : 
  Tableau de bord : http://127.0.0.1:3000/d/chargekeeper-charger?var-charge_point_id=CP-ALFEN-01

-- 
Chargekeeper','<!DOCTYPE html>
<html lang="fr"><body style="font-family: sans-serif">
<p>Bonjour Alice,</p>
<p><strong>Résolu :</strong> 1 alerte(s) à ? sont terminées.</p>
<h3>CP-ALFEN-01 connecteur 0 : ChargePointFaulted (critical)</h3>
<table>
<tr><th align="left">Site</th><td>?</td></tr>
<tr><th align="left">Depuis</th><td>2026-11-24 14:23 CET, terminé 2026-11-24 14:23 CET</td></tr>
<tr><th align="left">Code</th><td><code>OtherError / 210</code></td></tr><tr><th align="left">Signification</th><td>Code fabricant inconnu</td></tr><tr><th align="left">Explication</th><td>Un défaut que la liste OCPP ne nomme pas. La signification réelle est dans vendorId, vendorErrorCode et info.</td></tr><tr><th align="left">Que faire</th><td>Rechercher le code fabricant. S&#39;il est inconnu, le demander au fabricant et importer la réponse.</td></tr><tr><th align="left">Détails</th><td>errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A</td></tr></table>
<p><a href="http://127.0.0.1:8080/alerts/1">Console</a> · <a href="">Procédure</a> · <a href="http://127.0.0.1:3000/d/chargekeeper-charger?var-charge_point_id=CP-ALFEN-01">Tableau de bord</a></p>
<p>Chargekeeper</p>
</body></html>','PENDING',0,'2026-11-20 08:30:00.000000','2026-11-20 08:30:00.000000',NULL,NULL,NULL,NULL,NULL,'sms','+33612345001',NULL,NULL,NULL);
INSERT INTO "deliveries" VALUES(4,'600e85c1f0854d44b572c5fe11093cd097e1d0c1',2,'{}:{alertname="ChargePointFaulted", charge_point_id="CP-ALFEN-01"}','resolved','','alice','Alice','sms','+33612345001','fr','Europe/Paris','','RÉSOLU: CP-ALFEN-01 ChargePointFaulted à ? depuis 2026-11-24 14:23 CET
Code fabricant inconnu (OtherError / 210)
http://127.0.0.1:8080/alerts/1','','PENDING',0,'2026-11-20 08:30:00.000000','2026-11-20 08:30:00.000000',NULL,NULL,NULL,NULL,NULL,'email','alice@example.com',NULL,NULL,NULL);
CREATE TABLE delivery_alerts (
	delivery_id INTEGER NOT NULL, 
	alert_id INTEGER NOT NULL, 
	CONSTRAINT pk_delivery_alerts PRIMARY KEY (delivery_id, alert_id), 
	CONSTRAINT fk_delivery_alerts_delivery_id_deliveries FOREIGN KEY(delivery_id) REFERENCES deliveries (id), 
	CONSTRAINT fk_delivery_alerts_alert_id_alerts FOREIGN KEY(alert_id) REFERENCES alerts (id)
);
INSERT INTO "delivery_alerts" VALUES(1,1);
INSERT INTO "delivery_alerts" VALUES(2,1);
INSERT INTO "delivery_alerts" VALUES(3,1);
INSERT INTO "delivery_alerts" VALUES(4,1);
CREATE TABLE notified_alert_states (
	id INTEGER NOT NULL, 
	fingerprint VARCHAR(64) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	starts_at DATETIME NOT NULL, 
	recipient_id VARCHAR(255) NOT NULL, 
	channel VARCHAR(16) NOT NULL, 
	delivery_id INTEGER NOT NULL, 
	CONSTRAINT pk_notified_alert_states PRIMARY KEY (id), 
	CONSTRAINT uq_notified_state UNIQUE (fingerprint, status, starts_at, recipient_id, channel), 
	CONSTRAINT fk_notified_alert_states_delivery_id_deliveries FOREIGN KEY(delivery_id) REFERENCES deliveries (id)
);
INSERT INTO "notified_alert_states" VALUES(1,'45ac2954b3daf923','firing','2026-11-24 13:23:06.000000','alice','email',1);
INSERT INTO "notified_alert_states" VALUES(2,'45ac2954b3daf923','firing','2026-11-24 13:23:06.000000','alice','sms',2);
INSERT INTO "notified_alert_states" VALUES(3,'45ac2954b3daf923','resolved','2026-11-24 13:23:06.000000','alice','email',3);
INSERT INTO "notified_alert_states" VALUES(4,'45ac2954b3daf923','resolved','2026-11-24 13:23:06.000000','alice','sms',4);
CREATE TABLE webhook_receipts (
	id INTEGER NOT NULL, 
	received_at DATETIME NOT NULL, 
	receiver VARCHAR(255) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	group_key TEXT NOT NULL, 
	truncated_alerts INTEGER NOT NULL, 
	payload JSON NOT NULL, 
	processed_at DATETIME, 
	error TEXT, 
	CONSTRAINT pk_webhook_receipts PRIMARY KEY (id)
);
INSERT INTO "webhook_receipts" VALUES(1,'2026-11-20 08:30:00.000000','collector','firing','{}:{alertname="ChargePointFaulted", charge_point_id="CP-ALFEN-01"}',0,'{"receiver": "collector", "status": "firing", "alerts": [{"status": "firing", "labels": {"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01", "connector_id": "0", "error_code": "OtherError", "severity": "critical", "vendor_error_code": "210"}, "annotations": {"description": "errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A", "summary": "Charge point CP-ALFEN-01 connector 0 is Faulted"}, "startsAt": "2026-11-24T13:23:06Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=ocpp_connector_status%7Bstatus%3D%22Faulted%22%7D+%3D%3D+1", "fingerprint": "45ac2954b3daf923"}], "groupLabels": {"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01"}, "commonLabels": {"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01", "connector_id": "0", "error_code": "OtherError", "severity": "critical", "vendor_error_code": "210"}, "commonAnnotations": {"description": "errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A", "summary": "Charge point CP-ALFEN-01 connector 0 is Faulted"}, "externalURL": "http://vm:19093", "version": "4", "groupKey": "{}:{alertname=\"ChargePointFaulted\", charge_point_id=\"CP-ALFEN-01\"}", "truncatedAlerts": 0}','2026-11-20 08:30:00.000000',NULL);
INSERT INTO "webhook_receipts" VALUES(2,'2026-11-20 08:30:00.000000','collector','resolved','{}:{alertname="ChargePointFaulted", charge_point_id="CP-ALFEN-01"}',0,'{"receiver": "collector", "status": "resolved", "alerts": [{"status": "resolved", "labels": {"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01", "connector_id": "0", "error_code": "OtherError", "severity": "critical", "vendor_error_code": "210"}, "annotations": {"description": "errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A", "summary": "Charge point CP-ALFEN-01 connector 0 is Faulted"}, "startsAt": "2026-11-24T13:23:06Z", "endsAt": "2026-11-24T13:23:12Z", "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=ocpp_connector_status%7Bstatus%3D%22Faulted%22%7D+%3D%3D+1", "fingerprint": "45ac2954b3daf923"}], "groupLabels": {"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01"}, "commonLabels": {"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01", "connector_id": "0", "error_code": "OtherError", "severity": "critical", "vendor_error_code": "210"}, "commonAnnotations": {"description": "errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A", "summary": "Charge point CP-ALFEN-01 connector 0 is Faulted"}, "externalURL": "http://vm:19093", "version": "4", "groupKey": "{}:{alertname=\"ChargePointFaulted\", charge_point_id=\"CP-ALFEN-01\"}", "truncatedAlerts": 0}','2026-11-20 08:30:00.000000',NULL);
CREATE INDEX ix_webhook_receipts_unprocessed ON webhook_receipts (processed_at);
CREATE INDEX ix_alerts_status_site ON alerts (status, site);
CREATE INDEX ix_deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX ix_deliveries_provider_id ON deliveries (provider_id);
CREATE INDEX ix_acknowledgements_alert_id ON acknowledgements (alert_id);
CREATE INDEX ix_console_api_tokens_user_id ON console_api_tokens (user_id);
CREATE INDEX ix_console_alert_silences_alert_id ON console_alert_silences (alert_id);
CREATE INDEX ix_console_charger_notes_charge_point_id ON console_charger_notes (charge_point_id);
CREATE INDEX ix_console_config_changes_at ON console_config_changes (at);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('console_users',1);
COMMIT;
