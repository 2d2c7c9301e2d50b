#!/usr/bin/env python3
"""Converts the Phoenix actor dictionaries of PETRARCH-2 (Open Event Data Alliance, MIT) into
detente's dictionary format (core/data/actors/*.tsv: code, kind, names, from, until, office).

    python3 scripts/convert_phoenix.py [PHOENIX_DIR] [OUT_DIR]

PHOENIX_DIR defaults to ../shared/data/phoenix, OUT_DIR to core/data/actors. It writes
phoenix-persons.tsv, phoenix-bodies.tsv, phoenix-places.tsv, phoenix-organisations.tsv and
phoenix-roles.tsv, and prints how many entries and names each holds. Our own files win: a name
already in countries/regions/organisations/roles/persons.tsv is left out, and so is every name of
a person we list ourselves (our offices cover 2014 on; Phoenix ends in early 2014).

Choices, each written where it is made: dates YYMMDD are 20YY up to 14 (the compilation year),
19YY above; a person's undated default code ("[RUSELI]") holds after the last dated office; a
surname alone is not a name of its own (the coder matches surnames of people in office itself,
and "Blair Kennedy" must not be Tony Blair); a country block's other names (cities, provinces,
old spellings) become places of that country, never actors.
"""
import os
import re
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOENIX = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data", "phoenix")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "core", "data", "actors")
OURS = ["countries.tsv", "regions.tsv", "organisations.tsv", "roles.tsv", "persons.tsv", "leaders.tsv"]
CREDIT = (
    "# Converted by scripts/convert_phoenix.py from the Phoenix dictionaries shipped with PETRARCH-2\n"
    "# (openeventdata/petrarch2, petrarch2/data/dictionaries; (c) 2014 Open Event Data Alliance, MIT\n"
    "# licence; persons from CountryInfo.140130.txt, nothing after early 2014). Facts only: the names,\n"
    "# codes and dates. detente's own files win: names they hold are left out here, and a person they\n"
    "# list keeps only the Phoenix offices that ended before ours begin.\n"
)
# Words of titles and offices: person names that hold one are left out.
TITLES = {
    "president", "minister", "premier", "secretary", "chancellor", "king", "queen", "general", "ambassador",
    "envoy", "leader", "chairman", "chief", "commander", "spokesman", "mr", "mrs", "dr", "sheikh", "emir",
    "prince", "administration", "senator", "governor", "mayor", "pm", "foreign", "defense", "defence",
}
# Words kept lowercase inside multi-word names.
SMALL = {"of", "the", "and", "for", "in", "on", "at", "to", "de", "del", "la", "le", "du", "des", "da", "al", "bin", "el"}


def key(name):
    """The folded key detente matches names by: lowercase, no diacritics, words only."""
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = s.replace("'", "").replace("’", "").replace(".", "")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", s).split())


def lines_of(path):
    """The file's lines, each decoded as UTF-8 or else Latin-1 (the files mix both)."""
    with open(path, "rb") as f:
        for raw in f:
            try:
                yield raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                yield raw.decode("latin-1").rstrip("\r\n")


def clean(phrase, kind):
    """A readable name from a Phoenix phrase (HAMID_KARZAI_ → Hamid Karzai), or None."""
    p = phrase.strip().rstrip("_").replace("_", " ")
    p = re.sub(r"\([^)]*\)", " ", p)
    p = " ".join(p.split())
    if not p or any(c in p for c in "!+,/&;\t[]{}#=") or not re.search(r"[A-Za-z]", p):
        return None
    words = p.split(" ")
    if kind in ("organisation", "group") and len(words) == 1 and len(p) <= 6:
        return p  # an acronym
    out = []
    for i, w in enumerate(words):
        lw = w.lower()
        if i > 0 and lw in SMALL:
            out.append(lw)
        else:
            out.append("-".join(part[:1].upper() + part[1:].lower() for part in w.split("-")))
    return " ".join(out)


