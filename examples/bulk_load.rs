//! oxigraph's own bulk loader on an N-Quads file: the store's speed limit, against which
//! `orrery ingest` is compared by `scripts/bench_ingest.py`.
//!
//! Usage: bulk_load FILE.nq TARGET_DIR

use std::time::Instant;

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(target)) = (args.next(), args.next()) else {
        return Err("usage: bulk_load FILE.nq TARGET_DIR".into());
    };
    let started = Instant::now();
    let store = Store::open(&target)?;
    let file = std::fs::File::open(&input)?;
    let mut loader = store.bulk_loader();
    loader.load_from_reader(RdfParser::from_format(RdfFormat::NQuads), file)?;
    loader.commit()?;
    store.flush()?;
    println!(
        "bulk_load: {input} loaded and committed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
