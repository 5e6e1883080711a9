--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: public; Type: SCHEMA; Schema: -; Owner: -
--

-- *not* creating schema, since initdb creates it


--
-- Name: SCHEMA public; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA public IS '';


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: acknowledgements; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.acknowledgements (
    id integer NOT NULL,
    alert_id integer NOT NULL,
    by character varying(255) NOT NULL,
    at timestamp with time zone NOT NULL,
    via character varying(16) NOT NULL,
    note text NOT NULL
);


--
-- Name: acknowledgements_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.acknowledgements_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: acknowledgements_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.acknowledgements_id_seq OWNED BY public.acknowledgements.id;


--
-- Name: alembic_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);


--
-- Name: alerts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.alerts (
    id integer NOT NULL,
    fingerprint character varying(64) NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    status character varying(16) NOT NULL,
    ends_at timestamp with time zone,
    alertname character varying(255) NOT NULL,
    severity character varying(16) NOT NULL,
    family character varying(32) NOT NULL,
    site character varying(255) NOT NULL,
    charge_point_id character varying(255) NOT NULL,
    labels json NOT NULL,
    annotations json NOT NULL,
    generator_url text NOT NULL,
    first_received_at timestamp with time zone NOT NULL,
    last_received_at timestamp with time zone NOT NULL,
    truncated boolean NOT NULL
);


--
-- Name: alerts_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.alerts_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: alerts_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.alerts_id_seq OWNED BY public.alerts.id;


--
-- Name: console_alert_silences; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.console_alert_silences (
    id integer NOT NULL,
    alert_id integer NOT NULL,
    silence_id character varying(64) NOT NULL,
    ends_at timestamp with time zone NOT NULL,
    expired_at timestamp with time zone
);


--
-- Name: console_alert_silences_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.console_alert_silences_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: console_alert_silences_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.console_alert_silences_id_seq OWNED BY public.console_alert_silences.id;


