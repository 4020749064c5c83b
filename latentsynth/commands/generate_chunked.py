"""``latentsynth generate --out DIR --format parquet [--workers K] [--resume]``: many rows in
fixed-size seeded chunks (``synth.chunks``), in this process or on K Ray workers."""

from __future__ import annotations

import sys

from latentsynth.commands.args import UsageError, positive_int


def wants_chunks(args) -> bool:
    return bool(args.format == "parquet" or args.workers or args.resume or args.chunk_rows)


def run_chunked(args, options: dict) -> int:
    from synth.chunks import CHUNK_ROWS, write_dataset
    from synth.synthesizer import LatentSynthesizer

    if args.out is None:
        raise UsageError("chunked generation (--format parquet, --workers, --resume, --chunk-rows) needs --out DIR")

    def progress(done: int, total: int) -> None:
        print(f"\rchunks {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)

    common = dict(
        seed=args.seed,
        chunk_rows=args.chunk_rows or CHUNK_ROWS,
        file_format=args.format,
        options=options,
        resume=args.resume,
        overwrite=args.force,
        progress=progress,
    )
    if (args.workers or 1) > 1:
        from synth.distributed import connect
        from synth.distributed.dataset import write_dataset_ray

        connect(args.address)
        manifest = write_dataset_ray(args.artifact, args.n, args.out, workers=args.workers, **common)
    else:
        manifest = write_dataset(LatentSynthesizer.load(args.artifact), args.artifact, args.n, args.out, **common)
    print(
        f"wrote {manifest['rows']} rows in {len(manifest['chunks'])} {manifest['file_format']} chunk(s) "
        f"of {manifest['chunk_rows']} (seed {manifest['seed']}) to {args.out}; manifest.json lists them"
    )
    return 0


def register_options(p) -> None:
    g = p.add_argument_group("many rows (chunked: the same rows for any --workers)")
    g.add_argument("--workers", type=positive_int, help="Ray workers drawing chunks (default: this process)")
    g.add_argument("--chunk-rows", type=positive_int, help="rows per chunk and file (default 100000)")
    g.add_argument("--resume", action="store_true", help="continue an interrupted run in --out, skipping done chunks")
    g.add_argument("--address", help="Ray cluster address for --workers (default: start Ray locally)")
