"""The ``gongwen`` command line. The only module that prints or sets up logging.

Exit codes: 0 every input processed; 3 the batch finished but some inputs failed;
2 usage error.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_USAGE, EXIT_FAILURES = 0, 2, 3

EPILOG = """examples:
  gongwen run corpus -o outputs                 every file under corpus/ -> outputs/<path>.json
  gongwen run a.txt b.pdf -o out --workers 4    files and directories, recursive
  gongwen run corpus -o outputs --prune         incremental; also drop outputs of deleted inputs
  gongwen run corpus -o outputs --doc-timeout 60 --max-memory 1G
                                                tighter limits per document (defaults 120 s, 2G)
  gongwen run corpus -o outputs --engine dask --scheduler tcp://host:8786
                                                on a Dask cluster (docs/cluster.md)
  gongwen export outputs --format parquet       one table per field under outputs/tables/
  gongwen extract notice.txt                    one document, JSON on stdout
  cat notice.txt | gongwen extract -            the same from stdin
  gongwen extract --jsonl rows.jsonl            {"id", "text", "reference_date"?} per line in,
                                                one record per line out, same "id"
  gongwen extract --reference-date 2021-03-01 note.txt
                                                years for year-less dates when the text has none
  gongwen eval outputs corpus/gold              contract section 8 scores
  gongwen schema                                JSON Schema of one output record
