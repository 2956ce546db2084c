"""Small closed word lists the verifier needs: negation cues, number words, dates, antonyms.

Hand-written (not learned) so they are the same at fit time and at run time and can be read and extended.
"""

from __future__ import annotations

NEGATION_CUES = frozenset(
    {
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "neither",
        "nor",
        "without",
        "cannot",
        "nowhere",
        "hardly",
        "barely",
    }
)

NUMBER_WORDS: dict[str, float] = {
    # "one" is left out on purpose: "one of the", "no one" are not counts.
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "dozen": 12,
    "hundred": 100,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
}
MULTIPLIERS: dict[str, float] = {
    "hundred": 100,
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}

DATE_WORDS = frozenset(
    {
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    }
)
# "may" and "march" are also ordinary words; they count as dates only when capitalised mid-sentence.
AMBIGUOUS_DATE_WORDS = frozenset({"may", "march", "sun", "wed", "sat", "mar", "jan", "sept", "dec"})

# Pairs whose swap flips a claim. SummEdits' "antonym swap" edits and the LLM's typical slips
# (won/lost, rise/fall, guilty/innocent) are of this kind.
_ANTONYM_PAIRS = """
guilty innocent | guilty acquitted | convicted acquitted | win lose | won lost | winning losing | winner loser
victory defeat | increase decrease | increased decreased | rise fall | rose fell | risen fallen
rising falling
higher lower | high low | more less | more fewer | most least | before after | first last | earlier later
early late | accept reject | accepted rejected | approve reject | approved rejected | support oppose
supported opposed | supporter opponent | allow ban | allowed banned | allow forbid | legal illegal
lawful unlawful | open close | opened closed | start end | started ended | begin end | began ended
success failure | succeed fail | succeeded failed | successful unsuccessful | positive negative
strong weak | stronger weaker | large small | larger smaller | big small | bigger smaller | gain loss
gained lost | profit loss | buy sell | bought sold | buyer seller | import export | imports exports
north south | east west | northern southern | eastern western | left right | rich poor | wealthy poor
old young | older younger | oldest youngest | arrive depart | arrived departed | enter leave | entered left
include exclude | included excluded | agree disagree | agreed disagreed | true false | private public
male female | man woman | men women | husband wife | mother father | son daughter | brother sister
boy girl | boys girls | king queen | minimum maximum | majority minority | domestic foreign
internal external | alive dead | living dead | survived died | hire fire | hired fired | cheap expensive
safe dangerous | safe unsafe | peace war | ally enemy | allies enemies | friend enemy | friendly hostile
conservative liberal | democrat republican | democrats republicans | upper lower | inside outside
above below | over under | increase cut | raised lowered | raise lower | up down | full empty
temporary permanent | possible impossible | likely unlikely | able unable | always never | all none
everyone nobody | everything nothing | remember forget | remembered forgot | found lost | find lose
present absent | attack defend | attacked defended | prosecution defence | prosecution defense
plaintiff defendant | employer employee | landlord tenant | lender borrower | teacher student
parent child | parents children | home away | inbound outbound | import export | arrest release
arrested released | join leave | joined left | hot cold | warm cool | wet dry | dark light | heavy light
slow fast | slower faster | long short | longer shorter | easy difficult | easier harder | easy hard
happy sad | love hate | loved hated | praise criticise | praised criticised | praise criticize
praised criticized | confirm deny | confirmed denied | admit deny | admitted denied | agree refuse
agreed refused | manslaughter murder | resigned appointed | elected defeated | sank floated
""".strip()


def _antonyms() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for pair in _ANTONYM_PAIRS.replace("\n", "|").split("|"):
        a, b = pair.split()
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    return {k: frozenset(v) for k, v in table.items()}


ANTONYMS: dict[str, frozenset[str]] = _antonyms()

