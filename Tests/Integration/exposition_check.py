"""A strict checker of Prometheus text 0.0.4 and OpenMetrics 1.0.0 expositions, independent of promtool.

`check(text, fmt)` returns a list of problems (empty when the exposition is clean), each naming the line.
`parse(text, fmt)` returns (families, problems): families in order, each with its TYPE, HELP and samples.

What it enforces (the project's exposition contract, see DESIGN.md "Metrics naming"):
  - every sample belongs to the family declared by the most recent TYPE line (per the format's suffix rules),
  - no family's TYPE or HELP appears twice, and every family has both, before its samples,
  - a family's samples are contiguous (a family is never split by another family),
  - no duplicate series (metric name + label set),
  - label names valid and not repeated; label values use only the escapes \\\\ \\" \\n; HELP escapes valid,
  - no sample timestamps (and no exemplars),
  - OpenMetrics: ends with exactly one "# EOF" line and a newline, no blank lines, counters not negative.
The module has no dependency beyond the standard library, so its unit tests run without a cluster.
"""
import math
import re

TEXT = "text"
OPENMETRICS = "openmetrics"

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {
    TEXT: {"counter", "gauge", "histogram", "summary", "untyped"},
    OPENMETRICS: {"counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset", "unknown"},
}
# The sample names a family of each type may have: family name + one of these suffixes.
SUFFIXES = {
    TEXT: {"counter": [""], "gauge": [""], "untyped": [""],
           "histogram": ["_bucket", "_sum", "_count"], "summary": ["", "_sum", "_count"]},
    OPENMETRICS: {"counter": ["_total", "_created"], "gauge": [""], "unknown": [""], "stateset": [""],
                  "info": ["_info"], "histogram": ["_bucket", "_sum", "_count", "_created"],
                  "gaugehistogram": ["_gbucket", "_gsum", "_gcount"],
                  "summary": ["", "_sum", "_count", "_created"]},
}


class Family:
    def __init__(self, name, line_no):
        self.name = name
        self.type = None
        self.help = None
        self.unit = None
        self.first_line = line_no
        self.samples = []  # (sample name, labels dict, value float, line number)

    def __repr__(self):
        return f"Family({self.name!r}, {self.type!r}, {len(self.samples)} samples)"


def unescape_label_value(raw, line_no, problems):
    """`raw` is the text between the quotes. Only \\\\, \\" and \\n are valid escapes (both formats)."""
    out, i = [], 0
    while i < len(raw):
        c = raw[i]
        if c == "\\":
            nxt = raw[i + 1] if i + 1 < len(raw) else ""
            if nxt == "\\":
                out.append("\\")
            elif nxt == '"':
                out.append('"')
            elif nxt == "n":
                out.append("\n")
            else:
                problems.append(f"line {line_no}: invalid escape '\\{nxt}' in label value")
                out.append(nxt)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def check_help_escapes(text, fmt, line_no, problems):
    allowed = {"\\", "n"} | ({'"'} if fmt == OPENMETRICS else set())
    i = 0
    while i < len(text):
        if text[i] == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt not in allowed:
                problems.append(f"line {line_no}: invalid escape '\\{nxt}' in HELP text")
            i += 2
        else:
            if fmt == OPENMETRICS and text[i] == '"':
                pass  # a bare quote in OpenMetrics HELP is tolerated by parsers; not our concern
            i += 1