"""


def _date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {s!r}") from None


def _seconds(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {s!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {s!r}")
    return v


def _size(s: str) -> int:
    from .engines import parse_bytes
    if s.strip() == "0":
        return 0
    try:
        return parse_bytes(s)
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(f"not a size (like 2G, 512M): {s!r}") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit with 2 (argparse's default too)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gongwen", description="Turn Chinese official documents (通知, 方案, 总结) into "
                "structured JSON: metadata, departments, date windows, figures, household counts, tasks.",
                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"gongwen {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="process files and directories into OUTDIR", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    r.add_argument("-o", "--out", type=Path, required=True, metavar="OUTDIR")
    r.add_argument("--workers", type=int, default=0, help="worker processes (default: all cores)")
    r.add_argument("--reference-date", type=_date, metavar="YYYY-MM-DD")
    r.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="skip inputs whose path relative to a given directory matches (repeatable)")
    r.add_argument("--quiet", action="store_true", help="no progress output")
    r.add_argument("--force", action="store_true", help="reprocess every input, even those up to date")
    r.add_argument("--prune", action="store_true", help="remove outputs whose input is gone")
    r.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local process pool (default) or a Dask cluster (needs --scheduler)")
    r.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    r.add_argument("--doc-timeout", type=_seconds, default=120.0, metavar="SECONDS",
                   help="wall-clock limit per document; over it, an error record (time_limit) (default 120; 0: none)")
    r.add_argument("--max-memory", type=_size, default="2G", metavar="SIZE",
                   help="resident memory limit per worker, e.g. 2G, 512M; over it, an error record "
                        "(memory_limit) (default 2G; 0: none)")

    x = sub.add_parser("export", help="one table per field (documents, departments, ...) from OUTDIR")
    x.add_argument("outdir", type=Path, metavar="OUTDIR")
    x.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="csv")
    x.add_argument("-o", "--out", type=Path, metavar="DIR", help="where the tables go (default: OUTDIR/tables)")

    e = sub.add_parser("extract", help="one document (or --jsonl rows) to JSON on stdout", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("file", metavar="FILE|-")
    e.add_argument("--jsonl", action="store_true", help='input lines {"id", "text", "reference_date"?}')
    e.add_argument("--reference-date", type=_date, metavar="YYYY-MM-DD")

    s = sub.add_parser("schema", help="print the JSON Schema of an output record")
    s.set_defaults()

    v = sub.add_parser("eval", help="score OUTDIR against gold files (contract section 8)")
    v.add_argument("outdir", type=Path)
    v.add_argument("golddir", type=Path, nargs="?", default=Path("corpus/gold"))
    v.add_argument("--brief", action="store_true", help="scores only, no list of misses")

    b = sub.add_parser("bench", help="benchmarks, as ratios against baselines run alongside")
    b.add_argument("names", nargs="*", help="run only these benchmarks")
    b.add_argument("--quick", action="store_true", help="a small sample (smoke test)")
    return p


def cmd_run(args) -> int:
    from . import batch
    from .engines import EngineError, Limits
    from .errors import RulesError
    from .progress import Bar, LogLines

    for p in args.paths:
        if not os.path.lexists(p):  # a symlink loop given by name is reported, not "missing"
            print(f"gongwen: no such file or directory: {p}", file=sys.stderr)
            return EXIT_USAGE
    if args.engine == "dask" and not args.scheduler:
        print("gongwen: --engine dask needs --scheduler ADDRESS", file=sys.stderr)
        return EXIT_USAGE
    workers = args.workers or os.cpu_count() or 1
    progress = None if args.quiet else (Bar if sys.stderr.isatty() else LogLines)(sys.stderr)
    try:
        summary = batch.run(args.paths, args.out, workers=workers, reference_date=args.reference_date,
                            exclude=tuple(args.exclude), force=args.force, prune=args.prune,
                            engine=args.engine, scheduler=args.scheduler, progress=progress,
                            limits=Limits(args.doc_timeout or None, args.max_memory or None))
    except (RulesError, EngineError, RuntimeError) as e:
        print(f"gongwen: {e}", file=sys.stderr)
        return EXIT_USAGE
    if summary.failed and not args.quiet:
        print(f"gongwen: see {args.out / batch.ERRORS_FILE}", file=sys.stderr)
    return EXIT_FAILURES if summary.failed else EXIT_OK


def cmd_export(args) -> int:
    from .export import ExportError, export
    if not args.outdir.is_dir():
        print(f"gongwen: no such directory: {args.outdir}", file=sys.stderr)
        return EXIT_USAGE
    try:
        counts = export(args.outdir, args.out or args.outdir / "tables", args.format)
    except ExportError as e:
        print(f"gongwen: {e}", file=sys.stderr)
        return EXIT_USAGE
    print(" ".join(f"{name}={n}" for name, n in counts.items()), file=sys.stderr)
    return EXIT_OK


def _jsonl_rows(stream):
    for no, line in enumerate(stream, 1):
        if line.strip():
            yield no, line


def cmd_extract(args) -> int:
    from .assemble import StageFailure, process_bytes, process_text
    from .schema import dumps, to_dict

    if args.jsonl:
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
        failed = 0
        with stream:
            for no, line in _jsonl_rows(stream):
                row_id = None
                try:
                    row = json.loads(line)
                    row_id = row.get("id")
                    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                        raise ValueError('each line needs {"id", "text"}')
                    ref = _date(row["reference_date"]) if row.get("reference_date") else args.reference_date
                    record = process_text(row["text"], str(row_id if row_id is not None else f"line-{no}"), ref)
                    out = {"id": row_id, **to_dict(record)}
                except (ValueError, argparse.ArgumentTypeError, AttributeError) as e:
                    failed += 1
                    out = {"id": row_id, "error": {"path": f"{args.file}:{no}", "stage": "ingest",
                                                   "error": "bad_jsonl_row", "message": str(e)}}
                except StageFailure as e:
                    failed += 1
                    out = {"id": row_id, "error": {"path": f"{args.file}:{no}", "stage": e.stage,
                                                   "error": e.code, "message": e.message}}
                sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
                sys.stdout.flush()
        return EXIT_FAILURES if failed else EXIT_OK

    if args.file == "-":
        data, name, suffix = sys.stdin.buffer.read(), "<stdin>", ""
    else:
        path = Path(args.file)
        if not path.is_file():
            print(f"gongwen: no such file: {path}", file=sys.stderr)
            return EXIT_USAGE
        data, name, suffix = path.read_bytes(), args.file, path.suffix
    try:
        record = process_bytes(data, name, suffix, args.reference_date)
    except StageFailure as e:
        print(json.dumps({"path": name, "stage": e.stage, "error": e.code, "message": e.message},
                         ensure_ascii=False), file=sys.stderr)
        return EXIT_FAILURES
    sys.stdout.write(dumps(record))
    return EXIT_OK


def cmd_schema(args) -> int:
    from .schema import json_schema
    print(json.dumps(json_schema(), ensure_ascii=False, indent=1))
    return EXIT_OK


def cmd_eval(args) -> int:
    from .evaluate import evaluate, report
    if not args.golddir.is_dir():
        print(f"gongwen: no gold directory: {args.golddir}", file=sys.stderr)
        return EXIT_USAGE
    scores, missing = evaluate(args.outdir, args.golddir)
    print(report(scores, missing, verbose=not args.brief))
    return EXIT_OK


def cmd_bench(args) -> int:
    from .benchmarks import SHARED, BenchContext, run
    root = Path(__file__).resolve().parent.parent
    run(args.names, BenchContext(root=root, shared=SHARED, quick=args.quick))
    return EXIT_OK


COMMANDS = {"run": cmd_run, "export": cmd_export, "extract": cmd_extract, "schema": cmd_schema,
            "eval": cmd_eval, "bench": cmd_bench}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
