"""The documentation points only at files of the repository.

    check_links.py <source dir>

For README.md and docs/*.md: every relative Markdown link ([text](path))
and every relative path written out in the text (../x/y, docs/x.md, ...)
must name a file or directory of the repository that exists; a path that
leaves the repository, or one that is missing, fails. Paths made at run
time (build/, demo-out/, <placeholders>) are not checked.
"""

import os
import re
import sys

SKIP_PREFIXES = ("build", "demo-out", "/", "~", "http:", "https:", "mailto:", "#")


def candidates(text):
    for m in re.finditer(r"\]\(([^)\s]+)\)", text):
        yield m.group(1), "link"
    # Relative paths in the text: ../something, or a top-level folder of the repository.
    for m in re.finditer(r"(?<![\w/.~$<>-])((?:\.\./)+[\w.-][\w./-]*)", text):
        yield m.group(1), "path"


def main():
    root = os.path.realpath(sys.argv[1])
    docs = [os.path.join(root, "README.md")] + sorted(
        os.path.join(root, "docs", f) for f in os.listdir(os.path.join(root, "docs"))
        if f.endswith(".md"))
    failures = []
    checked = 0
    for doc in docs:
        text = open(doc).read()
        for target, kind in candidates(text):
            target = target.split("#")[0].rstrip(".,;:")
            if not target or target.startswith(SKIP_PREFIXES) or "<" in target or "*" in target:
                continue
            path = os.path.realpath(os.path.join(os.path.dirname(doc), target))
            checked += 1
            where = os.path.relpath(doc, root)
            if not (path == root or path.startswith(root + os.sep)):
                failures.append("%s: %s %s leaves the repository" % (where, kind, target))
            elif not os.path.exists(path):
                failures.append("%s: %s %s does not exist" % (where, kind, target))
    for f in failures:
        print("FAIL: " + f)
    print("%d paths checked in %d documents" % (checked, len(docs)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
