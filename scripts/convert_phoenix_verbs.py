#!/usr/bin/env python3
"""Converts PETRARCH-2's CAMEO verb dictionary (CAMEO.2.0.txt, Open Event Data Alliance, MIT) into
detente's lexicon format (core/data/lexicon/phoenix-verbs.txt).

    python3 scripts/convert_phoenix_verbs.py [CAMEO_2_0_TXT] [OUT_FILE] [--bare-verbs]

The input defaults to ../shared/data/phoenix/CAMEO.2.0.txt, the output to
core/data/lexicon/phoenix-verbs.txt. It prints what it kept and what it left out.

PETRARCH's patterns are already syntactic: a verb block (synonymous verbs, an optional default
code per verb), then lines `- [subject nouns] * [object nouns] [(PREP noun)] [CODE]` where a noun
is the head of its phrase, `{A B}` a phrase whose last word is the head, `&SET` a synonym set,
`+` the target and `$` the source. That maps onto our dependency patterns (lexicon.rs):

* the verb a pattern was written for (named in its comment) is its head: `- * SANCTIONS [163]  # ADD`
  becomes `add ... sanctions`; a verb's default code holds for the verb the block is named after
  and for verbs whose own line gives a code;
* a noun phrase `{FINANCIAL AID}` becomes `... aid financial` (the head anywhere in the verb's
  arguments, then its modifier among the head's dependents); a synonym set becomes `a|b|c`;
* `(PREP noun)` becomes `prep ... noun`; `(PREP +)` becomes `prep T`; `+` after the verb `T`;
* each CAMEO code is a section `@code CODE`: its patterns join our category with that action code
  (and so take its appeal, intent, demand… codes inside a speech act), or stand alone; PETRARCH's
  null code `---` becomes `@code none`, a pattern that codes nothing and so blocks a verb's default
  code ("- * STOCK [---]").

Left out, each for a reason written where it is decided: patterns constraining the subject (we
cannot say "the subject is the military"), transformations (`~` lines, our frames do this), a
second code after `:` (the target's reciprocal act; we keep the source's), codes outside CAMEO
1.1b3, words that are not plain lowercase words, synonym-set members of several words, and the
default codes of verbs of saying (010): detente reads "said" as reported speech, not an event.
A verb's default code (the verb alone, without an object: "allow" 080, "monitor" 090) is left out
unless `--bare-verbs` is given: on our development sets (codebook examples, PLOVER records, blind
articles) those events named the wrong act about five times in six.
"""
import os
import re
import sys
from collections import OrderedDict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
SRC = ARGS[0] if ARGS else os.path.join(ROOT, "..", "shared", "data", "phoenix", "CAMEO.2.0.txt")
OUT = ARGS[1] if len(ARGS) > 1 else os.path.join(ROOT, "core", "data", "lexicon", "phoenix-verbs.txt")
CODES = os.path.join(ROOT, "core", "data", "cameo_event_codes.tsv")

HEADER = """\
# CAMEO verb patterns converted by scripts/convert_phoenix_verbs.py from PETRARCH-2's verb dictionary
# CAMEO.2.0.txt (openeventdata/petrarch2; composite of the TABARI CAMEO dictionaries and WordNet
# synonym sets). Read after detente's own events.txt: on an equal match ours win, a longer pattern
# here wins over a shorter one of ours. See the script for what maps how and what is left out.
#
# The MIT License (MIT). Copyright (c) 2015 Open Event Data Alliance.
# Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
# associated documentation files (the "Software"), to deal in the Software without restriction,
# including without limitation the rights to use, copy, modify, merge, publish, distribute,
# sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
# furnished to do so, subject to the following conditions: The above copyright notice and this
# permission notice shall be included in all copies or substantial portions of the Software.
# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
# NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
# NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
# DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
# OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""

WORD = re.compile(r"^[a-z0-9'][a-z0-9'-]*$")
# Default codes of bare verbs we do not take: statements (reported speech is how we read "said").
SKIP_DEFAULTS = {"010"}


def load_codes():
    codes = set()
    with open(CODES, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            codes.add(line.split("\t")[0].strip())
    return codes


def code_of(bracket, known, stats):
    """The source's code of `[CODE]`, `[CODE:CODE]`, `[---]`; None when unusable."""
    first = bracket.split(":")[0].strip()
    if first in ("---", "") and ":" not in bracket:
        return "none"
    if first == "":
        stats["target-only code"] += 1
        return None
    if first == "---":
        return "none"
    if first not in known:
        stats["code outside CAMEO"] += 1
        return None
    return first


