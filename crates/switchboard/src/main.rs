use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use switchboard::config::{Config, LogFormat, Overrides};
use switchboard::{Server, migrated_store, open_store};
use switchboard_domain::CompanyId;
use switchboard_domain::company::NewCompany;
use switchboard_domain::email::Email;
use switchboard_domain::secret::Secret;
use switchboard_engine::Engine;
use switchboard_engine::auth::UserRef;
use switchboard_store::Keyring;
use tracing_subscriber::EnvFilter;

// jemalloc's background threads give the system back the memory freed when clients leave; with
// glibc's malloc the memory of 1,000 departed sockets stayed resident (`bench/src/bin/sockets.rs`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Switchboard: a self-hosted customer-communications hub.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (default: ./switchboard.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://…
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Log format.
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the APIs (default 127.0.0.1:8080 on ./switchboard.db).
    Serve {
        /// Address to listen on.
        #[arg(long, value_name = "ADDR")]
        bind: Option<SocketAddr>,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Manage companies.
    Company {
        #[command(subcommand)]
        command: CompanyCommand,
    },
    /// Manage the keys that seal stored secrets.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Set the password a user signs in to the GWS API (`/api/v2`) with. The password is read
    /// from standard input (its first line) or from --password-file, never from the command line,
    /// where other users of the machine could see it.
    SetPassword {
        #[arg(long)]
        company: String,
        /// The user's id, or `primary` for the company owner.
        #[arg(long)]
        user: String,
        /// A file whose first line is the password.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Print a new random key, for secrets.key.
    GenerateKey,
    /// Seal every stored secret with the current (first) key, and forget the keys no secret
    /// uses any more; prints what it did as JSON.
    Rotate,
}

#[derive(Subcommand)]
enum CompanyCommand {
    /// Create a company with its primary user and print its id, user id and API key as JSON.
    Create {
        #[arg(long)]
        name: String,
        /// Email of the company and of its primary user.
        #[arg(long)]
        email: String,
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let bind = match &cli.command {
        Command::Serve { bind } => *bind,
        _ => None,
    };
    let overrides = Overrides {
        config_file: cli.config,
        bind,
        database_url: cli.database_url.map(Into::into),
        log_format: cli.log_format,
    };
    let loaded = Config::load(&overrides, std::env::vars())?;
    init_logging(&loaded.config);
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    let config = loaded.config;

    match cli.command {
        Command::Serve { .. } => serve(&config).await,
        Command::Migrate => {
            open_store(&config).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Company { command: CompanyCommand::Create { name, email, first_name, last_name } } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let engine = Engine::new(open_store(&config).await?, config.engine_options())?;
            let created = engine
                .create_company(NewCompany { name, email: Some(email), first_name, last_name })
                .await
                .context("cannot create the company")?;
            println!(
                "{}",
                serde_json::json!({
                    "company_id": created.company.id,
                    "primary_user_id": created.primary_user.id,
                    "api_key": created.api_key.expose(),
                })
            );
            Ok(())
        }
        Command::User { command: UserCommand::SetPassword { company, user, password_file } } => {
            let company = CompanyId::parse(&company).map_err(|e| anyhow::anyhow!("--company: {e}"))?;
            let user =
                UserRef::parse(&user).map_err(|_| anyhow::anyhow!("--user: a user id or 'primary' is expected"))?;
            let text = match password_file {
                Some(path) => {
                    std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?
                }
                None => {
                    std::io::read_to_string(std::io::stdin()).context("cannot read the password from standard input")?
                }
            };
            let password = Secret::new(text.lines().next().unwrap_or_default().to_owned());
            let engine = Engine::new(open_store(&config).await?, config.engine_options())?;
            let user =
                engine.set_password_as_operator(&company, &user, password).await.context("cannot set the password")?;
            println!("{}", serde_json::json!({ "company_id": company, "user_id": user.id }));
            Ok(())
        }
        Command::Secrets { command: SecretsCommand::GenerateKey } => {
            println!("{}", Keyring::generate_key());
            Ok(())
        }
        Command::Secrets { command: SecretsCommand::Rotate } => {
            // Not `open_store`: that refuses a database naming a key this node lacks, which is
            // what a rotation may have to clear.
            let store = migrated_store(&config).await?;
            let resealed = store.rotate_secrets().await.context("cannot rotate the secrets key")?;
            let key_id = store.secrets().current_id().unwrap_or_default();
            tracing::info!(resealed, key_id, "every stored secret is sealed with the current key");
            println!("{}", serde_json::json!({ "resealed": resealed, "key_id": key_id }));
            Ok(())
        }
    }
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    // Registered before anything else so that a SIGTERM during start-up is a clean shutdown too.
    let shutdown = shutdown_signal()?;
    let server = Server::build(config).await?;
    if let Some(created) = &server.bootstrapped {
        // Printed, not logged: the key must reach the operator once and never a log store.
        println!(
            "First start: created company \"{}\" company_id={} api_key={} (shown only this once; call the API with 'Authorization: Bearer <api_key>' and 'X-User-Id: primary')",
            created.company.name,
            created.company.id,
            created.api_key.expose()
        );
    }
    server.run(shutdown).await
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