def parse_labels(s, pos, line_no, problems):
    """Parses `{a="b",c="d"}` starting at s[pos] == '{'. Returns (labels dict, position after '}')."""
    labels = {}
    i = pos + 1
    while True:
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        m = LABEL_NAME.match(s, i)
        if not m:
            problems.append(f"line {line_no}: bad label name at column {i + 1}: {s[i:i + 20]!r}")
            return labels, None
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            problems.append(f"line {line_no}: expected '=\"' after label {name!r}")
            return labels, None
        i += 2
        start = i
        while i < len(s) and s[i] != '"':
            i += 2 if s[i] == "\\" else 1
        if i >= len(s):
            problems.append(f"line {line_no}: unterminated value of label {name!r}")
            return labels, None
        value = unescape_label_value(s[start:i], line_no, problems)
        i += 1
        if name in labels:
            problems.append(f"line {line_no}: label {name!r} repeated in one sample")
        if name.startswith("__"):
            problems.append(f"line {line_no}: label name {name!r} is reserved (starts with __)")
        labels[name] = value
        if i < len(s) and s[i] == ",":
            i += 1
            continue
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        problems.append(f"line {line_no}: expected ',' or '}}' after label {name!r}, got {s[i:i + 10]!r}")
        return labels, None


def parse_value(text):
    if text in ("NaN", "+Inf", "-Inf", "Inf"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        raise ValueError(text)
    return float(text)


def family_of(sample_name, family, fmt):
    """True when `sample_name` is a valid sample name for `family` in `fmt`."""
    if family is None or family.type is None:
        return False
    suffixes = SUFFIXES[fmt].get(family.type, [""])
    return any(sample_name == family.name + suf for suf in suffixes)


def parse(text, fmt=TEXT):
    """Parses and checks one exposition. Returns (families list, problems list)."""
    assert fmt in (TEXT, OPENMETRICS)
    problems = []
    families = []
    by_name = {}            # family name -> Family
    current = None          # the family whose TYPE came last
    open_meta = None        # the family named by the latest HELP/TYPE/UNIT line
    series = {}             # (sample name, frozenset(labels)) -> first line
    sample_owner = {}       # sample name -> family name, to name split families

    lines = text.split("\n")
    if fmt == OPENMETRICS:
        if not text.endswith("# EOF\n"):
            problems.append("OpenMetrics exposition does not end with '# EOF\\n' (last 40 chars: %r)" % text[-40:])
        elif text.count("\n# EOF\n") + (1 if text.startswith("# EOF\n") else 0) != 1:
            problems.append("'# EOF' appears more than once")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    else:
        problems.append("exposition does not end with a newline")

    def declare(name, line_no):
        fam = by_name.get(name)
        if fam is None:
            fam = Family(name, line_no)
            by_name[name] = fam
            families.append(fam)
        return fam

    eof_seen = False
    for idx, line in enumerate(lines):
        line_no = idx + 1
        if eof_seen:
            problems.append(f"line {line_no}: content after '# EOF': {line[:80]!r}")
            continue
        if line == "":
            if fmt == OPENMETRICS:
                problems.append(f"line {line_no}: blank line (not allowed in OpenMetrics)")
            continue
        if line.startswith("#"):
            if fmt == OPENMETRICS and line == "# EOF":
                eof_seen = True
                continue
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[0] == "#" and parts[1] in ("HELP", "TYPE", "UNIT"):
                kind, name = parts[1], parts[2]
                rest = parts[3] if len(parts) > 3 else ""
                if not METRIC_NAME.fullmatch(name):
                    problems.append(f"line {line_no}: bad metric name in {kind}: {name!r}")
                fam = by_name.get(name)
                if fam is not None and fam is not current and fam is not open_meta:
                    problems.append(f"line {line_no}: {kind} for family {name!r} again, after other families "
                                    f"(first seen at line {fam.first_line}): family split or declared twice")
                fam = declare(name, line_no)
                open_meta = fam
                if kind == "TYPE":
                    if fam.type is not None:
                        problems.append(f"line {line_no}: TYPE of {name!r} appears twice")
                    if rest not in TYPES[fmt]:
                        problems.append(f"line {line_no}: unknown {fmt} type {rest!r} for {name!r}")
                    if fam.samples:
                        problems.append(f"line {line_no}: TYPE of {name!r} after its samples")
                    fam.type = rest
                    current = fam
                elif kind == "HELP":
                    if fam.help is not None:
                        problems.append(f"line {line_no}: HELP of {name!r} appears twice")
                    if fam.samples:
                        problems.append(f"line {line_no}: HELP of {name!r} after its samples")
                    check_help_escapes(rest, fmt, line_no, problems)
                    fam.help = rest
                else:  # UNIT
                    if fmt == TEXT:
                        problems.append(f"line {line_no}: UNIT line in text 0.0.4")
                    fam.unit = rest
                continue
            if fmt == OPENMETRICS:
                problems.append(f"line {line_no}: comment that is not HELP/TYPE/UNIT/EOF: {line[:80]!r}")
            continue

        # A sample: name [labels] value [timestamp] [# exemplar]
        m = METRIC_NAME.match(line)
        if not m:
            problems.append(f"line {line_no}: cannot read a metric name: {line[:80]!r}")
            continue
        name = m.group(0)
        pos = m.end()
        labels = {}
        if pos < len(line) and line[pos] == "{":
            labels, pos = parse_labels(line, pos, line_no, problems)
            if pos is None:
                continue
        if pos >= len(line) or line[pos] != " ":
            problems.append(f"line {line_no}: expected a space before the value: {line[:120]!r}")
            continue
        rest = line[pos + 1:]
        if " # " in rest or rest.startswith("# "):
            problems.append(f"line {line_no}: exemplar on a sample: {line[:120]!r}")
            rest = rest.split(" # ", 1)[0]
        fields = rest.split(" ")
        if len(fields) != 1 or fields[0] == "":
            if len(fields) == 2:
                problems.append(f"line {line_no}: sample has a timestamp: {line[:160]!r}")
            else:
                problems.append(f"line {line_no}: malformed value part {rest!r}")
        try:
            value = parse_value(fields[0])
        except ValueError:
            problems.append(f"line {line_no}: bad value {fields[0]!r}")
            continue

        if current is None:
            problems.append(f"line {line_no}: sample {name!r} before any TYPE line")
            fam = None
        elif family_of(name, current, fmt):
            fam = current
        else:
            owner = sample_owner.get(name)
            if owner is not None and owner != current.name:
                problems.append(f"line {line_no}: family {owner!r} is split: sample {name!r} appears again "
                                f"inside family {current.name!r}")
            else:
                problems.append(f"line {line_no}: sample {name!r} does not belong to family {current.name!r} "
                                f"(TYPE {current.type}) declared by the most recent TYPE line")
            fam = None
        if fam is not None:
            sample_owner.setdefault(name, fam.name)
            fam.samples.append((name, labels, value, line_no))
            if fmt == OPENMETRICS and fam.type == "counter" and name.endswith("_total") and value < 0:
                problems.append(f"line {line_no}: negative counter value {value}")
        key = (name, frozenset(labels.items()))
        if key in series:
            problems.append(f"line {line_no}: duplicate series {name}{format_labels(labels)} "
                            f"(first at line {series[key]})")
        else:
            series[key] = line_no

    for fam in families:
        if fam.type is None:
            problems.append(f"family {fam.name!r} (line {fam.first_line}) has no TYPE")
        if fam.help is None:
            problems.append(f"family {fam.name!r} (line {fam.first_line}) has no HELP")
    return families, problems


def check(text, fmt=TEXT):
    """Returns the list of problems of one exposition (empty when clean)."""
    return parse(text, fmt)[1]


def format_labels(labels):
    if not labels:
        return ""
    esc = lambda v: v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in labels.items()) + "}"


def samples(text, fmt=TEXT):
    """{(sample name, frozenset(labels)): value} of one exposition; raises when it has problems."""
    families, problems = parse(text, fmt)
    if problems:
        raise AssertionError("exposition has problems:\n" + "\n".join(problems[:20]))
    return {(s[0], frozenset(s[1].items())): s[2] for fam in families for s in fam.samples}


def same_value(a, b):
    return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