def parse(path):
    synsets, blocks = {}, []
    current_set = None
    block = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    in_patterns = False
    for raw in lines:
        line = raw.split("#", 1)[0].rstrip()
        if "VERB PATTERNS" in raw:
            in_patterns = True
            continue
        if not line.strip():
            current_set = None
            continue
        if not in_patterns:
            if line.startswith("&"):
                current_set = line.strip()
                synsets[current_set] = []
            elif line.startswith("+") and current_set:
                synsets[current_set].append(line[1:].strip())
            continue
        if line.startswith("---"):
            m = re.match(r"---\s+(\S+)\s+\[([^\]]*)\]", line)
            block = {"name": m.group(1) if m else "?", "code": m.group(2) if m else "---", "verbs": [], "patterns": []}
            blocks.append(block)
            continue
        if block is None:
            continue
        if line.startswith("- "):
            origin = raw.split("#", 1)[1].split()[0].lower() if "#" in raw and raw.split("#", 1)[1].split() else None
            block["patterns"].append((line[2:].strip(), origin))
        elif line.startswith("~"):
            block.setdefault("transforms", 0)
            block["transforms"] = block.get("transforms", 0) + 1
        else:
            block["verbs"].append(line.strip())
    return synsets, blocks


def verb_of(text):
    """`ASK`, `+ASK_FOR {...}`, `WIRE_+TAP` → (head, [other words]) or None."""
    text = re.sub(r"\{[^}]*\}", "", text).strip()
    phrase = text.split()[0] if text.split() else ""
    parts = phrase.lower().split("_")
    if len(parts) == 1:
        head, rest = parts[0].lstrip("+"), []
    else:
        marked = [i for i, p in enumerate(parts) if p.startswith("+")]
        h = marked[0] if marked else 0
        head = parts[h].lstrip("+")
        rest = [p.lstrip("+") for i, p in enumerate(parts) if i != h]
    words = [head] + rest
    if not all(WORD.match(w) for w in words):
        return None
    return head, rest


def alternatives(token, synsets):
    """A word or `&SET` as our `a|b|c` (lowercase single words only), or None."""
    if token.startswith("&"):
        members = synsets.get(token.rstrip("_"), synsets.get(token))
        if members is None:
            return None
        words = []
        for m in members:
            w = m.rstrip("_").lower()
            if WORD.match(w) and w not in words:
                words.append(w)
        return "|".join(words) if words else None
    w = token.lower()
    return w if WORD.match(w) else None


def tokens(s):
    """Splits a pattern body into items: words, `{...}` phrases, `(...)` groups."""
    items, i = [], 0
    while i < len(s):
        c = s[i]
        if c.isspace():
            i += 1
        elif c in "{(":
            close = "}" if c == "{" else ")"
            depth, j = 0, i
            while j < len(s):
                if s[j] in "{(":
                    depth += 1
                elif s[j] in "})":
                    depth -= 1
                    if depth == 0 and s[j] == close:
                        break
                j += 1
            items.append(s[i : j + 1])
            i = j + 1
        else:
            j = i
            while j < len(s) and not s[j].isspace() and s[j] not in "{(":
                j += 1
            items.append(s[i:j])
            i = j
    return items


def phrase(item, synsets):
    """A noun or `{A B C}` → `... C A B` (head first, found anywhere in the arguments)."""
    words = item[1:-1].split() if item.startswith("{") else [item]
    alts = [alternatives(w, synsets) for w in words]
    if any(a is None for a in alts) or not alts:
        return None
    head, mods = alts[-1], alts[:-1]
    return " ".join(["...", head] + mods)


def convert_body(body, synsets, stats):
    """The part after `*` → our elements (a string), or None when it cannot be said."""
    out = []
    first = True
    for item in tokens(body):
        if item == "+":
            if first:
                out.append("T")
            first = False
            continue
        first = False
        if item in ("$", "^", "%"):
            continue
        if item.startswith("("):
            inner = tokens(item[1:-1])
            if not inner:
                return None
            prep = alternatives(inner[0], synsets)
            if prep is None:
                return None
            rest = [x for x in inner[1:] if x not in ("$", "%")]
            if "^" in rest:
                continue  # "(IN ^)": a place we do not constrain
            if not rest:
                out.append(prep)
            elif rest == ["+"]:
                out.append(f"{prep} T")
            else:
                parts = [phrase(x, synsets) for x in rest if x != "+"]
                if any(p is None for p in parts):
                    return None
                out.append(f"{prep} " + " ".join(parts))
            continue
        p = phrase(item, synsets)
        if p is None:
            return None
        out.append(p)
    return " ".join(out)


