"""Sentences of a paper's prose, and the result numbers they report.

A number is a result unless it is a citation, a year, a reference to a section, figure, table,
equation or page, a list enumerator, a setting in mathematics ('d = 0') or part of a name
('GSM8K', 'GPT-4', 'DeepSeek 67B'). How much a sentence reads like a result is scored from its
numbers (percentages and multiples most), comparisons, metrics and benchmark names near them.
"""

from __future__ import annotations

import re

_MAX_SENTENCE = 500  # longer: prose and a table run together, not a sentence

# A sentence ends at . ! ? before a capital, digit or opening quote, unless the word before the
# point is an abbreviation ('e.g.', 'et al.', 'Fig.', 'vs.') or an initial ('J. Smith').
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_LOOSE_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+(?=\S)")
_ABBREVIATIONS = frozenset(
    "e.g i.e al cf vs fig figs eq eqs tab tabs sec secs ref refs resp approx viz ca pp vol ch "
    "app alg thm def prop dr mr ms prof st inc corp jr w.r.t a.k.a".split())
_LAST_WORD = re.compile(r"(\S+)$")

# Numbers that are not results, blanked before the rest are counted.
_NOT_RESULTS = re.compile("|".join([
    r"https?://\S+|www\.\S+",
    r"\[[^\[\]]*\d[^\[\]]*\]",  # [12], [3, 5-7], [Smith et al., 2020]
    r"\bet al\.,?\s*\d{1,3}(?:[,–-]\s?\d{1,3})*\b",  # Fang et al. 170 (a superscript)
    r"^\d{1,3}(?:[,–-]\s?\d{1,3})*(?=\s+[A-Z][a-z])",  # '182,183 Among them': superscripts
    r"\((?=[^()]*[A-Z][a-z])[^()%×]*\b(?:19|20)\d\d[a-z]?\s*\)",  # (Smith et al., 2020a)
    r"(?i:\b(?:sections?|secs?\.|§|figures?|figs?\.|tables?|tabs?\.|equations?|eqs?\.|appendix"
    r"|appendices|app\.|algorithms?|alg\.|chapters?|ch\.|lemmas?|theorems?|thm\.|definitions?"
    r"|corollar(?:y|ies)|propositions?|prop\.|footnotes?|lines?|pages?|pp?\.))"
    r"\s*~?\(?[A-Z]?\.?\d+(?:\.\d+)*[a-z]?\)?(?:\([a-z]\))?"
    r"(?:\s*(?:,|and|&|or|[-–]|to)\s*\(?[A-Z]?\.?\d+(?:\.\d+)*[a-z]?\)?(?:\([a-z]\))?)*",
    r"\(\s*\d{1,2}\s*\)|(?<!\S)\d{1,2}\)",  # enumerations: (1) ... (2) ..., 1) ... 2) ...
    r"\b(?:19[5-9]\d|20[0-3]\d)[a-z]?\b(?!\s?(?:%|[x×]\b)|[.,]\d)",  # years
    r"\b\d+(?:st|nd|rd|th)\b",  # ordinals
    r"[=≥≤<>≈∼]\s*[-+−]?\d+(?:\.\d+)?(?![\d.]|\s?%)",  # mathematics: 'd = 0', 'α = 0.6'
    r"\d+(?:\.\d+)?\s?[×x]\s?\d+(?:\.\d+)?\w*",  # sizes: '3×3', '224×224', 'Mixtral 8x22B'
    r"\b[A-Z][\w.-]*(?:\s\d+(?:\.\d+)?)?\s\d+(?:\.\d+)?[BM]\b",  # 'DeepSeek 67B', 'Llama 3.1 8B'
    r"\b[A-Za-z][\w.]*\d[\w./-]*|\b[A-Za-z]+(?:-[\w.]+)*-\d[\w./-]*",  # GSM8K, GPT-4-0613
    r"\b\d(?=[A-Z][a-z])",  # a footnote mark run into the next word: '5We used'
    r"\b\d+-(?:layers?|blocks?|heads?|shots?|way|bits?|crops?|dimensional|stages?|grams?|hops?)\b",
]))
# A number standing alone: not part of a name ('GSM8K', 'GPT-4', 'conv3', 'ResNet-50/101').
_NUMBER = re.compile(r"(?<![\w.])(?<![A-Za-z]-)(?<!\w/)[-+±]?\d+(?:,\d{3})*(?:\.\d+)?"
                     r"(?:\s?[-–]\s?\d+(?:\.\d+)?)?")  # a range ('5-10x') is one number
