#!/usr/bin/env python3
"""The layering rules of docs/ARCHITECTURE.md, checked on the sources.

Layers, bottom up: base < crypto < core < net < node < tools. Rules:

1. A file includes project headers of its own layer or a lower one, and
   net/ only base/ and net/ (the transport needs no formats or crypto).
   tools/sim/ includes only base/, crypto/, core/ and itself: the
   simulator links libnotary-core.a (Makefile), never node/ or net/.
   tests/ may include anything.
2. base/, crypto/ and core/ are pure: they call no file, clock, socket,
   randomness or thread function of the system (list in FORBIDDEN). The
   store is reached through core/kv.h, the time comes in as an argument.
3. No two files of one folder include each other (a direct cycle).

Prints every finding and exits 1 if there is one; tests/run.py counts the
run as one test. Stdlib only; run from anywhere: python3 tests/layers.py
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

LAYERS = ["base", "crypto", "core", "net", "node", "tools"]
RANK = {name: i for i, name in enumerate(LAYERS)}
# What a folder may include, where it is narrower than "its layer and below".
NARROWER = {
    "net": {"base", "net"},
    "tools/sim": {"base", "crypto", "core", "tools/sim"},
}
PURE = {"base", "crypto", "core"}
FORBIDDEN = [
    "open", "openat", "fopen", "fdopen", "opendir", "creat",
    "getrandom", "getentropy",
    "clock_gettime", "gettimeofday", "time",
    "socket", "connect", "bind",
    "pthread_create",
]
# Calls in a pure layer that are there on purpose, each with its reason.
# An entry that no longer matches anything is reported too, so the list
# only shrinks.
ALLOWED_CALLS = {
    ("crypto/keyfile.c", "open"):
        "the key file is read and written inside crypto/ so that the secret key "
        "never leaves it (docs/STYLE habit 8)",
}
CALL_RE = re.compile(r"(?<![\w.>])(%s)\s*\(" % "|".join(FORBIDDEN))
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def strip_code(text):
    """text with comments and string/char literals blanked (newlines kept,
    so line numbers still match)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * max(j - i - 2, 0) + (c if j - i >= 2 else ""))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def sources(root):
    """(path relative to root, folder) of every .c and .h of the project."""
    for top in LAYERS + ["tests"]:
        base = os.path.join(root, top)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith((".c", ".h")):
                    path = os.path.relpath(os.path.join(dirpath, name), root)
                    yield path, os.path.dirname(path)


def includes(text):
    """(line number, included path) of each project include."""
    code = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    for m in INCLUDE_RE.finditer(code):
        yield code.count("\n", 0, m.start()) + 1, m.group(1)


def allowed_targets(folder):
    if folder in NARROWER:
        return NARROWER[folder]
    top = folder.split("/")[0]
    return {name for name in LAYERS if RANK[name] <= RANK[top]}


def check(root):
    problems, notes = [], []
    inc_of = {}
    used_allowances = set()
    for path, folder in sources(root):
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
        top = folder.split("/")[0]
        incs = list(includes(text))
        inc_of[path] = {inc for _, inc in incs}
        # 1. includes go down
        if top != "tests":
            ok = allowed_targets(folder)
            for line, inc in incs:
                parts = inc.split("/")
                target = parts[0]
                if target not in RANK and target != "tests":
                    continue  # not a project header
                if target == "tools" and len(parts) > 2 and "tools/sim" in ok:
                    target = "/".join(parts[:2])
                if target not in ok:
                    problems.append(f"{path}:{line}: includes {inc}: {folder}/ may include "
                                    f"only {', '.join(sorted(ok))}")
        # 2. pure layers call no system I/O
        if top in PURE:
            code = strip_code(text)
            for m in CALL_RE.finditer(code):
                line = code.count("\n", 0, m.start()) + 1
                fn = m.group(1)
                key = (path, fn)
                if key in ALLOWED_CALLS:
                    used_allowances.add(key)
                    notes.append(f"{path}:{line}: {fn}() allowed: {ALLOWED_CALLS[key]}")
                    continue
                problems.append(f"{path}:{line}: calls {fn}(): {top}/ does no file, clock, "
                                f"socket, randomness or thread calls")
    # 3. direct include cycles within a folder
    for a in sorted(inc_of):
        for b in sorted(inc_of[a]):
            if (b in inc_of and a < b and os.path.dirname(a) == os.path.dirname(b)
                    and a in inc_of[b]):
                problems.append(f"{a} and {b} include each other")
    for key in sorted(set(ALLOWED_CALLS) - used_allowances):
        problems.append(f"{key[0]}: allowance for {key[1]}() is no longer needed: drop it "
                        f"from ALLOWED_CALLS in tests/layers.py")
    return problems, notes, len(inc_of)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else ROOT
    problems, notes, nfiles = check(root)
    for n in notes:
        print(f"note {n}")
    for p in problems:
        print(f"FAIL {p}")
    print(f"layers: {nfiles} files, {len(problems)} problem{'s' if len(problems) != 1 else ''}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