# Demonyms and their places: "Chinese" is supported by "China", "Britain" by "British".
_DEMONYMS = """
american:america,us,usa,united states | british:britain,uk,united kingdom,england | english:england
chinese:china | french:france | german:germany | italian:italy | spanish:spain | dutch:netherlands,holland
swiss:switzerland | swedish:sweden | danish:denmark | norwegian:norway | finnish:finland | polish:poland
greek:greece | turkish:turkey,turkiye | russian:russia | ukrainian:ukraine | irish:ireland
scottish:scotland | welsh:wales | japanese:japan | korean:korea | vietnamese:vietnam | thai:thailand
indian:india | pakistani:pakistan | afghan:afghanistan | iranian:iran | iraqi:iraq | israeli:israel
palestinian:palestine,gaza | saudi:saudi arabia | egyptian:egypt | syrian:syria | lebanese:lebanon
turkmen:turkmenistan | brazilian:brazil | mexican:mexico | canadian:canada | australian:australia
argentine:argentina | argentinian:argentina | chilean:chile | peruvian:peru | colombian:colombia
venezuelan:venezuela | cuban:cuba | nigerian:nigeria | kenyan:kenya | ethiopian:ethiopia
south african:south africa | filipino:philippines | indonesian:indonesia | malaysian:malaysia
portuguese:portugal | belgian:belgium | austrian:austria | hungarian:hungary | czech:czechia,czech republic
romanian:romania | bulgarian:bulgaria | serbian:serbia | croatian:croatia | european:europe,eu
african:africa | asian:asia | omani:oman | qatari:qatar | emirati:uae,emirates | yemeni:yemen
north korean:north korea | south korean:south korea | taiwanese:taiwan | mongolian:mongolia
""".strip()


def _demonyms() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for entry in _DEMONYMS.replace("\n", "|").split("|"):
        demonym, places = entry.strip().split(":")
        for place in places.split(","):
            table.setdefault(demonym, set()).add(place)
            table.setdefault(place, set()).add(demonym)
    return {k: frozenset(v) for k, v in table.items()}


# Single words only are looked up (the last word of a multi-word place, e.g. "korea"), both directions.
DEMONYMS: dict[str, frozenset[str]] = {
    k: frozenset(p.split()[-1] for p in v) for k, v in _demonyms().items() if " " not in k
}

# Irregular verb forms → base form, so "fell"/"fall", "left"/"leaving", "won"/"wins" match.
_IRREGULAR = """
arise arose arisen | be was were been | bear bore borne | beat beat beaten | become became become
begin began begun | bend bent | bet bet | bid bid | bind bound | bite bit bitten | bleed bled | blow blew blown
break broke broken | breed bred | bring brought | build built | burn burnt | burst burst | buy bought
catch caught | choose chose chosen | cling clung | come came come | cost cost | creep crept | cut cut
deal dealt | dig dug | do did done | draw drew drawn | drink drank drunk | drive drove driven | eat ate eaten
fall fell fallen | feed fed | feel felt | fight fought | find found | flee fled | fly flew flown
forbid forbade forbidden | forecast forecast | forget forgot forgotten | forgive forgave forgiven
freeze froze frozen | get got gotten | give gave given | go went gone | grow grew grown | hang hung
have had has | hear heard | hide hid hidden | hit hit | hold held | hurt hurt | keep kept | know knew known
lay laid | lead led | leave left | lend lent | let let | lie lay lain | light lit | lose lost | make made
mean meant | meet met | pay paid | plead pled | prove proven | put put | quit quit | read read | ride rode ridden
ring rang rung | rise rose risen | run ran run | say said | see saw seen | seek sought | sell sold | send sent
set set | shake shook shaken | shed shed | shoot shot | show shown | shrink shrank shrunk | shut shut
sing sang sung | sink sank sunk | sit sat | sleep slept | slide slid | speak spoke spoken | spend spent
spin spun | split split | spread spread | stand stood | steal stole stolen | stick stuck | sting stung
strike struck stricken | swear swore sworn | sweep swept | swim swam swum | swing swung | take took taken
teach taught | tear tore torn | tell told | think thought | throw threw thrown | understand understood
undertake undertook undertaken | uphold upheld | wake woke woken | wear wore worn | win won | withdraw withdrew
withdrawn | write wrote written | overtake overtook overtaken | overthrow overthrew overthrown
""".strip()


def _irregular() -> dict[str, str]:
    table: dict[str, str] = {}
    for entry in _IRREGULAR.replace("\n", " ").split("|"):
        base, *forms = entry.split()
        for form in forms:
            table.setdefault(form, base)
    return table


IRREGULAR: dict[str, str] = _irregular()