_PERCENT = re.compile(r"\s?(?:%|percent\b|pp\b|points?\b)")
_MULTIPLIER = re.compile(r"\s?(?:[x×](?!\w)|-?fold\b)")
_TIMES = re.compile(r"\s(?:times|×)\s(?:faster|slower|more|less|fewer|larger|smaller|higher"
                    r"|lower|longer|shorter|the|as|that|of)\b")  # not 'we ran it 5 times'

_MAGNITUDE = re.compile(r"\s?(?:[KMBT]\b|k\b|(?:thousand|million|billion|trillion)\b)")
_CUES = re.compile(
    r"outperform|surpass|improv|better|best|faster|slower|speed-?up|accelerat|reduc|increas"
    r"|gain|higher|lower|boost|exceed|beat|achiev|state-of-the-art|\bSOTA\b|compared|relative"
    r"|absolute|accura|error|precision|recall|\bF1\b|\bBLEU\b|\bROUGE|\bFID\b|\bmAP\b|perplexity"
    r"|\bloss|score|win rate|throughput|latency|memory|\bcost", re.I)
_SETUP = re.compile(
    r"learning rate|weight decay|momentum|batch size|\bepochs?\b|dropout|warm-?up|optimi[sz]er"
    r"|\bAdamW?\b|initiali[sz]|\bGPUs?\b|\bTPUs?\b|\bseeds?\b|hyper-?parameter|\biterations\b"
    r"|\bset (?:to|as)\b|\bwe (?:set|use|adopt|employ|train)\b|vocabulary|tokeni[sz]er|clipping"
    r"|\bconsists? of\b|\bcontains?\b|\bcompris",
    re.I)
_NAME = re.compile(r"\b(?:[A-Z][A-Za-z]*[A-Z0-9][\w-]*|[A-Z]{2,}\w*)")  # MMLU, ImageNet, GSM8K


