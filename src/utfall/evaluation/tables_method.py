"""The report's last section: sources and months covered, the quality gate, definitions and
the suppression rule. Nothing here is about persons: feeds, months, checks and waivers."""

from __future__ import annotations

import pandas as pd

from utfall.dq.scope import MONTHLY_FEEDS
from utfall.evaluation import tables_data as data
from utfall.evaluation.report_model import Section
from utfall.evaluation.provenance import SincePrevious
from utfall.evaluation.tables_common import MONTHS_SV, table
from utfall.evaluation.suppression import TableSpec

FEEDS_SV = {
    "deltagare": "Deltagare (förbundets insatsregister)",
    "insatser": "Insatser (förbundet)",
    "insats_ar": "Insatser per år: kostnad, årsarbetare, mål (förbundet)",
    "programtrohet": "Programtrohet IPS-25 (förbundet)",
    "fk_utbetalningar": "Utbetalningar (Försäkringskassan)",
    "af_status": "Inskrivning och lönestöd (Arbetsförmedlingen)",
    "kommun_bistand": "Ekonomiskt bistånd (kommunerna)",
    "kommun_boendestod": "Boendestöd (kommunerna)",
    "skv_lon": "Lön (Skatteverket)",
    "csn_studiestod": "Studiemedel (CSN)",
    "region_vard": "Psykiatrisk vård (regionen)",
}

