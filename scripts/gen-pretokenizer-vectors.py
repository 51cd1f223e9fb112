#!/usr/bin/env python3
"""Writes test/unit/Inputs/pretokenizer-<name>.txt: the words each byte-level
BPE pre-tokenizer regex splits a fixed set of strings into, for
test/unit/PreTokenizerTest.cpp.

The words come from the third-party `regex` module (pip install regex), which
matches \\p{L}, \\p{N} and (?i) as the models' own tokenizers do, so it is a
reference independent of the hand-written C++ splitters. Only this script
needs it: the test reads the committed files.

The inputs are hand-picked tricky strings and random strings from a fixed
seed. Invalid UTF-8 bytes ride through Python as surrogate escapes (one
character of no class per byte, as in the C++ decoder). Random code points
are kept only where `regex` and runtime/lib/UnicodeTables.inc agree on the
class (they may follow different Unicode versions); the hand-picked strings
must agree everywhere.

Usage: python3 scripts/gen-pretokenizer-vectors.py [output-dir]
       (default: test/unit/Inputs beside this script's parent)
"""

import os
import random
import re
import sys

import regex

# The regexes as in each model's tokenizer.json (GGUF tokenizer.ggml.pre).
PATTERNS = {
    "gpt-2": r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    "llama-bpe": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    "qwen2": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}

SEED = 20240611
RANDOM_CASES = 2000


def invalid(data):
    """Bytes (possibly invalid UTF-8) as the str the tests will see."""
    return data.decode("utf-8", "surrogateescape")