def split_sentences(text: str, *, loose: bool = False) -> list[str]:
    """One line of prose as sentences; decimals, 'e.g.', 'et al.', 'Fig. 2', 'vs.' do not end one.

    `loose` also ends a sentence before a lower-case word (a caption followed by table text).
    """
    sentences: list[str] = []
    start = 0
    for match in (_LOOSE_BOUNDARY if loose else _BOUNDARY).finditer(text):
        end = match.start() + 1
        word = _LAST_WORD.search(text, start, end)
        token = word.group().lstrip("([\"'“‘").lower() if word else ""
        initial = word is not None and re.fullmatch(r"[A-Z]\.", word.group()) is not None
        if text[match.start()] == "." and (token[:-1] in _ABBREVIATIONS or initial):
            continue
        sentences.append(text[start:match.end()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def _masked(sentence: str) -> str:
    """The sentence with the numbers that are not results blanked out, offsets kept."""
    return _NOT_RESULTS.sub(lambda m: " " * len(m.group()), sentence)


def result_numbers(sentence: str) -> list[str]:
    """The numbers a sentence reports, as kinds: percent, multiplier, magnitude, decimal, integer.

    Citations, years, references to sections, figures, tables, equations and pages, list
    enumerators and the digits in names ('GSM8K', 'GPT-4') are not counted.
    """
    masked = _masked(sentence)
    kinds = []
    for match in _NUMBER.finditer(masked):
        after = masked[match.end():match.end() + 16]
        if _PERCENT.match(after):
            kinds.append("percent")
        elif _MULTIPLIER.match(after) or _TIMES.match(after) or (
                "." in match.group() and after.startswith(" times")):
            kinds.append("multiplier")
        elif _MAGNITUDE.match(after):
            kinds.append("magnitude")
        elif "." in match.group():
            kinds.append("decimal")
        else:
            kinds.append("integer")
    return kinds


def result_score(sentence: str) -> int:
    """How much a sentence reads like a result: its numbers, comparisons, metrics, benchmarks."""
    kinds = result_numbers(sentence)
    if not kinds:
        return 0
    setup = bool(_SETUP.search(sentence))  # its decimals are settings: 'a learning rate of 0.1'
    score = 3 * min(kinds.count("percent") + kinds.count("multiplier"), 3)
    score += (0 if setup else 2 * min(kinds.count("decimal"), 3))
    score += min(kinds.count("magnitude"), 2)
    score += min(kinds.count("integer"), 2)
    score += min(len({m.group().lower() for m in _CUES.finditer(sentence)}), 3)
    masked = _masked(sentence)
    if any(_NUMBER.search(masked, max(0, m.start() - 40), m.end() + 40)
           for m in _NAME.finditer(sentence)):  # a benchmark or model named near a number
        score += 1
    if setup:
        score -= 2
    return score


def reports_numbers(sentence: str, *, strict: bool) -> bool:
    """Any number counts in an abstract or conclusion; in a results section a measurement
    (percent, multiple, decimal) or a count beside a comparison or metric, scoring 4 or more."""
    kinds = set(result_numbers(sentence))
    if not strict or not kinds:
        return bool(kinds)
    measured = bool(kinds & {"percent", "multiplier", "decimal"})
    return (measured or bool(_CUES.search(sentence))) and result_score(sentence) >= 4


def is_prose(sentence: str) -> bool:
    """A sentence, not a table row or a run of column headers."""
    tokens = sentence.split()
    words = sum(1 for t in tokens if sum(c.isalpha() for c in t) >= 2)
    lower = sum(1 for t in tokens if t[:1].islower())  # 'the', 'of', 'is': not a table header
    return (len(tokens) >= 5 and words >= 0.6 * len(tokens) and lower >= 0.25 * len(tokens)
            and len(sentence) <= _MAX_SENTENCE
            and sentence.rstrip("\"'”’)]").endswith((".", "!", "?", ":")))


# '[12]', '[3, 7–9]'
_BRACKETS = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")
# Superscript citations as pypdf flattens them: 'framework 17,18,' 'large, 69,70 preventing'
# (no element after the first has three digits, so '1,000' stays), '), 25–29 Convolutional',
# 'Schmidhuber 68 .'
_SUPERSCRIPTS = re.compile(r"(?<=[^\W\d_]|[),])\s?\d{1,3}(?:,\d{1,2})+(?=[\s.,;:]|$)"
                           r"|(?<=[,)])\s\d{1,3}–\d{1,3}(?=\s[A-Za-z])"
                           r"|(?<=[^\W\d_])\s\d{1,3}(?=\s[.,;])"
                           r"|(?<=[a-z]\.)\d{1,3}(?=\s[A-Z])|^\d{1,3}\s(?=[A-Z][a-z])")


# An equation's number after a word: 'an effective action (11) which recasts ...'.
_EQUATION = re.compile(r"\b([^\W\d_]+)\s\((\d{1,3})\)(?=[\s.,;])")
_ENUMERATES = frozenset("and or then both either".split())  # '(1) we ... and (2) we ...'


# 'in Sec. C', '(see SM Sec. B)': a pointer a digest cannot follow (and whose '. ' a small
# model, held to one sentence, turns into 'Sec.4.0.3.1.0.0...')
_POINTER = re.compile(r"\s*\([^()]*\b(?:sec\.|section|appendix)[^()]*\)"
                      r"|,?\s*\b(?:see |in )(?:the )?(?:SM |supplementary material )?"
                      r"(?:sec\.|section|appendix)\s*[A-Z0-9][\w.]*?(?=[.;:]?$|[.;:]\s)"
                      # '(Figure 2)', '(see Table 4)', ', as shown in Figure 5b.'
                      r"|\s*\((?:see )?(?:fig(?:ure)?s?\.?|tables?)\s*\d+[a-z]?\)"
                      r"|,?\s*\b(?:as (?:shown|seen|reported|illustrated) in|see) "
                      r"(?:fig(?:ure)?s?\.?|tables?)\s*\d+[a-z]?(?=[.;:]?$|[.;:]\s)", re.I)


def strip_citations(text: str) -> str:
    """A sentence without its citation markers: bracketed numbers and the superscript numbers
    pypdf leaves after a word or a full stop ('the teacher-student framework 17,18, where ...',
    'in DMFT studies.3 The lack'), an equation's number after a word ('the action (11)
    which') and a pointer to a section, figure or table at a sentence's end or in brackets
    ('... for any K and M in Sec. C.', '(see Appendix B)', ', as shown in Figure 5b.');
    numbers that report something ('100 and 1000 layers', '1,000 queries') are kept."""
    text = _POINTER.sub("", _SUPERSCRIPTS.sub("", _BRACKETS.sub("", text)))
    text = _EQUATION.sub(lambda m: m.group(0) if m.group(1).casefold() in _ENUMERATES
                         else m.group(1), text)
    return re.sub(r"\s+([.,;:])", r"\1", " ".join(text.split()))
