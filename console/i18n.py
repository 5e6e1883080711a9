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
}


def choose_language(cookie: str | None, default: str) -> str:
    return cookie if cookie in LANGUAGES else default


def translate(language: str, key: str, **values: object) -> str:
    """The string ``key`` in ``language``, with ``{name}`` fields filled in."""
    english, french = _CATALOG[key]
    text = french if language == "fr" else english
    return text.format(**values) if values else text
