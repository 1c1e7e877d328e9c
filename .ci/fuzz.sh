#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer on the stable toolchain: builds the harness in
# tests/fuzz/libfuzzer with SanitizerCoverage instrumentation (the flags cargo-fuzz passes
# with `--sanitizer none`; all are stable rustc options) into target/fuzz, then runs each
# target from its committed corpus, seeded, for a bounded number of runs.
#
#   bash .ci/fuzz.sh                      # the suite's short run: every target, ~8 s each
#   bash .ci/fuzz.sh --time 600 phone     # a longer run of one target (docs/testing.md)
#   bash .ci/fuzz.sh --merge ...          # also add new interesting inputs to the corpus
#
# A crash leaves its input in target/fuzz/artifacts/<target>/ and fails the run; copy it
# into tests/fuzz/corpus/<target>/ (the replay test then runs it on every cargo test),
# add a unit test for it next to the code, and fix the code.
set -euo pipefail
cd "$(dirname "$0")/.."

TIME=8
RUNS=200000
MERGE=0
TARGETS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --time) TIME="$2"; RUNS=-1; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --merge) MERGE=1; shift ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) TARGETS+=("$1"); shift ;;
    esac
done
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(phone render segment callback_twilio callback_telegram callback_whatsapp
             callback_mock callback_http config abi_answers)
fi

HARNESS=tests/fuzz/libfuzzer
CORPUS=tests/fuzz/corpus
OUT=target/fuzz
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"

# `--target` keeps these flags off build scripts and proc-macros, as cargo-fuzz does.
export RUSTFLAGS="-Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 --cfg fuzzing"
echo "== fuzz: building ${#TARGETS[@]} targets (instrumented, $OUT)"
bins=()
for t in "${TARGETS[@]}"; do bins+=(--bin "$t"); done
# The harness resolves to exactly the workspace's versions: it starts from the root
# lock file each time and cargo adds only libFuzzer's own crates.
cp Cargo.lock "$HARNESS/Cargo.lock"
cargo build --manifest-path "$HARNESS/Cargo.toml" --release \
    --target "$TRIPLE" --target-dir "$OUT" "${bins[@]}"

mkdir -p "$OUT/artifacts"
for t in "${TARGETS[@]}"; do
    work="$OUT/corpus/$t"
    rm -rf "$work"
    mkdir -p "$work" "$OUT/artifacts/$t"
    cp "$CORPUS/$t"/* "$work"/
    echo "== fuzz $t: seed 1, up to $RUNS runs / $TIME s"
    # The committed corpus is read-only input; new inputs go to the scratch copy.
    "$OUT/$TRIPLE/release/$t" "$work" \
        -seed=1 -runs="$RUNS" -max_total_time="$TIME" -timeout=10 -rss_limit_mb=2048 \
        -max_len=4096 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t/" \
        2>"$OUT/$t.log" || { tail -n 60 "$OUT/$t.log"; echo "fuzz target $t FAILED: input in $OUT/artifacts/$t/" >&2; exit 1; }
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$OUT/$t.log" | tr '\n' ' '
    echo
    if [ "$MERGE" -eq 1 ]; then
        "$OUT/$TRIPLE/release/$t" -merge=1 "$CORPUS/$t" "$work" 2>>"$OUT/$t.log"
    fi
done
echo "== fuzz: ${#TARGETS[@]} targets passed"
