"""Draw N random department entries across all outputs in OUTDIR (issue 13 audit).

    python docs/annotation/sample_departments.py OUTDIR SEED N [--reextract]

Every output record under OUTDIR (sorted by path) contributes its department entries in
output order; random.Random(SEED).sample(entries, N) draws N. With --reextract the
departments are computed again by the current code from each record's normalised text
(metadata first, as the pipeline does): the same entries a full `gongwen run` would write,
without rerunning ingest and the other extractors.
"""
import json
import random
import sys
from pathlib import Path

out, seed, n = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
reextract = "--reextract" in sys.argv
if reextract:
    from pipeline.extract import Context, departments, metadata
    from pipeline.segment import make_doc
entries = []
for p in sorted(out.rglob("*.json")):
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except Exception:
        continue
    if not isinstance(d, dict) or "departments" not in d:
        continue
    deps = d["departments"]
    if reextract:
        doc = make_doc(d["text"])
        ctx = Context().with_result("metadata", metadata.extract(doc, Context()))
        deps = [{"name": x.name, "mentions": [{"span": list(m.span)} for m in x.mentions]}
                for x in departments.extract(doc, ctx)]
    for dep in deps:
        entries.append((d["source"]["path"], dep, d["text"]))
print(f"# {len(entries)} entries; seed {seed}", file=sys.stderr)
for path, dep, text in random.Random(seed).sample(entries, n):
    s, e = dep["mentions"][0]["span"]
    ctx = text[max(0, s - 15):s] + "【" + text[s:e] + "】" + text[e:e + 10]
    print(f"{dep['name']}\t{Path(path).parent.name}/{Path(path).name[:25]}\t{ctx.replace(chr(10), '⏎')}")