HAND_PICKED = [
    # Words and spaces
    "Hello world", " Hello world", "Hello  world", "Hello   world",
    "   leading", "trailing   ", " ", "   ", "a b c", "a  b", " a ",
    # Contractions, both cases, and near misses
    "it's", "IT'S", "It'S", "we're", "WE'RE", "We'Re", "they've", "THEY'VE",
    "I'm", "I'M", "we'll", "WE'LL", "We'lL", "he'd", "HE'D", "don't",
    "DON'T", "'s", "'S", "'t", "'T", "'re", "'RE", "'ve", "'VE", "'m", "'M",
    "'ll", "'LL", "'Ll", "'d", "'D", "'l", "'r", "'v", "'x", "'", "''",
    "''s", "' s", "'ss", "'sx", "'ll've", "rock'n'roll", "'tis", "O'Neil",
    "'\u017f", "it'\u017f", "'\u017ftuff", "'\u212a", "x 's", "x  'S",
    "'1", "'!", "'\n", "' ", "'\u00e9t\u00e9", "l'homme", "L'HOMME",
    # Digits: runs of 1 to 7, with neighbours
    "1", "12", "123", "1234", "12345", "123456", "1234567", " 1234567",
    "a1234567b", "x 12 34", "3.14159", "1,000,000", "2024-01-01", "007",
    "12abc", "abc123", "1 2 3", "$100", "100%", "+49 30 1234567",
    "x\u00b2", "\u00bd", "\u216b", "\u0661\u0662\u0663\u0664",
    "\u0967\u0968\u0969\u096a\u096b", "12\u00b2\u00b3", "\u2460\u2461",
    # Newlines, \r\n runs, tabs
    "\n", "\n\n", "\n\n\n", "\r", "\r\n", "\r\n\r\n", "\r\r\n\n", " \n",
    "\n ", " \n ", " \n \n ", "a\nb", "a\n\nb", "a \n b", "a\r\nb",
    "line1\r\nline2\r\n", "\t", "\t\t", "\tx", "\t\tindented\n", "x\t\ty",
    " \tx", "\t x", "a \t b", "\n\tx", "\n x", "\n  x", "  \n  x",
    "a\n\n\n   b", "x\n\n", "x \n\n ", "\r\n x", "\v\f", "a\vb", "a\fb",
    # Punctuation, alone and before newlines
    "Hello!\n", "Hello!\n\n", "end.\r\n", "end.\r\n\r\nNext", "...\n\n\n",
    "!!!", " !!!", "  !!!", "?!\r\n\r\n", "foo;\nbar", "a.\n b",
    "{\n  \"key\": 1\n}", "def f(x):\n    return x**2\n",
    "<html>\n  <body></body>\n</html>", "a.b.c", "e.g.", "(a)",
    "[1, 2, 3]", "!hello", "...hello", " ...hello", "@user", "#tag",
    "C++", "--flag", "a\u2014b", "\u201cquoted\u201d", "\u00abguillemets\u00bb",
    "x = y + 1;", "//comment", "__init__", "a_b", "!\n!", ". \n",
    "\u3002\n", ",\t\n",
    # Scripts
    "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440",
    "\u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5",
    "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c",
    "\u4f60\u597d\uff0c\u4e16\u754c\uff01",
    "\uc548\ub155\ud558\uc138\uc694",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u05e9\u05dc\u05d5\u05dd", "\u0928\u092e\u0938\u094d\u0924\u0947",
    "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "Hello\u4e16\u754c",
    "abc\u041f\u0440\u0438", "\u4e16\u754c123", "\u05d0 1",
    # Accented letters, precomposed and combining
    "caf\u00e9", "na\u00efve", "\u00c6r\u00f8sk\u00f8bing", "stra\u00dfe",
    "STRA\u1e9eE", "cafe\u0301", " e\u0301t\u0301e\u0301", "\u00c5ngstr\u00f6m",
    "\ufb01ne", "\u0301", " \u0301", "a\u0301\u0301b",
    # Emoji
    "\U0001f44b", "Hello \U0001f44b world", "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\U0001f44d\U0001f3fd", "\U0001f1fa\U0001f1f8", "a\U0001f600b", " \U0001f600",
    "\U0001f600\n", "\u2764\ufe0f", "\U0001f600\U0001f600 ok",
    # Other whitespace and invisible characters
    "a\u00a0b", "a\u3000b", "\u3000\u3000x", "a\u2028b", "a\u2029\nb",
    "a\u0085b", "a \u00a0b", "\u00a0\u00a0", "a\u200bb", "\ufeffBOM",
    "a\x00b", "\x1b[31mred\x1b[0m", "a\x1cb", "\u2003x", "x\u202f",
    # Invalid UTF-8
    invalid(b"caf\xc3 x"), invalid(b"\xff\xfe"), invalid(b"ab\xe2\x82"),
    invalid(b"\xc0\xaf"), invalid(b"\xed\xa0\x80"), invalid(b" \xffabc"),
    invalid(b"\xff's"), invalid(b"'\xff"), invalid(b"1\xff2"),
    invalid(b"\xf4\x90\x80\x80!"), invalid(b"  \xfe\n"),
    # Mixed
    "Hello, y'all! How are you \U0001f601 ?\u6211\u60f3\u5728apple\u5de5\u4f5c1314151\u5929\uff5e",
    "   Hello\n    Hello", "The year 1999's best: 12,345,678 ppl!!\r\n\r\n",
    "    if (x) {\n\treturn 'A';\n    }\n", "\u00a0\n\u00a0x",
]


def load_table_classes(path):
    """The C++ classes: {codepoint range} -> 'L'/'N'/'W' from the .inc."""
    rows = []
    pattern = re.compile(
        r"\{0x([0-9A-F]+), 0x([0-9A-F]+), CharClass::(\w+)\}")
    with open(path, encoding="ascii") as f:
        for m in pattern.finditer(f.read()):
            cls = {"Letter": "L", "Number": "N", "Whitespace": "W"}[m.group(3)]
            rows.append((int(m.group(1), 16), int(m.group(2), 16), cls))
    table = {}
    for first, last, cls in rows:
        for cp in range(first, last + 1):
            table[cp] = cls
    return table


IS_SPACE = regex.compile(r"\s")
IS_LETTER = regex.compile(r"\p{L}")
IS_NUMBER = regex.compile(r"\p{N}")


def regex_class(ch):
    if IS_SPACE.match(ch):
        return "W"
    if IS_LETTER.match(ch):
        return "L"
    if IS_NUMBER.match(ch):
        return "N"
    return "O"


def agrees(table, ch):
    if 0xDC80 <= ord(ch) <= 0xDCFF:  # an escaped invalid byte
        return True
    return table.get(ord(ch), "O") == regex_class(ch)


