"""The console's UI strings in English and French, and how a request's language is chosen."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "fr")
LANG_COOKIE = "ck_lang"

# key -> (English, French)
_CATALOG: Mapping[str, tuple[str, str]] = {
    "alerts": ("Alerts", "Alertes"),
    "chargers": ("Chargers", "Bornes"),
    "login": ("Log in", "Connexion"),
    "logout": ("Log out", "Déconnexion"),
    "username": ("Username", "Identifiant"),
    "password": ("Password", "Mot de passe"),
    "bad_login": ("Wrong username or password.", "Identifiant ou mot de passe incorrect."),
    "throttled": (
        "Too many failed attempts; try again in a few minutes.",
        "Trop d'essais infructueux ; réessayez dans quelques minutes.",
    ),
    "status": ("Status", "État"),
    "firing": ("Firing", "En cours"),
    "resolved": ("Resolved", "Résolue"),
    "all": ("All", "Toutes"),
    "any": ("Any", "Tous"),
    "severity": ("Priority", "Priorité"),
    "family": ("Source type", "Type de source"),
    "site": ("Site", "Site"),
    "client": ("Client", "Client"),
    "period": ("Period", "Période"),
    "filter": ("Filter", "Filtrer"),
    "charger": ("Charger", "Borne"),
    "alert": ("Alert", "Alerte"),
    "since": ("Since", "Depuis"),
    "ack": ("Acknowledgement", "Prise en charge"),
    "acknowledge": ("Acknowledge", "Prendre en charge"),
    "unacknowledge": ("Undo acknowledgement", "Annuler la prise en charge"),
    "comment": ("Comment (optional)", "Commentaire (facultatif)"),
    "until_resolved": ("until resolved", "jusqu'à résolution"),
    "for_hours": ("for {n} h", "pendant {n} h"),
    "acked_by": ("by {who} at {at}", "par {who} à {at}"),
    "no_alerts": ("No alert matches.", "Aucune alerte ne correspond."),
    "timeline": ("Timeline", "Chronologie"),
    "fired": ("Fired", "Déclenchée"),
    "received": ("Received by Chargekeeper", "Reçue par Chargekeeper"),
    "notified": (
        "{channel} to {who}: {state}",
        "{channel} à {who} : {state}",
    ),
    "acked": ("Acknowledged by {who} ({via})", "Prise en charge par {who} ({via})"),
    "code": ("Code", "Code"),
    "what_to_do": ("What to do", "Que faire"),
    "cause": ("Likely cause", "Cause probable"),
    "runbook": ("Runbook", "Procédure"),
    "dashboard": ("Dashboard", "Tableau de bord"),
    "maintenance_record": ("Maintenance record", "Fiche de maintenance"),
    "identity": ("Identity", "Identité"),
    "vendor": ("Vendor", "Constructeur"),
    "model": ("Model", "Modèle"),
    "group": ("Group", "Groupe"),
    "timezone": ("Time zone", "Fuseau horaire"),
    "incidents": ("Incident history", "Historique des incidents"),
    "duration": ("Duration", "Durée"),
    "ongoing": ("ongoing", "en cours"),
    "recurring": ("Recurring alerts", "Alertes récurrentes"),
    "ok": ("OK", "OK"),
    "alerting": ("{n} firing", "{n} en cours"),
    "not_found": ("Not found.", "Introuvable."),
    "forbidden": (
        "Your role cannot acknowledge alerts.",
        "Votre rôle ne permet pas de prendre en charge les alertes.",
    ),
    "silence_failed": (
        "Alertmanager did not accept the silence; nothing was recorded: {error}",
        "Alertmanager n'a pas accepté la mise en sourdine ; rien n'a été enregistré : {error}",
    ),
    "silenced_until": ("Silenced until {at}", "En sourdine jusqu'à {at}"),
    "language": ("Français", "English"),
    "labels": ("Labels", "Étiquettes"),
    "api_tokens": ("API tokens", "Jetons d'API"),
    "tokens_help": (
        "Programs use these with 'Authorization: Bearer ...' on /api/v1; they act as you.",
        "Les programmes les utilisent avec « Authorization: Bearer ... » sur /api/v1 ; "
        "ils agissent en votre nom.",
    ),
    "token_once": (
        "Copy this token now: it will not be shown again.",
        "Copiez ce jeton maintenant : il ne sera plus affiché.",
    ),
    "name": ("Name", "Nom"),
    "created": ("Created", "Créé"),
    "revoke": ("Revoke", "Révoquer"),
    "new_token": ("New token", "Nouveau jeton"),
    "users": ("Users", "Utilisateurs"),
    "notifications": ("Notifications", "Notifications"),
    "notes": ("Notes", "Notes"),
    "next_visit": ("For the next visit", "Pour la prochaine intervention"),
    "add_note": ("Add note", "Ajouter une note"),
    "note_placeholder": (
        "What was done, what to bring next time",
        "Ce qui a été fait, ce qu'il faut apporter la prochaine fois",
    ),
    "who_is_told": ("Who is told", "Qui est prévenu"),
    "at_site_time": ("At (site time)", "À (heure du site)"),
    "preview": ("Preview", "Aperçu"),
    "no_routing": (
        "The config directory has no routing.yaml: nobody is told about any alert.",
        "Le dossier de configuration n'a pas de routing.yaml : personne n'est prévenu.",
    ),
    "told_at": ("At {at}:", "À {at} :"),
    "nobody_told": (
        "Nobody would be told: the routing leaves this case uncovered.",
        "Personne ne serait prévenu : le routage ne couvre pas ce cas.",
    ),
    "unknown_codes": ("Unknown codes", "Codes inconnus"),
    "unknown_help": (
        "Codes chargers reported that the catalog does not explain yet "
        "(add them with 'chargekeeper translate import').",
        "Codes signalés par les bornes que le catalogue n'explique pas encore "
        "(à ajouter avec « chargekeeper translate import »).",
    ),
    "no_unknown": ("No unknown code so far.", "Aucun code inconnu pour l'instant."),
    "seen": ("Seen", "Vu"),
    "seen_times": (
        "count {n}, first {first}, last {last}",
        "nombre {n}, premier {first}, dernier {last}",
    ),
    "no_notifications": ("No message matches.", "Aucun message ne correspond."),
    "state": ("State", "État"),
    "channel": ("Channel", "Canal"),
    "recipient": ("Recipient", "Destinataire"),
    "subject": ("Subject", "Objet"),
    "attempts": ("{n} attempts", "{n} tentatives"),
    "role": ("Role", "Rôle"),
    "remove": ("Remove", "Supprimer"),
    "add_user": ("Add user", "Ajouter un utilisateur"),
    # Rules editor
    "rules": ("Rules", "Règles"),
    "rules_audit": ("Rules change log", "Journal des règles"),
    "rules_back": ("Back to the rules", "Retour aux règles"),
    "rules_applied_applied": (
        "Applied by {who}: Prometheus uses it from its next evaluation.",
        "Appliqué par {who} : Prometheus l'utilise dès sa prochaine évaluation.",
    ),
    "rules_applied_rejected": (
        "Not applied (by {who}): nothing was changed.",
        "Non appliqué (par {who}) : rien n'a été modifié.",
    ),
    "rules_read_only": ("Read-only: {error}.", "Lecture seule : {error}."),
    "rules_invalid_policy": (
        "policy.yaml is invalid, so the rules cannot be edited here; fix the file:",
        "policy.yaml est invalide, les règles ne peuvent pas être modifiées ici ; "
        "corrigez le fichier :",
    ),
    "rules_form_help": (
        "Blank fields keep their value at the chosen scope; type 'inherit' to drop a value set "
        "there. Durations: 300, 5m or 1h30m; 'off' stops that priority firing. Percentages as "
        "numbers (40 for 40 %). Preview shows what would fire now; Save makes it live within a "
        "minute.",
        "Un champ vide garde sa valeur pour la portée choisie ; « inherit » supprime une valeur "
        "réglée là. Durées : 300, 5m ou 1h30m ; « off » empêche cette priorité de se "
        "déclencher. Pourcentages en nombres (40 pour 40 %). L'aperçu montre ce qui se "
        "déclencherait maintenant ; Enregistrer l'applique en moins d'une minute.",
    ),
    "rules_scope": ("Applies to", "S'applique à"),
    "rules_fleet": ("Whole fleet", "Toute la flotte"),
    "rules_all_sites": ("All sites", "Tous les sites"),
    "rules_all_groups": ("All groups", "Tous les groupes"),
    "rules_switch": ("Alert", "Alerte"),
    "rules_keep": ("unchanged", "inchangée"),
    "rules_inherit": ("as inherited", "comme hérité"),
    "rules_on": ("on", "activée"),
    "rules_off": ("off", "désactivée"),
    "rules_inherited": ("inherited", "hérité"),
    "rules_edit": ("Edit", "Modifier"),
    "rules_save": ("Save", "Enregistrer"),
    "rules_change_title": (
        "Change for the fleet, a site, a group or both",
        "Modifier pour la flotte, un site, un groupe ou les deux",
    ),
    "rules_effective": ("In effect per site and group", "En vigueur par site et groupe"),
    "rules_effective_sites": ("In effect per site", "En vigueur par site"),
    "rules_problems": ("Not saved:", "Non enregistré :"),
    "rule_disconnected": ("Charger disconnected", "Borne déconnectée"),
    "rule_disconnected_help": (
        "A charger has had no OCPP connection for longer than this.",
        "Une borne n'a plus de connexion OCPP depuis plus longtemps que cela.",
    ),
    "rule_faulted": ("Charger faulted", "Borne en défaut"),
    "rule_faulted_help": (
        "A connector is Faulted or reports an error code for longer than this "
        "(minimum error duration).",
        "Un connecteur est en défaut ou signale un code d'erreur depuis plus longtemps que "
        "cela (durée minimale d'erreur).",
    ),
    "rule_soc_stalled": ("State of charge stalled", "Charge bloquée"),
    "rule_soc_stalled_help": (
        "While charging, the vehicle's state of charge is below the level and has not risen "
        "for this long.",
        "Pendant la charge, l'état de charge du véhicule est sous le seuil et n'a pas "
        "augmenté depuis cette durée.",
    ),
    "rule_not_delivering": ("Not delivering energy", "Aucune énergie délivrée"),
    "rule_not_delivering_help": (
        "Status Charging but no power (or a flat energy register) for this long.",
        "État « en charge » mais aucune puissance (ou compteur figé) depuis cette durée.",
    ),
    "rule_vendor_code": ("Manufacturer code", "Code constructeur"),
    "rule_vendor_code_help": (
        "A surfaced manufacturer code (list below) has been active for this long.",
        "Un code constructeur suivi (liste ci-dessous) est actif depuis cette durée.",
    ),
    "rule_flapping": ("Charger flapping", "Borne instable"),
    "rule_flapping_help": (
        "The charger reconnected or rebooted this many times within 15 minutes.",
        "La borne s'est reconnectée ou a redémarré autant de fois en 15 minutes.",
    ),
    "rule_site_offline": ("Site offline", "Site hors ligne"),
    "rule_site_offline_help": (
        "This share of a site's chargers has been disconnected for this long (offline grace): "
        "one alert for the site. Set for the fleet or per site.",
        "Cette part des bornes d'un site est déconnectée depuis cette durée (délai de grâce) : "
        "une seule alerte pour le site. Réglable pour la flotte ou par site.",
    ),
    "knob_warning": ("Warning after", "Avertissement après"),
    "knob_critical": ("Critical after", "Critique après"),
    "knob_below": ("SoC below (%)", "Charge sous (%)"),
    "knob_after": ("After", "Après"),
    "knob_reconnects": ("Reconnects in 15 min", "Reconnexions en 15 min"),
    "knob_ratio": ("Chargers offline (%)", "Bornes hors ligne (%)"),
    "knob_min_chargers": ("Minimum chargers at site", "Bornes minimum sur le site"),
    "rules_vendor_codes": ("Manufacturer codes that alert", "Codes constructeur qui alertent"),
    "rules_vendor_help": (
        "The vendor exactly as its chargers name themselves (BootNotification); the code as "
        "they report it.",
        "Le constructeur exactement comme ses bornes se nomment (BootNotification) ; le code "
        "tel qu'elles le signalent.",
    ),
    "rules_add_code": ("Add code", "Ajouter le code"),
    "rules_no_codes": ("No manufacturer code is surfaced.", "Aucun code constructeur n'est suivi."),
    "rules_preview_title": (
        "With this change, at Prometheus's last evaluation",
        "Avec cette modification, à la dernière évaluation de Prometheus",
    ),
    "rules_preview_starts": ("Would start firing", "Se déclencheraient"),
    "rules_preview_stops": ("Would stop firing", "Cesseraient"),
    "rules_preview_stays": ("Would keep firing", "Resteraient déclenchées"),
    "rules_preview_none": ("None.", "Aucune."),
    "rules_preview_unavailable": (
        "No preview: {error}. Saving still works.",
        "Pas d'aperçu : {error}. L'enregistrement reste possible.",
    ),
    "rules_when": ("When", "Quand"),
    "rules_who": ("Who", "Qui"),
    "rules_what": ("What changed", "Ce qui a changé"),
    "rules_outcome": ("Outcome", "Résultat"),
    "rules_outcome_applied": ("applied", "appliquée"),
    "rules_outcome_rejected": ("rejected", "refusée"),
    "rules_detail": ("Detail", "Détail"),
    "rules_no_changes": ("No change yet.", "Aucune modification pour l'instant."),
    "rules_diff": ("policy.yaml before → after", "policy.yaml avant → après"),
    "rules_diff_none": ("The file did not change.", "Le fichier n'a pas changé."),
    # Routing editor
    "routing": ("Routing", "Routage"),
    "routing_read_only": ("Read-only:", "Lecture seule :"),
    "routing_ro_render_dir": (
        "console.yaml has no render_dir, so a change could not reach Alertmanager.",
        "console.yaml n'a pas de render_dir : une modification ne pourrait pas atteindre "
        "Alertmanager.",
    ),
    "routing_ro_alertmanager": (
        "console.yaml has no alertmanager_url, so Alertmanager could not be reloaded.",
        "console.yaml n'a pas d'alertmanager_url : Alertmanager ne pourrait pas être rechargé.",
    ),
    "routing_ro_no_file": (
        "the config directory has no routing.yaml.",
        "le dossier de configuration n'a pas de routing.yaml.",
    ),
    "routing_preview_link": (
        "Who would be told about an alert at a given time?",
        "Qui serait prévenu d'une alerte à un moment donné ?",
    ),
    "routing_changes": ("Routing changes", "Modifications du routage"),
    "routing_applied": (
        "Applied: Alertmanager runs the new routing.",
        "Appliqué : Alertmanager utilise le nouveau routage.",
    ),
    "routing_not_saved": (
        "Not saved, nothing was changed:",
        "Non enregistré, rien n'a été modifié :",
    ),
    "routing_unchanged": ("Nothing to save: no change.", "Rien à enregistrer : aucun changement."),
    "routing_technicians": ("Technicians", "Techniciens"),
    "routing_teams": ("Teams", "Équipes"),
    "routing_schedules": ("On-call schedules", "Astreintes"),
    "routing_schedules_help": (
        "Times are in each alert's site time zone; an end before the start crosses midnight.",
        "Les heures sont celles du fuseau du site de l'alerte ; une fin avant le début "
        "passe minuit.",
    ),
    "routing_coverage": ("Who covers what", "Qui couvre quoi"),
    "routing_holidays": ("Public holidays", "Jours fériés"),
    "routing_id": ("Id", "Identifiant"),
    "routing_id_field": (
        "Id (letters, digits, - _ .)",
        "Identifiant (lettres, chiffres, - _ .)",
    ),
    "routing_name": ("Name", "Nom"),
    "routing_email": ("Email", "E-mail"),
    "routing_phone": ("Phone", "Téléphone"),
    "routing_phone_field": ("Phone (e.g. +33612345678)", "Téléphone (ex. +33612345678)"),
    "routing_language": ("Language", "Langue"),
    "routing_language_field": ("Message language (en, fr)", "Langue des messages (en, fr)"),
    "routing_remove_confirm": ("Yes, remove", "Oui, supprimer"),
    "routing_timezone": ("Time zone", "Fuseau horaire"),
    "routing_members": ("Members", "Membres"),
    "routing_edit": ("Edit", "Modifier"),
    "routing_save": ("Save and apply", "Enregistrer et appliquer"),
    "routing_add_technician": ("Add a technician", "Ajouter un technicien"),
    "routing_add_team": ("Add a team", "Ajouter une équipe"),
    "routing_add_schedule": ("Add a schedule", "Ajouter une astreinte"),
    "routing_add_coverage": ("Add a coverage", "Ajouter une couverture"),
    "routing_description": ("Description", "Description"),
    "routing_weekdays": ("Days", "Jours"),
    "routing_times": (
        "Times (e.g. 08:00-19:00, 19:00-08:00)",
        "Heures (ex. 08:00-19:00, 19:00-08:00)",
    ),
    "routing_holiday_rule": ("On public holidays", "Les jours fériés"),
    "routing_holidays_ignore": ("as any other day", "comme un autre jour"),
    "routing_holidays_exclude": ("off", "inactive"),
    "routing_holidays_include": ("on, at these times", "active, à ces heures"),
    "routing_day_monday": ("Mon", "Lun"),
    "routing_day_tuesday": ("Tue", "Mar"),
    "routing_day_wednesday": ("Wed", "Mer"),
    "routing_day_thursday": ("Thu", "Jeu"),
    "routing_day_friday": ("Fri", "Ven"),
    "routing_day_saturday": ("Sat", "Sam"),
    "routing_day_sunday": ("Sun", "Dim"),
    "routing_where": ("Sites and clients", "Sites et clients"),
    "routing_who": ("Who", "Qui"),
    "routing_when": ("When (none: always)", "Quand (aucune : toujours)"),
    "routing_sites": ("Sites", "Sites"),
    "routing_clients": ("Clients", "Clients"),
    "routing_whole_fleet": ("whole fleet", "toute la flotte"),
    "routing_always": ("always", "toujours"),
    "routing_all_families": ("all types", "tous les types"),
    "routing_subscriptions": ("Told about", "Prévenu pour"),
    "routing_escalation": ("Escalation", "Escalade"),
    "routing_channels": ("Channels", "Canaux"),
    "routing_yaml": ("routing.yaml", "routing.yaml"),
    "routing_yaml_help": (
        "Edit the file (subscriptions, escalation, holidays, timing); comments are kept",
        "Modifier le fichier (abonnements, escalade, jours fériés, délais) ; "
        "les commentaires sont conservés",
    ),
    "routing_outcome_applied": ("Applied", "Appliquée"),
    "routing_outcome_rejected": ("Rejected", "Refusée"),
    "routing_diff": ("routing.yaml before → after", "routing.yaml avant → après"),
    "routing_no_changes": ("No routing change yet.", "Aucune modification du routage."),
    # --- alerts pages (issue 14): add this part's strings below this line
    "title_chargekeeperwatchdogmissing": ("No Watchdog", "Watchdog absent"),
    "text_chargekeeperwatchdogmissing": (
        "No Watchdog reaches the receiver: Prometheus or Alertmanager is down, alerts may "
        "reach nobody.",
        "Aucun Watchdog ne parvient au récepteur : Prometheus ou Alertmanager est arrêté, les "
        "alertes risquent de n'atteindre personne.",
    ),
    # Column heads, the "who was told" cell and its reasons, durations.
    "told": ("Told", "Prévenus"),
    "told_who": ("{who} ({channels})", "{who} ({channels})"),
    "nobody_outside": ("Nobody: outside coverage", "Personne : hors couverture"),
    "nobody_yet": ("Nobody told yet", "Personne de prévenu pour l'instant"),
    "nobody_failed": (
        "Nobody reached: every message failed",
        "Personne de joint : tous les messages ont échoué",
    ),
    "reason_no_coverage": (
        "no coverage takes this site, source type and priority",
        "aucune couverture ne prend ce site, ce type de source et cette priorité",
    ),
    "reason_off_hours": (
        "coverage {names} is outside its hours at {at}",
        "couverture {names} hors de ses horaires à {at}",
    ),
    "reason_holiday": (
        "coverage {names} is off on the public holiday of {at}",
        "couverture {names} suspendue le jour férié du {at}",
    ),
    "reason_expected": ("the routing names {names}", "le routage désigne {names}"),
    "reason_no_routing": ("no routing is loaded", "aucun routage n'est chargé"),
    "reason_heartbeat": (
        "the heartbeat goes to the dead man's switch, never to people",
        "le battement de cœur va au contrôle de présence, jamais à des personnes",
    ),
    "lasting": ("for {d}", "depuis {d}"),
    "lasted": ("lasted {d}", "a duré {d}"),
    "dur_days": ("{d} d {h} h", "{d} j {h} h"),
    "dur_hours": ("{h} h {m} min", "{h} h {m} min"),
    "dur_minutes": ("{m} min", "{m} min"),
    "meaning": ("Meaning", "Signification"),
    "period_1h": ("last hour", "dernière heure"),
    "period_24h": ("last 24 h", "dernières 24 h"),
    "period_7d": ("last 7 days", "7 derniers jours"),
    "period_30d": ("last 30 days", "30 derniers jours"),
    "period_all": ("All", "Toutes"),
    "message": ("Message", "Message"),
    "full_message": ("Whole message", "Message complet"),
    # The pipeline-health strip above the alert pages.
    "pipeline": ("Alerting pipeline", "Chaîne d'alerte"),
    "pipeline_healthy": ("healthy", "opérationnelle"),
    "pipeline_heartbeat": ("heartbeat", "battement de cœur"),
    "pipeline_firing": ("{n} problem(s)", "{n} problème(s)"),
    # Label values shown to people: priorities, source types, states, channels.
    "sev_critical": ("critical", "critique"),
    "sev_warning": ("warning", "avertissement"),
    "sev_info": ("info", "information"),
    "fam_disconnection": ("disconnection", "déconnexion"),
    "fam_error": ("error", "erreur"),
    "fam_soc": ("state of charge", "état de charge"),
    "fam_vendor_code": ("manufacturer code", "code constructeur"),
    "fam_energy": ("energy", "énergie"),
    "fam_fleet": ("alerting pipeline", "chaîne d'alerte"),
    "status_firing": ("firing", "en cours"),
    "status_resolved": ("resolved", "résolue"),
    "dstate_pending": ("pending", "en attente"),
    "dstate_sending": ("sending", "envoi en cours"),
    "dstate_sent": ("sent", "envoyé"),
    "dstate_failed": ("failed", "échec"),
    "dstate_dead": ("abandoned after retries", "abandonné après plusieurs essais"),
    "chan_email": ("email", "e-mail"),
    "chan_sms": ("SMS", "SMS"),
    "via_console": ("console", "console"),
    "via_sms": ("SMS", "SMS"),
    # Per alert name: a title for the list and the summary, in both languages.
    "title_chargerdisconnected": ("Disconnected", "Déconnectée"),
    "text_chargerdisconnected": (
        "The charger has had no OCPP connection for longer than its threshold.",
        "La borne n'a plus de connexion OCPP depuis plus longtemps que son seuil.",
    ),
    "title_chargerfaulted": ("Faulted", "En défaut"),
    "text_chargerfaulted": (
        "A connector reports an error.",
        "Un point de charge signale une erreur.",
    ),
    "title_chargersocstalled": ("Charge stalled", "Charge bloquée"),
    "text_chargersocstalled": (
        "The vehicle's state of charge has stopped rising.",
        "L'état de charge du véhicule ne monte plus.",
    ),
    "title_chargervendorerrorcode": ("Manufacturer code", "Code constructeur"),
    "text_chargervendorerrorcode": (
        "The charger reports a manufacturer error code that the policy surfaces.",
        "La borne signale un code d'erreur constructeur que la politique fait remonter.",
    ),
    "title_chargernotdelivering": ("Not delivering", "Ne délivre pas"),
    "text_chargernotdelivering": (
        "The charger says it is charging but delivers no energy.",
        "La borne indique qu'elle charge mais ne délivre aucune énergie.",
    ),
    "title_chargerflapping": ("Flapping", "Instable"),
    "text_chargerflapping": (
        "The charger keeps reconnecting or rebooting.",
        "La borne se reconnecte ou redémarre sans cesse.",
    ),
    "title_siteoffline": ("Site offline", "Site hors ligne"),
    "title_chargerregistrationrefused": ("Refused by the CSMS", "Refusée par le CSMS"),
    "text_chargerregistrationrefused": (
        "The operator's CSMS rejects the charger's boot or leaves it pending.",
        "Le CSMS de l'opérateur rejette le démarrage de la borne ou le laisse en attente.",
    ),
    "title_chargekeeperupstreamdown": ("CSMS unreachable", "CSMS injoignable"),
    "text_chargekeeperupstreamdown": (
        "The operator's CSMS cannot be reached: its chargers are cut off from it.",
        "Le CSMS de l'opérateur est injoignable : ses bornes en sont coupées.",
    ),
    "title_chargekeeperupstreamslow": ("CSMS slow", "CSMS lent"),
    "text_chargekeeperupstreamslow": (
        "The operator's CSMS answers chargers slowly.",
        "Le CSMS de l'opérateur répond lentement aux bornes.",
    ),
    "title_chargekeeperupstreamauthorizationsrejected": (
        "Drivers refused by the CSMS",
        "Conducteurs refusés par le CSMS",
    ),
    "text_chargekeeperupstreamauthorizationsrejected": (
        "The operator's CSMS refuses more than half of the drivers' badges.",
        "Le CSMS de l'opérateur refuse plus de la moitié des badges des conducteurs.",
    ),
    "text_siteoffline": (
        "Most chargers of the site are disconnected at once.",
        "La plupart des bornes du site sont déconnectées en même temps.",
    ),
    "title_chargekeepercollectordown": ("Collector down", "Collecteur arrêté"),
    "text_chargekeepercollectordown": (
        "Prometheus cannot scrape a Chargekeeper collector.",
        "Prometheus ne peut pas interroger un collecteur Chargekeeper.",
    ),
    "title_chargekeepercollectorabsent": ("No collector", "Aucun collecteur"),
    "text_chargekeepercollectorabsent": (
        "Prometheus has no Chargekeeper collector to scrape.",
        "Prometheus n'a aucun collecteur Chargekeeper à interroger.",
    ),
    "title_chargekeeperalertmanagerunreachable": (
        "Alertmanager unreachable",
        "Alertmanager injoignable",
    ),
    "text_chargekeeperalertmanagerunreachable": (
        "Prometheus cannot deliver alerts to Alertmanager.",
        "Prometheus ne peut pas transmettre les alertes à Alertmanager.",
    ),
    "title_chargekeeperalertmanagerdown": ("Alertmanager down", "Alertmanager arrêté"),
    "text_chargekeeperalertmanagerdown": (
        "Prometheus cannot scrape an Alertmanager.",
        "Prometheus ne peut pas interroger un Alertmanager.",
    ),
    "title_chargekeeperalertmanagerclustersplit": (
        "Alertmanager cluster split",
        "Grappe Alertmanager scindée",
    ),
    "text_chargekeeperalertmanagerclustersplit": (
        "The Alertmanager cluster is split.",
        "La grappe Alertmanager est scindée.",
    ),
    "title_chargekeeperreceiverunreachable": ("Receiver unreachable", "Récepteur injoignable"),
    "text_chargekeeperreceiverunreachable": (
        "Alertmanager cannot deliver alerts to the Chargekeeper receiver.",
        "Alertmanager ne peut pas transmettre les alertes au récepteur Chargekeeper.",
    ),
    "title_chargekeepernotificationsfailing": ("Notifications failing", "Notifications en échec"),
    "text_chargekeepernotificationsfailing": (
        "Notifications to technicians are failing.",
        "Les notifications aux techniciens échouent.",
    ),
    "title_chargekeepernotificationsdelayed": (
        "Notifications delayed",
        "Notifications retardées",
    ),
    "text_chargekeepernotificationsdelayed": (
        "Notifications to technicians are waiting in the outbox.",
        "Des notifications aux techniciens attendent dans la file d'envoi.",
    ),
    "title_chargekeeperpolicymissing": ("Policy missing", "Politique manquante"),
    "text_chargekeeperpolicymissing": (
        "Chargers have no alert policy thresholds.",
        "Des bornes n'ont pas de seuils d'alerte.",
    ),
    "title_watchdog": ("Heartbeat", "Battement de cœur"),
    "text_watchdog": (
        "Always firing, to prove that the alerting pipeline works end to end.",
        "Toujours active, pour prouver que la chaîne d'alerte fonctionne de bout en bout.",
    ),
    # --- chargers pages (issue 14): add this part's strings below this line
    "cp_state_disconnected": ("Disconnected", "Déconnectée"),
    "cp_state_faulted": ("Faulted", "En défaut"),
    "cp_state_alerting": ("Alerting", "En alerte"),
    "cp_state_ok": ("Connected, no alert", "Connectée, sans alerte"),
    "cp_state_unknown": ("No alert (live state unknown)", "Aucune alerte (état en direct inconnu)"),
    "cp_live_unavailable": (
        "Live state unavailable ({error}): showing only the alerts the console has received.",
        "État en direct indisponible ({error}) : seules les alertes reçues par la console "
        "sont affichées.",
    ),
    "cp_search": ("Search", "Rechercher"),
    "cp_search_hint": (
        "id, name, vendor, model, firmware",
        "identifiant, nom, constructeur, modèle, micrologiciel",
    ),
    "cp_clear": ("Clear filters", "Effacer les filtres"),
    "cp_shown": ("Showing {n}", "{n} affichées"),
    "cp_total": ("of {n} chargers", "sur {n} bornes"),
    "cp_none": ("No charger matches.", "Aucune borne ne correspond."),
    "cp_connection": ("Connection", "Connexion"),
    "cp_connected_since": ("connected since {at}", "connectée depuis {at}"),
    "cp_disconnected_since": ("disconnected since {at}", "déconnectée depuis {at}"),
    "cp_connected": ("connected", "connectée"),
    "cp_disconnected": ("disconnected", "déconnectée"),
    "cp_connection_unknown": ("unknown", "inconnue"),
    "cp_connectors": ("Connectors", "Points de charge"),
    "cp_connector": ("Connector {n}", "Point de charge {n}"),
    "cp_whole": ("Charger as a whole", "Borne entière"),
    "cp_status_since": ("since {at}", "depuis {at}"),
    "cp_active_alerts": ("Active alerts", "Alertes actives"),
    "cp_prometheus_only": (
        "firing in Prometheus, not received by the console",
        "active dans Prometheus, non reçue par la console",
    ),
    "cp_live_state": ("Live state", "État en direct"),
    "cp_firmware": ("Firmware", "Micrologiciel"),
    "cp_ocpp_version": ("OCPP version", "Version OCPP"),
    "cp_not_in_fleet": ("not in the fleet file", "absente du fichier de flotte"),
    "cp_next_visit_hint": (
        "Advice for faults firing now or resolved in the last {n} days.",
        "Conseils pour les défauts en cours ou résolus ces {n} derniers jours.",
    ),
    # OCPP connector statuses (1.6 StatusNotification, 2.0.1 connectorStatus/chargingState).
    "cp_status_Available": ("Available", "Disponible"),
    "cp_status_Preparing": ("Preparing", "En préparation"),
    "cp_status_Charging": ("Charging", "En charge"),
    "cp_status_SuspendedEVSE": ("Suspended by the charger", "Suspendue par la borne"),
    "cp_status_SuspendedEV": ("Suspended by the vehicle", "Suspendue par le véhicule"),
    "cp_status_Finishing": ("Finishing", "Fin de charge"),
    "cp_status_Reserved": ("Reserved", "Réservée"),
    "cp_status_Unavailable": ("Unavailable", "Indisponible"),
    "cp_status_Faulted": ("Faulted", "En défaut"),
    "cp_status_Occupied": ("Occupied", "Occupée"),
    "cp_status_EVConnected": ("Vehicle connected", "Véhicule branché"),
    "cp_status_Idle": ("Idle", "Inactive"),
    # --- charts (issue 14): add this part's strings below this line
    "availability": ("Availability", "Disponibilité"),
    "availability_help": (
        "Share of time each site's chargers could serve a driver this month (site time), "
        "maintenance windows left out; one bar per day.",
        "Part du temps où les bornes de chaque site pouvaient servir un conducteur ce mois-ci "
        "(heure du site), hors fenêtres de maintenance ; une barre par jour.",
    ),
    "month": ("Month", "Mois"),
    "per_day": ("Per day", "Par jour"),
    "no_data": ("No data", "Pas de données"),
    "history": ("History", "Historique"),
    "seven_days": ("7 days", "7 jours"),
    "chart_status": ("Status per connector", "État par point de charge"),
    "chart_power": ("Power", "Puissance"),
    "chart_soc": ("SoC", "SoC"),
    "chart_connector": ("Connector", "Point de charge"),
    "chart_disconnected": ("Disconnected", "Déconnectée"),
    "chart_unavailable": ("History unavailable", "Historique indisponible"),
    "csms": ("CSMS answer times", "Temps de réponse du CSMS"),
    "csms_nav": ("CSMS", "CSMS"),
    "csms_help": (
        "How fast each upstream CSMS answered the chargers' calls in the last hour (the "
        "collector relays them in proxy mode), and its p95 answer time over 24 hours (UTC).",
        "Rapidité de chaque CSMS amont à répondre aux appels des bornes sur la dernière heure "
        "(le collecteur les relaie en mode proxy), et son temps de réponse p95 sur 24 heures "
        "(UTC).",
    ),
    "csms_standalone": (
        "The collector runs standalone: it answers the chargers itself, so there is no CSMS "
        "to time.",
        "Le collecteur fonctionne seul : il répond lui-même aux bornes, il n'y a donc pas de "
        "CSMS à chronométrer.",
    ),
    "csms_upstream": ("Upstream", "Amont"),
    "csms_several": ("several", "plusieurs"),
    "csms_connected": ("Chargers connected now", "Bornes connectées maintenant"),
    "csms_errors": ("Errors (last hour)", "Erreurs (dernière heure)"),
    "csms_action": ("Action", "Action"),
    "csms_calls": ("Calls (last hour)", "Appels (dernière heure)"),
    "csms_no_calls": ("No call in the last hour.", "Aucun appel dans la dernière heure."),
    "csms_chart": ("p95 answer time, 24 h (ms)", "Temps de réponse p95, 24 h (ms)"),
    # --- routing forms (issue 14): add this part's strings below this line
    "routing_family_disconnection": ("Disconnected", "Déconnexion"),
    "routing_family_error": ("Fault", "Défaut"),
    "routing_family_soc": ("Charge stalled", "Charge bloquée"),
    "routing_family_vendor_code": ("Manufacturer code", "Code constructeur"),
    "routing_family_energy": ("Not delivering", "Ne délivre pas"),
    "routing_family_fleet": ("Fleet and pipeline", "Flotte et chaîne d'alerte"),
    "routing_severity_critical": ("critical", "critique"),
    "routing_severity_warning": ("warning", "avertissement"),
    "routing_severity_info": ("info", "information"),
    "routing_channels_both": ("email and SMS", "e-mail et SMS"),
    "routing_channels_email": ("email", "e-mail"),
    "routing_channels_sms": ("SMS", "SMS"),
    "routing_families": ("Alert types (none ticked: all)", "Types d'alerte (aucun coché : tous)"),
    "routing_severities": ("Priorities (none ticked: all)", "Priorités (aucune cochée : toutes)"),
    "routing_all_severities": ("all priorities", "toutes priorités"),
    "routing_line": ("Line", "Ligne"),
    "routing_new_line": ("New line", "Nouvelle ligne"),
    "routing_line_unused": ("— (not added)", "— (ne pas ajouter)"),
    "routing_none_yet": ("none yet", "aucun pour l'instant"),
    "routing_remove_line": ("Remove this line", "Supprimer cette ligne"),
    "routing_subscriptions_help": (
        "Each line tells the people of this coverage about some alert types and priorities, "
        "on its channels. A new line is added once you choose its channels.",
        "Chaque ligne prévient les personnes de cette couverture pour certains types et "
        "priorités d'alerte, sur ses canaux. Une nouvelle ligne est ajoutée dès que vous "
        "choisissez ses canaux.",
    ),
    "routing_tier": ("Tier", "Palier"),
    "routing_new_tier": ("New tier", "Nouveau palier"),
    "routing_after": (
        "After (e.g. 15m, 1h30m; from the previous tier)",
        "Après (ex. 15m, 1h30m ; depuis le palier précédent)",
    ),
    "routing_remove_tier": ("Remove this tier", "Supprimer ce palier"),
    "routing_escalation_help": (
        "Who is told next when a critical alert stays unacknowledged. A new tier is added "
        "once you choose its channels.",
        "Qui est prévenu ensuite quand une alerte critique reste sans prise en charge. Un "
        "nouveau palier est ajouté dès que vous choisissez ses canaux.",
    ),
    "routing_holidays_help": (
        "Schedules set to “off” on public holidays do not apply on these days; those set to "
        "“on” apply at their times.",
        "Les astreintes « inactives » les jours fériés ne s'appliquent pas ces jours-là ; les "
        "« actives » s'appliquent à leurs heures.",
    ),
    "routing_date": ("Date", "Date"),
    "routing_add_holiday": ("Add a public holiday", "Ajouter un jour férié"),
    "routing_remove_holiday": ("Remove", "Supprimer"),
    "routing_no_holidays": ("No public holiday.", "Aucun jour férié."),
    "routing_timing": ("Notification timing", "Délais des notifications"),
    "routing_timing_help": (
        "How long Alertmanager waits before the first message of a group, before an update "
        "when alerts join it, and before reminding of what still fires (e.g. 30s, 5m, 4h).",
        "Combien de temps Alertmanager attend avant le premier message d'un groupe, avant une "
        "mise à jour quand des alertes le rejoignent, et avant de rappeler ce qui est encore "
        "en cours (ex. 30s, 5m, 4h).",
    ),
    "routing_group_wait": ("First message after", "Premier message après"),
    "routing_group_interval": ("Updates at most every", "Mises à jour au plus toutes les"),
    "routing_repeat_interval": ("Reminder every", "Rappel toutes les"),
    "routing_edit_timing": ("Change the timing", "Modifier les délais"),
    "routing_yaml_forms_help": (
        "Edit the whole file (comments are kept)",
        "Modifier le fichier entier (les commentaires sont conservés)",
    ),
    # --- codes (issue 14): add this part's strings below this line
    "codes_rank_help": (
        "Manufacturers come first whose codes reach the most chargers: ask them for their code "
        "table and import it first.",
        "Les constructeurs dont les codes touchent le plus de bornes viennent en premier : "
        "demandez-leur leur table de codes et importez-la d'abord.",
    ),
    "codes_reach": (
        "Chargers affected: {chargers} · occurrences: {n} · unknown codes: {codes}",
        "Bornes touchées : {chargers} · occurrences : {n} · codes inconnus : {codes}",
    ),
    "codes_reach_at_least": (
        "Chargers affected: at least {chargers} · occurrences: {n} · unknown codes: {codes}",
        "Bornes touchées : au moins {chargers} · occurrences : {n} · codes inconnus : {codes}",
    ),
    "codes_chargers_affected": ("Chargers affected", "Bornes touchées"),
}


def choose_language(cookie: str | None, default: str) -> str:
    return cookie if cookie in LANGUAGES else default


def translate(language: str, key: str, **values: object) -> str:
    """The string ``key`` in ``language``, with ``{name}`` fields filled in."""
    english, french = _CATALOG[key]
    text = french if language == "fr" else english
    return text.format(**values) if values else text