--
-- Name: console_api_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.console_api_tokens (
    id integer NOT NULL,
    user_id integer NOT NULL,
    name character varying(64) NOT NULL,
    digest character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: console_api_tokens_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.console_api_tokens_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: console_api_tokens_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.console_api_tokens_id_seq OWNED BY public.console_api_tokens.id;


--
-- Name: console_charger_notes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.console_charger_notes (
    id integer NOT NULL,
    charge_point_id character varying(255) NOT NULL,
    by character varying(64) NOT NULL,
    at timestamp with time zone NOT NULL,
    text text NOT NULL
);


--
-- Name: console_charger_notes_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.console_charger_notes_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: console_charger_notes_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.console_charger_notes_id_seq OWNED BY public.console_charger_notes.id;


--
-- Name: console_config_changes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.console_config_changes (
    id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    by character varying(64) NOT NULL,
    kind character varying(16) NOT NULL,
    summary text NOT NULL,
    before text NOT NULL,
    after text NOT NULL,
    outcome character varying(16) NOT NULL,
    detail text NOT NULL
);


--
-- Name: console_config_changes_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.console_config_changes_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: console_config_changes_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.console_config_changes_id_seq OWNED BY public.console_config_changes.id;


--
-- Name: console_users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.console_users (
    id integer NOT NULL,
    username character varying(64) NOT NULL,
    password_hash text NOT NULL,
    role character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: console_users_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.console_users_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: console_users_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.console_users_id_seq OWNED BY public.console_users.id;


--
-- Name: deliveries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.deliveries (
    id integer NOT NULL,
    dedup_key character varying(128) NOT NULL,
    receipt_id integer,
    group_key text NOT NULL,
    status character varying(16) NOT NULL,
    site character varying(255) NOT NULL,
    recipient_id character varying(255) NOT NULL,
    recipient_name character varying(255) NOT NULL,
    channel character varying(16) NOT NULL,
    address character varying(320) NOT NULL,
    language character varying(16) NOT NULL,
    timezone character varying(64) NOT NULL,
    subject text NOT NULL,
    body_text text NOT NULL,
    body_html text NOT NULL,
    state character varying(16) NOT NULL,
    attempts integer NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone,
    failure_reason character varying(32),
    failure_detail text,
    provider_id character varying(255),
    provider_status character varying(32),
    failover_channel character varying(16),
    failover_address character varying(320),
    failover_of_id integer,
    claimed_by character varying(255),
    claimed_at timestamp with time zone
);


--
-- Name: deliveries_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.deliveries_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: deliveries_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.deliveries_id_seq OWNED BY public.deliveries.id;


--
-- Name: delivery_alerts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.delivery_alerts (
    delivery_id integer NOT NULL,
    alert_id integer NOT NULL
);


--
-- Name: notified_alert_states; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.notified_alert_states (
    id integer NOT NULL,
    fingerprint character varying(64) NOT NULL,
    status character varying(16) NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    recipient_id character varying(255) NOT NULL,
    channel character varying(16) NOT NULL,
    delivery_id integer NOT NULL
);


--
-- Name: notified_alert_states_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.notified_alert_states_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: notified_alert_states_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.notified_alert_states_id_seq OWNED BY public.notified_alert_states.id;


--
-- Name: webhook_receipts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_receipts (
    id integer NOT NULL,
    received_at timestamp with time zone NOT NULL,
    receiver character varying(255) NOT NULL,
    status character varying(16) NOT NULL,
    group_key text NOT NULL,
    truncated_alerts integer NOT NULL,
    payload json NOT NULL,
    processed_at timestamp with time zone,
    error text
);


--
-- Name: webhook_receipts_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.webhook_receipts_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: webhook_receipts_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.webhook_receipts_id_seq OWNED BY public.webhook_receipts.id;


--
-- Name: acknowledgements id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.acknowledgements ALTER COLUMN id SET DEFAULT nextval('public.acknowledgements_id_seq'::regclass);


--
-- Name: alerts id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alerts ALTER COLUMN id SET DEFAULT nextval('public.alerts_id_seq'::regclass);


--
-- Name: console_alert_silences id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_alert_silences ALTER COLUMN id SET DEFAULT nextval('public.console_alert_silences_id_seq'::regclass);


--
-- Name: console_api_tokens id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_api_tokens ALTER COLUMN id SET DEFAULT nextval('public.console_api_tokens_id_seq'::regclass);


--
-- Name: console_charger_notes id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_charger_notes ALTER COLUMN id SET DEFAULT nextval('public.console_charger_notes_id_seq'::regclass);


--
-- Name: console_config_changes id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_config_changes ALTER COLUMN id SET DEFAULT nextval('public.console_config_changes_id_seq'::regclass);


--
-- Name: console_users id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_users ALTER COLUMN id SET DEFAULT nextval('public.console_users_id_seq'::regclass);


--
-- Name: deliveries id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deliveries ALTER COLUMN id SET DEFAULT nextval('public.deliveries_id_seq'::regclass);


--
-- Name: notified_alert_states id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notified_alert_states ALTER COLUMN id SET DEFAULT nextval('public.notified_alert_states_id_seq'::regclass);


--
-- Name: webhook_receipts id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_receipts ALTER COLUMN id SET DEFAULT nextval('public.webhook_receipts_id_seq'::regclass);


--
-- Data for Name: acknowledgements; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.acknowledgements VALUES (1, 1, 'alice', '2026-11-20 08:33:00+00', 'console', 'on my way');


--
-- Data for Name: alembic_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.alembic_version VALUES ('0002');


--
-- Data for Name: alerts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.alerts VALUES (1, '45ac2954b3daf923', '2026-11-24 13:23:06+00', 'resolved', '2026-11-24 13:23:12+00', 'ChargePointFaulted', 'critical', '', '', 'CP-ALFEN-01', '{"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01", "connector_id": "0", "error_code": "OtherError", "severity": "critical", "vendor_error_code": "210"}', '{"description": "errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A", "summary": "Charge point CP-ALFEN-01 connector 0 is Faulted"}', 'http://127.0.0.1:9090/graph?g0.expr=ocpp_connector_status%7Bstatus%3D%22Faulted%22%7D+%3D%3D+1', '2026-11-20 08:30:00+00', '2026-11-20 08:30:00+00', false);


--
-- Data for Name: console_alert_silences; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.console_alert_silences VALUES (1, 1, '0b1c', '2026-11-27 08:30:00+00', NULL);


--
-- Data for Name: console_api_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.console_api_tokens VALUES (1, 1, 'ci', '63393c4278093ac15cb1bd2dcfbef50c1854da0705675e5b3debd3a764533ec5', '2026-12-07 21:36:24.604546+00');


--
-- Data for Name: console_charger_notes; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.console_charger_notes VALUES (1, 'CP-1', 'alice', '2026-11-20 09:30:00+00', 'replaced the RCD');


--
-- Data for Name: console_config_changes; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.console_config_changes VALUES (1, '2026-12-07 21:36:24.60845+00', 'lead', 'routing', 'alice covers site a', 'before: 1
', 'after: 2
', 'applied', '');


--
-- Data for Name: console_users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.console_users VALUES (1, 'lead', '$argon2id$v=19$m=65536,t=3,p=4$aw3ni7TSqP/2b8YPkH4wxQ$0BQPIP58dUhKSoAnkiOdZOCwwbg+QPfbZW+m4KG5ARU', 'admin', '2026-12-07 21:36:24.598038+00');


--
-- Data for Name: deliveries; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.deliveries VALUES (2, 'a4421faeb6fe81a3dd1769901e020d5ad4711132', 1, '{}:{alertname="ChargePointFaulted", charge_point_id="CP-ALFEN-01"}', 'firing', '', 'alice', 'Alice', 'sms', '+33612345001', 'fr', 'Europe/Paris', '', 'CRITIQUE: CP-ALFEN-01 ChargePointFaulted à ? depuis 2026-11-24 14:23 CET
Code fabricant inconnu (OtherError / 210)
http://127.0.0.1:8080/alerts/1', '', 'PENDING', 0, '2026-11-20 08:30:00+00', '2026-11-20 08:30:00+00', NULL, NULL, NULL, NULL, NULL, 'email', 'alice@example.com', NULL, NULL, NULL);
INSERT INTO public.deliveries VALUES (1, '170002db127fa6d0e408656ac05819f37ab0789b', 1, '{}:{alertname="ChargePointFaulted", charge_point_id="CP-ALFEN-01"}', 'firing', '', 'alice', 'Alice', 'email', 'alice@example.com', 'fr', 'Europe/Paris', '[CRITIQUE] CP-ALFEN-01 ChargePointFaulted à ? : Code fabricant inconnu', 'Bonjour Alice,

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
Chargekeeper', '<!DOCTYPE html>
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
</body></html>', 'SENT', 1, '2026-11-20 08:30:00+00', '2026-11-20 08:30:00+00', '2026-11-20 08:30:00+00', NULL, NULL, 'smtp-1', NULL, 'sms', '+33612345001', NULL, 'vm/15134/44010@a7d9b136-f3fa-409f-abb5-98681903cacc/pid:[4026531836]', '2026-11-20 08:30:00+00');
INSERT INTO public.deliveries VALUES (3, 'b972828e15d8c93f08fbfb7b3f1e6f34e9331076', 2, '{}:{alertname="ChargePointFaulted", charge_point_id="CP-ALFEN-01"}', 'resolved', '', 'alice', 'Alice', 'email', 'alice@example.com', 'fr', 'Europe/Paris', '[RÉSOLU] CP-ALFEN-01 ChargePointFaulted à ? : Code fabricant inconnu', 'Bonjour Alice,

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
Chargekeeper', '<!DOCTYPE html>
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
</body></html>', 'PENDING', 0, '2026-11-20 08:30:00+00', '2026-11-20 08:30:00+00', NULL, NULL, NULL, NULL, NULL, 'sms', '+33612345001', NULL, NULL, NULL);
INSERT INTO public.deliveries VALUES (4, '600e85c1f0854d44b572c5fe11093cd097e1d0c1', 2, '{}:{alertname="ChargePointFaulted", charge_point_id="CP-ALFEN-01"}', 'resolved', '', 'alice', 'Alice', 'sms', '+33612345001', 'fr', 'Europe/Paris', '', 'RÉSOLU: CP-ALFEN-01 ChargePointFaulted à ? depuis 2026-11-24 14:23 CET
Code fabricant inconnu (OtherError / 210)
http://127.0.0.1:8080/alerts/1', '', 'PENDING', 0, '2026-11-20 08:30:00+00', '2026-11-20 08:30:00+00', NULL, NULL, NULL, NULL, NULL, 'email', 'alice@example.com', NULL, NULL, NULL);


--
-- Data for Name: delivery_alerts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.delivery_alerts VALUES (1, 1);
INSERT INTO public.delivery_alerts VALUES (2, 1);
INSERT INTO public.delivery_alerts VALUES (3, 1);
INSERT INTO public.delivery_alerts VALUES (4, 1);


--
-- Data for Name: notified_alert_states; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.notified_alert_states VALUES (1, '45ac2954b3daf923', 'firing', '2026-11-24 13:23:06+00', 'alice', 'email', 1);
INSERT INTO public.notified_alert_states VALUES (2, '45ac2954b3daf923', 'firing', '2026-11-24 13:23:06+00', 'alice', 'sms', 2);
INSERT INTO public.notified_alert_states VALUES (3, '45ac2954b3daf923', 'resolved', '2026-11-24 13:23:06+00', 'alice', 'email', 3);
INSERT INTO public.notified_alert_states VALUES (4, '45ac2954b3daf923', 'resolved', '2026-11-24 13:23:06+00', 'alice', 'sms', 4);


--
-- Data for Name: webhook_receipts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.webhook_receipts VALUES (1, '2026-11-20 08:30:00+00', 'collector', 'firing', '{}:{alertname="ChargePointFaulted", charge_point_id="CP-ALFEN-01"}', 0, '{"receiver": "collector", "status": "firing", "alerts": [{"status": "firing", "labels": {"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01", "connector_id": "0", "error_code": "OtherError", "severity": "critical", "vendor_error_code": "210"}, "annotations": {"description": "errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A", "summary": "Charge point CP-ALFEN-01 connector 0 is Faulted"}, "startsAt": "2026-11-24T13:23:06Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=ocpp_connector_status%7Bstatus%3D%22Faulted%22%7D+%3D%3D+1", "fingerprint": "45ac2954b3daf923"}], "groupLabels": {"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01"}, "commonLabels": {"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01", "connector_id": "0", "error_code": "OtherError", "severity": "critical", "vendor_error_code": "210"}, "commonAnnotations": {"description": "errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A", "summary": "Charge point CP-ALFEN-01 connector 0 is Faulted"}, "externalURL": "http://vm:19093", "version": "4", "groupKey": "{}:{alertname=\"ChargePointFaulted\", charge_point_id=\"CP-ALFEN-01\"}", "truncatedAlerts": 0}', '2026-11-20 08:30:00+00', NULL);
INSERT INTO public.webhook_receipts VALUES (2, '2026-11-20 08:30:00+00', 'collector', 'resolved', '{}:{alertname="ChargePointFaulted", charge_point_id="CP-ALFEN-01"}', 0, '{"receiver": "collector", "status": "resolved", "alerts": [{"status": "resolved", "labels": {"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01", "connector_id": "0", "error_code": "OtherError", "severity": "critical", "vendor_error_code": "210"}, "annotations": {"description": "errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A", "summary": "Charge point CP-ALFEN-01 connector 0 is Faulted"}, "startsAt": "2026-11-24T13:23:06Z", "endsAt": "2026-11-24T13:23:12Z", "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=ocpp_connector_status%7Bstatus%3D%22Faulted%22%7D+%3D%3D+1", "fingerprint": "45ac2954b3daf923"}], "groupLabels": {"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01"}, "commonLabels": {"alertname": "ChargePointFaulted", "charge_point_id": "CP-ALFEN-01", "connector_id": "0", "error_code": "OtherError", "severity": "critical", "vendor_error_code": "210"}, "commonAnnotations": {"description": "errorCode=OtherError vendorErrorCode=210 info=Modbus TCP/IP lost, in safe mode max 14.0A", "summary": "Charge point CP-ALFEN-01 connector 0 is Faulted"}, "externalURL": "http://vm:19093", "version": "4", "groupKey": "{}:{alertname=\"ChargePointFaulted\", charge_point_id=\"CP-ALFEN-01\"}", "truncatedAlerts": 0}', '2026-11-20 08:30:00+00', NULL);


--
-- Name: acknowledgements_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.acknowledgements_id_seq', 1, true);


--
-- Name: alerts_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.alerts_id_seq', 1, true);


--
-- Name: console_alert_silences_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.console_alert_silences_id_seq', 1, true);


--
-- Name: console_api_tokens_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.console_api_tokens_id_seq', 1, true);


--
-- Name: console_charger_notes_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.console_charger_notes_id_seq', 1, true);


--
-- Name: console_config_changes_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.console_config_changes_id_seq', 1, true);


--
-- Name: console_users_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.console_users_id_seq', 1, true);


--
-- Name: deliveries_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.deliveries_id_seq', 4, true);


--
-- Name: notified_alert_states_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.notified_alert_states_id_seq', 4, true);


--
-- Name: webhook_receipts_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.webhook_receipts_id_seq', 2, true);


--
-- Name: alembic_version alembic_version_pkc; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);


--
-- Name: acknowledgements pk_acknowledgements; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.acknowledgements
    ADD CONSTRAINT pk_acknowledgements PRIMARY KEY (id);


--
-- Name: alerts pk_alerts; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alerts
    ADD CONSTRAINT pk_alerts PRIMARY KEY (id);


--
-- Name: console_alert_silences pk_console_alert_silences; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_alert_silences
    ADD CONSTRAINT pk_console_alert_silences PRIMARY KEY (id);


--
-- Name: console_api_tokens pk_console_api_tokens; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_api_tokens
    ADD CONSTRAINT pk_console_api_tokens PRIMARY KEY (id);


--
-- Name: console_charger_notes pk_console_charger_notes; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_charger_notes
    ADD CONSTRAINT pk_console_charger_notes PRIMARY KEY (id);


--
-- Name: console_config_changes pk_console_config_changes; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_config_changes
    ADD CONSTRAINT pk_console_config_changes PRIMARY KEY (id);


--
-- Name: console_users pk_console_users; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_users
    ADD CONSTRAINT pk_console_users PRIMARY KEY (id);


--
-- Name: deliveries pk_deliveries; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);


--
-- Name: delivery_alerts pk_delivery_alerts; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.delivery_alerts
    ADD CONSTRAINT pk_delivery_alerts PRIMARY KEY (delivery_id, alert_id);


--
-- Name: notified_alert_states pk_notified_alert_states; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notified_alert_states
    ADD CONSTRAINT pk_notified_alert_states PRIMARY KEY (id);


--
-- Name: webhook_receipts pk_webhook_receipts; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_receipts
    ADD CONSTRAINT pk_webhook_receipts PRIMARY KEY (id);


--
-- Name: alerts uq_alerts_occurrence; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alerts
    ADD CONSTRAINT uq_alerts_occurrence UNIQUE (fingerprint, starts_at);


--
-- Name: console_api_tokens uq_console_api_tokens_digest; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_api_tokens
    ADD CONSTRAINT uq_console_api_tokens_digest UNIQUE (digest);


--
-- Name: console_users uq_console_users_username; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_users
    ADD CONSTRAINT uq_console_users_username UNIQUE (username);


--
-- Name: deliveries uq_deliveries_dedup_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT uq_deliveries_dedup_key UNIQUE (dedup_key);


--
-- Name: notified_alert_states uq_notified_state; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notified_alert_states
    ADD CONSTRAINT uq_notified_state UNIQUE (fingerprint, status, starts_at, recipient_id, channel);


--
-- Name: ix_acknowledgements_alert_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_acknowledgements_alert_id ON public.acknowledgements USING btree (alert_id);


--
-- Name: ix_alerts_status_site; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_alerts_status_site ON public.alerts USING btree (status, site);


--
-- Name: ix_console_alert_silences_alert_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_console_alert_silences_alert_id ON public.console_alert_silences USING btree (alert_id);


--
-- Name: ix_console_api_tokens_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_console_api_tokens_user_id ON public.console_api_tokens USING btree (user_id);


--
-- Name: ix_console_charger_notes_charge_point_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_console_charger_notes_charge_point_id ON public.console_charger_notes USING btree (charge_point_id);


--
-- Name: ix_console_config_changes_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_console_config_changes_at ON public.console_config_changes USING btree (at);


--
-- Name: ix_deliveries_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_deliveries_due ON public.deliveries USING btree (state, next_attempt_at);


--
-- Name: ix_deliveries_provider_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_deliveries_provider_id ON public.deliveries USING btree (provider_id);


--
-- Name: ix_webhook_receipts_unprocessed; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_webhook_receipts_unprocessed ON public.webhook_receipts USING btree (processed_at);


--
-- Name: acknowledgements fk_acknowledgements_alert_id_alerts; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.acknowledgements
    ADD CONSTRAINT fk_acknowledgements_alert_id_alerts FOREIGN KEY (alert_id) REFERENCES public.alerts(id);


--
-- Name: console_alert_silences fk_console_alert_silences_alert_id_alerts; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_alert_silences
    ADD CONSTRAINT fk_console_alert_silences_alert_id_alerts FOREIGN KEY (alert_id) REFERENCES public.alerts(id);


--
-- Name: console_api_tokens fk_console_api_tokens_user_id_console_users; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_api_tokens
    ADD CONSTRAINT fk_console_api_tokens_user_id_console_users FOREIGN KEY (user_id) REFERENCES public.console_users(id);


--
-- Name: deliveries fk_deliveries_failover_of_id_deliveries; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT fk_deliveries_failover_of_id_deliveries FOREIGN KEY (failover_of_id) REFERENCES public.deliveries(id);


--
-- Name: deliveries fk_deliveries_receipt_id_webhook_receipts; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT fk_deliveries_receipt_id_webhook_receipts FOREIGN KEY (receipt_id) REFERENCES public.webhook_receipts(id);


--
-- Name: delivery_alerts fk_delivery_alerts_alert_id_alerts; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.delivery_alerts
    ADD CONSTRAINT fk_delivery_alerts_alert_id_alerts FOREIGN KEY (alert_id) REFERENCES public.alerts(id);


--
-- Name: delivery_alerts fk_delivery_alerts_delivery_id_deliveries; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.delivery_alerts
    ADD CONSTRAINT fk_delivery_alerts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id);


--
-- Name: notified_alert_states fk_notified_alert_states_delivery_id_deliveries; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notified_alert_states
    ADD CONSTRAINT fk_notified_alert_states_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id);


--
-- PostgreSQL database dump complete
--


