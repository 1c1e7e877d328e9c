//! `command_status` → [`AdapterError`]: what the gateway does after an SMSC refusal.
//! The table is documented in `docs/adapters/smpp.md`.

use gateway_sdk::AdapterError;
use rusmpp::CommandStatus;
use std::time::Duration;

/// What a refused `submit_sm` means for routing.
pub fn submit_error(status: CommandStatus, throttle_pause: Duration) -> AdapterError {
    let code: u32 = status.into();
    let provider_code = Some(format!("0x{code:08X}"));
    let message = format!("the SMSC answered {status:?} (0x{code:08X})");
    use CommandStatus as S;
    match status {
        S::EsmeRthrottled | S::EsmeRmsgqful => AdapterError::Throttled {
            message,
            retry_after_ms: Some(u64::try_from(throttle_pause.as_millis()).unwrap_or(u64::MAX)),
        },
        S::EsmeRinvdstadr
        | S::EsmeRinvdstton
        | S::EsmeRinvdstnpi
        | S::EsmeRinvnumdests
        | S::EsmeRxPAppn
        | S::EsmeRxRAppn => AdapterError::Rejected {
            message,
            provider_code,
        },
        S::EsmeRinvsrcadr
        | S::EsmeRinvsrcton
        | S::EsmeRinvsrcnpi
        | S::EsmeRinvdcs
        | S::EsmeRinvmsglen
        | S::EsmeRinvesmclass
        | S::EsmeRinvregdlvflg
        | S::EsmeRinvexpiry
        | S::EsmeRinvsertyp => AdapterError::Config {
            message: format!(
                "{message}: check the instance's source address, TON/NPI and coding settings"
            ),
        },
        s if is_auth(s) || s == S::EsmeRprohibited => AdapterError::Auth { message },
        _ => AdapterError::Transient {
            message,
            retry_after_ms: None,
        },
    }
}

/// Whether a refused bind means the credentials (or account) are wrong.
pub fn is_auth(status: CommandStatus) -> bool {
    matches!(
        status,
        CommandStatus::EsmeRinvpaswd
            | CommandStatus::EsmeRinvsysid
            | CommandStatus::EsmeRbindfail
            | CommandStatus::EsmeRinvsystyp
    )
}
