//! How far each projection's catch-up or rebuild has come: what `/healthz` says is still
//! building, what `/metrics` exports and what the console and the command line's progress
//! bars show. Shared by everything that feeds a projection; cheap to update per batch.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One build under way.
#[derive(Debug, Clone, Copy)]
pub struct Build {
    /// Changes applied so far.
    pub done: u64,
    /// Changes to apply in all.
    pub total: u64,
    pub started: Instant,
}

impl Build {
    /// Changes applied a second so far.
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-3)
    }

    /// Seconds left at the rate so far (`None` before the first batch).
    pub fn eta_seconds(&self) -> Option<f64> {
        let rate = self.rate();
        (self.done > 0 && rate > 0.0).then(|| self.total.saturating_sub(self.done) as f64 / rate)
    }

    /// Done, as a fraction of the total.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            (self.done as f64 / self.total as f64).min(1.0)
        }
    }
}

/// Called on every step of a build: (projection, state; `None` once it ends).
pub type Watcher = Box<dyn Fn(&'static str, Option<Build>) + Send + Sync>;

/// The builds under way, by projection name.
#[derive(Clone, Default)]
pub struct Progress {
    builds: Arc<Mutex<BTreeMap<&'static str, Build>>>,
    watchers: Arc<Mutex<Vec<Watcher>>>,
}

impl Progress {
    /// Calls `watch` on every later step of every build (a progress bar, say).
    pub fn watch(&self, watch: Watcher) {
        self.watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(watch);
    }

    fn tell(&self, name: &'static str, build: Option<Build>) {
        for w in self
            .watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            w(name, build);
        }
    }

    /// A build of `total` changes starts.
    pub fn start(&self, name: &'static str, total: u64) {
        let build = Build {
            done: 0,
            total,
            started: Instant::now(),
        };
        self.builds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name, build);
        self.tell(name, Some(build));
    }

    /// `n` more changes are applied.
    pub fn advance(&self, name: &'static str, n: u64) {
        let build = {
            let mut builds = self.builds.lock().unwrap_or_else(|e| e.into_inner());
            let Some(b) = builds.get_mut(name) else {
                return;
            };
            b.done = (b.done + n).min(b.total);
            *b
        };
        self.tell(name, Some(build));
    }

    /// The build ends (done or failed).
    pub fn finish(&self, name: &'static str) {
        self.builds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
        self.tell(name, None);
    }

    /// The builds under way.
    pub fn builds(&self) -> Vec<(&'static str, Build)> {
        self.builds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(n, b)| (*n, *b))
            .collect()
    }

    /// Whether `name` is being built.
    pub fn is_building(&self, name: &str) -> bool {
        self.builds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_is_seen_while_it_runs_and_watchers_hear_each_step() {
        let p = Progress::default();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let h = heard.clone();
        p.watch(Box::new(move |name, b| {
            h.lock().unwrap().push((name, b.map(|b| (b.done, b.total))))
        }));
        p.start("search", 10);
        p.advance("search", 4);
        assert!(p.is_building("search"));
        let [(name, b)] = p.builds()[..] else {
            panic!("{:?}", p.builds())
        };
        assert_eq!((name, b.done, b.total), ("search", 4, 10));
        assert!((b.fraction() - 0.4).abs() < 1e-9);
        assert!(b.eta_seconds().is_some());
        p.advance("search", 40);
        p.finish("search");
        assert!(!p.is_building("search"));
        assert!(p.builds().is_empty());
        assert_eq!(
            *heard.lock().unwrap(),
            [
                ("search", Some((0, 10))),
                ("search", Some((4, 10))),
                ("search", Some((10, 10))),
                ("search", None)
            ]
        );
    }
}
