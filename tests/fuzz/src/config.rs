//! The configuration loader and the start-up checks built on it: what an operator's
//! TOML file (or a typo in it) reaches before the gateway serves.

use gateway::config::Config;
use gateway::limits::Limits;
use gateway::render::Renderer;
use std::io::Write as _;

/// Input: a whole configuration file. Loading either fails with a message or yields a
/// configuration whose render and limits sections build, or fail with a message, as
/// at start-up; nothing panics.
pub fn config(data: &[u8]) {
    let mut file = tempfile::Builder::new()
        .suffix(".toml")
        .tempfile()
        .expect("temp file");
    file.write_all(data).expect("write temp file");
    // An empty environment: the fuzzer controls the whole input.
    let Ok(config) = Config::load(Some(file.path()), Some(Default::default())) else {
        return;
    };
    if Renderer::new(&config.render).is_ok() {
        let _ = Limits::new(&config.limits, &gateway::server::throughputs(&config));
    }
}
