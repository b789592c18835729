//! Progress bars for the commands that take long (`ingest`, `harvest`, `reindex`): a rate and
//! an ETA on a terminal, nothing when stderr is not one (indicatif draws only on terminals).

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::project::Progress;

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// A bar over `total` bytes of input.
pub fn bytes(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(style(
        "{prefix:>8} [{bar:30}] {bytes}/{total_bytes} {msg}, ETA {eta}",
    ));
    bar.set_prefix("read");
    bar
}

/// A bar over what is unknown in size (the pages of a harvest), counting `unit`.
pub fn spinner(unit: &'static str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(style(&format!(
        "{{spinner}} {{human_pos}} {unit} ({{per_sec}}) {{msg}}"
    )));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Shows a bar for every long projection build `progress` reports, with its rate and ETA.
pub fn follow(progress: &Progress) {
    let bars = MultiProgress::new();
    let open: std::sync::Mutex<Vec<(&'static str, ProgressBar)>> = Default::default();
    progress.watch(Box::new(move |name, build| {
        let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
        match build {
            Some(b) => {
                let bar = match open.iter().find(|(n, _)| *n == name) {
                    Some((_, bar)) => bar.clone(),
                    None => {
                        let bar = bars.add(ProgressBar::new(b.total));
                        bar.set_style(style(
                            "{prefix:>8} [{bar:30}] {human_pos}/{human_len} changes ({per_sec}), ETA {eta}",
                        ));
                        bar.set_prefix(name);
                        open.push((name, bar.clone()));
                        bar
                    }
                };
                bar.set_length(b.total);
                bar.set_position(b.done);
            }
            None => {
                if let Some(i) = open.iter().position(|(n, _)| *n == name) {
                    let (_, bar) = open.remove(i);
                    bar.finish_and_clear();
                }
            }
        }
    }));
}