# Building blocks of random strings, weighted towards the regexes' edges.
ALPHABET = [
    (12, "abcdeilmnorstuvxyz"), (6, "ABDELMRSTVXZ"), (6, "'"),
    (5, "0123456789"), (12, " "), (3, "\t"), (4, "\n"), (3, "\r"),
    (5, "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~"),
    (2, "\v\f\u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"),
    (4, "\u00e9\u00df\u017f\u00c6\u0416\u0436\u4e2d\u6587\u0639\u05d0\u0928\u3042\ufb01\u01c5"),
    (2, "\u00b2\u00bd\u216b\u0663\u0966\u2460\u3007"),
    (2, "\u0301\u0308\u200d\ufe0f\u200b\ufeff\u00ad"),
    (2, "\U0001f600\U0001f44b\U0001f3fd\u2764\U0001f1fa\U0001f1f8"),
]


def random_char(rng, table):
    roll = rng.random()
    if roll < 0.03:  # an invalid byte
        return chr(0xDC80 + rng.randrange(0x80))
    if roll < 0.08:  # any code point the two class sources agree on
        while True:
            cp = rng.randrange(0x30000 if rng.random() < 0.7 else 0x110000)
            if not 0xD800 <= cp <= 0xDFFF and agrees(table, chr(cp)):
                return chr(cp)
    total = sum(w for w, _ in ALPHABET)
    pick = rng.uniform(0, total)
    for weight, chars in ALPHABET:
        pick -= weight
        if pick <= 0:
            return rng.choice(chars)
    return " "


def random_strings(table):
    rng = random.Random(SEED)
    out = []
    for _ in range(RANDOM_CASES):
        length = rng.randint(1, 12) if rng.random() < 0.5 else rng.randint(1, 32)
        text = "".join(random_char(rng, table) for _ in range(length))
        # Escaped bytes side by side may spell valid UTF-8: take the text as
        # the C++ decoder will see its bytes.
        out.append(invalid(text.encode("utf-8", "surrogateescape")))
    return out


def quote(piece):
    """A double-quoted piece: \\\\ \\" \\n \\r \\t, \\xNN for other bytes that
    are not printable (controls, invisible characters, invalid UTF-8)."""
    out = ['"']
    for ch in piece:
        cp = ord(ch)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif 0xDC80 <= cp <= 0xDCFF:
            out.append("\\x%02X" % (cp - 0xDC00))
        elif ch.isprintable():
            out.append(ch)
        else:
            out.extend("\\x%02X" % b for b in ch.encode("utf-8"))
    out.append('"')
    return "".join(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        root, "test", "unit", "Inputs")
    table = load_table_classes(
        os.path.join(root, "runtime", "lib", "UnicodeTables.inc"))
    for text in HAND_PICKED:
        for ch in text:
            if not agrees(table, ch):
                sys.exit("U+%04X in %r: regex and UnicodeTables.inc disagree"
                         % (ord(ch), text))
    cases = HAND_PICKED + random_strings(table)
    for name, pattern in PATTERNS.items():
        compiled = regex.compile(pattern)
        lines = [
            "# Generated by scripts/gen-pretokenizer-vectors.py (Python `regex`",
            "# %s, seed %d). Do not edit; regenerate with:" % (regex.__version__, SEED),
            "#   python3 scripts/gen-pretokenizer-vectors.py",
            "#",
            "# How the %s pre-tokenizer regex" % name,
            "#   %s" % pattern,
            "# splits %d hand-picked, then %d random strings: one string per line,"
            % (len(HAND_PICKED), RANDOM_CASES),
            "# as its words, each double-quoted (escapes: \\\\ \\\" \\n \\r \\t \\xNN"
            " for one",
            "# byte) and separated by a space. The string is the words joined.",
        ]
        for text in cases:
            words = compiled.findall(text)
            assert "".join(words) == text, (name, text)
            lines.append(" ".join(quote(w) for w in words))
        path = os.path.join(out_dir, "pretokenizer-%s.txt" % name)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines) + "\n")
        print("wrote %d cases to %s" % (len(cases), path))


if __name__ == "__main__":
    main()