DEFINITIONS_SV = (
    "Deltagare: en person som varit inskriven i insatsen någon gång under året. Väntetid: dagar från "
    "köanmälan till inskrivning. Deltagare, flöden, kö och deltagare per årsarbetare jobbcoach räknas ur "
    "förbundets egna register och kräver inga leveranser från myndigheter, kommuner eller region.",
    "Flöden räknas i inskrivningar: pågående vid årets början + nya under året − avslutade under året = "
    "pågående vid årets slut. Den som skrivits in två gånger under året räknas två gånger bland "
    "inskrivningarna men en gång bland deltagarna under året. Eftersom tre av talen ger det fjärde döljs ett "
    "andra tal när ett av dem döljs.",
    "Kön räknas ur alla registeruttag förbundet lämnat, inte bara det senaste: den som stod i kö i ett uttag "
    "och saknas i nästa utan att ha skrivits in har lämnat kön utan att börja, räknat den dag nästa uttag "
    "gjordes. Väntan för dem som står i kö: dagar från köanmälan till månadens sista dag (median och längsta). "
    "En månad som inget uttag gjort på eller efter dess sista dag visas tom.",
    "Försörjning per månad (ur registren): arbete (lön minst en åttondels prisbasbelopp), arbete med "
    "lönestöd, studier (studiemedel), ersättning vid ohälsa (sjukpenning, rehabiliteringspenning, "
    "aktivitets- och sjukersättning), arbetsmarknadsstöd (aktivitetsstöd, utvecklings- och "
    "etableringsersättning), ekonomiskt bistånd eller ingen. Egen försörjning = arbete eller studier utan "
    "någon av de tre stödformerna den månaden.",
    "Vilka som räknas: en avslutad registrering med orsaken felregistrering räknas inte alls. Den som "
    "avslutats som avliden räknas som avslut men följs inte upp efter dödsmånaden. Utfallen räknas per "
    "avslut: en person som avslutat två gånger räknas två gånger.",
    "Utfall vid avslut: försörjningen månaden efter avslutet, bredvid den avslutsorsak insatsen rapporterat. "
    "Den läses inom avslutsåret: ett avslut i december kan inte följas till månaden efter, som ligger efter "
    "årsskiftet.",
    "Uppföljning per avslutsår (kohort): rapporten för ett år bygger på data till och med december det året. "
    "Utfallet vid avslut gäller årets avslut, egen försörjning 6 och 12 månader efter avslutsmånaden gäller "
    "förra årets avslut och 24 månader efter avsluten två år tidigare, så att uppföljningsmånaden har hunnit "
    "passera. Ett avslut vars uppföljningsmånad ännu inte finns i data ingår inte i andelen; en kohort där "
    "inget avslut kan följas upp ännu visas som ”kan följas upp först” följt av året då det går.",
    "Arbete och studier räknas som Socialstyrelsen gör: arbete (arbete med lönestöd redovisas för sig), "
    "studier (studiemedel eller ett arbetsmarknadsprogram som är studier, till exempel studiemotiverande "
    "folkhögskolekurs; arbetsmarknadsutbildning räknas som arbetsmarknadsstöd), arbete och studier samma "
    "månad, och varken arbete eller studier, uppdelat efter försörjningen den månaden. Kategorierna summerar "
    "till de avslut som kan följas upp och gäller samma avslutsår som uppföljningen.",
    "År för år: varje års rad visar det som det årets utvärdering redovisar. Läget 12 månader efter avslut "
    "gäller där avsluten året före.",
    "År med offentlig försörjning före start: hela 12-månadersperioder före inskrivningsmånaden (högst fem) "
    "med minst en månad med ersättning vid ohälsa, arbetsmarknadsstöd eller ekonomiskt bistånd. Bara "
    "perioder som helt finns i levererade data räknas, så tabellens not anger hur många år före start data täcker; "
    "den som inte har någon sådan period är okänd, inte 0 år.",
    "Offentlig försörjning före och efter, övergångar och den samhällsekonomiska analysen gäller förra "
    "årets avslut: 12 månader före inskrivning jämförs med månad 1–12 efter avslut (stöd som fortfarande "
    "betalas ut efter avslut räknas inte som minskat). Den samhällsekonomiska analysen räknar dem som var i "
    "arbete eller studier 12 månader efter avslut och ställs mot insatsens kostnad det år de avslutades.",
    "Helårsekvivalenter (som SCB:s försörjningsmått för Finsam): FK-dagar × omfattning / 365 och "
    "ekonomiskt bistånd 1/12 per månad, högst 1 per person och 12-månadersperiod. A-kassa levereras inte.",
    "Tid till första arbete: Kaplan–Meier från inskrivningsmånaden (månad 0). Var och en följs också efter "
    "avslut, till årets slut eller dödsfall; den som redan arbetade månaden före inskrivning "
    "ingår inte i kurvan utan redovisas bredvid.",
    "Arbeten efter avslut: de som hade arbete månaden efter avslut, efter arbetsgivarens sektor i "
    "Skatteverkets arbetsgivardeklarationer (privat, kommun, region, stat, ideell) och med eller utan "
    "lönestöd enligt Arbetsförmedlingen. Varje person räknas en gång, hos den sektor som betalade mest lön "
    "den månaden.",
    "Programtrohet: den senaste IPS-25-granskningen till och med årets slut, 25 punkter om 1–5 poäng. "
    "Nivåerna anges med granskningarnas egna ord: 115–125 poäng stämmer mycket bra överens med IPS, 100–114 "
    "stämmer bra överens, 74–99 stämmer delvis överens och 73 eller lägre stämmer inte överens med IPS. "
    "Styrkor = punkter med 5 poäng, utvecklingsområden = punkter med 3 poäng eller lägre.",
    "Deltagare per årsarbetare jobbcoach: aktiva vid månadens slut delat med rapporterade årsarbetare; IPS "
    "eftersträvar högst 20. Status passiv finns bara i registeruttagen: passiva vid månadens slut visas för "
    "de månader ett uttag gjordes, övriga månader lämnas tomma.",
)


# How the goal table judges a goal and how the conclusions are drawn (evaluation/conclusions.py).
GOAL_RULE_SV = (
    "Måluppfyllelse: ett mål för andelen till arbete eller studier är uppnått (✓, grönt) när andelen av årets "
    "avslut når målet och ej uppnått (✗, rött) när den inte gör det. Arbete räknas inklusive arbete med "
    "lönestöd. Målet för deltagare per årsarbetare jobbcoach är uppnått när inget månadsslut under året låg över "
    "målet. Kan inte bedömas (–, grått) betyder att målet finns men att siffrorna inte avgör det, till exempel "
    "för att ingen källa anger sysselsättning. Där ett antal är dolt för att skydda enskilda bedöms målet ändå "
    "när det dolda antalets gränser avgör det: färre än 5 av 40 avslut kan inte nå ett mål på 20 %. "
    "Bedömningen bygger då bara på det tabellen visar och säger inget mer om det dolda antalet.",
)
CONCLUSION_RULES_SV = (
    "Slutsatserna i sammanfattningen dras enligt fasta regler ur tabellerna, högst sex, i denna ordning: "
    "vilka mål varje insats nådde och inte nådde (tabell Måluppfyllelse); insatser med fler deltagare per "
    "årsarbetare jobbcoach än målet någon månad; förändringen mot året före i andelen avslut som ledde direkt "
    "till arbete eller studier, när båda åren visas (en skillnad under 5 procentenheter räknas som ungefär "
    "densamma); senaste granskningens programtrohet; egen försörjning 12 månader efter avslut jämfört med "
    "riket, när jämförelsen visas; insatser som höll målet för deltagare per årsarbetare. Varje mening anger "
    "den tabell den bygger på.",
)