def main():
    known = load_codes()
    synsets, blocks = parse(SRC)
    stats = OrderedDict(
        (k, 0)
        for k in [
            "verbs",
            "verb defaults",
            "patterns read",
            "patterns written",
            "subject constraint",
            "target-only code",
            "code outside CAMEO",
            "not plain words",
            "statement default skipped",
            "bare verb left out",
            "synonym default skipped",
            "origin unnamed",
            "duplicate",
        ]
    )
    sections = OrderedDict()  # code -> list of (pattern, comment)
    seen = set()

    def add(code, pattern, comment):
        if (code, pattern) in seen:
            stats["duplicate"] += 1
            return False
        seen.add((code, pattern))
        sections.setdefault(code, []).append((pattern, comment))
        return True

    for b in blocks:
        block_code = b["code"].strip()
        verbs = []
        for v in b["verbs"]:
            m = re.search(r"\[([^\]]*)\]", v)
            own = m.group(1).strip() if m else None
            parsed = verb_of(re.sub(r"\[[^\]]*\]", "", v))
            if parsed is None:
                stats["not plain words"] += 1
                continue
            stats["verbs"] += 1
            verbs.append(parsed)
            code = own if own is not None else block_code
            if code in ("---", ""):
                continue
            c = code_of(code, known, stats)
            if c is None or c == "none":
                continue
            # Bare verbs are left out: coded without an object they named the wrong act about
            # five times in six on our development sets ("allow", "expect", "monitor", "help").
            if "--bare-verbs" not in sys.argv:
                stats["bare verb left out"] += 1
                continue
            # A block's code is meant for its named verb; its synonyms take it only when their
            # own line says so ("---  SEIZE [171]" codes "seize", not every verb listed under it).
            if own is None and parsed[0] != b["name"].lower().split("_")[0]:
                stats["synonym default skipped"] += 1
                continue
            if c in SKIP_DEFAULTS:
                stats["statement default skipped"] += 1
                continue
            head, rest = parsed
            if add(c, " ".join([head] + rest), b["name"]):
                stats["verb defaults"] += 1
        for p, origin in b["patterns"]:
            stats["patterns read"] += 1
            m = re.match(r"(.*?)\*(.*?)\[([^\]]*)\]", p)
            if not m:
                stats["not plain words"] += 1
                continue
            pre, body, bracket = m.group(1).strip(), m.group(2).strip(), m.group(3)
            if pre.replace("$", "").replace("+", "").strip():
                stats["subject constraint"] += 1
                continue
            c = code_of(bracket, known, stats)
            if c is None:
                continue
            conv = convert_body(body, synsets, stats)
            if conv is None or not conv.strip():
                if conv is None:
                    stats["not plain words"] += 1
                continue
            names = {"_".join([h] + r) for h, r in verbs} | {h for h, _ in verbs}
            if origin not in names:
                # The comment names no verb of the block (a coder's initials): the block's verb.
                stats["origin unnamed"] += 1
                origin = b["name"].lower()
            for head, rest in verbs:
                # A pattern holds for the verb it was written for (its comment names it): spread
                # over the whole synonym block, as PETRARCH does, it cost more precision than it
                # gained recall on our development articles.
                if origin and "_".join([head] + rest) != origin and head != origin:
                    continue
                pattern = " ".join([head] + rest + [conv])
                if add(c, pattern, b["name"]):
                    stats["patterns written"] += 1

    with open(OUT, "w", encoding="utf-8") as f:
        f.write(HEADER)
        f.write("\n@fallback\n")
        for code in sorted(sections, key=lambda c: (c == "none", c)):
            f.write(f"\n@code {code}\n")
            for pattern, _ in sections[code]:
                f.write(pattern + "\n")
    for k, v in stats.items():
        print(f"{k:28} {v}")
    print(f"{'codes':28} {len(sections)}")


if __name__ == "__main__":
    main()
