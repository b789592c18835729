// A throwaway PostgreSQL server for tests (included by the integration tests' common module and
// by the library's own tests, so it holds items only, no inner attributes).

/// A PostgreSQL server of its own: `initdb` in a temporary directory, started with `pg_ctl` on a
/// free loopback port, with one database; stopped and removed on drop. The binaries are those
/// of the newest PostgreSQL in /usr/lib/postgresql (scripts/prereqs.sh installs it). As root,
/// the server runs as the `postgres` user.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    port: u16,
    /// Running as root: the server runs as `postgres`.
    as_root: bool,
}

impl Postgres {
    /// Starts a server with a database `orrery`.
    pub fn start() -> Postgres {
        let as_root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let pg = Postgres::empty("orrery-pg-", newest_bin(), as_root);
        let data = pg.dir.path().join("data");
        run(pg
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"]));
        pg.start_server();
        run(pg
            .command("createdb")
            .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", "postgres", "orrery"]));
        pg
    }

    /// Restarts the server (fast shutdown, then start on the same port): every connection
    /// to it is cut.
    #[allow(dead_code)]
    pub fn restart(&self) {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-m", "fast", "-w", "restart"]));
    }

    /// A streaming standby of this server (`pg_basebackup -R`): read-only, on a port of its
    /// own, stopped and removed on drop.
    #[allow(dead_code)]
    pub fn standby(&self) -> Postgres {
        let standby = Postgres::empty("orrery-pg-standby-", self.bin.clone(), self.as_root);
        let data = standby.dir.path().join("data");
        run(self
            .command("pg_basebackup")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres"])
            .arg("-D")
            .arg(&data)
            .args(["-R", "-X", "stream"]));
        standby.start_server();
        standby
    }

    /// A server not yet made: its directory (the server's user's), its binaries and a free
    /// port.
    fn empty(prefix: &str, bin: std::path::PathBuf, as_root: bool) -> Postgres {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("temporary directory");
        if as_root {
            run(std::process::Command::new("chown")
                .arg("postgres:")
                .arg(dir.path()));
        }
        Postgres {
            dir,
            bin,
            port: std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("a free port"),
            as_root,
        }
    }

    /// Runs SQL in its database with psql; returns what psql printed (tuples only).
    #[allow(dead_code)]
    pub fn sql(&self, sql: &str) -> String {
        let out = self
            .command("psql")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres"])
            .args(["-d", "orrery", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Runs SQL in its database with psql in the background (a session that holds a lock).
    #[allow(dead_code)]
    pub fn sql_in_background(&self, sql: &str) -> std::process::Child {
        self.command("psql")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres"])
            .args(["-d", "orrery", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("run psql")
    }

    /// Starts the server of its data directory on its port (unsafe but fast settings: the
    /// data is thrown away).
    fn start_server(&self) {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-o")
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
                self.port,
                self.dir.path().display()
            ))
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-w", "start"]));
    }

    /// The URL of its database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/orrery", self.port)
    }

    fn command(&self, tool: &str) -> std::process::Command {
        let path = self.bin.join(tool);
        if self.as_root {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            std::process::Command::new(path)
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(std::process::Stdio::null())
            .status();
    }
}

/// The `bin` directory of the newest PostgreSQL installed.
fn newest_bin() -> std::path::PathBuf {
    let versions = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL in /usr/lib/postgresql (run scripts/prereqs.sh)");
    versions
        .filter_map(|e| {
            let e = e.ok()?;
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .max()
        .map(|(_, bin)| bin)
        .expect("initdb in /usr/lib/postgresql/*/bin (run scripts/prereqs.sh)")
}

fn run(c: &mut std::process::Command) {
    let out = c.output().expect("run a PostgreSQL tool");
    assert!(
        out.status.success(),
        "{c:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
