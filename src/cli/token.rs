//! `orrery token create|list|revoke`: bearer tokens in the data directory's relational
//! database. Only that file is opened (never the store), so this works beside a running service.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use crate::access::accounts::{Accounts, NewToken, parse_lifetime};
use crate::model::fields::Role;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Issue a token; it is printed alone on the last line and never shown again.
    Create(CreateArgs),
    /// List tokens (never their secrets).
    List,
    /// Revoke a token, given by its id or as the token itself.
    Revoke {
        /// Token id (from `token list`) or the token.
        token: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Developer,
    Moderator,
    Sciapps,
    Application,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Developer => Role::Developer,
            RoleArg::Moderator => Role::Moderator,
            RoleArg::Sciapps => Role::Sciapps,
            RoleArg::Application => Role::Application,
        }
    }
}

#[derive(Args)]
pub struct CreateArgs {
    /// Account name.
    #[arg(long)]
    user: String,
    /// Role (repeat for several).
    #[arg(long, value_enum, required = true)]
    role: Vec<RoleArg>,
    /// Group the account belongs to (repeat for several).
    #[arg(long)]
    group: Vec<String>,
    /// Lifetime (90d, 12h, 30m, 2w, 1y) or end as an RFC 3339 time (default: no expiry).
    #[arg(long)]
    expires: Option<String>,
}

/// The accounts: in the data directory, or in the shared PostgreSQL of a deployment of
/// several nodes (`ORRERY_DATABASE_URL`), where every node finds them.
async fn accounts(data: &Path) -> anyhow::Result<Accounts> {
    if let Ok(url) = std::env::var("ORRERY_DATABASE_URL")
        && !url.is_empty()
    {
        let log = crate::store::log::PgLog::open(&url).await?;
        return Ok(Accounts::on_postgres(log.pool().clone()));
    }
    std::fs::create_dir_all(data)?;
    Ok(Accounts::open(&data.join("catalog.sqlite")).await?)
}

pub async fn run(data: &Path, cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    let accounts = accounts(data).await?;
    let code = match cmd {
        TokenCommand::Create(args) => {
            let expires = match &args.expires {
                Some(e) => match chrono::DateTime::parse_from_rfc3339(e) {
                    Ok(at) => Some(at.with_timezone(&chrono::Utc)),
                    Err(_) => Some(chrono::Utc::now() + parse_lifetime(e)?),
                },
                None => None,
            };
            let new = NewToken {
                user: args.user,
                roles: args.role.into_iter().map(Role::from).collect(),
                groups: args.group,
                expires,
            };
            let (info, token) = accounts.create(&new).await?;
            println!(
                "token {} for {} (roles {}; groups {}; expires {})",
                info.id,
                info.user,
                roles_text(&info.roles),
                if info.groups.is_empty() {
                    "none".to_owned()
                } else {
                    info.groups.join(",")
                },
                info.expires.as_deref().unwrap_or("never"),
            );
            println!("{token}");
            ExitCode::SUCCESS
        }
        TokenCommand::List => {
            println!("id\tuser\troles\tgroups\tcreated\texpires\trevoked");
            for t in accounts.list().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.user,
                    roles_text(&t.roles),
                    t.groups.join(","),
                    t.created,
                    t.expires.as_deref().unwrap_or("-"),
                    t.revoked.as_deref().unwrap_or("-"),
                );
            }
            ExitCode::SUCCESS
        }
        TokenCommand::Revoke { token } => {
            if accounts.revoke(&token).await? {
                println!("revoked");
                ExitCode::SUCCESS
            } else {
                eprintln!("error: no such token, or already revoked");
                ExitCode::FAILURE
            }
        }
    };
    accounts.close().await;
    Ok(code)
}

fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(",")
}
