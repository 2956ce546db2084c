"""The design pages of the "is this article text?" model (:mod:`qa.article_text`), generated from our own text.

Articles are assembled from news sentences written for this file and from the demo corpus (also ours): briefs of one
or two sentences, long reports in paragraphs, pieces with sub-headings, photo captions, bullet points, time-stamped
live updates, quotes that address the reader, and reports that themselves speak of subscriptions, cookies or
privacy. Non-articles are the pages a scraper meets instead: navigation menus, lists of headlines, paywalls (often
with the story's first sentence as a teaser), cookie-consent pages, sign-in and error pages.

The checking pages in ``eval/data/article_text/check/`` were written separately, in other words, and are never
fitted on (``eval/fit_article_text.py`` reports both).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

DEMO_ARTICLES = Path(__file__).resolve().parent.parent / "demo" / "articles"

NEWS = [
    "The county council approved a new budget on Tuesday after a four-hour debate.",
    "Officials said the bridge would stay closed to heavy lorries until the spring.",
    "The hospital trust has hired 40 more nurses to cut waiting times in its emergency department.",
    "Police closed the coast road for six hours after a lorry shed its load near the harbour.",
    "Shares in the shipping firm fell 8 percent after it warned that profits would be lower than expected.",
    "The museum will reopen its east wing in June after a two-year restoration.",
    "Forecasters expect heavy rain across the north of the region until Thursday evening.",
    "The school board voted 5 to 2 to delay the start of the autumn term by one week.",
    "Farmers in the valley say the dry summer has cut their hay harvest by almost half.",
    "The city has planted 1,200 street trees this year, double its target.",
    "A jury found the former treasurer guilty of taking money from the club's accounts.",
    "The ferry operator added two late sailings on Fridays and Saturdays during the summer.",
    "Researchers at the university found traces of a rare mineral in rocks from the old quarry.",
    "The mayor said the housing plan would be put to a public vote in November.",
    "Union leaders will meet the company again next week to discuss the pay offer.",
    "The club's new coach won his first match 2-1 in front of a crowd of 8,000.",
    "Volunteers collected more than two tonnes of litter from the beach over the weekend.",
    "The airport expects 3.2 million passengers this year, up from 2.7 million last year.",
    "Inspectors rated the care home as good after a visit in March.",
    "The library will extend its opening hours on weekday evenings from next month.",
    "Engineers found cracks in two of the pier's support columns during a routine check.",
    "The festival drew about 20,000 visitors over three days, organisers said.",
    "Water bills in the region will rise by an average of 6 percent from April.",
    "The court was told that the defendant had driven at twice the speed limit.",
    "A spokesperson for the company declined to comment on the job cuts.",
    "The new tram line is due to open at the end of next year, a year later than planned.",
    "Residents have complained about noise from the building site since January.",
    "The report found that one in five bus services ran more than ten minutes late.",
    "The minister visited the flooded town on Sunday and promised help with repairs.",
    "Scientists will spend the next two years studying how the river's fish move upstream.",
    "Prices at the farmers' market have risen sharply since the spring, stallholders said.",
    "The council has set aside money to repair the sea wall before the winter storms.",
    "Ticket sales for the concert series were the highest in a decade.",
    "Firefighters brought the blaze at the warehouse under control shortly after midnight.",
    "Nobody was hurt, but the building was badly damaged.",
    "The bakery on the high street will close at the end of the month after 60 years.",
    "Its owners said rising energy costs had made the business impossible to run.",
    "The planning committee rejected the proposal for a fourth supermarket in the town.",
    "Turnout in the local election was 34 percent, slightly lower than four years ago.",
    "The rail company apologised for the delays and said new trains would arrive in May.",
]
# Reports that themselves speak of subscriptions, sign-ins, cookies, privacy or prices: still articles.
NEWS_ABOUT_ACCESS = [
    "The streaming service said it would raise the price of its basic plan to $9.99 a month.",
    "Regulators fined the retailer for tracking shoppers' phones without their consent.",
    "The newspaper said its digital subscriptions had grown by 12 percent over the year.",
    "The gym chain will let members freeze their membership for up to three months.",
    "The bank asked customers to change their passwords after the data breach.",
    "Privacy campaigners said the new cookie rules did not go far enough.",
    "The museum offers free access to its collection on the first Sunday of each month.",
    "Users who did not sign in for two years will have their accounts deleted, the company said.",
    "The council's parking permits will cost £40 a year for residents from April.",
    "Advertisers have been told to stop using personalised ads aimed at children.",
]
QUOTES = [
    '"We have waited a long time for this," said one resident.',
    '"You cannot run a harbour without dredging," the harbour master said.',
    '"If you live near the river, keep an eye on the warnings," the fire service said.',
    '"It is a good result for the town," the mayor told reporters.',
    '"Your safety comes first," the operator said in a statement.',
    '"We will keep talking until we have a deal," the union said.',
]
SUBHEADINGS = ["What happens next", "Background", "Reaction", "The cost", "Why it matters", "Timeline"]
CAPTIONS = [
    "Workers repair the pier on Tuesday. (Photo: staff)",
    "The new tram at the depot",
    "Image: council handout",
]
BYLINES = ["By Mara Quinlan", "By Tom Okafor and Lise Brandt", "Staff reporter", "By our transport correspondent"]
DATELINES = ["PORT ELLIS —", "WESTFORD, March 3 —", "HARLOW JUNCTION —", ""]

NAV = [
    *("Home", "News", "World", "Local", "Business", "Sport", "Opinion", "Culture", "Weather", "Podcasts"),
    *("Video", "Contact", "About us", "Careers", "Advertise", "Terms of use", "Privacy policy", "Newsletters"),
    *("Archive", "Search", "Menu", "Log in", "Subscribe", "Puzzles", "Obituaries", "Letters", "Travel", "Food"),
    *("Jobs", "Property", "Motoring", "Events", "Corrections", "Help", "FAQ", "Sitemap", "Follow us", "RSS"),
]
PAYWALL = [
    "Subscribe today to keep reading this story.",
    "This article is for subscribers only.",
    "Get unlimited digital access for $2 a week.",
    "Already have an account? Log in.",
    "Cancel anytime.",
    "Start your free trial now.",
    "Support local reporting by becoming a member.",
    "You have read all of your free articles this month.",
    "Sign up to read the full story.",
    "Choose your plan",
    "Digital access: £1 per week for the first 3 months, then £4.99 per month.",
    "Unlock this article and more with a subscription.",
    "Subscribers get ad-free access to every story.",
    "Register for free to continue reading.",
]
CONSENT = [
    "We use cookies to improve your experience on our site.",
    "We and our partners store and access information on your device.",
    "By clicking accept, you agree to our use of cookies.",
    "You can change your preferences at any time.",
    "Accept all",
    "Reject all",
    "Manage preferences",
    "Some cookies are needed for the site to work.",
    "We use this data for personalised ads and content, ad measurement and audience insights.",
    "Read our privacy policy to find out more.",
]
GATE = [
    "Please enable JavaScript to view this page.",
    "Your browser is not supported.",
    "Verify that you are not a robot.",
    "Access denied.",
    "Page not found.",
    "The page you requested could not be found.",
    "Sign in to continue.",
    "Email address",
    "Password",
    "Forgot your password?",
    "Create an account",
    "Something went wrong. Please try again later.",
    "Turn off your ad blocker to continue.",
]


def _demo_sentences() -> list[str]:
    out = []
    for path in sorted(DEMO_ARTICLES.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for part in line.replace(". ", ".\n").split("\n"):
                if len(part.split()) >= 6 and part.rstrip().endswith((".", '"', "”")):
                    out.append(part.strip())
    return out


def _paragraphs(rng: random.Random, sentences: list[str]) -> str:
    paras, i = [], 0
    while i < len(sentences):
        n = rng.randint(1, 4)
        paras.append(" ".join(sentences[i : i + n]))
        i += n
    return "\n\n".join(paras)


def _headline(rng: random.Random, sentence: str) -> str:
    words = sentence.rstrip(".").split()
    return " ".join(words[: rng.randint(4, min(11, len(words)))])


# --- articles -------------------------------------------------------------------------------------------------
def report(rng: random.Random, pool: list[str]) -> str:
    sentences = rng.sample(pool, rng.randint(4, 20))
    if rng.random() < 0.4:
        sentences.insert(rng.randint(1, len(sentences)), rng.choice(QUOTES))
    body = _paragraphs(rng, sentences)
    if rng.random() < 0.3:
        body = f"{rng.choice(DATELINES)} {body}".strip()
    if rng.random() < 0.3:
        body = f"{rng.choice(BYLINES)}\n\n{body}"
    return body


def brief(rng: random.Random, pool: list[str]) -> str:
    return " ".join(rng.sample(pool, rng.randint(1, 2)))


def structured(rng: random.Random, pool: list[str]) -> str:
    parts = []
    for _ in range(rng.randint(2, 4)):
        if rng.random() < 0.6:
            parts.append(rng.choice(SUBHEADINGS))
        parts.append(" ".join(rng.sample(pool, rng.randint(2, 4))))
        if rng.random() < 0.3:
            parts.append(rng.choice(CAPTIONS))
        if rng.random() < 0.3:
            parts.append("\n".join(f"- {_headline(rng, s)}" for s in rng.sample(pool, 3)))
    return "\n\n".join(parts)


def live_updates(rng: random.Random, pool: list[str]) -> str:
    hour = rng.randint(6, 18)
    lines = []
    for n in range(rng.randint(3, 8)):
        lines.append(f"{hour + n // 3:02d}:{rng.randint(0, 59):02d}")
        lines.append(rng.choice(pool))
    return "\n".join(lines)


def about_access(rng: random.Random, pool: list[str]) -> str:
    sentences = rng.sample(pool, rng.randint(2, 8)) + rng.sample(NEWS_ABOUT_ACCESS, rng.randint(1, 3))
    rng.shuffle(sentences)
    return _paragraphs(rng, sentences)


# Service journalism addresses the reader throughout; list-heavy pieces and transcripts have many short lines.
ADVICE = [
    "If your train is cancelled, you can claim a refund from the operator within 28 days.",
    "You should keep receipts for any taxis or hotels you pay for during the disruption.",
    "Check whether your home insurance covers flood damage before the winter.",
    "You can find out which collection day applies to your street on the council's map.",
    "If you are over 65, you may be entitled to a free flu vaccine this autumn.",
    "Anyone who smells gas should leave the building and call the emergency line.",
]
SPEAKERS = ["Chair", "Councillor Webb", "Mr Osei", "Ms Varga", "Host", "Guest"]


def service_piece(rng: random.Random, pool: list[str]) -> str:
    sentences = rng.sample(ADVICE, rng.randint(2, 5)) + rng.sample(pool, rng.randint(1, 4))
    rng.shuffle(sentences)
    return _paragraphs(rng, sentences)


def list_heavy(rng: random.Random, pool: list[str]) -> str:
    items = "\n".join(f"{n}. {_headline(rng, s)}" for n, s in enumerate(rng.sample(pool, rng.randint(5, 12)), 1))
    return "\n\n".join([" ".join(rng.sample(pool, rng.randint(1, 3))), items, " ".join(rng.sample(pool, 2))])


def transcript(rng: random.Random, pool: list[str]) -> str:
    return "\n".join(f"{rng.choice(SPEAKERS)}: {s}" for s in rng.sample(pool + QUOTES, rng.randint(4, 12)))


# --- not articles -------------------------------------------------------------------------------------------------
def navigation(rng: random.Random, pool: list[str]) -> str:
    items = rng.sample(NAV, rng.randint(1, 30))
    if rng.random() < 0.4:
        items.append(f"© {rng.randint(2015, 2026)} The {rng.choice(['Harbor Ledger', 'Valley Post', 'Courier'])}")
    return "\n".join(items)


def headline_list(rng: random.Random, pool: list[str]) -> str:
    lines = [_headline(rng, s) for s in rng.sample(pool, rng.randint(4, 15))]
    if rng.random() < 0.5:
        lines = rng.sample(NAV, rng.randint(3, 10)) + lines
    return "\n".join(lines)


def paywall(rng: random.Random, pool: list[str]) -> str:
    lines = rng.sample(PAYWALL, rng.randint(2, 6))
    if rng.random() < 0.6:  # the story's first sentence as a teaser
        lines.insert(0, rng.choice(pool))
    if rng.random() < 0.4:
        lines += rng.sample(NAV, rng.randint(2, 8))
    return "\n".join(lines)


def consent(rng: random.Random, pool: list[str]) -> str:
    lines = rng.sample(CONSENT, rng.randint(2, 6))
    if rng.random() < 0.4:
        lines += rng.sample(NAV, rng.randint(2, 8))
    return "\n".join(lines)


def gate(rng: random.Random, pool: list[str]) -> str:
    lines = rng.sample(GATE, rng.randint(1, 4))
    if rng.random() < 0.5:
        lines += rng.sample(NAV, rng.randint(2, 10))
    return "\n".join(lines)


ARTICLE_KINDS: list[Callable[[random.Random, list[str]], str]] = [report, report, brief, structured, live_updates]
ARTICLE_KINDS += [about_access, service_piece, list_heavy, transcript]
JUNK_KINDS: list[Callable[[random.Random, list[str]], str]] = [navigation, headline_list, paywall, consent, gate]


def design_pages(n_per_class: int = 300, seed: int = 13) -> list[tuple[str, int, str]]:
    """``(body, label, kind)``: label 1 for an article. Deterministic for a seed."""
    rng = random.Random(seed)
    pool = NEWS + _demo_sentences()
    pages = [(kind(rng, pool), 1, kind.__name__) for kind in (rng.choice(ARTICLE_KINDS) for _ in range(n_per_class))]
    pages += [(kind(rng, pool), 0, kind.__name__) for kind in (rng.choice(JUNK_KINDS) for _ in range(n_per_class))]
    return pages
