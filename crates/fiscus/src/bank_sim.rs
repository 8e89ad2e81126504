//! `fiscus bank-sim`: the flags and the `[bank]` keys turned into a `SimConfig`, then the
//! simulator runs until Ctrl-C.

use anyhow::{Context, Result, anyhow};
use fiscus_app::Settings;
use fiscus_bank_sim::{Faults, Ratio, SimConfig};

use crate::app_error;
use crate::cli::BankSimArgs;

pub async fn run(settings: &Settings, args: &BankSimArgs) -> Result<()> {
    let config = config(settings, args)?;
    tracing::info!(bind = %config.bind, finance_url = %config.finance_url, faults = ?config.faults, "bank simulator listening");
    fiscus_bank_sim::run(config, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| anyhow!(e))
}

fn ratio(text: &str, flag: &str) -> Result<Ratio> {
    Ratio::parse(text).map_err(|e| anyhow!("--{flag}: {e}"))
}

fn config(settings: &Settings, args: &BankSimArgs) -> Result<SimConfig> {
    let (min, max) = args
        .delay_ms
        .split_once("..")
        .ok_or_else(|| anyhow!("--delay-ms must be a range A..B, e.g. 10..200"))?;
    let delay_ms = (
        min.trim().parse::<u64>().context("--delay-ms")?,
        max.trim().parse::<u64>().context("--delay-ms")?,
    );
    if delay_ms.0 > delay_ms.1 {
        return Err(anyhow!("--delay-ms: A must not exceed B"));
    }
    let channel = settings.bank.sim_channel().map_err(app_error)?;
    Ok(SimConfig {
        bind: args
            .bind
            .parse()
            .with_context(|| format!("--bind {} is not ip:port", args.bind))?,
        finance_url: args.finance_url.clone(),
        channel,
        bank_code: args.bank_code.clone(),
        faults: Faults {
            delay_ms,
            duplicate_ratio: ratio(&args.duplicate, "duplicate")?,
            reorder: args.reorder,
            drop_ratio: ratio(&args.drop, "drop")?,
            corrupt_signature_ratio: ratio(&args.corrupt, "corrupt")?,
            refund_ratio: ratio(&args.refund, "refund")?,
            refund_delay_ms: args.refund_delay_ms,
        },
        seed: args.seed,
    })
}