def parse_date(s):
    s = s.strip()
    if not s.isdigit():
        return None
    if len(s) == 6:
        yy, mm, dd = int(s[:2]), int(s[2:4]), int(s[4:6])
        year = 2000 + yy if yy <= 14 else 1900 + yy
    elif len(s) == 8:
        year, mm, dd = int(s[:4]), int(s[4:6]), int(s[6:8])
    else:
        return None
    if not (1 <= mm <= 12 and 1 <= dd <= 31):
        return None
    try:
        import datetime

        datetime.date(year, mm, dd)
    except ValueError:
        return None
    # detente's dates run from 1900: an office begun before holds from then.
    if year < 1900:
        return "1900-01-01"
    return f"{year:04d}-{mm:02d}-{dd:02d}"


def parse_code(text):
    """`CODE`, `CODE >date`, `CODE <date`, `CODE d1-d2` → (code, from, until) or None."""
    parts = text.split(None, 1)
    if not parts:
        return None
    code = parts[0].strip()
    if not re.fullmatch(r"(?:[A-Z]{3}){1,10}", code):
        return None
    frm = until = None
    if len(parts) == 2:
        r = parts[1].replace(" ", "")
        if r.startswith(">"):
            frm = parse_date(r[1:])
            if frm is None:
                return None
        elif r.startswith("<"):
            until = parse_date(r[1:])
            if until is None:
                return None
        elif "-" in r:
            a, b = r.split("-", 1)
            frm, until = parse_date(a), parse_date(b)
            if frm is None or until is None or frm > until:
                return None
        else:
            return None
    return code, frm, until


def records(path):
    """Phoenix actor records: (names, codes, comment) with codes as (code, from, until)."""
    cur = None
    for line in lines_of(path):
        body, _, comment = line.partition("#")
        if not body.strip():
            continue
        codes = [parse_code(c) for c in re.findall(r"\[([^\]]*)\]", body)]
        codes = [c for c in codes if c]
        phrase = re.sub(r"\[[^\]]*\]", " ", body)
        if line.startswith("\t") or (not phrase.strip() and codes):
            if cur is not None:
                cur[1].extend(codes)
            continue
        if phrase.lstrip().startswith("+"):
            if cur is not None:
                cur[0].append(phrase.strip()[1:])
                cur[1].extend(codes)
            continue
        # A primary phrase: a new record unless the current one has no codes yet.
        if cur is not None and not cur[1]:
            cur[0].append(phrase.strip())
            cur[1].extend(codes)
            continue
        if cur is not None:
            yield cur
        cur = [[phrase.strip()], list(codes), comment.strip()]
    if cur is not None:
        yield cur


def our_keys():
    """Every name key of our files, and for each person's name key the first day our files cover
    that person from."""
    keys = set()
    person_keys = {}
    for f in OURS:
        for line in lines_of(os.path.join(OUT, f)):
            if line.startswith("#") or line.startswith("code\t"):
                continue
            fields = line.split("\t")
            if len(fields) < 3:
                continue
            for n in fields[2].split(";"):
                k = key(n)
                if k:
                    keys.add(k)
                    if fields[1] == "person":
                        start = fields[3] if len(fields) > 3 and fields[3] else "1900-01-01"
                        person_keys[k] = min(person_keys.get(k, start), start)
    return keys, person_keys


def day_after(d):
    import datetime

    y, m, dd = map(int, d.split("-"))
    return (datetime.date(y, m, dd) + datetime.timedelta(days=1)).isoformat()


def names_of(phrases, kind, ours, seen):
    out = []
    for p in phrases:
        n = clean(p, kind)
        if n is None:
            continue
        k = key(n)
        if not k or k in ours or k in seen:
            continue
        if kind == "person" and len(k.split()) < 2:
            continue  # a surname alone: see the module doc
        if kind == "person" and TITLES & set(k.split()):
            continue  # "President Putin": the coder reads titles itself, and a title goes stale
        seen.add(k)
        out.append(n)
    return out