def missing_deliveries_text(missing: list[str], year: int) -> str | None:
    """What the report says when monthly feeds have delivered nothing up to the cut-off (None when
    every feed has): which deliveries are missing, and which measures therefore cannot be shown."""
    if not missing:
        return None
    names = ", ".join(FEEDS_SV.get(feed, feed) for feed in missing)
    if len(missing) < len(MONTHLY_FEEDS):
        return (f"Inga månader till och med december {year} har levererats från: {names}. Försörjningen per "
                "månad bygger därför på de övriga källorna, utan uppgifter från dessa.")
    return ("Inga månadsuppgifter från myndigheter, kommuner eller region har levererats till och med december "
            f"{year} (saknas: {names}). Deltagare, flöden, kö, deltagare per årsarbetare jobbcoach och programtrohet "
            "bygger bara på förbundets egna register och redovisas. Utfall vid och efter avslut, försörjning före "
            "och efter, sysselsättning bland inskrivna, tid till första arbete och den samhällsekonomiska "
            "analysen bygger på de leveranserna och kan redovisas först när de finns.")


def _month(d) -> str:
    if d is None or pd.isna(d):
        return "–"
    ts = pd.Timestamp(d)
    return f"{MONTHS_SV[ts.month - 1]} {ts.year}"


def corrections_text(since_previous: SincePrevious | None, year: int) -> list[str]:
    """What changed in the months up to the cut-off since the year's previous evaluation, load
    by load (evaluation.provenance); nothing when there was none to compare with."""
    if since_previous is None:
        return []
    previous = f"förra utvärderingen av {year} (körning {since_previous.gate_run_id})"
    if not since_previous.changed:
        return [f"Inga månader till och med december {year} har rättats eller tillkommit sedan {previous}: "
                "siffrorna bygger på samma leveranser."]
    lines = []
    for c in since_previous.changed:
        month = _month(pd.Timestamp(f"{c.load.month}-01"))
        what = "rättades" if c.previous_load_id is not None else "levererades"
        lines.append(f"Månaden {month} i {FEEDS_SV.get(c.load.feed, c.load.feed)} {what} i leverans "
                     f"{c.load.file_name} (laddning {c.load.load_id}, {c.load.loaded_at[:10]}) efter {previous}.")
    return lines


