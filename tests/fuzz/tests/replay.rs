//! Replays every committed corpus file through its target, so inputs the fuzzer found
//! interesting (and any crash reproducer, saved into the corpus) are checked by every
//! `cargo test`, without the fuzzer.

use std::path::Path;

#[test]
fn every_corpus_file_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, target) in fuzz_targets::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
            .map(|entry| entry.expect("corpus entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "corpus {name} has no seeds");
        for file in files {
            let data = std::fs::read(&file).expect("read corpus file");
            let result = std::panic::catch_unwind(|| target(&data));
            assert!(result.is_ok(), "{name}: {} fails", file.display());
        }
    }
}

#[test]
fn every_target_has_a_libfuzzer_binary() {
    let bins = Path::new(env!("CARGO_MANIFEST_DIR")).join("libfuzzer/fuzz_targets");
    for (name, _) in fuzz_targets::TARGETS {
        let file = bins.join(format!("{name}.rs"));
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            text.contains("fuzz_target!"),
            "{} runs no target",
            file.display()
        );
    }
}