def organisation_code(full, known):
    """detente's code for a PETRARCH organisation code: the bare code our `full` lines give, else
    the last block unless it is a sector (then the organisation above it)."""
    if full in known:
        return known[full]
    sectors = {
        "AGR", "BUS", "CRM", "CVL", "DEV", "EDU", "ELI", "ENV", "HLH", "HRI", "LAB", "LEG", "MED",
        "MNC", "MOD", "MOV", "OPP", "POL", "REF", "REL", "SET", "UAF", "SPY", "JUD", "COP", "GOV",
        "MIL", "REB", "RAD", "IGO", "NGO", "INT", "ASA", "AFR", "EUR", "LAM", "MEA", "WST",
    }
    blocks = [full[i:i + 3] for i in range(0, len(full), 3)]
    for b in reversed(blocks[1:]):
        # A country or region block says where the organisation works, not what it is.
        if b not in sectors and b not in COUNTRIES and b not in REGIONS:
            return b
    return None


COUNTRIES = set()
REGIONS = set()


def main():
    for line in lines_of(os.path.join(OUT, "countries.tsv")):
        f = line.split("\t")
        if len(f) >= 2 and f[1] == "country" and len(f[0]) == 3:
            COUNTRIES.add(f[0])
    for line in lines_of(os.path.join(OUT, "regions.tsv")):
        f = line.split("\t")
        if len(f) >= 2 and f[1] == "region" and len(f[0]) == 3:
            REGIONS.add(f[0])
    ours, our_persons = our_keys()
    seen = set()
    persons, bodies, places, orgs, fulls, roles = [], [], [], [], [], {}

    known_full = {}
    for line in lines_of(os.path.join(OUT, "organisations.tsv")):
        f = line.split("\t")
        if len(f) >= 3 and f[1] == "full":
            known_full[f[0]] = f[2]

    def add_person(names, codes, office=""):
        dated = [c for c in codes if c[1] or c[2]]
        undated = [c for c in codes if not (c[1] or c[2])]
        out = [(c, f or "", u or "") for c, f, u in dated]
        if undated:
            last = max((u for _, _, u in dated if u), default=None)
            if dated and last is None:
                pass  # an open office already covers the time after
            else:
                out.append((undated[0][0], day_after(last) if last else "", ""))
        for c, f, u in out:
            if c.strip("-") == "":
                continue
            persons.append((c, "; ".join(names), f, u, office))

    for names, codes, _comment in records(os.path.join(PHOENIX, "Phoenix.Countries.actors.txt")):
        if not codes:
            continue
        ours_from = [our_persons[k] for k in (key(clean(n, "person") or "") for n in names) if k in our_persons]
        if ours_from:
            # A person we list ourselves: only Phoenix's offices that ended before ours begin.
            cutoff = min(ours_from)
            early = [c for c in codes if c[2] and c[2] < cutoff]
            # Only the names we give the person: a Phoenix-only variant would resolve to these
            # old offices alone.
            ns = [clean(n, "person") for n in names]
            ns = [n for n in dict.fromkeys(ns) if n and key(n) in our_persons]
            for c, f, u in early:
                if ns and c.strip("-"):
                    persons.append((c, "; ".join(ns), f or "", u, ""))
            continue
        dated = any(c[1] or c[2] for c in codes)
        code = codes[0][0]
        if len(code) == 3 and not dated:
            ns = names_of(names, "place", ours, seen)
            if ns:
                places.append((code, "; ".join(ns)))
        elif "CountryInfo" in _comment:
            # CountryInfo's records are the persons (heads of state and government, ministers).
            ns = names_of(names, "person", ours, seen)
            if ns:
                add_person(ns, codes)
        else:
            # Institutions, parties and militias, with their windows when dated.
            ns = names_of(names, "body", ours, seen)
            for c, f, u in codes:
                if ns and "---" not in c:
                    bodies.append((c, "; ".join(ns), f or "", u or ""))

    for fname, kind in (("Phoenix.International.actors.txt", "organisation"), ("Phoenix.MilNonState.actors.txt", "group")):
        for names, codes, _comment in records(os.path.join(PHOENIX, fname)):
            if not codes:
                continue
            dated = any(c[1] or c[2] for c in codes)
            if dated:
                ns = names_of(names, "person", ours, seen)
                if not ns:
                    continue
                mapped = []
                for c, f, u in codes:
                    if len(c) == 3 and c not in COUNTRIES:
                        c = "---" + c  # a role without a country ("[ELI]": a former official)
                    if c.startswith(("IGO", "NGO")):
                        b = organisation_code(c, known_full)
                        if b is None:
                            continue
                        if c not in known_full:
                            fulls.append((c, b))
                        c = b
                    mapped.append((c, f, u))
                add_person(ns, mapped)
                continue
            code = codes[0][0]
            if code.startswith(("IGO", "NGO")):
                bare = organisation_code(code, known_full)
                if bare is None:
                    continue
                if code not in known_full:
                    fulls.append((code, bare))
                k = "organisation"
            else:
                bare, k = code, kind
            ns = names_of(names, k, ours, seen)
            if ns:
                orgs.append((bare, k, "; ".join(ns)))

    macros = {}
    for line in lines_of(os.path.join(PHOENIX, "Phoenix.agents.txt")):
        body = line.split("#")[0].strip()
        m = re.match(r"^(![A-Z]+!)\s*=\s*(.*)$", body)
        if m:
            macros[m.group(1)] = [w.strip() for w in m.group(2).split(",") if w.strip()]
            continue
        m = re.match(r"^([^\[]+?)\s*\[(~?)([A-Z]{3})(~?)\]$", body)
        if not m:
            continue
        phrase, role = m.group(1), m.group(3)
        variants = [phrase]
        for mac, words in macros.items():
            if mac in phrase:
                variants = [v.replace(mac, w) for v in variants for w in words]
        for v in variants:
            n = v.replace("_", " ").strip().lower()
            if not n or not re.fullmatch(r"[a-z][a-z '\-]*", n) or key(n) in ours:
                continue
            roles.setdefault(role, [])
            if n not in roles[role]:
                roles[role].append(n)

    def write(name, header, rows):
        path = os.path.join(OUT, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(CREDIT + header + "code\tkind\tnames\tfrom\tuntil\toffice\n")
            for r in rows:
                f.write("\t".join(r).rstrip("\t") + "\n")
        n_names = sum(len(r[2].split("; ")) for r in rows)
        print(f"{name}: {len(rows)} entries, {n_names} names")

    write(
        "phoenix-persons.tsv",
        "# Persons with the codes of the offices they held, by date; a code without dates holds after\n"
        "# the last dated office. Surnames alone are left out (the coder matches them itself).\n",
        [(c, "person", n, f, u, o) for c, n, f, u, o in persons],
    )
    write(
        "phoenix-bodies.tsv",
        "# Named national institutions, parties and armed groups: each stands for one actor.\n",
        [(c, "body", n, f, u) for c, n, f, u in bodies],
    )
    write(
        "phoenix-places.tsv",
        "# Other names of a country's block in Phoenix (cities, provinces, old spellings): places of\n"
        "# that country, never actors.\n",
        [(c, "place", n) for c, n in places],
    )
    full_rows = []
    for c, b in fulls:
        if (c, "full", b) not in full_rows:
            full_rows.append((c, "full", b))
    write(
        "phoenix-organisations.tsv",
        "# International organisations, NGOs and armed non-state groups; full PETRARCH codes map to\n"
        "# the bare codes (`full` lines).\n",
        [(c, k, n) for c, k, n in orgs] + full_rows,
    )
    write(
        "phoenix-roles.tsv",
        "# Agent words: role codes they give a country next to them, or alone a role without country.\n",
        [(r, "role", "; ".join(ws)) for r, ws in sorted(roles.items())],
    )


if __name__ == "__main__":
    main()
