//! The SQLite files of the data directory (accounts, the assets table, the OAI-PMH log), all
//! opened the one way the service shares them between its processes.

/// Opens (creating if needed) an SQLite database file as the service uses them: WAL journal so
/// that several processes share it, a generous busy timeout.
pub async fn open(path: &std::path::Path) -> std::result::Result<sqlx::SqlitePool, sqlx::Error> {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(std::time::Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
}
