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
}


def choose_language(cookie: str | None, default: str) -> str:
    return cookie if cookie in LANGUAGES else default


def translate(language: str, key: str, **values: object) -> str:
    """The string ``key`` in ``language``, with ``{name}`` fields filled in."""
    english, french = _CATALOG[key]
    text = french if language == "fr" else english
    return text.format(**values) if values else text