def method_section(con, forbund_id: str, year: int, gate_run_id: str, t: int,
                   since_previous: SincePrevious | None = None) -> Section:
    src = data.sources(con, forbund_id, year)
    period = data.data_period(con)
    rows = []
    for r in src.itertuples():
        monthly = not pd.isna(r.first_month)
        rows.append({
            "Första månad": _month(r.first_month) if monthly else "–",
            "Sista månad": _month(r.last_month) if monthly else "–",
            "Månader": int(r.months) if monthly else None,
            "Registeruttag": "–" if monthly or pd.isna(r.extracted_on) else pd.Timestamp(r.extracted_on).date().isoformat(),
        })
    missing = data.missing_monthly_feeds(con, year)
    # a feed that has delivered nothing is listed too: the reader sees which source is missing
    rows += [{"Första månad": "inte levererad", "Sista månad": "–",
              "Månader": None, "Registeruttag": "–"} for feed in missing]
    # each source as readers know it ("Utbetalningar (Försäkringskassan)"), not by its feed name
    names = [FEEDS_SV.get(feed, feed) for feed in [r.feed for r in src.itertuples()] + missing]
    frame = pd.DataFrame(rows, index=pd.Index(names, name="Källa")).astype(object)
    frame["Månader"] = [None if pd.isna(v) else int(v) for v in frame["Månader"]]
    sources = table("kallor", "Källor och månader i data", frame, TableSpec(counts=[]), t,
                    note="Månadsleveranser: vilka månader som finns. Förbundets register: datum för senaste uttaget.")
    run, results, waivers = data.gate(con, gate_run_id, forbund_id, year)
    gate_rows = {"Körning": gate_run_id, "År": str(year)}
    if run is None:
        gate_text = f"Kvalitetskontrollens körning {gate_run_id} hittades inte i lagret."
    else:
        verdict = "godkänd" if run["passed"] else "inte godkänd"
        gate_rows.update({"Resultat": verdict, "Avslutad": pd.Timestamp(run["finished_at"]).isoformat(sep=" ", timespec="minutes")})
        gate_text = (f"Rapporten bygger på data som passerat kvalitetskontrollen (körning {gate_run_id}, "
                     f"{verdict}).")
    status_sv = {"pass": "Godkända", "fail": "Underkända", "warn": "Varningar", "not_applicable": "Ej tillämpliga",
                 "error": "Fel"}
    for r in results.itertuples() if len(results) else ():
        gate_rows[f"Kontroller: {status_sv.get(r.status, r.status).lower()}"] = str(int(r.checks))
    gate = table("kvalitetskontroll", "Kvalitetskontroll", pd.DataFrame({"Uppgift": list(gate_rows.values())},
                 index=list(gate_rows)), TableSpec(counts=[]), t)
    tables = [sources, gate]
    if len(waivers):
        wf = pd.DataFrame({
            "Kontroll": waivers.check_id.to_list(),
            "Gäller": ["alla förbund" if pd.isna(f) else data.forbund_name(con, f) for f in waivers.forbund_id],
            "Motivering": waivers.reason.to_list(),
            "Beslutat av": waivers.waived_by.to_list(),
            "Datum": [pd.Timestamp(w).date().isoformat() for w in waivers.waived_at],
        }, index=[f"Undantag {int(i)}" for i in waivers.waiver_id])
        tables.append(table("undantag", "Undantag från kvalitetskontrollen", wf, TableSpec(counts=[]), t,
                            note="Kontroller som inte klarades men som godtagits, av vem och varför."))
        gate_text += f" {len(waivers)} undantag har beslutats; de redovisas i tabellen nedan."
    else:
        gate_text += " Inga undantag har beslutats."
    # as known at the cut-off: months after December of the year are not the report's
    cutoff = pd.Timestamp(year=year, month=12, day=1)
    capped = (lambda d: d if d is None or pd.isna(d) else min(pd.Timestamp(d), cutoff))
    coverage = (f"Rapporten bygger på data till och med december {year}. Månadsdata finns från "
                f"{_month(period['first_month'])} till {_month(capped(period['last_month']))}; fullständiga "
                f"månader (alla källor levererade) {_month(period['first_complete_month'])}–"
                f"{_month(capped(period['last_complete_month']))}.")
    return Section(
        key="metod", title="Metod och datakvalitet",
        paragraphs=[coverage, *filter(None, [missing_deliveries_text(missing, year)]),
                    *corrections_text(since_previous, year), gate_text],
        tables=tables,
        subsections=[
            Section(key="definitioner", title="Definitioner", paragraphs=list(DEFINITIONS_SV)),
            Section(key="bedomning", title="Måluppfyllelse och slutsatser",
                    paragraphs=[*GOAL_RULE_SV, *CONCLUSION_RULES_SV]),
            Section(key="rojandeskydd", title="Skydd mot röjande av enskilda",
                    paragraphs=[
                        "Alla tabeller och diagram bygger på avidentifierade registeruppgifter; små grupper döljs "
                        "enligt teckenförklaringen nedan. Där samma uppgift finns i flera tabeller döljs den i alla om den döljs i någon, så att "
                        "tabellerna inte kan läggas mot varandra. Flöden visas per år (nya och avslutade) och "
                        "bestånd per månad, eftersom månadsflöden bredvid bestånd skulle kunna räknas fram.",
                    ]),
        ],
    )
