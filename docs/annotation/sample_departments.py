"""Draw N random department entries across all outputs in OUTDIR (seed given)."""
import json, random, sys
from pathlib import Path
out, seed, n = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
entries = []
for p in sorted(out.rglob("*.json")):
    try: d = json.loads(p.read_text(encoding="utf-8"))
    except Exception: continue
    if not isinstance(d, dict) or "departments" not in d: continue
    for dep in d["departments"]:
        entries.append((d["source"]["path"], dep, d["text"]))
print(f"# {len(entries)} entries; seed {seed}", file=sys.stderr)
for path, dep, text in random.Random(seed).sample(entries, n):
    s, e = dep["mentions"][0]["span"]
    ctx = text[max(0, s-15):s] + "【" + text[s:e] + "】" + text[e:e+10]
    print(f"{dep['name']}\t{Path(path).parent.name}/{Path(path).name[:25]}\t{ctx.replace(chr(10),'⏎')}")
