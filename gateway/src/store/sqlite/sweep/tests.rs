use super::*;

#[test]
fn the_first_walk_is_whole_and_later_ones_take_their_share_of_the_period() {
    let mut s = Sweep::default();
    assert_eq!(s.begin(0).budget, None);
    s.advance(2000, Some("k2000".into()));
    s.advance(1000, None);
    // Table of 3,000 rows: a tenth of the period walks a tenth of it, but never
    // less than one chunk.
    let step = s.begin(SWEEP_PERIOD_MS / 10);
    assert_eq!(step.after, "");
    assert_eq!(step.budget, Some(PRUNE_CHUNK));
    s.advance(2000, Some("k2000".into()));
    let step = s.begin(SWEEP_PERIOD_MS / 10 + SWEEP_PERIOD_MS);
    assert_eq!(step.after, "k2000", "resumes where the last call stopped");
    assert_eq!(step.budget, Some(3000));
}

#[test]
fn a_clock_that_goes_back_walks_one_chunk() {
    let mut s = Sweep::default();
    s.begin(1_000_000);
    s.advance(500_000, None);
    assert_eq!(s.begin(0).budget, Some(PRUNE_CHUNK));
}
